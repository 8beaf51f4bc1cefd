// quench-cli sweep MODEL (--vary NAME=V1,V2,... | --per-tensor) [method options]
// (--text FILE | --tokens FILE | --sample N --length L --seed S | --reference-logits FILE) [--json]:
// a curve (MATH.md §10): the eval figures for each value of one setting, the others fixed; or
// per-tensor sensitivity: the same transform applied to one weight matrix at a time (each matrix
// the rule selects, so --tensors narrows it). The work is core/eval/sweep.h's.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/eval_options.h"
#include "app/cli/method_options.h"
#include "core/eval/sweep.h"

namespace quench::cli {
namespace {
struct SweepOptions {
  EvalSourceOptions source;
  MethodOptions method;
  std::string vary;  // NAME=V1,V2,...
  double temperature = 1.0;
  bool perTensor = false;
  bool json = false;
};

int runSweep(const SweepOptions& o) {
  if (o.perTensor == !o.vary.empty()) return fail("sweep: give either --vary NAME=V1,V2,... or --per-tensor");
  auto base = methodRule(o.method);
  if (!base) return fail("sweep: " + base.error().message);
  if (base->empty()) return fail("sweep: give the method to sweep with --method (and its fixed options)");

  // Every point's recipe is built and validated before any model work, so a typo fails in
  // milliseconds (the per-tensor points need the model's catalog, opened below). A curve's base
  // rule need only be valid with the swept setting applied.
  eval::SweepAxis axis;
  std::vector<eval::SweepPoint> points;
  Recipe recipe;
  if (!o.perTensor) {
    auto a = eval::parseSweepAxis(o.vary);
    if (!a) return fail("sweep: " + a.error().message);
    axis = std::move(a).value();
    nlohmann::ordered_json baseRecipe;
    baseRecipe["quench_recipe"] = kRecipeVersion;
    baseRecipe["rules"] = nlohmann::ordered_json::array({*base});
    auto pts = eval::sweepPoints(baseRecipe.dump(), axis, o.temperature);
    if (!pts) return fail("sweep: " + pts.error().message);
    points = std::move(pts).value();
  } else {
    auto r = recipeFromRule(*base);
    if (!r) return fail("sweep: " + r.error().message);
    recipe = std::move(r).value();
  }

  auto src = openEvalSource(o.source);
  if (!src) return fail("sweep: " + src.error().message);
  if (o.perTensor) {
    auto pts = eval::perTensorPoints(src->files, recipe, o.temperature);
    if (!pts) return fail("sweep: " + pts.error().message);
    points = std::move(pts).value();
  }

  const char* key = o.perTensor ? "tensor" : "value";
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  const auto print = [&](std::size_t, const eval::SweepPoint& pt, const eval::RecipeEvaluation& e) -> Status {
    const nlohmann::ordered_json label =
        o.perTensor ? nlohmann::ordered_json(pt.label) : nlohmann::ordered_json::parse(eval::sweepValueJson(pt.label));
    nlohmann::ordered_json point;
    point[key] = label;
    const nlohmann::ordered_json figures = evaluationJson(e);
    for (auto it = figures.begin(); it != figures.end(); ++it) point[it.key()] = it.value();
    point["top1_disagreement"] = 1.0 - e.summary.top1Agreement;
    if (!o.json)
      std::cout << key << ' ' << label.dump() << "  kl_mean " << e.summary.klMean << "  kl_p99 " << e.summary.klP99
                << "  top1 " << e.summary.top1Agreement << "  bits/param " << e.bitsPerParam << std::endl;
    out.push_back(std::move(point));
    return {};
  };
  const eval::SweepData data{src->p.get(), &src->sequences, src->reference ? &*src->reference : nullptr};
  if (auto r = eval::runSweep(src->files, data, points, print); !r) return fail(r.error().message);

  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.source.model;
    j["method"] = *base;
    if (!o.perTensor) j["vary"] = axis.name;
    j["points"] = std::move(out);
    std::cout << j.dump(2) << '\n';
  }
  return 0;
}
}  // namespace

Runner addSweepCommand(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Divergence curve over one setting, or per-tensor sensitivity");
  addEvalSourceOptions(*cmd, o->source);
  o->method.addTo(*cmd);
  cmd->add_option("--vary", o->vary,
                  "NAME=V1,V2,...: bits, block, group, clip (percentile), threshold, sparsity, temperature, or any "
                  "recipe key of the method");
  cmd->add_option("--temperature", o->temperature, "Fixed evaluation temperature T (compare softmax(z/T))")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--per-tensor", o->perTensor,
                "Quantize one weight matrix at a time (sensitivity; the matrices --tensors selects)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runSweep(*o); };
}

}  // namespace quench::cli
