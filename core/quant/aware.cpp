#include "core/quant/aware.h"

#include <cmath>

#include "core/quant/awq.h"
#include "core/quant/gptq.h"
#include "core/quant/hqq.h"
#include "core/quant/integer_method.h"
#include "core/quant/rotation.h"
#include "core/quant/smoothquant.h"
#include "core/quant/wmse.h"

namespace quench {

const std::vector<AwareStep>& awareSteps() {
  static const std::vector<AwareStep> steps{
      {AwareMethod::None, "none", "none (round to nearest)", "Ŵ = Q̃(Q(W)) with the grid above", Need::None, Need::None},
      {AwareMethod::Gptq, "gptq", "GPTQ (error feedback through H⁻¹)",
       "H = (2/N)XᵀX + λ·mean(diag H)·I, H⁻¹ = UᵀU; column j: q_j = Q̃(Q(w_j)), e_j = (w_j − q_j)/U_jj,\n"
       "w_k −= e_j·U_jk for the later columns (batches of 128)",
       Need::Required, Need::None},
      {AwareMethod::Awq, "awq", "AWQ (activation-aware scales, α search)",
       "s_j = max(a_j^α, 1e−4), a_j = mean_t |x_tj|, s ← s/√(max s·min s);\n"
       "Ŵ(α) = Q̃(Q(W·diag(s)))·diag(s)⁻¹, α = i/20 with the least ‖XWᵀ − XŴ(α)ᵀ‖²",
       Need::Required, Need::None},
      {AwareMethod::SmoothQuant, "smoothquant", "SmoothQuant (W8A8 with smoothing)",
       "s_j = max|x_j|^α / max|W_j|^(1−α); X' = X·diag(s)⁻¹, W' = W·diag(s);\n"
       "error ‖XWᵀ − Qa(X')·Q̃(Q(W'))ᵀ‖²/N, Qa = int8 absmax per token",
       Need::Required, Need::None},
      {AwareMethod::Rotate, "rotate", "rotation (seeded block Hadamard)",
       "R = blockdiag(H_m)·diag(σ)/√m, σ from SplitMix64(seed); Ŵ = Q̃(Q(W·R))·Rᵀ", Need::Optional, Need::None},
      {AwareMethod::Hqq, "hqq", "HQQ (data-free, fractional zero point)",
       "asymmetric grid; b ← mean(n − (w − shrink(w − w_r))/s), up to 20 rounds, β ← 1.01β", Need::Optional,
       Need::None},
      {AwareMethod::Wmse, "wmse", "wmse (importance-weighted MSE clip)",
       "clip c on the MSE grid minimizing Σ_j v_j (w_j − w̃_j)², v_j = mean_t x_tj² (or the imatrix)",
       Need::Required, Need::Optional},
  };
  return steps;
}

const AwareStep& awareStep(AwareMethod m) {
  for (const AwareStep& s : awareSteps())
    if (s.method == m) return s;
  return awareSteps().front();
}

Status quantizeAware(const IntSettings& s, const QuantizeContext& ctx, QuantResult& out) {
  const AwareStep& step = awareStep(s.aware);
  const std::string name(step.name);
  auto shape = aware::checkWeight(ctx.tensor, name);
  if (!shape) return shape.error();
  const auto [rows, cols] = *shape;
  std::optional<aware::Activations> x;
  if (ctx.calibration.activations) {
    auto a = aware::checkActivations(*ctx.calibration.activations, cols, name);
    if (!a) return a.error();
    x = *a;
  }
  const std::span<const float> importance = ctx.calibration.importance;
  if (!importance.empty()) {
    if (importance.size() != cols)
      return aware::stepError(name, "the importance matrix has " + std::to_string(importance.size()) +
                                        " values, the weight has " + std::to_string(cols) + " input columns",
                              "importance");
    for (std::size_t j = 0; j < importance.size(); ++j)
      if (!std::isfinite(importance[j]) || importance[j] < 0)
        return aware::stepError(name, "importance of column " + std::to_string(j) + " is not a finite value ≥ 0",
                                "importance");
  }
  const bool importanceServes = step.importance != Need::None && !importance.empty();
  if (step.activations == Need::Required && !x && !importanceServes)
    return aware::stepError(name,
                            std::string("needs the activations X (tokens × in) of the layer") +
                                (step.importance != Need::None ? " or an importance matrix" : ""),
                            "activations");
  auto partition = s.partition.on(ctx.tensor.shape);
  if (!partition) return nestError("partition", partition.error());
  IntegerParams ip = s;
  if (s.aware == AwareMethod::Hqq) {
    ip.symmetric = false;  // HQQ is defined on the asymmetric grid
    ip.calibration.method = CalibrationMethod::MinMax;
  }
  if (Status st = validateIntegerParams(ip, partition->partCount()); !st) return st;
  const std::span<const float> w = ctx.tensor.values;
  AwareReport report;
  report.method = name;
  bool errorsDone = false;
  switch (s.aware) {
    case AwareMethod::None: return quantizeIntegerInto(out, w, *partition, ip, ctx.work);
    case AwareMethod::Gptq: {
      std::vector<std::uint8_t> dead;
      std::vector<double> h = gptqHessian(*x, s.damp, dead);
      GptqOptions o;
      o.damp = s.damp;
      o.actOrder = s.actOrder;
      if (Status st = gptqQuantize(w, rows, cols, std::move(h), dead, *partition, ip, o, out, ctx.work); !st) return st;
      break;
    }
    case AwareMethod::Awq:
      if (Status st = awqQuantize(w, rows, cols, *x, *partition, ip, s.alpha, out, report, ctx.work); !st) return st;
      break;
    case AwareMethod::SmoothQuant:
      if (Status st = smoothQuantQuantize(w, rows, cols, *x, *partition, ip, s.alpha.value_or(kSmoothQuantAlpha), out,
                                          report, ctx.work);
          !st)
        return st;
      errorsDone = true;
      break;
    case AwareMethod::Rotate:
      if (Status st = rotateQuantize(w, rows, cols, *partition, ip, s.seed, out, report, ctx.work); !st) return st;
      break;
    case AwareMethod::Hqq:
      if (Status st = hqqQuantize(w, *partition, ip, out, report, ctx.work); !st) return st;
      break;
    case AwareMethod::Wmse: {
      std::vector<double> v;
      if (!importance.empty()) v.assign(importance.begin(), importance.end());
      else v = aware::columnMeanSquares(*x);
      if (Status st = wmseQuantize(w, cols, *partition, ip, v, out, ctx.work); !st) return st;
      break;
    }
  }
  if (x && !errorsDone) {
    if (!report.layerOutputError) report.layerOutputError = aware::layerOutputError(*x, w, out.reconstruction, rows);
    // The same recipe without the aware step (for hqq: the grid as the recipe gives it).
    QuantResult rtn;
    if (Status st = quantizeIntegerInto(rtn, w, *partition, static_cast<const IntegerParams&>(s), ctx.work); !st)
      return st;
    report.layerOutputErrorRtn = aware::layerOutputError(*x, w, rtn.reconstruction, rows);
  }
  out.aware = std::move(report);
  return {};
}

}  // namespace quench
