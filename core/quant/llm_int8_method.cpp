#include "core/quant/llm_int8_method.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/quant/integer.h"
#include "core/quant/llm_int8.h"
#include "core/quant/scale_format.h"

namespace quench {

namespace {

std::string shortest(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

// Weight-only LLM.int8() simulation on a (outputs, inputs) weight: the outlier input columns are
// kept exactly (fp32), every other element gets int8 absmax per output row.
Status llmInt8Weight(const FloatTensor& t, double threshold, const FloatTensor* acts, QuantResult& res) {
  const auto rows = static_cast<std::size_t>(t.rows()), cols = static_cast<std::size_t>(t.cols());
  Result<ColumnOutliers> outl = acts ? findOutlierColumns(acts->values, static_cast<std::size_t>(acts->rows()),
                                                          static_cast<std::size_t>(acts->cols()), threshold)
                                     : findOutlierColumns(t.values, rows, cols, threshold);
  if (!outl) return outl.error();
  std::vector<std::uint8_t> isOutlier(cols, 0);
  for (std::size_t c : outl->outlierColumns) isOutlier[c] = 1;
  res = QuantResult{};
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
  return {};
}

std::vector<ParamDescriptor> llmInt8Params() {
  using P = ParamsOf<LlmInt8Settings>;
  std::vector<ParamDescriptor> list;
  list.push_back(P::number("threshold", &LlmInt8Settings::threshold, 0, INFINITY, true)
                     .withLabel("threshold τ")
                     .withSpin(0.5, 3)
                     .withHelp("outlier threshold τ")
                     .withFormula("feature column j is an outlier when any |X[t, j]| ≥ τ (weight-only: max |W[:, j]| ≥ τ);\n"
                                  "outlier columns stay in full precision, the rest int8 absmax (τ = 6 by default)"));
  return list;
}

class LlmInt8Method final : public TypedMethod<LlmInt8Settings> {
 public:
  LlmInt8Method()
      : TypedMethod({"llm-int8", "llm-int8 (outlier decomposition)",
                     "X·W ≈ X[:, O]·W[O, :] + deq(Q_row(X[:, ¬O])·Q_col(W[¬O, :])), O = outlier columns", "§5",
                     CalibrationNeeds{Need::Optional, Need::None}},
                    llmInt8Params()) {}

 protected:
  std::string label(const LlmInt8Settings& s, LabelStyle style) const override {
    return style == LabelStyle::Short ? "LLM.int8() τ=" + shortest(s.threshold) : "llm-int8 · τ = " + shortest(s.threshold);
  }

  PartLayout partLayout(const LlmInt8Settings&) const override {
    PartLayout l;
    l.saturation = false;
    return l;
  }

  Status quantize(const LlmInt8Settings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    return llmInt8Weight(ctx.tensor, s.threshold, ctx.calibration.activations, out);
  }
};

}  // namespace

const MethodDescriptor& llmInt8Method() {
  static const LlmInt8Method m;
  return m;
}

}  // namespace quench
