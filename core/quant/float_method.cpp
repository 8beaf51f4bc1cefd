#include "core/quant/float_method.h"

#include "core/quant/integer_method.h"
#include "core/quant/param_specs.h"

namespace quench {

namespace {

std::vector<ParamDescriptor> floatParams() {
  using P = ParamsOf<FloatSettings>;
  std::vector<ParamDescriptor> list;
  list.push_back(floatFormatParam<FloatSettings>("format", &FloatSettings::format)
                     .withHelp("fp16, bf16, e4m3, e5m2, e3m2, e2m3, e2m1, eXmY")
                     .withFormula("E<e>M<m>: 1 sign, e exponent bits (bias 2^(e−1) − 1), m mantissa bits, subnormals\n"
                                  "value = (−1)^s·2^(E − bias)·(1 + M/2^m); x̃ = nearest representable value\n"
                                  "max finite: fp16 65504, e4m3 448, e5m2 57344, e3m2 28, e2m3 7.5, e2m1 6"));
  list.push_back(P::choice("round", &FloatSettings::rounding, roundingChoices())
                     .withLabel("rounding")
                     .withNoun("rounding")
                     .withHelp("even, away, zero, up (ties toward +inf), stochastic")
                     .withFormula(integer_tips::kRounding));
  list.push_back(P::integer("block", &FloatSettings::block, 0, 1 << 24)
                     .withId("mx_block")
                     .withLabel("MX block")
                     .withNoun("block size")
                     .withZeroText("none")
                     .withUnit("elements")
                     .withHelp("MX block with an E8M0 scale (0 = none)")
                     .withFormula("MX shared scale: one E8M0 power of two 2^e per B consecutive values,\n"
                                  "x̃ = 2^e·R'(x / 2^e); 0 = no shared scale"));
  return list;
}

class FloatMethod final : public TypedMethod<FloatSettings> {
 public:
  FloatMethod()
      : TypedMethod({"float", "float (low-precision format)",
                     "x̃ = R'(x), nearest value of E<e>M<m> (saturating to ±max where the format has no inf)", "§3", {}},
                    floatParams()) {}

 protected:
  std::string label(const FloatSettings& s, LabelStyle style) const override {
    if (s.block == 0) return s.format.text;
    return style == LabelStyle::Short ? s.format.text + " MX" + std::to_string(s.block)
                                      : s.format.text + " · MX block " + std::to_string(s.block);
  }

  // 1 + e + m bits per element, plus one 8-bit E8M0 scale per MX block (the last may be short).
  std::optional<double> bitsPerParam(const FloatSettings& s, std::span<const std::int64_t> shape) const override {
    FloatQuantParams p = params(s);
    if (shape.empty() || s.block == 0) return floatBitsPerParam(p);
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    if (n <= 0) return std::nullopt;
    const auto blocks = static_cast<double>((static_cast<std::uint64_t>(n) + s.block - 1) / s.block);
    return (p.format.bits() * static_cast<double>(n) + 8.0 * blocks) / static_cast<double>(n);
  }

  PartLayout partLayout(const FloatSettings& s) const override {
    PartLayout l;
    if (s.block > 0) {
      l.kind = PartLayout::Kind::Blocks;
      l.block = s.block;
    }
    return l;
  }

  Status quantize(const FloatSettings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    auto r = quantizeFloat(ctx.tensor.values, params(s), ctx.work);
    if (!r) return r.error();
    out = QuantResult(std::move(static_cast<QuantResult&>(*r)));
    return {};
  }

 private:
  static FloatQuantParams params(const FloatSettings& s) {
    FloatQuantParams fp;
    fp.format = s.format.format;
    fp.rounding = s.rounding;
    fp.mxScale = s.block > 0;
    if (s.block > 0) fp.mxBlockSize = s.block;
    return fp;
  }
};

}  // namespace

const MethodDescriptor& floatMethod() {
  static const FloatMethod m;
  return m;
}

}  // namespace quench
