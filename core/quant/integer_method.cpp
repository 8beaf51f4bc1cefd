#include "core/quant/integer_method.h"

#include <charconv>

#include "core/quant/scale_format.h"

namespace quench {

namespace integer_tips {
const char* const kBits =
    "k bits per code (2..8 or 16)\nsymmetric: L = −M, U = M, M = 2^(k−1) − 1 (127 for 8 bits, 7 for 4)\n"
    "unsigned: [L, U] = [0, 2^k − 1]";
const char* const kSymmetric =
    "symmetric: b = 0, [L, U] = [−M, M], s = max|x| / M\n"
    "asymmetric: [L, U] = [0, 2^k − 1], s = (max − min) / (2^k − 1), b = round(−min / s)";
const char* const kPartition =
    "each part j has its own s_j, b_j, L_j, U_j\n"
    "tensor: one part · row: one per output channel · column: one per input channel\n"
    "group:G: runs of G consecutive elements along rows (or columns); the last group may be short";
const char* const kCalibration =
    "proposes s, b per part (typed values override it)\n"
    "absmax: s = max|x| / M, b = 0\n"
    "minmax: s = (max − min) / (2^k − 1), b = round(−min / s)\n"
    "percentile:P: like absmax / minmax on the P-th percentile of |x| (or P and 100 − P)\n"
    "mse: clip c ∈ (0, max|x|] minimizing Σ(x − x̃)²\n"
    "entropy: threshold minimizing KL(reference ‖ quantized) on a 2048-bin histogram of |x|\n"
    "signed-max: s = |m| / 2^(k−1) from the first value m of largest |x| (llama.cpp Q4_0)";
const char* const kRounding =
    "n = round(x / s) + b\neven: ties to even (NumPy, PyTorch)\naway: ties away from zero (C round)\n"
    "zero: truncation toward zero\nup: ties toward +∞, ⌊v + ½⌋ (llama.cpp Q4_0)\n"
    "stochastic: up with probability equal to the fractional part (seeded)";
const char* const kScaleFormat =
    "s is computed in double, then stored in this format; the stored s is used:\n"
    "n = round(x / s_stored) + b, x̃ = s_stored·(n − b)\ne8m0: a bare power of two 2^e, e ∈ [−127, 127]";
const char* const kArithmetic =
    "exact: n = round(x / s_stored) + b in double (MATH.md §2)\n"
    "ggml: llama.cpp's Q8_0/Q4_0 code arithmetic: n = round(x·(1/d)) in fp32 from the scale d\n"
    "before it is rounded to the stored format (symmetric grid only; switching to the asymmetric\n"
    "grid sets it back to exact)";
}  // namespace integer_tips

std::shared_ptr<const SpecSyntax> alphaSyntax() {
  static const auto syntax = [] {
    auto s = std::make_shared<SpecSyntax>();
    s->expected = "a number in [0, 1] or \"auto\"";
    s->acceptsNumber = true;
    s->alternatives = {{"auto", "auto", {}}, {"value", "fixed", {"alpha"}}};
    SpecArg a;
    a.id = "alpha";
    a.type = ParamType::Number;
    a.name = "α";
    a.label = "α =";
    a.placeholder = "α";
    a.tip = "α ∈ [0, 1]";
    a.min = 0;
    a.max = 1;
    a.initial = 0.5;
    s->args = {a};
    s->toForm = [](const ParamValue& v) {
      SpecForm f;
      f.args["alpha"] = 0.5;
      auto a = alphaFromValue(v);
      f.alternative = a && *a ? "value" : "auto";
      if (a && *a) f.args["alpha"] = **a;
      return f;
    };
    s->fromForm = [](const SpecForm& f) {
      if (f.alternative != "value") return ParamValue(std::string("auto"));
      auto it = f.args.find("alpha");
      if (it != f.args.end()) {
        if (const auto* d = std::get_if<double>(&it->second)) return ParamValue(*d);
        if (const auto* i = std::get_if<std::int64_t>(&it->second)) return ParamValue(static_cast<double>(*i));
      }
      return ParamValue(0.5);
    };
    return std::shared_ptr<const SpecSyntax>(s);
  }();
  return syntax;
}

Result<std::optional<double>> alphaFromValue(const ParamValue& v) {
  double a = 0;
  if (const auto* text = std::get_if<std::string>(&v)) {
    if (*text == "auto") return std::optional<double>();
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), a);
    if (text->empty() || ec != std::errc() || ptr != text->data() + text->size())
      return makeError("alpha must be a number in [0, 1] or \"auto\", got '" + *text + "'");
  } else if (const auto* d = std::get_if<double>(&v)) {
    a = *d;
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    a = static_cast<double>(*i);
  } else {
    return makeError("alpha must be a number in [0, 1] or \"auto\"");
  }
  if (!(a >= 0 && a <= 1)) return makeError("alpha must be in [0, 1], got " + paramValueText(ParamValue(a)));
  return std::optional<double>(a);
}

ParamValue alphaValue(const std::optional<double>& a) { return a ? ParamValue(*a) : ParamValue(std::string("auto")); }

std::vector<EnumChoice<Rounding>> roundingChoices() {
  return {{Rounding::HalfEven, "even", "half to even"},
          {Rounding::HalfAwayFromZero, "away", "half away from zero"},
          {Rounding::TowardZero, "zero", "toward zero"},
          {Rounding::HalfUp, "up", "half up (toward +∞)"},
          {Rounding::Stochastic, "stochastic", "stochastic"}};
}

namespace {

class IntegerMethod final : public TypedMethod<IntSettings> {
 public:
  IntegerMethod()
      : TypedMethod({"int", "int (uniform integer grid)", "n = clip(round(x/s) + b, L, U), x̃ = s·(n − b)", "§2", {}},
                    integerParamList<IntSettings>()) {}

 protected:
  std::string label(const IntSettings& s, LabelStyle style) const override {
    const bool hqq = s.aware == AwareMethod::Hqq;
    const bool symmetric = s.symmetric && !hqq;
    std::string step;
    if (s.aware != AwareMethod::None) {
      step = std::string(awareStep(s.aware).name);
      if (s.aware == AwareMethod::Gptq && s.actOrder) step += " act-order";
      if (s.aware == AwareMethod::Rotate) step += " seed " + std::to_string(s.seed);
    }
    if (style == LabelStyle::Short)
      return "int" + std::to_string(s.bits) + " " + s.partition.text + (symmetric ? "" : " asym") +
             (step.empty() ? "" : " " + step);
    return "int" + std::to_string(s.bits) + (symmetric ? " sym" : " asym") + " · " + s.partition.text + " · " +
           (hqq ? std::string("hqq") : s.aware == AwareMethod::Wmse ? std::string("wmse") : calibrationSpec(s.calibration)) +
           (step.empty() || hqq || s.aware == AwareMethod::Wmse ? "" : " · " + step);
  }

  // quantizeInteger's storage: k bits per element, one scale per part in its format, and k bits
  // more per part for the zero point of an asymmetric grid.
  std::optional<double> bitsPerParam(const IntSettings& s, std::span<const std::int64_t> shape) const override {
    if (shape.empty()) return std::nullopt;
    const auto part = s.partition.on(shape);
    if (!part || part->numel() == 0) return std::nullopt;
    const double n = static_cast<double>(part->numel()), parts = static_cast<double>(part->partCount());
    // HQQ stores its fractional zero point as fp32.
    const double perPart = scaleFormatBits(s.scaleFormat) +
                           (s.aware == AwareMethod::Hqq ? 32 : s.symmetric ? 0 : s.bits);
    return (s.bits * n + parts * perPart) / n;
  }

  PartLayout partLayout(const IntSettings& s) const override {
    PartLayout l;
    l.kind = PartLayout::Kind::Partition;
    l.partition = s.partition;
    l.affineGrid = true;
    l.gridBits = s.bits;
    l.symmetricGrid = s.symmetric && s.aware != AwareMethod::Hqq;
    return l;
  }

  Status validate(const IntSettings& s) const override {
    if (!s.symmetric && s.arithmetic == CodeArithmetic::Ggml)
      return makeError("ggml (llama.cpp's Q8_0/Q4_0 codes) needs \"symmetric\": true (the symmetric grid, b = 0)",
                       "arithmetic");
    if (!s.symmetric && s.calibration.method == CalibrationMethod::SignedMax)
      return makeError("signed-max needs \"symmetric\": true", "calib");
    if (s.aware == AwareMethod::Hqq && s.arithmetic == CodeArithmetic::Ggml)
      return makeError("hqq's zero point is fractional; ggml arithmetic has none", "arithmetic");
    if ((s.aware == AwareMethod::Hqq || s.aware == AwareMethod::Wmse) && !s.overrides.empty())
      return makeError(std::string(awareStep(s.aware).name) + " chooses every part's parameters; drop the typed ones",
                       "overrides");
    return {};
  }

  bool relevant(const IntSettings& s, std::string_view key) const override {
    if (key == "damp" || key == "act_order") return s.aware == AwareMethod::Gptq;
    if (key == "alpha") return s.aware == AwareMethod::Awq || s.aware == AwareMethod::SmoothQuant;
    if (key == "seed") return s.aware == AwareMethod::Rotate || s.rounding == Rounding::Stochastic;
    if (key == "symmetric" || key == "arithmetic") return s.aware != AwareMethod::Hqq;
    if (key == "calib") return s.aware != AwareMethod::Hqq && s.aware != AwareMethod::Wmse;
    if (key == "overrides") return s.aware != AwareMethod::Hqq && s.aware != AwareMethod::Wmse;
    return true;
  }

  // What a change makes meaningless: the other grid's b and L/U (and ggml, which has no zero
  // point), typed clips of another bit width, every override of another partition (part j is
  // other elements there). Typed scales survive a grid or bits change.
  void reconcile(IntSettings& next, const IntSettings& before, std::string_view key) const override {
    auto dropOverrides = [&](bool zero, bool clip) {
      for (auto it = next.overrides.begin(); it != next.overrides.end();) {
        if (zero) it->second.zeroPoint.reset();
        if (clip) {
          it->second.clipLow.reset();
          it->second.clipHigh.reset();
        }
        it = it->second == PartOverride{} ? next.overrides.erase(it) : std::next(it);
      }
    };
    if (key == "symmetric" && next.symmetric != before.symmetric) {
      if (!next.symmetric) next.arithmetic = CodeArithmetic::Exact;
      dropOverrides(true, true);
    } else if (key == "bits" && next.bits != before.bits) {
      dropOverrides(false, true);
    } else if (key == "partition" && !(next.partition == before.partition)) {
      next.overrides.clear();
    } else if (key == "calib") {
      next.calibration.mseCandidates = before.calibration.mseCandidates;  // not part of the spelling
    }
  }

  Status quantize(const IntSettings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    if (s.aware != AwareMethod::None) return quantizeAware(s, ctx, out);
    out.aware.reset();
    auto partition = s.partition.on(ctx.tensor.shape);
    if (!partition) return nestError("partition", partition.error());
    return quantizeIntegerInto(out, ctx.tensor.values, *partition, s, ctx.work, IntegerOutputs{.codes = ctx.codes});
  }

  Result<std::vector<PartParams>> proposal(const IntSettings& s, const QuantizeContext& ctx) const override {
    auto partition = s.partition.on(ctx.tensor.shape);
    if (!partition) return nestError("partition", partition.error());
    IntegerParams ip = s;
    ip.overrides.clear();
    return integerPartParams(ctx.tensor.values, *partition, ip, ctx.work);
  }
};

}  // namespace

const MethodDescriptor& integerMethod() {
  static const IntegerMethod m;
  return m;
}

}  // namespace quench
