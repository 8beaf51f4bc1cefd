#include "core/eval/sweep.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace quench::eval {

// The runtime this room evaluates (core/model).
using model::Matrix;
using model::ModelFiles;
using model::canonicalWeightNames;

Result<SweepAxis> parseSweepAxis(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return makeError("--vary '" + std::string(text) + "' is not NAME=V1,V2,...");
  SweepAxis axis;
  axis.name = std::string(text.substr(0, eq));
  std::istringstream list{std::string(text.substr(eq + 1))};
  for (std::string v; std::getline(list, v, ',');)
    if (!v.empty()) axis.values.push_back(v);
  if (axis.values.empty()) return makeError("--vary " + axis.name + " has no values");
  return axis;
}

namespace {
using Json = nlohmann::ordered_json;

// A value as the user typed it, as JSON: numbers and booleans as such, anything else a string.
Json jsonValue(const std::string& text) {
  Json v = Json::parse(text, nullptr, false);
  if (v.is_discarded() || v.is_object() || v.is_array() || v.is_null()) return text;
  return v;
}

Result<double> positiveNumber(const std::string& text) {
  char* end = nullptr;
  const double t = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(t > 0) || !std::isfinite(t))
    return makeError("temperature '" + text + "' is not a positive number");
  return t;
}
}  // namespace

std::string sweepValueJson(const std::string& text) { return jsonValue(text).dump(); }

Result<std::vector<SweepPoint>> sweepPoints(const Recipe& base, const SweepAxis& axis, double temperature) {
  return sweepPoints(recipeToJson(base), axis, temperature);
}

Result<std::vector<SweepPoint>> sweepPoints(std::string_view baseRecipeJson, const SweepAxis& axis,
                                            double temperature) {
  if (axis.name.empty() || axis.values.empty()) return makeError("the sweep has no setting or no values");
  // Each point changes one key of every rule of the base's JSON and is parsed back, so every
  // setting the recipe format knows can be swept and is validated by it.
  const Json root = Json::parse(baseRecipeJson, nullptr, false);
  if (!root.is_object() || !root.contains("rules") || !root["rules"].is_array())
    return makeError("the recipe to sweep is not recipe JSON with \"rules\"");
  if (root["rules"].empty()) return makeError("the recipe to sweep has no rule");
  for (const Json& rule : root["rules"])
    if (!rule.is_object()) return makeError("the recipe to sweep has a rule that is not an object");
  std::vector<SweepPoint> points;
  for (const std::string& value : axis.values) {
    SweepPoint pt{value, Recipe{}, temperature};
    if (axis.name == "temperature") {
      auto t = positiveNumber(value);
      if (!t) return t.error();
      pt.temperature = *t;
      auto r = recipeFromJson(baseRecipeJson);
      if (!r) return makeError(axis.name + "=" + value + ": " + r.error().message);
      pt.recipe = std::move(r).value();
    } else {
      Json j = root;
      for (Json& rule : j["rules"]) {
        if (axis.name == "group")
          rule["partition"] = "group:" + value;
        else if (axis.name == "clip" || axis.name == "percentile")
          rule["calib"] = "percentile:" + value;
        else
          rule[axis.name] = jsonValue(value);
      }
      auto r = recipeFromJson(j.dump());
      if (!r) return makeError(axis.name + "=" + value + ": " + r.error().message);
      pt.recipe = std::move(r).value();
    }
    points.push_back(std::move(pt));
  }
  return points;
}

Result<std::vector<SweepPoint>> perTensorPoints(const ModelFiles& files, const Recipe& base, double temperature) {
  if (base.rules.empty()) return makeError("the recipe to apply per tensor has no rule");
  if (!files.reader) return makeError("no model is open");
  std::vector<SweepPoint> points;
  std::set<std::string> done;  // tied weights map two canonical names to one file tensor
  for (const std::string& canonical : canonicalWeightNames(files.config)) {
    const std::string tensor = files.fileTensorName(canonical);
    const auto index = files.reader->find(tensor);
    if (!index) continue;
    const std::size_t rank = files.reader->tensors()[*index].shape.size();
    if (rank < 2 || !done.insert(tensor).second) continue;
    const auto rule = matchRule(base, tensor, rank);
    if (!rule) continue;
    SweepPoint pt;
    pt.label = tensor;
    pt.recipe.rules.push_back(RecipeRule{tensor, base.rules[*rule].params});
    pt.temperature = temperature;
    points.push_back(std::move(pt));
  }
  if (points.empty()) return makeError(files.path + ": the recipe selects no weight matrix");
  return points;
}

Result<std::vector<RecipeEvaluation>> runSweep(const ModelFiles& files, const SweepData& data,
                                               const std::vector<SweepPoint>& points, const SweepPointFn& onPoint,
                                               const Work& work, bool keepPositions, std::size_t logitCacheBytes) {
  static const std::vector<std::vector<int>> kNone;
  const std::vector<std::vector<int>>& sequences = data.sequences ? *data.sequences : kNone;
  // P does not change between points: run it once when its logits fit the budget.
  std::size_t cacheBytes = 0;
  for (const auto& s : sequences) cacheBytes += s.size() * static_cast<std::size_t>(files.config.vocabSize) * sizeof(float);
  const bool cache = !data.reference && data.p && points.size() > 1 && cacheBytes <= logitCacheBytes;
  const double steps = static_cast<double>(points.size()) + (cache ? 1.0 : 0.0);

  std::vector<Matrix> pLogits;
  if (cache) {
    const Work w{work.stop, work.progress ? ProgressFn([&](double done, double total) {
                                              work.report(total > 0 ? done / total : 0, steps);
                                            })
                                          : ProgressFn{}};
    auto l = referenceLogits(*data.p, sequences, w);
    if (!l) return makeError(files.path + ": " + l.error().message);
    pLogits = std::move(l).value();
  }
  std::vector<RecipeEvaluation> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (work.cancelled()) return makeError("cancelled");
    const double before = static_cast<double>(i) + (cache ? 1.0 : 0.0);
    const Work w{work.stop, work.progress ? ProgressFn([&](double done, double total) {
                                              work.report(before + (total > 0 ? done / total : 0), steps);
                                            })
                                          : ProgressFn{}};
    EvaluateOptions o;
    o.temperature = points[i].temperature;
    o.keepPositions = keepPositions;
    o.pLogits = cache ? &pLogits : nullptr;
    auto e = evaluateRecipe(files, points[i].recipe, data.p, sequences, data.reference, o, w);
    if (!e) return e.error();
    work.report(before + 1.0, steps);
    if (onPoint)
      if (auto st = onPoint(i, points[i], *e); !st) return st.error();
    out.push_back(std::move(e).value());
  }
  return out;
}

}  // namespace quench::eval
