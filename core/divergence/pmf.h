#pragma once
// Divergences between two distributions on a finite set (MATH.md §8): KL in both directions,
// Jensen-Shannon and its square root, on probability vectors (pmfs) or on logits. All figures are
// in nats unless converted with toBits(); sums are accumulated in double.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

/// ln 2: divide a divergence in nats by this to get bits.
inline constexpr double kLn2 = 0.69314718055994530942;

/// A divergence in nats expressed in bits (log base 2).
inline double toBits(double nats) { return nats / kLn2; }

/// KL(P‖Q) = Σ P(z) ln(P(z)/Q(z)) in nats, with 0·ln(0/q) = 0 and +∞ when some P(z) > 0 = Q(z).
/// The inputs are assumed valid pmfs of equal length (see checkPmf).
double klPmf(std::span<const double> p, std::span<const double> q);

/// JS(P‖Q) = ½KL(P‖M) + ½KL(Q‖M), M = ½(P+Q), in nats; always finite, in [0, ln 2].
double jsPmf(std::span<const double> p, std::span<const double> q);

/// Options for validating a pmf given by a user.
struct PmfCheck {
  double tolerance = 1e-9;  ///< |Σp − 1| allowed
  bool normalize = false;   ///< divide by the sum instead of failing when |Σp − 1| > tolerance
};

/// Validate a pmf: non-empty, finite, non-negative entries summing to 1 within the tolerance, or
/// (with normalize) a positive finite sum, in which case the normalized copy is returned.
/// `what` names the input in the error message (e.g. "--p").
Result<std::vector<double>> checkPmf(std::span<const double> p, const PmfCheck& check, const std::string& what);

/// Temperature on a pmf: P_T(z) ∝ P(z)^(1/T), which is softmax(z/T) for z = ln P (T > 1 softens,
/// T → 0 approaches the argmax). Zeros stay zero. T must be finite and > 0.
std::vector<double> temperPmf(std::span<const double> p, double temperature);

/// The four figures of `quench-cli divergence --p --q`.
struct PairDivergence {
  double kl = 0;         ///< KL(P‖Q)
  double klReverse = 0;  ///< KL(Q‖P)
  double js = 0;         ///< JS(P‖Q)
  double jsSqrt = 0;     ///< √JS, a metric
};

/// KL both ways, JS and √JS of two pmfs (already validated, equal lengths), after an optional
/// temperature (temperPmf on both), in nats or bits.
Result<PairDivergence> pmfDivergence(std::span<const double> p, std::span<const double> q,
                                     double temperature = 1.0, bool bits = false);

/// Numerically stable log-softmax of z/T in double: out[i] = z_i/T − max(z/T) − ln Σ exp(z_j/T −
/// max). −∞ logits give −∞; NaN or +∞ logits, or no finite logit, give an error.
Result<std::vector<double>> logSoftmax(std::span<const float> logits, double temperature = 1.0);

/// KL(P‖Q) in nats for P = softmax(zp/T), Q = softmax(zq/T) (double accumulation). +∞ when a
/// logit of Q is −∞ where P's is not.
Result<double> klLogits(std::span<const float> zp, std::span<const float> zq, double temperature = 1.0);

/// JS(P‖Q) in nats for P = softmax(zp/T), Q = softmax(zq/T).
Result<double> jsLogits(std::span<const float> zp, std::span<const float> zq, double temperature = 1.0);

/// Knowledge-distillation loss for one position, in nats:
/// T²·KL(P_T ‖ Q_T) with P the teacher (zTeacher), Q the student (zStudent), both softened by T,
/// plus, when a hard label is given, hardWeight·(−ln Q(label)) with Q at temperature 1.
/// The T² factor keeps the soft term's gradient scale independent of T (Hinton et al. 2015).
Result<double> distillationLoss(std::span<const float> zTeacher, std::span<const float> zStudent,
                                double temperature, std::optional<std::size_t> hardLabel = std::nullopt,
                                double hardWeight = 1.0);

}  // namespace quench
