#pragma once
// Recipe: which tensors get which transform with which parameters. The single source of truth
// the GUI edits and exports and the CLI applies; JSON with a schema version ("quench_recipe": 1).
//
// Canonical JSON (what toJson writes, key order fixed, 2-space indent):
//   {"quench_recipe": 1, "rules": [{"tensors": GLOB, "method": M, ...method keys...}, ...]}
// Method keys (only these are accepted for each method; missing keys take the defaults below):
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
// Matching (MATH.md §7): rules are tried in order, the first match wins. A tensor of rank ≥ 2
// matches a glob (fnmatch-style *, ?, [abc], [a-z], [!a]); a tensor of rank ≤ 1 (norms, biases)
// only matches a rule whose pattern has no wildcard and equals its name exactly.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/io/reader.h"
#include "core/quant/calibrate.h"
#include "core/quant/integer.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

inline constexpr int kRecipeVersion = 1;

enum class Method { Int, Float, Nf4, Fp4, Prune, LlmInt8 };

/// "int", "float", "nf4", "fp4", "prune", "llm-int8".
std::string_view methodName(Method m);
std::optional<Method> parseMethod(std::string_view s);

/// Parameters of one transform; only the fields of `method` are meaningful (the others keep
/// their defaults, so that equality and the JSON round trip are exact).
struct MethodParams {
  Method method = Method::Int;
  // int
  int bits = 8;
  bool symmetric = true;
  std::string partition = "row";  ///< tensor, row, column, group:G[:column] (prune: tensor|row)
  Calibration calibration;
  ScaleFormat scaleFormat = ScaleFormat::FP32;
  CodeArithmetic arithmetic = CodeArithmetic::Exact;
  std::map<std::size_t, PartOverride> overrides;
  // int, float
  Rounding rounding = Rounding::HalfEven;
  // float
  std::string format = "e4m3";
  // float (MX block, 0 = none), nf4/fp4 (absmax block)
  std::size_t block = 64;
  // nf4/fp4
  bool doubleQuant = false;
  // prune
  std::string sparsity = "0.5";
  // llm-int8
  double threshold = 6.0;

  /// Defaults of `m` (block is 0 for float, 64 for nf4/fp4; partition "tensor" for prune).
  static MethodParams defaults(Method m);
  friend bool operator==(const MethodParams&, const MethodParams&) = default;
};

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
/// Parses and validates a recipe; errors name the rule and key ("recipe: rules[1].bits: ...").
Result<Recipe> recipeFromJson(std::string_view text);
/// Reads a recipe file; errors name the file.
Result<Recipe> loadRecipe(const std::string& path);
/// The JSON object of one rule's parameters (method and its keys), as in the recipe file.
std::string methodParamsToJson(const MethodParams& p);

/// fnmatch-style glob: * any run, ? one character, [set] / [!set] / ranges a-z.
bool globMatch(std::string_view pattern, std::string_view name);
/// Index of the first rule that selects a tensor named `name` of rank `rank` (see header comment).
std::optional<std::size_t> matchRule(const Recipe& recipe, std::string_view name, std::size_t rank);

/// The integer quantizer's parameters of an int rule (overrides included).
IntegerParams integerParams(const MethodParams& p);

/// Applies one transform to one tensor. `activations` (tokens × features) is used by llm-int8
/// only: its outlier columns pick the weight's input channels kept in full precision; without it
/// the weight's own per-column max |W| ≥ τ is used (weight-only view).
Result<QuantResult> quantizeTensor(const FloatTensor& tensor, const MethodParams& params, const Work& work = {},
                                   const FloatTensor* activations = nullptr);

/// Called for each transformed tensor, in file order. Returning an error stops applyRecipe.
using RecipeSink = std::function<Status(const FloatTensor& original, std::size_t rule, QuantResult&& result)>;
/// Applies the recipe to every tensor of `reader` it selects (one at a time, so memory holds one
/// tensor and its result); returns the number of tensors transformed.
Result<std::size_t> applyRecipe(const TensorReader& reader, const Recipe& recipe, const RecipeSink& sink,
                                const Work& work = {});

}  // namespace quench
