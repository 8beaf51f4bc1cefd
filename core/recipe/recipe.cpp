#include "core/recipe/recipe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/quant/codebook.h"
#include "core/quant/float_format.h"
#include "core/quant/llm_int8.h"
#include "core/quant/partition.h"
#include "core/quant/prune.h"
#include "core/quant/scale_format.h"

namespace quench {

using Json = nlohmann::ordered_json;

std::string_view methodName(Method m) {
  switch (m) {
    case Method::Int: return "int";
    case Method::Float: return "float";
    case Method::Nf4: return "nf4";
    case Method::Fp4: return "fp4";
    case Method::Prune: return "prune";
    case Method::LlmInt8: return "llm-int8";
  }
  return "int";
}

std::optional<Method> parseMethod(std::string_view s) {
  for (Method m : {Method::Int, Method::Float, Method::Nf4, Method::Fp4, Method::Prune, Method::LlmInt8})
    if (methodName(m) == s) return m;
  return std::nullopt;
}

MethodParams MethodParams::defaults(Method m) {
  MethodParams p;
  p.method = m;
  if (m == Method::Float) p.block = 0;
  if (m == Method::Prune) p.partition = "tensor";
  return p;
}

namespace {

// The keys each method accepts, in canonical order (after "tensors" and "method").
const std::vector<std::string_view>& methodKeys(Method m) {
  static const std::vector<std::string_view> kInt{"bits", "symmetric", "partition", "calib", "round", "scale_format",
                                                      "arithmetic", "overrides"};
  static const std::vector<std::string_view> kFloat{"format", "round", "block"};
  static const std::vector<std::string_view> kCodebook{"block", "double_quant"};
  static const std::vector<std::string_view> kPrune{"sparsity", "partition"};
  static const std::vector<std::string_view> kLlm{"threshold"};
  switch (m) {
    case Method::Int: return kInt;
    case Method::Float: return kFloat;
    case Method::Nf4:
    case Method::Fp4: return kCodebook;
    case Method::Prune: return kPrune;
    case Method::LlmInt8: return kLlm;
  }
  return kInt;
}

std::string shortest(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

// Validates a sparsity spelling: a fraction in [0, 1] or "N:M" with 1 ≤ N ≤ M. Returns the
// canonical spelling.
Result<std::string> canonicalSparsity(std::string_view s) {
  if (const auto colon = s.find(':'); colon != std::string_view::npos) {
    int n = 0, m = 0;
    const auto a = std::from_chars(s.data(), s.data() + colon, n);
    const auto b = std::from_chars(s.data() + colon + 1, s.data() + s.size(), m);
    if (a.ec != std::errc() || a.ptr != s.data() + colon || b.ec != std::errc() || b.ptr != s.data() + s.size() ||
        n < 1 || m < n)
      return makeError("sparsity '" + std::string(s) + "' is not N:M with 1 ≤ N ≤ M");
    return std::to_string(n) + ":" + std::to_string(m);
  }
  double f = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), f);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(f >= 0 && f <= 1))
    return makeError("sparsity '" + std::string(s) + "' is neither a fraction in [0, 1] nor N:M");
  return shortest(f);
}

Json paramsJson(const MethodParams& p) {
  Json j;
  j["method"] = std::string(methodName(p.method));
  switch (p.method) {
    case Method::Int: {
      j["bits"] = p.bits;
      j["symmetric"] = p.symmetric;
      j["partition"] = p.partition;
      j["calib"] = calibrationSpec(p.calibration);
      j["round"] = std::string(roundingName(p.rounding));
      j["scale_format"] = std::string(scaleFormatName(p.scaleFormat));
      j["arithmetic"] = std::string(codeArithmeticName(p.arithmetic));
      Json o = Json::object();
      for (const auto& [part, ov] : p.overrides) {
        Json e = Json::object();
        if (ov.scale) e["scale"] = *ov.scale;
        if (ov.zeroPoint) e["zero"] = *ov.zeroPoint;
        if (ov.clipLow) e["clip_low"] = *ov.clipLow;
        if (ov.clipHigh) e["clip_high"] = *ov.clipHigh;
        o[std::to_string(part)] = std::move(e);
      }
      j["overrides"] = std::move(o);
      break;
    }
    case Method::Float:
      j["format"] = p.format;
      j["round"] = std::string(roundingName(p.rounding));
      j["block"] = p.block;
      break;
    case Method::Nf4:
    case Method::Fp4:
      j["block"] = p.block;
      j["double_quant"] = p.doubleQuant;
      break;
    case Method::Prune:
      if (p.sparsity.find(':') != std::string::npos) {
        j["sparsity"] = p.sparsity;
      } else {
        double f = 0;
        std::from_chars(p.sparsity.data(), p.sparsity.data() + p.sparsity.size(), f);
        j["sparsity"] = f;
      }
      j["partition"] = p.partition;
      break;
    case Method::LlmInt8: j["threshold"] = p.threshold; break;
  }
  return j;
}

// Typed getters that name the key in their errors.
Result<std::int64_t> getInt(const Json& v, const std::string& where) {
  if (!v.is_number_integer()) return makeError(where + ": expected an integer, got " + v.dump());
  return v.get<std::int64_t>();
}
Result<double> getNumber(const Json& v, const std::string& where) {
  if (!v.is_number()) return makeError(where + ": expected a number, got " + v.dump());
  return v.get<double>();
}
Result<bool> getBool(const Json& v, const std::string& where) {
  if (!v.is_boolean()) return makeError(where + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}
Result<std::string> getString(const Json& v, const std::string& where) {
  if (!v.is_string()) return makeError(where + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

#define QUENCH_TRY(var, expr)            \
  auto var##_r = (expr);                 \
  if (!var##_r) return var##_r.error();  \
  auto var = std::move(*var##_r)

Result<PartOverride> parseOverride(const Json& e, const std::string& where) {
  if (!e.is_object()) return makeError(where + ": expected an object with scale, zero, clip_low, clip_high or clip");
  PartOverride o;
  for (const auto& [key, v] : e.items()) {
    const std::string w = where + "." + key;
    if (key == "scale") {
      QUENCH_TRY(s, getNumber(v, w));
      if (!(s > 0) || !std::isfinite(s)) return makeError(w + ": scale must be positive and finite");
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
      if (z < 0) return makeError(w + ": clip M must be ≥ 0");
      o.clipLow = -z;
      o.clipHigh = z;
    } else {
      return makeError(w + ": unknown key (expected scale, zero, clip_low, clip_high or clip)");
    }
  }
  if (o.clipLow && o.clipHigh && *o.clipLow > *o.clipHigh) return makeError(where + ": clip_low exceeds clip_high");
  return o;
}

Result<RecipeRule> parseRule(const Json& r, const std::string& where) {
  if (!r.is_object()) return makeError(where + ": a rule must be an object");
  if (!r.contains("tensors")) return makeError(where + ": missing \"tensors\" (a glob over tensor names)");
  if (!r.contains("method")) return makeError(where + ": missing \"method\"");
  RecipeRule rule;
  QUENCH_TRY(tensors, getString(r["tensors"], where + ".tensors"));
  if (tensors.empty()) return makeError(where + ".tensors: empty pattern");
  rule.tensors = tensors;
  QUENCH_TRY(methodText, getString(r["method"], where + ".method"));
  const auto method = parseMethod(methodText);
  if (!method)
    return makeError(where + ".method: unknown method '" + methodText + "' (expected int, float, nf4, fp4, prune or llm-int8)");
  MethodParams p = MethodParams::defaults(*method);
  const auto& allowed = methodKeys(*method);
  for (const auto& [key, v] : r.items()) {
    if (key == "tensors" || key == "method") continue;
    const std::string w = where + "." + key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return makeError(w + ": unknown key for method '" + methodText + "'");
    if (key == "bits") {
      QUENCH_TRY(b, getInt(v, w));
      if (!(b >= 2 && b <= 16 && validIntegerBits(static_cast<int>(b)))) return makeError(w + ": bits must be 2..8 or 16, got " + std::to_string(b));
      p.bits = static_cast<int>(b);
    } else if (key == "symmetric") {
      QUENCH_TRY(b, getBool(v, w));
      p.symmetric = b;
    } else if (key == "partition") {
      QUENCH_TRY(s, getString(v, w));
      if (*method == Method::Prune) {
        if (s != "tensor" && s != "row") return makeError(w + ": pruning partition must be tensor or row");
      } else if (auto part = Partition::fromSpec(s, std::vector<std::int64_t>{1, 1}); !part) {
        return makeError(w + ": " + part.error().message);
      }
      p.partition = s;
    } else if (key == "calib") {
      QUENCH_TRY(s, getString(v, w));
      auto c = parseCalibration(s);
      if (!c) return makeError(w + ": " + c.error().message);
      p.calibration = *c;
    } else if (key == "round") {
      QUENCH_TRY(s, getString(v, w));
      auto rr = parseRounding(s);
      if (!rr) return makeError(w + ": unknown rounding '" + s + "' (expected even, away, up, zero or stochastic)");
      p.rounding = *rr;
    } else if (key == "scale_format") {
      QUENCH_TRY(s, getString(v, w));
      auto f = parseScaleFormat(s);
      if (!f) return makeError(w + ": unknown scale format '" + s + "' (expected fp32, fp16, bf16 or e8m0)");
      p.scaleFormat = *f;
    } else if (key == "arithmetic") {
      QUENCH_TRY(s, getString(v, w));
      auto a = parseCodeArithmetic(s);
      if (!a) return makeError(w + ": unknown arithmetic '" + s + "' (expected exact or ggml)");
      p.arithmetic = *a;
    } else if (key == "overrides") {
      if (!v.is_object()) return makeError(w + ": expected an object {\"PART\": {...}}");
      for (const auto& [partKey, e] : v.items()) {
        std::size_t part = 0;
        const auto res = std::from_chars(partKey.data(), partKey.data() + partKey.size(), part);
        if (res.ec != std::errc() || res.ptr != partKey.data() + partKey.size())
          return makeError(w + ": part key '" + partKey + "' is not a non-negative integer");
        QUENCH_TRY(o, parseOverride(e, w + "." + partKey));
        p.overrides[part] = o;
      }
    } else if (key == "format") {
      QUENCH_TRY(s, getString(v, w));
      if (auto f = parseFloatFormat(s); !f) return makeError(w + ": " + f.error().message);
      p.format = s;
    } else if (key == "block") {
      QUENCH_TRY(b, getInt(v, w));
      if (b < (*method == Method::Float ? 0 : 1) || b > (1 << 24))
        return makeError(w + ": block size out of range, got " + std::to_string(b));
      p.block = static_cast<std::size_t>(b);
    } else if (key == "double_quant") {
      QUENCH_TRY(b, getBool(v, w));
      p.doubleQuant = b;
    } else if (key == "sparsity") {
      std::string text;
      if (v.is_number()) text = shortest(v.get<double>());
      else if (v.is_string()) text = v.get<std::string>();
      else return makeError(w + ": expected a fraction or \"N:M\"");
      auto s = canonicalSparsity(text);
      if (!s) return makeError(w + ": " + s.error().message);
      p.sparsity = *s;
    } else if (key == "threshold") {
      QUENCH_TRY(t, getNumber(v, w));
      if (!(t > 0) || !std::isfinite(t)) return makeError(w + ": threshold must be positive and finite");
      p.threshold = t;
    }
  }
  if (p.method == Method::Int && !p.symmetric) {
    if (p.arithmetic == CodeArithmetic::Ggml)
      return makeError(where + ".arithmetic: ggml (llama.cpp's Q8_0/Q4_0 codes) needs \"symmetric\": true");
    if (p.calibration.method == CalibrationMethod::SignedMax)
      return makeError(where + ".calib: signed-max needs \"symmetric\": true");
  }
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
  Json root;
  try {
    root = Json::parse(text);
  } catch (const std::exception& e) {
    return makeError(std::string("recipe: not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return makeError("recipe: the top level must be an object");
  if (!root.contains("quench_recipe")) return makeError("recipe: missing \"quench_recipe\" (the schema version, 1)");
  const Json& ver = root["quench_recipe"];
  if (!ver.is_number_integer() || ver.get<std::int64_t>() != kRecipeVersion)
    return makeError("recipe: unsupported schema version " + ver.dump() + " (this build reads \"quench_recipe\": 1)");
  for (const auto& [key, v] : root.items())
    if (key != "quench_recipe" && key != "rules") return makeError("recipe: unknown key '" + key + "' (expected quench_recipe, rules)");
  Recipe recipe;
  if (!root.contains("rules")) return recipe;
  const Json& rules = root["rules"];
  if (!rules.is_array()) return makeError("recipe: \"rules\" must be an array");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto r = parseRule(rules[i], "recipe: rules[" + std::to_string(i) + "]");
    if (!r) return r.error();
    recipe.rules.push_back(std::move(*r));
  }
  return recipe;
}

Result<Recipe> loadRecipe(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(path + ": cannot open recipe");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto r = recipeFromJson(ss.str());
  if (!r) return makeError(path + ": " + r.error().message);
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

namespace {

template <class Derived>
QuantResult slice(Derived&& d) {
  return QuantResult(std::move(static_cast<QuantResult&>(d)));
}

// Weight-only LLM.int8() simulation on a (outputs, inputs) weight: the outlier input columns are
// kept exactly (fp32), every other element gets int8 absmax per output row.
Result<QuantResult> llmInt8Weight(const FloatTensor& t, double threshold, const FloatTensor* acts) {
  const auto rows = static_cast<std::size_t>(t.rows()), cols = static_cast<std::size_t>(t.cols());
  Result<ColumnOutliers> outl = acts ? findOutlierColumns(acts->values, static_cast<std::size_t>(acts->rows()),
                                                          static_cast<std::size_t>(acts->cols()), threshold)
                                     : findOutlierColumns(t.values, rows, cols, threshold);
  if (!outl) return outl.error();
  if (acts && static_cast<std::size_t>(acts->cols()) != cols)
    return makeError("llm-int8: activations have " + std::to_string(acts->cols()) + " features, the weight has " +
                     std::to_string(cols) + " input columns");
  std::vector<std::uint8_t> isOutlier(cols, 0);
  for (std::size_t c : outl->outlierColumns) isOutlier[c] = 1;
  QuantResult res;
  res.reconstruction.resize(t.values.size());
  res.codes.assign(t.values.size(), 0);
  res.parts.resize(rows);
  double bits = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = t.values.data() + r * cols;
    double amax = 0;
    for (std::size_t c = 0; c < cols; ++c)
      if (!isOutlier[c]) amax = std::max(amax, std::abs(static_cast<double>(x[c])));
    const PartParams p{storeScale(amax > 0 ? amax / 127 : 1.0, ScaleFormat::FP32), 0, -127, 127};
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t i = r * cols + c;
      if (isOutlier[c]) {
        res.reconstruction[i] = x[c];
      } else {
        const ElementCode e = quantizeElement(x[c], p, Rounding::HalfEven);
        res.codes[i] = static_cast<std::int32_t>(e.code);
        res.reconstruction[i] = dequantizeElement(e.code, p);
      }
    }
    PartReport& rep = res.parts[r];
    rep.size = cols;
    rep.params = p;
    rep.figures = computeErrorFigures(std::span(x, cols), std::span(res.reconstruction).subspan(r * cols, cols));
    const double rowBits = 8.0 * static_cast<double>(cols - outl->outlierColumns.size()) +
                           32.0 * static_cast<double>(outl->outlierColumns.size()) + 32.0;
    setStorage(rep.figures, rowBits);
    bits += rowBits;
  }
  res.total = computeErrorFigures(t.values, res.reconstruction);
  setStorage(res.total, bits);
  return res;
}

}  // namespace

IntegerParams integerParams(const MethodParams& p) {
  IntegerParams ip;
  ip.bits = p.bits;
  ip.symmetric = p.symmetric;
  ip.calibration = p.calibration;
  ip.rounding = p.rounding;
  ip.scaleFormat = p.scaleFormat;
  ip.arithmetic = p.arithmetic;
  ip.overrides = p.overrides;
  return ip;
}

Result<QuantResult> quantizeTensor(const FloatTensor& t, const MethodParams& p, const Work& work,
                                   const FloatTensor* activations) {
  const std::string where = t.name + ": ";
  auto wrap = [&](Error e) { return makeError(where + e.message); };
  switch (p.method) {
    case Method::Int: {
      auto part = Partition::fromSpec(p.partition, t.shape);
      if (!part) return wrap(part.error());
      auto r = quantizeInteger(t.values, *part, integerParams(p), work);
      if (!r) return wrap(r.error());
      return std::move(*r);
    }
    case Method::Float: {
      auto fmt = parseFloatFormat(p.format);
      if (!fmt) return wrap(fmt.error());
      FloatQuantParams fp;
      fp.format = *fmt;
      fp.rounding = p.rounding;
      fp.mxScale = p.block > 0;
      if (p.block > 0) fp.mxBlockSize = p.block;
      auto r = quantizeFloat(t.values, fp, work);
      if (!r) return wrap(r.error());
      return slice(std::move(*r));
    }
    case Method::Nf4:
    case Method::Fp4: {
      auto cb = namedCodebook(methodName(p.method));
      if (!cb) return wrap(cb.error());
      CodebookParams cp;
      cp.codebook = *cb;
      cp.blockSize = p.block;
      cp.doubleQuant = p.doubleQuant;
      auto r = quantizeCodebook(t.values, cp, work);
      if (!r) return wrap(r.error());
      return slice(std::move(*r));
    }
    case Method::Prune: {
      const auto rowLength = static_cast<std::size_t>(t.cols());
      Result<PruneResult> r = makeError("");
      if (const auto colon = p.sparsity.find(':'); colon != std::string::npos) {
        NmPruneParams np;
        np.n = std::stoi(p.sparsity.substr(0, colon));
        np.m = std::stoi(p.sparsity.substr(colon + 1));
        np.rowLength = rowLength;
        r = pruneNM(t.values, np, work);
      } else {
        MagnitudePruneParams mp;
        mp.fraction = std::stod(p.sparsity);
        mp.scope = p.partition == "row" ? PruneScope::Row : PruneScope::Tensor;
        mp.rowLength = rowLength;
        r = pruneMagnitude(t.values, mp, work);
      }
      if (!r) return wrap(r.error());
      return slice(std::move(*r));
    }
    case Method::LlmInt8: {
      auto r = llmInt8Weight(t, p.threshold, activations);
      if (!r) return wrap(r.error());
      return r;
    }
  }
  return makeError(where + "unknown method");
}

Result<std::size_t> applyRecipe(const TensorReader& reader, const Recipe& recipe, const RecipeSink& sink,
                                const Work& work) {
  std::size_t done = 0;
  const auto& infos = reader.tensors();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (work.cancelled()) return makeError(reader.path() + ": cancelled");
    const auto rule = matchRule(recipe, infos[i].name, infos[i].shape.size());
    if (!rule) continue;
    auto t = reader.readFloat(i, work);
    if (!t) return t.error();
    auto r = quantizeTensor(*t, recipe.rules[*rule].params, work);
    if (!r) return makeError(reader.path() + ": " + r.error().message);
    if (Status s = sink(*t, *rule, std::move(*r)); !s) return s.error();
    ++done;
    work.report(static_cast<double>(i + 1), static_cast<double>(infos.size()));
  }
  return done;
}

}  // namespace quench
