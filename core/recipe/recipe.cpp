#include "core/recipe/recipe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/io/text_file.h"

namespace quench {

using Json = nlohmann::ordered_json;

namespace {

Json valueJson(const ParamValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const double* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

Json overridesJson(const PartOverrides& overrides) {
  Json o = Json::object();
  for (const auto& [part, ov] : overrides) {
    Json e = Json::object();
    if (ov.scale) e["scale"] = *ov.scale;
    if (ov.zeroPoint) e["zero"] = *ov.zeroPoint;
    if (ov.clipLow) e["clip_low"] = *ov.clipLow;
    if (ov.clipHigh) e["clip_high"] = *ov.clipHigh;
    o[std::to_string(part)] = std::move(e);
  }
  return o;
}

// The rule's method and every key of the method, in the method's parameter order.
Json paramsJson(const MethodParams& p) {
  Json j;
  j["method"] = std::string(p.name());
  for (const ParamDescriptor& d : p.method().params()) {
    if (d.type == ParamType::PartOverrides)
      j[d.key] = overridesJson(*d.overrides(const_cast<void*>(p.settings())));
    else
      j[d.key] = valueJson(d.get(p.settings()));
  }
  return j;
}

// The JSON value of a key as the parameter's type reads it (the value itself is checked by
// ParamDescriptor::set). Errors carry the key as path.
Result<ParamValue> jsonValue(const ParamDescriptor& d, const Json& v) {
  auto wrong = [&](const std::string& expected) { return makeError("expected " + expected + ", got " + v.dump(), d.key); };
  switch (d.type) {
    case ParamType::Bool:
      if (!v.is_boolean()) return wrong("true or false");
      return ParamValue(v.get<bool>());
    case ParamType::Int:
      if (!v.is_number_integer()) return wrong("an integer");
      return ParamValue(v.get<std::int64_t>());
    case ParamType::Number:
      if (!v.is_number()) return wrong("a number");
      return ParamValue(v.get<double>());
    case ParamType::Choice:
      if (!v.is_string()) return wrong("a string");
      return ParamValue(v.get<std::string>());
    case ParamType::Spec:
      if (v.is_string()) return ParamValue(v.get<std::string>());
      if (v.is_number() && d.syntax->acceptsNumber) return ParamValue(v.get<double>());
      return wrong(d.syntax->expected);
    case ParamType::PartOverrides: break;
  }
  return wrong("a value");
}

// Typed getters for the override objects, naming the path in their errors.
Result<std::int64_t> getInt(const Json& v, const std::string& path) {
  if (!v.is_number_integer()) return makeError("expected an integer, got " + v.dump(), path);
  return v.get<std::int64_t>();
}
Result<double> getNumber(const Json& v, const std::string& path) {
  if (!v.is_number()) return makeError("expected a number, got " + v.dump(), path);
  return v.get<double>();
}
Result<std::string> getString(const Json& v, const std::string& path) {
  if (!v.is_string()) return makeError("expected a string, got " + v.dump(), path);
  return v.get<std::string>();
}

#define QUENCH_TRY(var, expr)            \
  auto var##_r = (expr);                 \
  if (!var##_r) return var##_r.error();  \
  auto var = std::move(*var##_r)

// {"scale", "zero", "clip_low", "clip_high"} or the shorthand {"clip": M}; `path` is
// "overrides[PART]".
Result<PartOverride> parseOverride(const Json& e, const std::string& path) {
  if (!e.is_object()) return makeError("expected an object with scale, zero, clip_low, clip_high or clip", path);
  PartOverride o;
  for (const auto& [key, v] : e.items()) {
    const std::string w = joinPath(path, key);
    if (key == "scale") {
      QUENCH_TRY(s, getNumber(v, w));
      if (!(s > 0) || !std::isfinite(s)) return makeError("scale must be positive and finite", w);
      o.scale = s;
    } else if (key == "zero") {
      QUENCH_TRY(z, getInt(v, w));
      o.zeroPoint = z;
    } else if (key == "clip_low") {
      QUENCH_TRY(z, getInt(v, w));
      o.clipLow = z;
    } else if (key == "clip_high") {
      QUENCH_TRY(z, getInt(v, w));
      o.clipHigh = z;
    } else if (key == "clip") {
      QUENCH_TRY(z, getInt(v, w));
      if (z < 0) return makeError("clip M must be ≥ 0", w);
      o.clipLow = -z;
      o.clipHigh = z;
    } else {
      return makeError("unknown key (expected scale, zero, clip_low, clip_high or clip)", w);
    }
  }
  if (o.clipLow && o.clipHigh && *o.clipLow > *o.clipHigh) return makeError("clip_low exceeds clip_high", path);
  return o;
}

Status parseOverrides(const Json& v, const std::string& key, PartOverrides& out) {
  if (!v.is_object()) return makeError("expected an object {\"PART\": {...}}", key);
  for (const auto& [partKey, e] : v.items()) {
    std::size_t part = 0;
    const auto res = std::from_chars(partKey.data(), partKey.data() + partKey.size(), part);
    if (res.ec != std::errc() || res.ptr != partKey.data() + partKey.size())
      return makeError("part key '" + partKey + "' is not a non-negative integer", key);
    QUENCH_TRY(o, parseOverride(e, key + "[" + partKey + "]"));
    out[part] = o;
  }
  return {};
}

// An error found inside rule `rule` (whose path is relative to the rule), as the reader reports
// it: "recipe: rules[1].bits: <message>", path "rules[1].bits".
Error inRule(std::size_t index, Error e) {
  const std::string rule = "rules[" + std::to_string(index) + "]";
  e.path = joinPath(rule, e.path);
  e.message = "recipe: " + e.path + ": " + e.message;
  return e;
}

Result<RecipeRule> parseRule(const Json& r, std::size_t index) {
  if (!r.is_object()) return inRule(index, makeError("a rule must be an object"));
  if (!r.contains("tensors")) return inRule(index, makeError("missing \"tensors\" (a glob over tensor names)"));
  if (!r.contains("method")) return inRule(index, makeError("missing \"method\""));
  RecipeRule rule;
  auto tensors = getString(r["tensors"], "tensors");
  if (!tensors) return inRule(index, tensors.error());
  if (tensors->empty()) return inRule(index, makeError("empty pattern", "tensors"));
  rule.tensors = *tensors;
  auto methodText = getString(r["method"], "method");
  if (!methodText) return inRule(index, methodText.error());
  const MethodDescriptor* method = findMethod(*methodText);
  if (!method)
    return inRule(index, makeError("unknown method '" + *methodText + "' (expected " + methodNamesText() + ")", "method"));
  MethodParams p = method->defaults();
  for (const auto& [key, v] : r.items()) {
    if (key == "tensors" || key == "method") continue;
    const ParamDescriptor* d = method->param(key);
    if (!d) return inRule(index, makeError("unknown key for method '" + *methodText + "'", key));
    if (d->type == ParamType::PartOverrides) {
      if (Status s = parseOverrides(v, key, *d->overrides(p.settings())); !s) return inRule(index, s.error());
      continue;
    }
    auto value = jsonValue(*d, v);
    if (!value) return inRule(index, value.error());
    if (Status s = p.set(key, *value); !s) return inRule(index, s.error());
  }
  if (Status s = p.validate(); !s) return inRule(index, s.error());
  rule.params = std::move(p);
  return rule;
}

}  // namespace

std::string methodParamsToJson(const MethodParams& p) { return paramsJson(p).dump(); }

std::string recipeToJson(const Recipe& recipe) {
  Json root;
  root["quench_recipe"] = kRecipeVersion;
  Json rules = Json::array();
  for (const RecipeRule& r : recipe.rules) {
    Json j;
    j["tensors"] = r.tensors;
    const Json params = paramsJson(r.params);  // named: items() of a temporary would dangle
    for (const auto& [k, v] : params.items()) j[k] = v;
    rules.push_back(std::move(j));
  }
  root["rules"] = std::move(rules);
  return root.dump(2) + "\n";
}

Result<Recipe> recipeFromJson(std::string_view text) {
  if (auto deep = jsonDepthError(text)) return makeError("recipe: " + *deep);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    Error err = makeError(std::string("recipe: not valid JSON: ") + e.what());
    if (e.byte > 0) err.offset = e.byte - 1;  // nlohmann counts from 1
    return err;
  } catch (const std::exception& e) {
    return makeError(std::string("recipe: not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return makeError("recipe: the top level must be an object");
  if (!root.contains("quench_recipe"))
    return makeError("recipe: missing \"quench_recipe\" (the schema version, 1)", "quench_recipe");
  const Json& ver = root["quench_recipe"];
  if (!ver.is_number_integer() || ver.get<std::int64_t>() != kRecipeVersion)
    return makeError("recipe: unsupported schema version " + ver.dump() + " (this build reads \"quench_recipe\": 1)",
                     "quench_recipe");
  for (const auto& [key, v] : root.items())
    if (key != "quench_recipe" && key != "rules")
      return makeError("recipe: unknown key '" + key + "' (expected quench_recipe, rules)", key);
  Recipe recipe;
  if (!root.contains("rules")) return recipe;
  const Json& rules = root["rules"];
  if (!rules.is_array()) return makeError("recipe: \"rules\" must be an array", "rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto r = parseRule(rules[i], i);
    if (!r) return r.error();
    recipe.rules.push_back(std::move(*r));
  }
  return recipe;
}

Result<Recipe> loadRecipe(const std::string& path) {
  auto text = readTextFile(path, kMaxRecipeBytes, "recipe");
  if (!text) {
    Error e = text.error();
    e.file = path;
    return e;
  }
  auto r = recipeFromJson(*text);
  if (!r) {
    Error e = prefixError(path + ": ", r.error());
    e.file = path;
    return e;
  }
  return r;
}

bool globMatch(std::string_view pat, std::string_view name) {
  std::size_t p = 0, n = 0, starP = std::string_view::npos, starN = 0;
  // Matches one bracket expression at pat[p] against c; sets `end` past the ']'. A '[' without a
  // closing ']' is a literal '['.
  auto bracket = [&](std::size_t at, char c, std::size_t& end) -> int {
    std::size_t i = at + 1;
    bool negate = false;
    if (i < pat.size() && (pat[i] == '!' || pat[i] == '^')) {
      negate = true;
      ++i;
    }
    bool matched = false, first = true;
    for (; i < pat.size() && (first || pat[i] != ']'); ++i, first = false) {
      if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
        if (pat[i] <= c && c <= pat[i + 2]) matched = true;
        i += 2;
      } else if (pat[i] == c) {
        matched = true;
      }
    }
    if (i >= pat.size()) return -1;  // unterminated: literal
    end = i + 1;
    return matched != negate ? 1 : 0;
  };
  while (n < name.size()) {
    if (p < pat.size() && pat[p] == '*') {
      starP = p++;
      starN = n;
      continue;
    }
    if (p < pat.size()) {
      if (pat[p] == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pat[p] == '[') {
        std::size_t end = 0;
        const int m = bracket(p, name[n], end);
        if (m == 1) {
          p = end;
          ++n;
          continue;
        }
        if (m == -1 && name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (pat[p] == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (starP == std::string_view::npos) return false;
    p = starP + 1;
    n = ++starN;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

std::optional<std::size_t> matchRule(const Recipe& recipe, std::string_view name, std::size_t rank) {
  for (std::size_t i = 0; i < recipe.rules.size(); ++i) {
    const std::string& pat = recipe.rules[i].tensors;
    if (rank >= 2) {
      if (globMatch(pat, name)) return i;
    } else if (pat.find_first_of("*?[") == std::string::npos && pat == name) {
      return i;
    }
  }
  return std::nullopt;
}

Result<QuantResult> quantizeTensor(const FloatTensor& t, const MethodParams& p, const Work& work,
                                   const FloatTensor* activations, std::span<const float> importance) {
  QuantResult out;
  const QuantizeContext ctx{t, work, CalibrationInputs{activations, importance}, true};
  if (Status s = p.quantize(ctx, out); !s) return prefixError(t.name + ": ", s.error());
  return out;
}

Result<std::size_t> applyRecipe(const TensorReader& reader, const Recipe& recipe, const RecipeSink& sink,
                                const Work& work, const Imatrix* imatrix) {
  std::size_t done = 0;
  const auto& infos = reader.tensors();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (work.cancelled()) return makeError(reader.path() + ": cancelled");
    const auto rule = matchRule(recipe, infos[i].name, infos[i].shape.size());
    if (!rule) continue;
    auto t = reader.readFloat(i, work);
    if (!t) return t.error();
    std::vector<float> importance;
    if (imatrix)
      if (const ImatrixEntry* e = imatrix->find(t->name); e && e->matrices() == 1) importance = importanceOf(*imatrix, *e);
    auto r = quantizeTensor(*t, recipe.rules[*rule].params, work, nullptr, importance);
    if (!r) {
      Error e = nestError("rules[" + std::to_string(*rule) + "]", prefixError(reader.path() + ": ", r.error()));
      e.file = reader.path();
      return e;
    }
    if (Status s = sink(*t, *rule, std::move(*r)); !s) return s.error();
    ++done;
    work.report(static_cast<double>(i + 1), static_cast<double>(infos.size()));
  }
  return done;
}

}  // namespace quench
