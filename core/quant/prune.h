#pragma once
// Pruning (MATH.md §6): magnitude pruning per tensor or per row, and N:M structured sparsity.
// Same pipeline as quantization: tensor + params → reconstruction (zeros where pruned) + report.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

/// Where magnitude pruning ranks the values.
enum class PruneScope {
  Tensor,  ///< one ranking over the whole tensor
  Row,     ///< each row of rowLength consecutive values ranked on its own
};

/// Ordering used to choose what to prune (both methods): values are ranked by (|θ|, index), so
/// among equal magnitudes the one with the lower flat index counts as smaller and is pruned
/// first. NaN ranks above every number (pruned last); ±inf ranks as the largest numbers.
struct MagnitudePruneParams {
  double fraction = 0.5;      ///< f ∈ [0, 1]: ⌊f·n⌋ values of each ranking unit are zeroed
  PruneScope scope = PruneScope::Tensor;
  std::size_t rowLength = 0;  ///< elements per row (the last dimension); required for Row
};

struct NmPruneParams {
  int n = 2;                  ///< kept per group
  int m = 4;                  ///< group size: M consecutive values along a row
  std::size_t rowLength = 0;  ///< elements per row; groups never cross rows. 0 = one row. A short
                              ///< last group of L < M values keeps min(N, L).
};

/// A pruning amount as recipes and the CLI spell it, parsed once: a fraction f ∈ [0, 1] of
/// magnitude pruning ("0.5") or N:M structured sparsity ("2:4", 1 ≤ N ≤ M).
struct Sparsity {
  bool structured = false;  ///< N:M (else a fraction)
  double fraction = 0.5;    ///< f, when !structured
  int n = 2, m = 4;         ///< N:M, when structured

  /// Errors: "sparsity '4:2' is not N:M with 1 ≤ N ≤ M", "sparsity 'x' is neither a fraction in
  /// [0, 1] nor N:M".
  static Result<Sparsity> parse(std::string_view text);
  /// The canonical spelling: the shortest decimal that reads back as f, or "N:M".
  std::string spec() const;
  friend bool operator==(const Sparsity&, const Sparsity&) = default;
};

/// Result: QuantResult with reconstruction = θ with pruned entries set to +0, no codes, no
/// saturation, one part per ranking unit (tensor, row, or N:M row) plus the mask.
struct PruneResult : QuantResult {
  std::vector<std::uint8_t> kept;   ///< per element 1 = kept, 0 = pruned
  std::uint64_t pruned = 0;         ///< values set to zero by the method
  double sparsity = 0;              ///< fraction of exact zeros in the output (incl. zeros already there)
  double prunedFraction = 0;        ///< pruned / n
};

/// Magnitude pruning. Storage (bits/param) is reported as a dense fp32 tensor (32) — sparsity is
/// a transform here, not a storage format. Errors: f ∉ [0, 1]; Row scope with rowLength = 0 or
/// not dividing n.
Result<PruneResult> pruneMagnitude(std::span<const float> x, const MagnitudePruneParams& params, const Work& work = {});

/// N:M structured pruning (2:4 by default): in each group of M consecutive values of a row keep
/// the N largest |θ| (ties by the (|θ|, index) order above: the later index is kept). Storage
/// reported as the compressed N:M layout: N fp32 values + N·⌈log2 M⌉ index bits per group of M.
/// Errors: not 1 ≤ N ≤ M ≤ 256; rowLength not dividing n.
Result<PruneResult> pruneNM(std::span<const float> x, const NmPruneParams& params, const Work& work = {});

}  // namespace quench
