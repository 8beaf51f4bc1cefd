#pragma once
// Explicit small language models (MATH.md §9): a JSON table of next-token pmfs per context,
//   {"vocab": ["A", "B"], "next": {"": [0.6, 0.4], "A": [0.7, 0.3], "B": [0.2, 0.8]}}
// (a key is a context, its tokens joined by single spaces, "" the empty context; a prefix uses the
// longest of its suffixes that is a key). For such models Quench computes the exact divergence of
// the joint laws of length n by enumerating V^n sequences, its chain-rule terms per position, and
// the dataset estimate on sequences sampled from P, so the three can be checked against each other.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/exec/progress.h"
#include "core/tensor/result.h"

namespace quench {

/// A language model given by explicit conditional tables.
class ExplicitLm {
 public:
  /// Parse and validate: vocab non-empty, unique tokens without spaces; "" present; every key made
  /// of vocabulary tokens; every pmf finite, non-negative, of vocabulary length, summing to 1
  /// within 1e-9. `name` (the file) prefixes error messages.
  static Result<ExplicitLm> fromJson(const nlohmann::json& j, const std::string& name);
  /// Read a JSON file and parse it with fromJson.
  static Result<ExplicitLm> load(const std::filesystem::path& path);

  const std::vector<std::string>& vocab() const { return m_vocab; }
  std::size_t vocabSize() const { return m_vocab.size(); }
  /// P(· | prefix) for a prefix of vocabulary indices: the pmf of the longest suffix that is a key.
  std::span<const double> next(std::span<const std::int32_t> prefix) const;

 private:
  std::vector<std::string> m_vocab;
  std::map<std::vector<std::int32_t>, std::vector<double>> m_next;  // context → pmf (vocab size)
  std::size_t m_maxContext = 0;  // longest key, in tokens
};

/// Exact divergences of the joint laws P^(n), Q^(n) and their chain-rule decompositions (nats).
struct LmDivergence {
  double klJoint = 0;            ///< KL(P^(n) ‖ Q^(n)) by enumeration of V^n sequences
  std::vector<double> klChain;   ///< n terms E_{P^(i−1)} KL(P(·|t_<i) ‖ Q(·|t_<i)); Σ = klJoint
  double jsJoint = 0;            ///< JS(P^(n) ‖ Q^(n)) by enumeration
  std::vector<double> jsChain;   ///< n terms with the mixture conditional M(v|t_<i); Σ = jsJoint
  std::uint64_t sequences = 0;   ///< V^n
};

/// Most sequences exactLmDivergence enumerates (V^n above this is refused).
inline constexpr std::uint64_t kMaxEnumeratedSequences = std::uint64_t{1} << 24;

/// Exact joint KL and JS for sequences of `length` tokens, with chain terms. The two models must
/// share the vocabulary. Refuses V^n > kMaxEnumeratedSequences; honours work (progress in sequences).
Result<LmDivergence> exactLmDivergence(const ExplicitLm& p, const ExplicitLm& q, std::size_t length,
                                       const Work& work = {});

/// Dataset estimate of KL per token on sequences sampled from P (MATH.md §9).
struct SampledKl {
  double perToken = 0;  ///< D^ = (1/#tokens) Σ_seq Σ_pos KL(P(·|ctx) ‖ Q(·|ctx)); E[D^] = KL_joint/n
  double stderr = 0;    ///< standard error of D^ over sequences: sd(D_s/n)/√S, sd with S − 1
  std::size_t sequences = 0, tokens = 0;
};

/// Draw `samples` sequences of `length` tokens from P (std::mt19937_64 seeded with `seed`; each
/// token by inverse CDF on a 53-bit uniform) and average KL(P‖Q) over their n contexts ("" and
/// every proper prefix).
Result<SampledKl> sampledLmKl(const ExplicitLm& p, const ExplicitLm& q, std::size_t length, std::size_t samples,
                              std::uint64_t seed, const Work& work = {});

}  // namespace quench
