// quench-cli sweep MODEL --method M (--param KEY --values V1,V2,... | --per-tensor) [--set KEY=VALUE]...
// (--text FILE | --tokens FILE | --sample N --length L --seed S | --reference-logits FILE) [--json]:
// a curve (MATH.md §10): the eval figures for each value of one method setting, the others fixed;
// or per-tensor sensitivity: the same transform applied to one weight matrix at a time.
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_source.h"

namespace quench::cli {
namespace {
struct SweepOptions {
  EvalSourceOptions source;
  std::string method, param, values;
  std::vector<std::string> sets;
  bool perTensor = false;
  bool json = false;
};

// A command-line value as JSON: numbers and booleans as such, anything else as a string.
nlohmann::ordered_json jsonValue(const std::string& text) {
  nlohmann::ordered_json v = nlohmann::ordered_json::parse(text, nullptr, false);
  if (v.is_discarded() || v.is_object() || v.is_array() || v.is_null()) return text;
  return v;
}

Result<Recipe> oneRule(const nlohmann::ordered_json& rule) {
  nlohmann::ordered_json j;
  j["quench_recipe"] = kRecipeVersion;
  j["rules"] = nlohmann::ordered_json::array({rule});
  return recipeFromJson(j.dump());
}

int runSweep(const SweepOptions& o) {
  if (o.perTensor == !o.param.empty()) return fail("sweep: give either --param KEY --values LIST or --per-tensor");
  if (!o.param.empty() && o.values.empty()) return fail("sweep: --param needs --values V1,V2,...");
  nlohmann::ordered_json base;
  base["tensors"] = "*";
  base["method"] = o.method;
  for (const std::string& kv : o.sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return fail("sweep: --set '" + kv + "' is not KEY=VALUE");
    base[kv.substr(0, eq)] = jsonValue(kv.substr(eq + 1));
  }
  // Validate the fixed settings once, before any model work.
  if (auto r = oneRule(base); !r && o.perTensor) return fail("sweep: " + r.error().message);

  auto src = openEvalSource(o.source);
  if (!src) return fail("sweep: " + src.error().message);
  const LlamaKldFile* reference = src->reference ? &*src->reference : nullptr;

  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  auto evaluate = [&](const nlohmann::ordered_json& rule, const char* key, const nlohmann::ordered_json& label) -> int {
    auto recipe = oneRule(rule);
    if (!recipe) return fail("sweep: " + std::string(key) + " " + label.dump() + ": " + recipe.error().message);
    auto e = model::evaluateRecipe(src->files, *recipe, src->p.get(), src->sequences, reference);
    if (!e) return fail(e.error().message);
    nlohmann::ordered_json point;
    point[key] = label;
    const nlohmann::ordered_json figures = evaluationJson(*e);
    for (auto it = figures.begin(); it != figures.end(); ++it) point[it.key()] = it.value();
    point["top1_disagreement"] = 1.0 - e->summary.top1Agreement;
    if (!o.json)
      std::cout << key << ' ' << label.dump() << "  kl_mean " << e->summary.klMean << "  kl_p99 " << e->summary.klP99
                << "  top1 " << e->summary.top1Agreement << "  bits/param " << e->bitsPerParam << std::endl;
    points.push_back(std::move(point));
    return 0;
  };

  if (!o.param.empty()) {
    std::istringstream list(o.values);
    for (std::string v; std::getline(list, v, ',');) {
      if (v.empty()) continue;
      nlohmann::ordered_json rule = base;
      rule[o.param] = jsonValue(v);
      if (int rc = evaluate(rule, "value", jsonValue(v))) return rc;
    }
  } else {
    std::set<std::string> done;  // tied weights map two canonical names to one file tensor
    for (const std::string& canonical : model::canonicalWeightNames(src->files.config)) {
      const std::string name = src->files.fileTensorName(canonical);
      const auto index = src->files.reader->find(name);
      if (!index || src->files.reader->tensors()[*index].shape.size() < 2 || !done.insert(name).second) continue;
      nlohmann::ordered_json rule = base;
      rule["tensors"] = name;
      if (int rc = evaluate(rule, "tensor", name)) return rc;
    }
  }
  if (o.json) {
    nlohmann::ordered_json out;
    out["model"] = o.source.model;
    out["method"] = base;
    if (!o.param.empty()) out["param"] = o.param;
    out["points"] = std::move(points);
    std::cout << out.dump(2) << '\n';
  }
  return 0;
}
}  // namespace

Runner addSweepCommand(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Divergence curve over one method setting, or per-tensor sensitivity");
  addEvalSourceOptions(*cmd, o->source);
  cmd->add_option("--method", o->method, "int, float, nf4, fp4, prune, llm-int8")->required();
  cmd->add_option("--param", o->param, "Recipe key to sweep (bits, block, partition, sparsity, threshold, ...)");
  cmd->add_option("--values", o->values, "Comma-separated values of --param");
  cmd->add_option("--set", o->sets, "Fixed recipe key=value (repeatable), e.g. --set bits=4");
  cmd->add_flag("--per-tensor", o->perTensor, "Quantize one weight matrix at a time (sensitivity)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runSweep(*o); };
}

}  // namespace quench::cli
