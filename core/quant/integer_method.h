#pragma once
// The "int" method (MATH.md §2): the integer quantizer of integer.h on a partition, with
// calibrated or hand-typed s, b, L, U per part. Its parameter list is a template so that methods
// built on the same grid (GPTQ, AWQ, rotation + RTN, MATH.md §13) derive their settings from
// IntSettings and reuse it: integerParamList<GptqSettings>() plus their own keys.
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "core/quant/aware.h"
#include "core/quant/integer.h"
#include "core/quant/method.h"
#include "core/quant/param_specs.h"

namespace quench {

/// Settings of "int": the integer quantizer's parameters, the partition and the activation-aware
/// step (MATH.md §13) run on that grid.
struct IntSettings : IntegerParams, AwareParams {
  PartitionSpec partition;  ///< "row" by default
  friend bool operator==(const IntSettings&, const IntSettings&) = default;
};

/// The "int" method.
const MethodDescriptor& integerMethod();

/// "n = clip(round(x/s) + b, L, U), x̃ = s·(n − b)" and the other tooltips of the int keys.
namespace integer_tips {
extern const char* const kBits;
extern const char* const kSymmetric;
extern const char* const kPartition;
extern const char* const kCalibration;
extern const char* const kRounding;
extern const char* const kScaleFormat;
extern const char* const kArithmetic;
}  // namespace integer_tips

/// The rounding modes every method that rounds offers, in the editor's order.
std::vector<EnumChoice<Rounding>> roundingChoices();

/// The "alpha" key: a number in [0, 1] or "auto" (awq: search the grid i/20; smoothquant: 0.5).
std::shared_ptr<const SpecSyntax> alphaSyntax();
Result<std::optional<double>> alphaFromValue(const ParamValue& v);
ParamValue alphaValue(const std::optional<double>& a);

/// The keys of "int" in recipe order, for a settings struct S derived from IntSettings.
template <class S>
std::vector<ParamDescriptor> integerParamList() {
  static_assert(std::is_base_of_v<IntSettings, S>);
  using P = ParamsOf<S>;
  namespace t = integer_tips;
  std::vector<ParamDescriptor> list;
  list.push_back(P::integer("bits", &S::bits, 2, 16)
                     .withAllowed([](std::int64_t b) { return validIntegerBits(static_cast<int>(b)); }, "2..8 or 16")
                     .withSteps({2, 3, 4, 5, 6, 7, 8, 16}, true)
                     .withLabel("bits k")
                     .withUnit("bits")
                     .withHelp("bits per code, 2..8 or 16")
                     .withFormula(t::kBits));
  list.push_back(P::boolean("symmetric", &S::symmetric)
                     .withCombo({"sym", "symmetric (±M, b = 0)"}, {"asym", "asymmetric (0..2^k − 1, zero point b)"})
                     .withFalseFlag("asymmetric", "unsigned grid [0, 2^k - 1] with a zero point")
                     .withFalseImplies("calib", std::string("minmax"))
                     .withLabel("grid")
                     .withHelp("signed grid [-M, M], b = 0")
                     .withFormula(t::kSymmetric));
  list.push_back(partitionParam<S>("partition", &S::partition)
                     .withHelp("tensor, row, column, group:G[:column]")
                     .withFormula(t::kPartition));
  list.push_back(calibrationParam<S>("calib", &S::calibration)
                     .withLabel("calibration")
                     .withNoun("calibrator")
                     .withHelp("absmax, minmax, percentile:P, mse, entropy, signed-max")
                     .withFormula(t::kCalibration));
  list.push_back(P::choice("round", &S::rounding, roundingChoices())
                     .withLabel("rounding")
                     .withNoun("rounding")
                     .withHelp("even, away, zero, up (ties toward +inf), stochastic")
                     .withFormula(t::kRounding));
  list.push_back(P::choice("scale_format", &S::scaleFormat,
                           std::vector<EnumChoice<ScaleFormat>>{{ScaleFormat::FP32, "fp32", "fp32"},
                                                                {ScaleFormat::FP16, "fp16", "fp16"},
                                                                {ScaleFormat::BF16, "bf16", "bf16"},
                                                                {ScaleFormat::E8M0, "e8m0", "e8m0 (power of two)"}})
                     .withHelp("fp32, fp16, bf16, e8m0")
                     .withFormula(t::kScaleFormat));
  list.push_back(P::choice("arithmetic", &S::arithmetic,
                           std::vector<EnumChoice<CodeArithmetic>>{
                               {CodeArithmetic::Exact, "exact", "exact (MATH.md §2)"},
                               {CodeArithmetic::Ggml, "ggml", "ggml (llama.cpp Q8_0/Q4_0)"}})
                     .withLabel("code arithmetic")
                     .withNoun("arithmetic")
                     .withHelp("exact (MATH.md §2) or ggml (llama.cpp's fp32 code arithmetic: Q8_0, Q4_0)")
                     .withFormula(t::kArithmetic));
  std::vector<EnumChoice<AwareMethod>> steps;
  for (const AwareStep& st : awareSteps()) steps.push_back({st.method, std::string(st.name), std::string(st.label)});
  list.push_back(P::choice("aware", &S::aware, steps)
                     .withLabel("aware step")
                     .withNoun("aware step")
                     .withHelp("activation-aware step on this grid: none, gptq, awq, smoothquant, rotate, hqq, wmse")
                     .withFormula("MATH.md §13: gptq, awq, smoothquant and wmse need the layer's activations X\n"
                                  "(wmse: or an importance matrix); rotate and hqq are data-free"));
  list.push_back(P::number("damp", &S::damp, 0, INFINITY)
                     .withLabel("dampening λ")
                     .withSpin(0.01, 4)
                     .withHelp("gptq dampening λ: H += λ·mean(diag H)·I")
                     .withFormula("H += λ·mean(diag H)·I before the Cholesky factorization (λ = 0.01)"));
  list.push_back(P::boolean("act_order", &S::actOrder)
                     .withCheckText("act-order")
                     .withHelp("gptq: columns by decreasing H_jj, groups from the original W (static groups)")
                     .withFormula("process columns by decreasing H_jj (stable); group parameters from the original W"));
  list.push_back(P::spec("alpha", &S::alpha, alphaSyntax(), &alphaFromValue, &alphaValue)
                     .withLabel("α")
                     .withHelp("awq: fixed α (auto: search i/20); smoothquant: migration strength (auto: 0.5)")
                     .withFormula("awq: s_j = max(a_j^α, 1e−4); smoothquant: s_j = max|x_j|^α / max|W_j|^(1−α)"));
  list.push_back(P::integer("seed", &S::seed, 0, std::numeric_limits<std::int64_t>::max())
                     .withHelp("seed of the rotation's signs (SplitMix64) and of stochastic rounding")
                     .withFormula("σ_j = −1 when bit 63 of the j-th SplitMix64 output from state = seed is set"));
  list.push_back(P::overrides("overrides", &S::overrides)
                     .withLabel("parts")
                     .withHelp("per part: scale, zero, clip_low, clip_high (or clip M)")
                     .withFormula("typed s, b, L, U of a part replace the calibrator's proposal"));
  return list;
}

}  // namespace quench
