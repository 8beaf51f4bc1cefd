// quench-cli eval MODEL [--recipe R.json | --method M ...] (--text FILE | --tokens FILE |
// --sample N --length L --seed S | --reference-logits FILE) [--context C] [--json]:
// per-token divergence of the quantized model Q from the original P (MATH.md §9, §11).
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_source.h"

namespace quench::cli {
namespace {
struct EvalOptions {
  EvalSourceOptions source;
  std::string recipe;
  // A one-rule recipe from the command line (every tensor of rank ≥ 2).
  std::string method, partition, format, calib, sparsity;
  int bits = 0, block = -1;
  double threshold = 0;
  bool doubleQuant = false;
  bool json = false;
};

Result<Recipe> buildRecipe(const EvalOptions& o) {
  if (!o.recipe.empty()) return loadRecipe(o.recipe);
  if (o.method.empty()) return Recipe{};  // Q = P (useful against a reference file)
  nlohmann::ordered_json rule;
  rule["tensors"] = "*";
  rule["method"] = o.method;
  if (o.bits) rule["bits"] = o.bits;
  if (!o.partition.empty()) rule["partition"] = o.partition;
  if (!o.format.empty()) rule["format"] = o.format;
  if (!o.calib.empty()) rule["calib"] = o.calib;
  if (!o.sparsity.empty()) rule["sparsity"] = o.sparsity;
  if (o.block >= 0) rule["block"] = o.block;
  if (o.threshold > 0) rule["threshold"] = o.threshold;
  if (o.doubleQuant) rule["double_quant"] = true;
  nlohmann::ordered_json j;
  j["quench_recipe"] = kRecipeVersion;
  j["rules"] = nlohmann::ordered_json::array({rule});
  return recipeFromJson(j.dump());
}

int runEval(const EvalOptions& o) {
  if (!o.recipe.empty() && !o.method.empty()) return fail("eval: give --recipe or --method, not both");
  auto recipe = buildRecipe(o);
  if (!recipe) return fail(recipe.error().message);
  auto src = openEvalSource(o.source);
  if (!src) return fail("eval: " + src.error().message);
  auto e = model::evaluateRecipe(src->files, *recipe, src->p.get(), src->sequences,
                                 src->reference ? &*src->reference : nullptr);
  if (!e) return fail(e.error().message);
  const nlohmann::ordered_json j = evaluationJson(*e);
  if (o.json) {
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  for (auto it = j.begin(); it != j.end(); ++it) std::cout << std::left << it.key() << "  " << it.value().dump() << '\n';
  return 0;
}
}  // namespace

Runner addEvalCommand(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "KL/JS, top-1 and perplexity of a quantized model against the original");
  addEvalSourceOptions(*cmd, o->source);
  cmd->add_option("--recipe", o->recipe, "Recipe JSON applied to the weights (Q)");
  cmd->add_option("--method", o->method, "One rule for every matrix: int, float, nf4, fp4, prune, llm-int8");
  cmd->add_option("--bits", o->bits, "int: bits");
  cmd->add_option("--partition", o->partition, "int: tensor, row, column, group:G[:column]");
  cmd->add_option("--calib", o->calib, "int: absmax, minmax, percentile:P, mse, entropy");
  cmd->add_option("--format", o->format, "float: e4m3, e5m2, ...");
  cmd->add_option("--block", o->block, "float: MX block (0 = none); nf4/fp4: absmax block");
  cmd->add_flag("--double-quant", o->doubleQuant, "nf4/fp4: quantize the block scales");
  cmd->add_option("--sparsity", o->sparsity, "prune: fraction or N:M");
  cmd->add_option("--threshold", o->threshold, "llm-int8: outlier threshold");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runEval(*o); };
}

}  // namespace quench::cli
