#pragma once
// Recipe: which tensors get which transform with which parameters. The single source of truth
// the GUI edits and exports and the CLI applies; JSON with a schema version ("quench_recipe": 1).
//
// Canonical JSON (what toJson writes, key order fixed, 2-space indent):
//   {"quench_recipe": 1, "rules": [{"tensors": GLOB, "method": M, ...method keys...}, ...]}
// The methods and their keys come from the method registry (core/quant/method.h): each rule
// writes every key of its method, in the method's parameter order; missing keys read as the
// method's defaults; a key of another method is an error. The built-in methods' keys:
//   int:      bits (8), symmetric (true), partition ("row"), calib ("absmax"), round ("even"),
//             scale_format ("fp32"), arithmetic ("exact"; "ggml" = llama.cpp's fp32 code
//             arithmetic, symmetric only), overrides ({} : {"PART": {scale, zero, clip_low, clip_high}},
//             "clip": M is accepted on input as clip_low = −M, clip_high = M)
//   float:    format ("e4m3"), round ("even"), block (0 = no shared scale; B = OCP MX E8M0 scale
//             per B consecutive values)
//   nf4, fp4: block (64), double_quant (false)
//   prune:    sparsity ("0.5": magnitude fraction, or "N:M"), partition ("tensor" or "row",
//             magnitude only)
//   llm-int8: threshold (6.0)
// Errors carry the path of the offending key (Error::path "rules[1].bits") beside the message
// ("recipe: rules[1].bits: bits must be 2..8 or 16, got 9").
// Matching (MATH.md §7): rules are tried in order, the first match wins. A tensor of rank ≥ 2
// matches a glob (fnmatch-style *, ?, [abc], [a-z], [!a]); a tensor of rank ≤ 1 (norms, biases)
// only matches a rule whose pattern has no wildcard and equals its name exactly.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/io/imatrix.h"
#include "core/io/reader.h"
#include "core/quant/method.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

inline constexpr int kRecipeVersion = 1;

struct RecipeRule {
  std::string tensors;  ///< glob over tensor names
  MethodParams params;
  friend bool operator==(const RecipeRule&, const RecipeRule&) = default;
};

struct Recipe {
  std::vector<RecipeRule> rules;
  friend bool operator==(const Recipe&, const Recipe&) = default;
};

/// Canonical JSON text (see the header comment), ending in a newline.
std::string recipeToJson(const Recipe& recipe);
/// Parses and validates a recipe; errors name the rule and key ("recipe: rules[1].bits: ...") and
/// carry its path ("rules[1].bits"); a JSON syntax error carries the byte offset (0-based).
Result<Recipe> recipeFromJson(std::string_view text);
/// Reads a recipe file; errors name the file (in the message and Error::file).
Result<Recipe> loadRecipe(const std::string& path);
/// The JSON object of one rule's parameters (method and its keys), as in the recipe file.
std::string methodParamsToJson(const MethodParams& p);

/// fnmatch-style glob: * any run, ? one character, [set] / [!set] / ranges a-z.
bool globMatch(std::string_view pattern, std::string_view name);
/// Index of the first rule that selects a tensor named `name` of rank `rank` (see header comment).
std::optional<std::size_t> matchRule(const Recipe& recipe, std::string_view name, std::size_t rank);

/// Applies one transform to one tensor. `activations` (tokens × features) go to methods that take
/// activations (llm-int8: its outlier columns pick the weight's input channels kept in full
/// precision; without them the weight's own per-column max |W| ≥ τ is used). Errors start with
/// the tensor's name and keep the path of the parameter at fault ("overrides[5000]").
/// `importance` (one v_j per input column, e.g. an imatrix entry) goes to the int method's `wmse`
/// step (MATH.md §13).
Result<QuantResult> quantizeTensor(const FloatTensor& tensor, const MethodParams& params, const Work& work = {},
                                   const FloatTensor* activations = nullptr, std::span<const float> importance = {});

/// Called for each transformed tensor, in file order. Returning an error stops applyRecipe.
using RecipeSink = std::function<Status(const FloatTensor& original, std::size_t rule, QuantResult&& result)>;
/// Applies the recipe to every tensor of `reader` it selects (one at a time, so memory holds one
/// tensor and its result); returns the number of tensors transformed.
/// With `imatrix`, each tensor that has a single-matrix entry of its name gets that entry's
/// importance (llama-quantize's per-column weights) as its calibration input.
Result<std::size_t> applyRecipe(const TensorReader& reader, const Recipe& recipe, const RecipeSink& sink,
                                const Work& work = {}, const Imatrix* imatrix = nullptr);

}  // namespace quench
