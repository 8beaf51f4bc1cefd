#pragma once
// KL and JS of two pmfs term by term (MATH.md §8), for the classroom calculator: every term
// p_i ln(p_i/q_i), the mixture m = ½(p + q) and both halves of JS, in nats or bits. Sums are the
// same as klPmf/jsPmf; the terms are what a teacher writes on the board.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

/// One KL(a‖b) written out: terms[i] = a_i ln(a_i/b_i) (0 when a_i = 0, +∞ when a_i > 0 = b_i).
struct KlTermList {
  std::vector<double> terms;
  double sum = 0;                    ///< Σ terms (+∞ when some term is)
  std::vector<std::size_t> infinite; ///< indices i with a_i > 0 = b_i (why the sum is +∞)
};

/// The whole calculator: KL(P‖Q), KL(Q‖P) and JS(P‖Q) with its mixture.
struct PmfTerms {
  std::vector<double> p, q;  ///< the pmfs used (normalized when asked)
  std::vector<double> m;     ///< ½(p + q)
  KlTermList kl;             ///< KL(P‖Q)
  KlTermList klReverse;      ///< KL(Q‖P)
  KlTermList pm, qm;         ///< KL(P‖M), KL(Q‖M)
  double js = 0;             ///< ½ pm.sum + ½ qm.sum
  bool bits = false;         ///< every term and sum divided by ln 2
};

/// "0.5, 0.5" or "1/4, 3/4" → numbers (a fraction a/b is allowed, so a teacher types exact values).
/// `what` names the list in errors.
Result<std::vector<double>> parsePmfText(std::string_view text, const std::string& what);

/// Validates p and q (non-empty, equal lengths, finite, non-negative, each summing to 1 within
/// 1e-9, or divided by its sum when `normalize`) and writes every term, in nats or bits.
Result<PmfTerms> pmfTerms(std::span<const double> p, std::span<const double> q, bool normalize, bool bits);

}  // namespace quench
