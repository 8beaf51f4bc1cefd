#pragma once
// Per-token comparison of two language models over many positions (MATH.md §9): for each position
// (a "row": the next-token distribution over the vocabulary) KL(P‖Q), JS, whether the argmaxes
// agree and, when the true next token is known, its log-probability under both models. The
// TokenAccumulator collects rows incrementally (a model runtime feeds rows as it produces them)
// and reduces them to the summary llama.cpp users know. All divergences are in nats.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/tensor/result.h"

namespace quench {

/// What the numbers of a row are.
enum class RowKind {
  Logits,    ///< unnormalized logits z: P = softmax(z)
  LogProbs,  ///< natural-log probabilities (re-normalized anyway with a log-softmax, so tiny
             ///< rounding in the input does not bias KL); −∞ means probability 0
};

/// llama.cpp's KL against a --kl-divergence-base file sums only entries with base ln p above this
/// (nats); see MATH.md §11.
inline constexpr double kLlamaLogFloor = -16.0;

/// No true next token for this row (e.g. the last position of a sequence).
inline constexpr std::int32_t kNoToken = -1;

/// The figures of one position.
struct RowStats {
  double kl = 0;             ///< KL(P‖Q) in nats (+∞ when Q gives 0 where P does not)
  double js = 0;             ///< JS(P‖Q) in nats
  bool top1Same = false;     ///< argmax P == argmax Q (first index on ties)
  bool hasTrue = false;      ///< a true next token was given
  double logPTrue = 0;       ///< ln P(true) (only when hasTrue)
  double logQTrue = 0;       ///< ln Q(true) (only when hasTrue)
};

/// Compare one row of P with one row of Q (same length = vocabulary size, float32 values of the
/// given kind). Log-softmax with max subtraction, sums in double. trueToken is a vocabulary index
/// or kNoToken. Errors: length mismatch, empty row, NaN or +∞ values, trueToken out of range.
Result<RowStats> compareRow(std::span<const float> p, std::span<const float> q, RowKind kind,
                            std::int32_t trueToken = kNoToken);

/// Compare a row decoded from a llama.cpp --kl-divergence-base file (natural-log probabilities of
/// the base model P, MATH.md §11) with a row of Q. Identical to compareRow except that KL sums
/// only the entries whose base log p is above kLlamaLogFloor, as llama.cpp does: the entries at
/// the file's floor carry no information. JS and the true-token figures use the full rows.
Result<RowStats> compareRowToLlamaBase(std::span<const float> baseLogProbs, std::span<const float> q, RowKind qKind,
                                       std::int32_t trueToken = kNoToken);

/// Per-token summary over N positions. Percentiles use linear interpolation between order
/// statistics (NumPy's default "linear" method): with the N KL values sorted x_0 ≤ … ≤ x_{N−1},
/// the q-quantile is x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋), h = (N−1)q.
struct TokenSummary {
  std::size_t tokens = 0;          ///< positions compared (N)
  std::size_t klInfinite = 0;      ///< positions whose KL is +∞ (these make klMean +∞; never clamped)
  double klMean = 0;               ///< mean KL(P‖Q), nats
  double klStderr = 0;             ///< sqrt(var/(N−1)) with var = Σ(kl − mean)²/N (0 when N < 2)
  double klMedian = 0, klP90 = 0, klP95 = 0, klP99 = 0, klP999 = 0;
  double klMin = 0, klMax = 0;
  double jsMean = 0;               ///< mean JS, nats
  double top1Agreement = 0;        ///< fraction of positions whose argmaxes agree
  std::size_t withTrue = 0;        ///< positions with a true next token (used by the four below)
  double pplP = 0, pplQ = 0;       ///< exp(−mean ln P(true)), exp(−mean ln Q(true))
  double pplRatio = 0;             ///< pplQ / pplP
  double lnPplRatio = 0;           ///< ln(pplQ/pplP) = mean(ln P(true) − ln Q(true))
  double deltaPMean = 0;           ///< mean of Q(true) − P(true)
  double deltaPRms = 0;            ///< sqrt(mean of (Q(true) − P(true))²)
};

/// Collects RowStats and reduces them to a TokenSummary. Not thread-safe by itself: feed it from
/// one thread (addRows parallelizes internally), or give each thread its own and merge().
class TokenAccumulator {
 public:
  /// Add one position's figures.
  void add(const RowStats& row);
  /// Compare `rows` rows of P and Q stored row-major (rows × vocab, float32) in parallel (TBB)
  /// and add them in row order. trueTokens is empty or has one entry per row (kNoToken allowed).
  /// Honours work.stop (returns an error "cancelled" and adds nothing) and reports progress in rows.
  Status addRows(std::span<const float> p, std::span<const float> q, std::size_t vocab, RowKind kind,
                 std::span<const std::int32_t> trueTokens = {}, const Work& work = {});
  /// Append another accumulator's positions after this one's.
  void merge(const TokenAccumulator& other);
  /// Positions added so far.
  std::size_t size() const { return m_kl.size(); }
  /// KL of every position, in the order added (nats).
  std::span<const double> klValues() const { return m_kl; }
  /// The summary of everything added so far (may be called repeatedly).
  TokenSummary summary() const;

 private:
  std::vector<double> m_kl;  // (positions) per-position KL, kept for the percentiles
  double m_jsSum = 0;
  std::size_t m_top1 = 0;
  std::size_t m_withTrue = 0;
  double m_sumLogP = 0, m_sumLogQ = 0;  // Σ ln P(true), Σ ln Q(true)
  double m_sumDelta = 0, m_sumDelta2 = 0;  // Σ Δp, Σ Δp²
};

/// The q-quantile (q in [0, 1]) of sorted values with NumPy's "linear" definition (see TokenSummary).
double quantileSorted(std::span<const double> sorted, double q);

}  // namespace quench
