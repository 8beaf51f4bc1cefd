#pragma once
// Activation-aware steps on the integer grid (MATH.md §13): GPTQ, AWQ, SmoothQuant, rotation,
// HQQ and the importance-weighted `wmse` calibrator. Each is a step of the "int" method, chosen by
// its "aware" key (the registry generates the recipe keys aware, damp, act_order, alpha, seed, the
// CLI flags --aware, --damp, --act-order, --alpha, --seed and the editor fields from the list
// below), so every option of the integer grid (bits, partition, calibrator, rounding, scale
// format) applies with each step. One file pair per step (gptq.h, awq.h, smoothquant.h,
// rotation.h, hqq.h, wmse.h); this file is their registry and dispatch.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/quant/method.h"

namespace quench {

enum class AwareMethod { None, Gptq, Awq, SmoothQuant, Rotate, Hqq, Wmse };

/// One aware step: its spelling, what it needs and the formula of its tooltip.
struct AwareStep {
  AwareMethod method;
  std::string_view name;     ///< recipe and CLI spelling ("gptq")
  std::string_view label;    ///< the editor's combo text
  std::string_view formula;  ///< MATH.md §13 in one line
  Need activations;          ///< whether X (tokens × in) is needed
  Need importance;           ///< whether v_j (an imatrix) may stand in for X
};

/// Every step, "none" first, in the editor's order.
const std::vector<AwareStep>& awareSteps();
const AwareStep& awareStep(AwareMethod m);

/// The settings an aware step adds to the integer grid's (IntSettings derives from this).
struct AwareParams {
  AwareMethod aware = AwareMethod::None;
  double damp = 0.01;            ///< gptq: λ of H += λ·mean(diag H)·I
  bool actOrder = false;         ///< gptq: columns by decreasing H_jj, static groups
  std::optional<double> alpha;   ///< awq: fixed α (nullopt: search i/20); smoothquant: α (nullopt: 0.5)
  friend bool operator==(const AwareParams&, const AwareParams&) = default;
};

/// The GPTQ batch size (part of the definition, MATH.md §13).
inline constexpr std::size_t kGptqBatch = 128;
/// SmoothQuant's default α.
inline constexpr double kSmoothQuantAlpha = 0.5;

struct IntSettings;

/// Runs the step of `s.aware` (not None) on ctx.tensor (W, out × in) with the integer grid of `s`.
/// Checks the calibration inputs first (shape, finiteness). Fills out.aware.
Status quantizeAware(const IntSettings& s, const QuantizeContext& ctx, QuantResult& out);

}  // namespace quench
