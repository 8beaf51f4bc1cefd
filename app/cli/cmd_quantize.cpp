// quench-cli quantize: the textbook calculator (--values/--parts/--scale/--zero/--clip) and the
// tensor form (FILE --tensor NAME with a method, or FILE --recipe R.json), JSON with --json.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <tuple>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/method_options.h"
#include "core/io/imatrix.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/quant/aware.h"
#include "core/quant/integer.h"
#include "core/quant/integer_method.h"
#include "core/quant/llm_int8.h"
#include "core/quant/scale_format.h"
#include "core/quant/worked.h"
#include "core/recipe/quantize_model.h"
#include "core/recipe/recipe.h"
#include "core/tensor/number_text.h"

namespace quench::cli {
namespace {

using Json = nlohmann::ordered_json;

struct QuantizeOptions {
  std::string file;
  // textbook form
  std::string values, parts, scale, zero, clip;
  // tensor form; the method flags (--method, --bits, ...) come from the method registry, and the
  // textbook form reads --bits, --symmetric/--asymmetric, --round and --scale-format from them too
  std::string tensor, activations, out, recipe, imatrix;
  MethodOptions method;
  bool codes = false, json = false;
  // Options given on the command line that belong to the other form (filled after parsing).
  std::vector<std::string> tensorOnlyGiven, textbookOnlyGiven;
};

// JSON has no infinities: ±Inf become the strings "inf"/"-inf", NaN becomes null.
Json number(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

Json figuresJson(const ErrorFigures& f) {
  Json j;
  j["numel"] = f.numel;
  j["mse"] = number(f.mse);
  j["rmse"] = number(f.rmse);
  j["max_abs_error"] = number(f.maxAbsError);
  j["sqnr_db"] = number(f.sqnrDb);
  j["cosine"] = number(f.cosine);
  j["saturated"] = f.saturated;
  j["saturated_fraction"] = f.saturatedFraction;
  j["bits_per_param"] = f.bitsPerParam;
  j["compressed_bytes"] = f.compressedBytes;
  j["nan"] = f.nan;
  j["inf"] = f.inf;
  return j;
}

// Appends the keys of `from` to `into` (`from` is a named object: items() of a temporary dangles).
void mergeInto(Json& into, const Json& from) {
  for (const auto& [key, v] : from.items()) into[key] = v;
}

Json partJson(const PartReport& p, std::optional<double> fractionalZero = std::nullopt) {
  Json j;
  j["size"] = p.size;
  j["scale"] = p.params.scale;
  if (fractionalZero) j["zero_point"] = *fractionalZero;  // HQQ: b is fractional (fp32)
  else j["zero_point"] = p.params.zeroPoint;
  j["clip_low"] = p.params.clipLow;
  j["clip_high"] = p.params.clipHigh;
  j["saturated"] = p.saturated;
  j["mse"] = number(p.figures.mse);
  j["sqnr_db"] = number(p.figures.sqnrDb);
  return j;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

template <class T>
std::optional<T> parseNumber(const std::string& raw) {
  const std::string s = trim(raw);
  T v{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// "1.2,-0.55" → the nearest doubles (MATH.md §2: the textbook form uses the values as typed).
Result<std::vector<double>> parseDoubles(const std::string& s, const std::string& what) {
  std::vector<double> out;
  for (const std::string& item : split(s, ',')) {
    auto v = parseNumber<double>(item);
    if (!v) return makeError("--" + what + ": '" + trim(item) + "' is not a number");
    if (std::isnan(*v)) return makeError("element " + std::to_string(out.size()) + " is NaN");
    if (std::isinf(*v)) return makeError("element " + std::to_string(out.size()) + " is infinite");
    out.push_back(*v);
  }
  return out;
}

const char* tieName(WorkedTie t) {
  switch (t) {
    case WorkedTie::Exact: return "exact";
    case WorkedTie::FromDivision: return "division";
    default: break;
  }
  return nullptr;
}

void printSummary(const std::string& label, const QuantResult& r) {
  const ErrorFigures& f = r.total;
  std::cout << label << ": numel " << f.numel << ", parts " << r.parts.size() << ", mse " << f.mse << ", sqnr "
            << f.sqnrDb << " dB, cosine " << f.cosine << ", saturated " << f.saturated << " ("
            << f.saturatedFraction * 100 << " %), " << f.bitsPerParam << " bits/param\n";
}

// The method flags the textbook form shares with the tensor form.
bool textbookFlag(const std::string& flag) {
  return flag == "--bits" || flag == "--symmetric" || flag == "--asymmetric" || flag == "--round" ||
         flag == "--scale-format";
}

int runTextbook(const QuantizeOptions& o) {
  if (!o.tensorOnlyGiven.empty())
    return fail("quantize: " + o.tensorOnlyGiven.front() +
                " applies to the tensor form (FILE --tensor NAME), not to --values; the textbook form takes "
                "--parts, --scale, --zero, --clip, --bits, --asymmetric, --round and --scale-format");
  // --bits K: the default clip of every part is the K-bit grid (±(2^(K−1) − 1), or [0, 2^K − 1]
  // with --asymmetric), and a typed clip must fit a K-bit code.
  std::optional<int> bits;
  if (auto text = o.method.text("--bits")) {
    auto b = parseNumber<int>(*text);
    if (!b) return fail("--bits: '" + *text + "' is not an integer");
    if (!validIntegerBits(*b)) return fail("--bits: " + std::to_string(*b) + " is not 2..8 or 16");
    bits = *b;
  }
  const bool asymmetric = o.method.given("--asymmetric");
  if (asymmetric && o.method.given("--symmetric")) return fail("quantize: give --symmetric or --asymmetric, not both");
  const std::string round = o.method.text("--round").value_or("even");
  // MATH.md §2: typed scales are used as typed unless a storage format is asked for.
  const std::optional<std::string> scaleFormat = o.method.text("--scale-format");
  auto values = parseDoubles(o.values, "values");
  if (!values) return fail(values.error().message);
  const auto n = static_cast<std::int64_t>(values->size());
  // Parts: "0,1;2,3" (0-based indices); default one part with every value.
  std::vector<std::vector<std::int64_t>> sets;
  if (o.parts.empty()) {
    sets.emplace_back();
    for (std::int64_t i = 0; i < n; ++i) sets.back().push_back(i);
  } else {
    for (const std::string& group : split(o.parts, ';')) {
      sets.emplace_back();
      for (const std::string& item : split(group, ',')) {
        auto v = parseNumber<std::int64_t>(item);
        if (!v) return fail("--parts: '" + trim(item) + "' is not an index (parts look like \"0,1;2,3\")");
        sets.back().push_back(*v);
      }
    }
  }
  auto partition = Partition::custom(n, sets);
  if (!partition) return fail("--parts: " + partition.error().message);
  const std::size_t k = sets.size();
  std::optional<ScaleFormat> fmt;
  if (scaleFormat) {
    fmt = parseScaleFormat(*scaleFormat);
    if (!fmt) return fail("--scale-format: unknown '" + *scaleFormat + "' (expected fp32, fp16, bf16 or e8m0)");
  }
  const auto rounding = parseRounding(round);
  if (!rounding) return fail("--round: unknown '" + round + "' (expected even, away, up, zero or stochastic)");
  // One scale, zero point and clip per part, in part order.
  auto perPart = [&](const std::string& text, const std::string& what) -> Result<std::vector<std::string>> {
    auto items = split(text, ',');
    if (items.size() != k)
      return makeError("--" + what + ": " + std::to_string(items.size()) + " values for " + std::to_string(k) +
                       " parts (give one per part, in part order)");
    return items;
  };
  if (o.scale.empty()) return fail("--scale is required with --values (one scale per part)");
  auto scales = perPart(o.scale, "scale");
  if (!scales) return fail(scales.error().message);
  std::vector<PartParams> params(k);
  if (bits)
    for (PartParams& p : params) std::tie(p.clipLow, p.clipHigh) = integerGrid(*bits, !asymmetric);
  bool anyZero = false;
  for (std::size_t j = 0; j < k; ++j) {
    auto s = parseNumber<double>((*scales)[j]);
    if (!s || !(*s > 0) || !std::isfinite(*s))
      return fail("--scale: part " + std::to_string(j) + ": scale must be a positive number, got '" + trim((*scales)[j]) + "'");
    params[j].scale = fmt ? storeScale(*s, *fmt) : *s;
  }
  if (!o.zero.empty()) {
    auto zeros = perPart(o.zero, "zero");
    if (!zeros) return fail(zeros.error().message);
    for (std::size_t j = 0; j < k; ++j) {
      auto z = parseNumber<std::int64_t>((*zeros)[j]);
      if (!z) return fail("--zero: part " + std::to_string(j) + ": '" + trim((*zeros)[j]) + "' is not an integer");
      params[j].zeroPoint = *z;
      anyZero = anyZero || *z != 0;
    }
  }
  if (!o.clip.empty()) {
    auto clips = perPart(o.clip, "clip");
    if (!clips) return fail(clips.error().message);
    for (std::size_t j = 0; j < k; ++j) {
      // M (→ [−M, M]) or L:U.
      const std::string c = trim((*clips)[j]);
      const auto colon = c.find(':');
      std::optional<std::int64_t> lo, hi;
      if (colon == std::string::npos) {
        hi = parseNumber<std::int64_t>(c);
        if (hi) lo = -*hi;
      } else {
        lo = parseNumber<std::int64_t>(c.substr(0, colon));
        hi = parseNumber<std::int64_t>(c.substr(colon + 1));
      }
      if (!lo || !hi || *lo > *hi) return fail("--clip: part " + std::to_string(j) + ": '" + c + "' is not M ≥ 0 or L:U with L ≤ U");
      if (bits)
        if (Status s = clipFitsBits(*lo, *hi, *bits); !s)
          return fail("--clip: part " + std::to_string(j) + ": " + s.error().message);
      params[j].clipLow = *lo;
      params[j].clipHigh = *hi;
    }
  }
  auto w = workedQuantization(*values, *partition, params, *rounding);
  if (!w) return fail(w.error().message);
  // Storage (bits per parameter) as the tensor form would store these parameters: it depends on
  // the grid, the partition and the scale format only, not on the values.
  const std::vector<float> zeros(values->size(), 0.0f);
  auto storage = quantizeWithParams(zeros, *partition, params, *rounding, fmt.value_or(ScaleFormat::FP32), anyZero);
  if (!storage) return fail(storage.error().message);
  const double numel = static_cast<double>(values->size());
  const double maxAbs = w->maxAbsError, sqnr = w->sqnrDb;
  if (!o.json) {
    // The board's numbers, each the shortest decimal that reads back as the same double.
    for (const WorkedRow& row : w->rows) {
      std::cout << shortestDecimal(row.x) << " / " << shortestDecimal(params[row.part].scale) << " = "
                << shortestDecimal(row.xOverS) << " -> code " << row.code << " -> " << shortestDecimal(row.dequantized)
                << " (error " << shortestDecimal(row.error) << ")";
      if (row.tie == WorkedTie::Exact) std::cout << " (tie)";
      if (row.tie == WorkedTie::FromDivision) std::cout << " (tie made by the double division)";
      if (row.saturated) std::cout << " (saturated)";
      std::cout << '\n';
    }
    std::cout << "total: numel " << values->size() << ", parts " << k << ", mse " << shortestDecimal(w->mse)
              << ", max |error| " << shortestDecimal(maxAbs) << ", sqnr " << shortestDecimal(sqnr) << " dB, saturated "
              << w->saturated << ", " << shortestDecimal(storage->total.bitsPerParam) << " bits/param\n";
    return 0;
  }
  Json out;
  Json codes = Json::array(), xs = Json::array(), deq = Json::array(), err = Json::array(), sat = Json::array(),
       ties = Json::array();
  for (const WorkedRow& row : w->rows) {
    codes.push_back(row.code);
    xs.push_back(row.xOverS);
    deq.push_back(row.dequantized);
    err.push_back(row.error);
    sat.push_back(row.saturated);
    if (const char* t = tieName(row.tie)) ties.push_back(t);
    else ties.push_back(nullptr);
  }
  out["codes"] = std::move(codes);
  out["x_over_s"] = std::move(xs);
  out["dequantized"] = std::move(deq);
  out["error"] = std::move(err);
  out["saturated"] = std::move(sat);
  out["tie"] = std::move(ties);
  Json parts = Json::array();
  for (std::size_t j = 0; j < k; ++j) {
    const WorkedPart& wp = w->parts[j];
    Json p;
    p["size"] = wp.indices.size();
    p["scale"] = wp.params.scale;
    p["zero_point"] = wp.params.zeroPoint;
    p["clip_low"] = wp.params.clipLow;
    p["clip_high"] = wp.params.clipHigh;
    p["saturated"] = wp.saturated;
    p["mse"] = wp.mse;
    p["max_abs_error"] = wp.maxAbsError;
    p["indices"] = sets[j];
    parts.push_back(std::move(p));
  }
  out["parts"] = std::move(parts);
  Json total;
  total["numel"] = values->size();
  total["mse"] = w->mse;
  total["rmse"] = std::sqrt(w->mse);
  total["max_abs_error"] = maxAbs;
  total["sqnr_db"] = number(sqnr);
  total["saturated"] = w->saturated;
  total["saturated_fraction"] = numel > 0 ? static_cast<double>(w->saturated) / numel : 0.0;
  total["bits_per_param"] = storage->total.bitsPerParam;
  total["compressed_bytes"] = storage->total.compressedBytes;
  out["total"] = std::move(total);  // "saturated" at the top level is the per-element list
  std::cout << out.dump(2) << '\n';
  return 0;
}

// The parts of a result (HQQ's fractional zero points in place of the integer ones).
Json partsJson(const std::vector<PartReport>& reports, const std::optional<AwareReport>& aware) {
  Json parts = Json::array();
  const std::vector<double>* zeros = aware && !aware->zeroPoints.empty() ? &aware->zeroPoints : nullptr;
  for (std::size_t j = 0; j < reports.size(); ++j)
    parts.push_back(partJson(reports[j], zeros && j < zeros->size() ? std::optional<double>((*zeros)[j]) : std::nullopt));
  return parts;
}

// What an aware step adds to a tensor's JSON (issue 15's contract): "aware", "layer_output_error"
// (‖XWᵀ − XŴᵀ‖²_F / N), "layer_output_error_rtn" (the recipe without the step; smoothquant: W8A8
// without smoothing), "alpha" (awq: the chosen α; smoothquant: the α used), null where the step
// has no such figure; awq adds "alpha_curve", awq/smoothquant "smoothing", rotate "rotation_block".
void addAwareJson(Json& j, const std::optional<AwareReport>& aware) {
  if (!aware) return;
  const AwareReport& a = *aware;
  j["aware"] = a.method;
  j["layer_output_error"] = a.layerOutputError ? number(*a.layerOutputError) : Json(nullptr);
  j["layer_output_error_rtn"] = a.layerOutputErrorRtn ? number(*a.layerOutputErrorRtn) : Json(nullptr);
  j["alpha"] = a.alpha ? Json(*a.alpha) : Json(nullptr);
  if (!a.alphaCurve.empty()) {
    Json curve = Json::array();
    for (const auto& [alpha, err] : a.alphaCurve) curve.push_back({{"alpha", alpha}, {"layer_output_error", number(err)}});
    j["alpha_curve"] = std::move(curve);
  }
  if (!a.smoothing.empty()) j["smoothing"] = a.smoothing;
  if (a.rotationBlock > 0) j["rotation_block"] = a.rotationBlock;
}

// The aware step of int parameters (None for other methods).
AwareMethod awareOf(const MethodParams& p) {
  const IntSettings* s = p.get<IntSettings>();
  return s ? s->aware : AwareMethod::None;
}

// llama.cpp's importance matrix of FILE; errors name the file.
Result<Imatrix> loadImatrix(const std::string& path) {
  auto m = readImatrix(path);
  if (!m) return prefixError("--imatrix: ", m.error());
  return m;
}

// Per-column max |x| and outlier columns for τ (MATH.md §5, weight-only view), 2-D tensors.
void addColumnReport(Json& j, const FloatTensor& t, double threshold) {
  if (t.shape.size() < 2) return;
  auto c = findOutlierColumns(t.values, static_cast<std::size_t>(t.rows()), static_cast<std::size_t>(t.cols()), threshold);
  if (!c) return;
  j["threshold"] = threshold;
  j["outlier_columns"] = c->outlierColumns;
  Json m = Json::array();
  for (float v : c->columnMaxAbs) m.push_back(static_cast<double>(v));
  j["column_max_abs"] = std::move(m);
}

// The extra tensors --codes writes: codes, per-part scales and zero points.
void addCodes(std::vector<OutTensor>& out, const FloatTensor& t, const QuantResult& r) {
  if (r.codes.empty()) return;
  out.push_back(OutTensor::fromInt32(t.name + ".codes", t.shape, r.codes));
  std::vector<float> scales;
  std::vector<std::int32_t> zeros;
  for (const PartReport& p : r.parts) {
    scales.push_back(static_cast<float>(p.params.scale));
    zeros.push_back(static_cast<std::int32_t>(p.params.zeroPoint));
  }
  const auto parts = static_cast<std::int64_t>(r.parts.size());
  out.push_back(OutTensor::fromFloats(t.name + ".scales", {parts}, scales));
  out.push_back(OutTensor::fromInt32(t.name + ".zero_points", {parts}, zeros));
}

int runTensor(const QuantizeOptions& o) {
  auto reader = openTensorFile(o.file);
  if (!reader) return fail(reader.error().message);
  // --threshold also asks any method for the outlier-column report (below).
  auto params = methodFromOptions(o.method, {"--threshold"});
  if (!params) return fail(params.error().message);
  std::optional<double> threshold;
  if (auto text = o.method.text("--threshold")) {
    threshold = parseNumber<double>(*text);
    if (!threshold) return fail("--threshold: '" + *text + "' is not a number");
  }
  // The aware steps that need X say so before anything is read (issue 15's contract).
  const AwareMethod aware = awareOf(*params);
  if (aware != AwareMethod::None && o.activations.empty()) {
    const AwareStep& step = awareStep(aware);
    if (step.activations == Need::Required && !(step.importance != Need::None && !o.imatrix.empty()))
      return fail("--aware " + std::string(step.name) + " needs --activations FILE:NAME (the layer's inputs X, tokens × " +
                  "in features)" + (step.importance != Need::None ? " or --imatrix FILE" : ""));
  }
  if (!o.imatrix.empty() && aware != AwareMethod::Wmse)
    return fail("--imatrix applies to --aware wmse (the importance of each input column)");
  auto t = (*reader)->readFloat(o.tensor);
  if (!t) return fail(t.error().message);
  std::vector<float> importance;
  if (!o.imatrix.empty()) {
    auto m = loadImatrix(o.imatrix);
    if (!m) return fail(m.error().message);
    const ImatrixEntry* e = m->find(t->name);
    if (!e) return fail("--imatrix: " + o.imatrix + " has no entry for '" + t->name + "'");
    if (e->matrices() != 1)
      return fail("--imatrix: " + o.imatrix + ": entry '" + t->name + "' holds " + std::to_string(e->matrices()) +
                  " matrices (experts); one weight matrix is quantized here");
    importance = importanceOf(*m, *e);
  }
  std::optional<FloatTensor> acts;
  if (!o.activations.empty()) {
    const auto colon = o.activations.rfind(':');
    if (colon == std::string::npos || colon == 0) return fail("--activations: expected FILE:NAME");
    auto ar = openTensorFile(o.activations.substr(0, colon));
    if (!ar) return fail(ar.error().message);
    auto a = (*ar)->readFloat(o.activations.substr(colon + 1));
    if (!a) return fail(a.error().message);
    acts = std::move(*a);
  }
  auto r = quantizeTensor(*t, *params, {}, acts ? &*acts : nullptr, importance);
  if (!r) return fail(o.file + ": " + r.error().message);
  if (!o.out.empty()) {
    std::vector<OutTensor> out{OutTensor::fromFloats(t->name, t->shape, r->reconstruction)};
    if (o.codes) addCodes(out, *t, *r);
    Recipe recipe;
    recipe.rules.push_back({t->name, *params});
    if (Status s = writeTensorFile(o.out, out, {{"quench_recipe", recipeToJson(recipe)}}); !s) return fail(s.error().message);
  }
  if (!o.json) {
    printSummary(t->name, *r);
    if (r->aware && r->aware->layerOutputError)
      std::cout << "layer output error " << *r->aware->layerOutputError << " (" << r->aware->method << ")"
                << (r->aware->layerOutputErrorRtn ? ", without it " + std::to_string(*r->aware->layerOutputErrorRtn) : "")
                << (r->aware->alpha ? ", alpha " + std::to_string(*r->aware->alpha) : "") << '\n';
    return 0;
  }
  Json out;
  out["tensor"] = t->name;
  out["shape"] = t->shape;
  out["method"] = Json::parse(methodParamsToJson(*params));
  mergeInto(out, figuresJson(r->total));
  addAwareJson(out, r->aware);
  out["parts"] = partsJson(r->parts, r->aware);
  if (threshold) addColumnReport(out, *t, *threshold);
  std::cout << out.dump(2) << '\n';
  return 0;
}

// The whole model through core's quantizeModel: the same writer and figures as the workbench's
// export; --out streams one tensor at a time.
int runRecipe(const QuantizeOptions& o) {
  auto recipe = loadRecipe(o.recipe);
  if (!recipe) return fail(recipe.error().message);
  auto reader = openTensorFile(o.file);
  if (!reader) return fail(reader.error().message);
  std::optional<Imatrix> imatrix;
  if (!o.imatrix.empty()) {
    auto m = loadImatrix(o.imatrix);
    if (!m) return fail(m.error().message);
    imatrix = std::move(*m);
  }
  auto model = quantizeModel(**reader, *recipe, QuantizeModelOptions{o.out, o.codes, imatrix ? &*imatrix : nullptr});
  if (!model) return fail(model.error().message);
  const ErrorFigures& total = model->total;
  if (!o.json) {
    std::cout << model->tensors.size() << " tensors transformed: mse " << total.mse << ", sqnr " << total.sqnrDb
              << " dB, " << total.bitsPerParam << " bits/param\n";
    return 0;
  }
  Json tensors = Json::array();
  for (const QuantizedTensor& t : model->tensors) {
    Json j;
    j["tensor"] = t.name;
    j["shape"] = t.shape;
    j["rule"] = t.rule;
    j["method"] = Json::parse(methodParamsToJson(recipe->rules[t.rule].params));
    mergeInto(j, figuresJson(t.figures));
    addAwareJson(j, t.aware);
    j["parts"] = partsJson(t.parts, t.aware);
    tensors.push_back(std::move(j));
  }
  Json j;
  j["tensors"] = std::move(tensors);
  j["total"] = figuresJson(total);
  std::cout << j.dump(2) << '\n';
  return 0;
}

int runQuantize(const QuantizeOptions& o) {
  if (!o.values.empty()) {
    if (!o.file.empty()) return fail("quantize: give either --values or FILE, not both");
    return runTextbook(o);
  }
  if (!o.textbookOnlyGiven.empty())
    return fail("quantize: " + o.textbookOnlyGiven.front() + " belongs to the textbook form (--values ...); " +
                "the tensor form takes its parameters from --calib, or per part from a recipe");
  if (o.file.empty()) return fail("quantize: give FILE --tensor NAME, FILE --recipe R.json, or --values ...");
  // Refused before any work: the reconstruction must not replace what it was computed from.
  const std::string activationsFile = o.activations.substr(0, o.activations.rfind(':'));
  if (Status s = checkNotAnInput(o.out, {o.file, activationsFile, o.recipe, o.imatrix}); !s)
    return fail("--out " + s.error().message);
  if (!o.recipe.empty()) {
    if (!o.tensor.empty()) return fail("quantize: --recipe applies to every matching tensor; drop --tensor");
    return runRecipe(o);
  }
  if (o.tensor.empty()) return fail("quantize: --tensor NAME is required (or --recipe R.json)");
  return runTensor(o);
}

}  // namespace

Runner addQuantizeCommand(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  auto* cmd = app.add_subcommand("quantize", "Quantize values by hand or tensors of a file; report the §7 error figures");
  cmd->add_option("FILE", o->file, "Tensor file (safetensors, HDF5, npy/npz, GGUF, llama2.c)");
  cmd->add_option("--values", o->values, "Textbook form: comma-separated values");
  cmd->add_option("--parts", o->parts, "Textbook form: parts as 0-based index lists, e.g. \"0,1;2,3\"");
  cmd->add_option("--scale", o->scale, "Textbook form: one scale per part");
  cmd->add_option("--zero", o->zero, "Textbook form: one zero point per part (default 0)");
  cmd->add_option("--clip", o->clip, "Textbook form: one clip per part: M for [-M, M] or L:U (default 127)");
  cmd->add_option("--tensor", o->tensor, "Tensor to quantize");
  o->method.addTo(*cmd, "int", /*withTensors=*/false);
  if (CLI::Option* t = cmd->get_option_no_throw("--threshold"))
    t->description(t->get_description() + "; any method: report the outlier columns for this τ");
  cmd->add_option("--activations", o->activations, activationsHelp());
  cmd->add_option("--imatrix", o->imatrix,
                  "llama.cpp importance matrix (GGUF or legacy .dat): the per-column importance of --aware wmse");
  cmd->add_option("--recipe", o->recipe, "Apply a recipe JSON to every matching tensor of FILE");
  cmd->add_option("--out", o->out, "Write the reconstruction (.safetensors or .h5/.hdf5)");
  cmd->add_flag("--codes", o->codes, "With --out: also write codes, scales and zero points");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o, cmd] {
    std::vector<std::string> tensorOnly{"--tensor", "--method"};
    for (const std::string& flag : o->method.allFlags())
      if (!textbookFlag(flag)) tensorOnly.push_back(flag);
    for (const char* name : {"--activations", "--recipe", "--out", "--codes", "--imatrix"}) tensorOnly.emplace_back(name);
    for (const std::string& name : tensorOnly)
      if (cmd->count(name) > 0) o->tensorOnlyGiven.push_back(name);
    for (const char* name : {"--parts", "--scale", "--zero", "--clip"})
      if (cmd->count(name) > 0) o->textbookOnlyGiven.emplace_back(name);
    return runQuantize(*o);
  };
}

}  // namespace quench::cli
