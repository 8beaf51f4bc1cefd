#include "app/cli/method_options.h"

namespace quench::cli {

void addMethodOptions(CLI::App& cmd, MethodOptions& o) {
  cmd.add_option("--method", o.method, "One rule for the selected tensors: int, float, nf4, fp4, prune, llm-int8");
  cmd.add_option("--tensors", o.tensors, "Glob over tensor names (default *: every tensor of rank >= 2)");
  cmd.add_option("--bits", o.bits, "int: 2..8 or 16");
  cmd.add_flag("--symmetric", o.symmetric, "int: signed grid [-M, M], b = 0 (default)");
  cmd.add_flag("--asymmetric", o.asymmetric, "int: unsigned grid [0, 2^k - 1] with a zero point");
  cmd.add_option("--partition", o.partition, "int: tensor, row, column, group:G[:column]; prune: tensor|row");
  cmd.add_option("--calib", o.calib, "int: absmax, minmax, percentile:P, mse, entropy, signed-max");
  cmd.add_option("--round", o.round, "even (default), away, up (ties toward +inf), zero, stochastic");
  cmd.add_option("--scale-format", o.scaleFormat, "int: fp32 (default), fp16, bf16, e8m0");
  cmd.add_option("--arithmetic", o.arithmetic, "int: exact (default) or ggml (llama.cpp's fp32 code arithmetic)");
  cmd.add_option("--format", o.format, "float: fp16, bf16, e4m3, e5m2, e3m2, e2m3, e2m1, eXmY");
  cmd.add_option("--block", o.block, "nf4/fp4: absmax block (64); float: MX block with an E8M0 scale (0 = none)");
  cmd.add_flag("--double-quant", o.doubleQuant, "nf4/fp4: quantize the block constants too (QLoRA)");
  cmd.add_option("--sparsity", o.sparsity, "prune: fraction F of smallest |w| or N:M");
  cmd.add_option("--threshold", o.threshold, "llm-int8: outlier threshold τ (6)");
}

Result<nlohmann::ordered_json> methodRule(const MethodOptions& o) {
  nlohmann::ordered_json rule = nlohmann::ordered_json::object();
  const bool anyKey = o.bits || o.block >= 0 || o.threshold > 0 || o.symmetric || o.asymmetric || o.doubleQuant ||
                      !o.partition.empty() || !o.calib.empty() || !o.round.empty() || !o.scaleFormat.empty() || !o.arithmetic.empty() ||
                      !o.format.empty() || !o.sparsity.empty();
  if (o.method.empty()) {
    if (anyKey) return makeError("method options need --method (int, float, nf4, fp4, prune or llm-int8)");
    return rule;
  }
  if (o.symmetric && o.asymmetric) return makeError("give --symmetric or --asymmetric, not both");
  rule["tensors"] = o.tensors;
  rule["method"] = o.method;
  if (o.bits) rule["bits"] = o.bits;
  if (o.symmetric) rule["symmetric"] = true;
  if (o.asymmetric) rule["symmetric"] = false;
  if (!o.partition.empty()) rule["partition"] = o.partition;
  if (!o.calib.empty()) rule["calib"] = o.calib;
  if (!o.round.empty()) rule["round"] = o.round;
  if (!o.scaleFormat.empty()) rule["scale_format"] = o.scaleFormat;
  if (!o.arithmetic.empty()) rule["arithmetic"] = o.arithmetic;
  if (!o.format.empty()) rule["format"] = o.format;
  if (!o.sparsity.empty()) rule["sparsity"] = o.sparsity;
  if (o.block >= 0) rule["block"] = o.block;
  if (o.threshold > 0) rule["threshold"] = o.threshold;
  if (o.doubleQuant) rule["double_quant"] = true;
  return rule;
}

Result<Recipe> recipeFromRule(const nlohmann::ordered_json& rule) {
  nlohmann::ordered_json j;
  j["quench_recipe"] = kRecipeVersion;
  j["rules"] = nlohmann::ordered_json::array({rule});
  return recipeFromJson(j.dump());
}

}  // namespace quench::cli
