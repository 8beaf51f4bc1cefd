// quench-cli eval MODEL [--recipe R.json | --method M ...] (--text FILE | --tokens FILE |
// --sample N --length L --seed S | --reference-logits FILE) [--context C] [--json]:
// per-token divergence of the quantized model Q from the original P (MATH.md §9, §11).
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_options.h"
#include "app/cli/method_options.h"
#include "core/eval/layer_stream.h"

namespace quench::cli {
namespace {
struct EvalOptions {
  EvalSourceOptions source;
  std::string recipe;
  MethodOptions method;  // a one-rule recipe from the command line
  double temperature = 1.0;
  bool json = false;
};

Result<Recipe> buildRecipe(const EvalOptions& o) {
  if (!o.recipe.empty()) return loadRecipe(o.recipe);
  auto rule = methodRule(o.method);
  if (!rule) return rule.error();
  if (rule->empty()) return Recipe{};  // Q = P (useful against a reference file)
  return recipeFromRule(*rule);
}

int runEval(const EvalOptions& o) {
  if (!o.recipe.empty() && !o.method.method().empty()) return fail("eval: give --recipe or --method, not both");
  auto recipe = buildRecipe(o);
  if (!recipe) return fail(recipe.error().message);
  auto src = openEvalSource(o.source, false);
  if (!src) return fail("eval: " + src.error().message);
  src->p.reset();  // sampled sequences are drawn; the streamed evaluation runs P layer by layer
  eval::StreamedOptions so;
  so.temperature = o.temperature;
  auto e = eval::evaluateStreamed(src->files, *recipe, src->sequences, src->reference ? &*src->reference : nullptr, so);
  if (!e) return fail(e.error().message);
  const nlohmann::ordered_json j = evaluationJson(e->evaluation);
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
  o->method.addTo(*cmd);
  cmd->add_option("--temperature", o->temperature, "Compare softmax(z/T) of both models (MATH.md §8)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runEval(*o); };
}

}  // namespace quench::cli
