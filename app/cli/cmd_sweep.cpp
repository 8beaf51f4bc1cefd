// quench-cli sweep MODEL (--vary NAME=V1,V2,... | --per-tensor) [method options]
// (--text FILE | --tokens FILE | --sample N --length L --seed S | --reference-logits FILE) [--json]:
// a curve (MATH.md §10): the eval figures for each value of one setting, the others fixed; or
// per-tensor sensitivity: the same transform applied to one weight matrix at a time.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/eval_source.h"
#include "app/cli/method_options.h"

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

// A command-line value as JSON: numbers and booleans as such, anything else as a string.
nlohmann::ordered_json jsonValue(const std::string& text) {
  nlohmann::ordered_json v = nlohmann::ordered_json::parse(text, nullptr, false);
  if (v.is_discarded() || v.is_object() || v.is_array() || v.is_null()) return text;
  return v;
}

// One point of a curve: the rule and evaluation temperature for `value` of the swept setting.
struct Point {
  nlohmann::ordered_json rule;
  double temperature;
};

// The settings a curve can vary (MATH.md §10) and how each lands in the rule. Any other name is
// taken as a recipe key of the method (e.g. format, calib), so every recipe setting can be swept.
Result<Point> pointFor(const std::string& name, const std::string& value, const nlohmann::ordered_json& base,
                       double temperature) {
  Point pt{base, temperature};
  if (name == "temperature") {
    char* end = nullptr;
    const double t = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !(t > 0)) return makeError("temperature '" + value + "' is not a positive number");
    pt.temperature = t;
  } else if (name == "group") {
    pt.rule["partition"] = "group:" + value;
  } else if (name == "clip" || name == "percentile") {
    pt.rule["calib"] = "percentile:" + value;
  } else {
    pt.rule[name] = jsonValue(value);
  }
  return pt;
}

int runSweep(const SweepOptions& o) {
  if (o.perTensor == !o.vary.empty()) return fail("sweep: give either --vary NAME=V1,V2,... or --per-tensor");
  auto base = methodRule(o.method);
  if (!base) return fail("sweep: " + base.error().message);
  if (base->empty()) return fail("sweep: give the method to sweep with --method (and its fixed options)");

  std::string name;
  std::vector<std::string> values;
  if (!o.vary.empty()) {
    const auto eq = o.vary.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == o.vary.size())
      return fail("sweep: --vary '" + o.vary + "' is not NAME=V1,V2,...");
    name = o.vary.substr(0, eq);
    std::istringstream list(o.vary.substr(eq + 1));
    for (std::string v; std::getline(list, v, ',');)
      if (!v.empty()) values.push_back(v);
    if (values.empty()) return fail("sweep: --vary " + name + " has no values");
  }
  // Validate every point's rule before any model work, so a typo fails in milliseconds.
  std::vector<Point> points;
  if (o.perTensor) {
    if (auto r = recipeFromRule(*base); !r) return fail("sweep: " + r.error().message);
  } else {
    for (const std::string& v : values) {
      auto pt = pointFor(name, v, *base, o.temperature);
      if (!pt) return fail("sweep: " + pt.error().message);
      if (auto r = recipeFromRule(pt->rule); !r) return fail("sweep: " + name + "=" + v + ": " + r.error().message);
      points.push_back(std::move(*pt));
    }
  }

  auto src = openEvalSource(o.source);
  if (!src) return fail("sweep: " + src.error().message);
  const LlamaKldFile* reference = src->reference ? &*src->reference : nullptr;

  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  auto evaluate = [&](const Point& pt, const char* key, const nlohmann::ordered_json& label) -> int {
    auto recipe = recipeFromRule(pt.rule);
    if (!recipe) return fail("sweep: " + std::string(key) + " " + label.dump() + ": " + recipe.error().message);
    auto e = model::evaluateRecipe(src->files, *recipe, src->p.get(), src->sequences, reference, pt.temperature);
    if (!e) return fail(e.error().message);
    nlohmann::ordered_json point;
    point[key] = label;
    const nlohmann::ordered_json figures = evaluationJson(*e);
    for (auto it = figures.begin(); it != figures.end(); ++it) point[it.key()] = it.value();
    point["top1_disagreement"] = 1.0 - e->summary.top1Agreement;
    if (!o.json)
      std::cout << key << ' ' << label.dump() << "  kl_mean " << e->summary.klMean << "  kl_p99 " << e->summary.klP99
                << "  top1 " << e->summary.top1Agreement << "  bits/param " << e->bitsPerParam << std::endl;
    out.push_back(std::move(point));
    return 0;
  };

  if (!o.perTensor) {
    for (std::size_t i = 0; i < points.size(); ++i)
      if (int rc = evaluate(points[i], "value", jsonValue(values[i]))) return rc;
  } else {
    std::set<std::string> done;  // tied weights map two canonical names to one file tensor
    for (const std::string& canonical : model::canonicalWeightNames(src->files.config)) {
      const std::string tensor = src->files.fileTensorName(canonical);
      const auto index = src->files.reader->find(tensor);
      if (!index || src->files.reader->tensors()[*index].shape.size() < 2 || !done.insert(tensor).second) continue;
      Point pt{*base, o.temperature};
      pt.rule["tensors"] = tensor;
      if (int rc = evaluate(pt, "tensor", tensor)) return rc;
    }
  }
  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.source.model;
    j["method"] = *base;
    if (!o.perTensor) j["vary"] = name;
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
  addMethodOptions(*cmd, o->method);
  cmd->add_option("--vary", o->vary,
                  "NAME=V1,V2,...: bits, block, group, clip (percentile), threshold, sparsity, temperature, or any "
                  "recipe key of the method");
  cmd->add_option("--temperature", o->temperature, "Fixed evaluation temperature T (compare softmax(z/T))")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--per-tensor", o->perTensor, "Quantize one weight matrix at a time (sensitivity)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runSweep(*o); };
}

}  // namespace quench::cli
