#pragma once
// Curves and sensitivity (MATH.md §10): one setting of a recipe varied over a list of values, each
// value evaluated like `eval` (Q = the recipe's reconstructions against the original P); or the
// recipe applied to one weight matrix at a time (per-tensor sensitivity). The points are built and
// validated first (milliseconds, before any model work), then run one after another with one
// progress over all of them, cancellation between and within points, and a callback per finished
// point so a GUI can plot points as they arrive. `quench-cli sweep` is a thin shell over this.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/eval/evaluate.h"

namespace quench::eval {

/// The setting a curve varies and its values as the user wrote them.
struct SweepAxis {
  std::string name;                 ///< bits, block, group, clip/percentile, threshold, sparsity,
                                    ///< temperature, or any recipe key of the rules' method
  std::vector<std::string> values;  ///< in the order given, e.g. {"2", "4", "8"}
};

/// One evaluation of a sweep.
struct SweepPoint {
  std::string label;         ///< the swept value as given ("4"), or the tensor's name in the file
  Recipe recipe;             ///< what Q is built with
  double temperature = 1.0;  ///< evaluation temperature T (compare softmax(z/T))
};

/// "NAME=V1,V2,..." → {NAME, [V1, V2, ...]} (empty values dropped). Errors: no '=', empty name, or
/// no value ("--vary 'bits' is not NAME=V1,V2,...").
Result<SweepAxis> parseSweepAxis(std::string_view text);

/// The value `text` as it lands in a recipe rule's JSON: a number or boolean when it reads as one,
/// otherwise a string ("4" → 4, "true" → true, "e2m1" → "e2m1"). Returned as JSON text.
std::string sweepValueJson(const std::string& text);

/// One point per value of `axis`, each the rules of `base` with the setting replaced (every rule
/// of `base` gets it): bits, block, threshold, sparsity and any other key set the key itself;
/// "group" sets partition "group:V"; "clip" and "percentile" set calib "percentile:V";
/// "temperature" keeps the recipe and sets the point's temperature (other points use
/// `temperature`). Every point's recipe is validated; an error names the point
/// ("bits=99: recipe: rules[0].bits: ..."). `base` must have at least one rule.
Result<std::vector<SweepPoint>> sweepPoints(const Recipe& base, const SweepAxis& axis, double temperature = 1.0);
/// sweepPoints from the recipe's JSON text (recipe.h format), which need only be valid once the
/// setting is applied (e.g. a base rule whose "bits" the sweep replaces).
Result<std::vector<SweepPoint>> sweepPoints(std::string_view baseRecipeJson, const SweepAxis& axis,
                                            double temperature = 1.0);

/// Per-tensor sensitivity: one point per weight matrix of `files` (rank ≥ 2, in canonical order,
/// a tied tensor once) that a rule of `base` selects, with that rule applied to that tensor alone
/// (label = the tensor's name in the file; its recipe's one rule names the tensor exactly).
Result<std::vector<SweepPoint>> perTensorPoints(const model::ModelFiles& files, const Recipe& base,
                                                double temperature = 1.0);

/// Called after each point, on the thread that runs the sweep, with the point's index in
/// `points`. Returning an error stops the sweep with that error.
using SweepPointFn = std::function<Status(std::size_t index, const SweepPoint& point, const RecipeEvaluation& e)>;

/// What a sweep compares on: exactly as evaluateRecipe takes it (P and `sequences`, or a llama.cpp
/// `reference`, which holds T = 1 probabilities only).
struct SweepData {
  model::Transformer* p = nullptr;
  const std::vector<std::vector<int>>* sequences = nullptr;
  const LlamaKldFile* reference = nullptr;
};

/// Evaluate every point in order (each exactly like evaluateRecipe: same figures). P's logits are
/// computed once and reused by every point when they fit in `logitCacheBytes` (and there is more
/// than one point). Progress: one unit over the whole sweep, in steps: each point is one step
/// (its fraction reported as it goes), computing P's logits once is one more step in front.
/// Cancellation is checked between points and inside each (an error containing "cancelled"; the
/// points already passed to `onPoint` stay valid). Evaluation errors are returned unchanged.
/// Returns the evaluations in the order of `points` (positions kept when `keepPositions`).
Result<std::vector<RecipeEvaluation>> runSweep(const model::ModelFiles& files, const SweepData& data,
                                               const std::vector<SweepPoint>& points, const SweepPointFn& onPoint = {},
                                               const Work& work = {}, bool keepPositions = false,
                                               std::size_t logitCacheBytes = std::size_t{1} << 30);

}  // namespace quench::eval
