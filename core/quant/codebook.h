#pragma once
// Codebook (non-uniform) quantization, MATH.md §4: NF4, bitsandbytes FP4 and user codebooks with
// blockwise absmax scaling and optional double quantization of the block constants; and the data
// of the NF4 preview view (normalized histogram, levels, boundaries, bin occupancy).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/types.h"
#include "core/stats/histogram.h"
#include "core/tensor/result.h"

namespace quench {

/// A codebook: strictly ascending finite levels (2..256 of them) that block-normalized values
/// x / absmax ∈ [−1, 1] are rounded to.
struct Codebook {
  std::string name;
  std::vector<float> levels;             ///< ascending; the code of a value is its index here
  /// Bit pattern the reference implementation stores for each level (NF4: the index itself;
  /// bitsandbytes FP4: sign bit 3 + magnitude pattern). Same length as levels.
  std::vector<std::uint8_t> storedCode;
  int bits = 4;                          ///< bits per stored code: ⌈log2(levels.size())⌉ (4 for FP4's 15 levels)

  /// Decision boundaries: m_i = float((levels[i] + levels[i+1]) / 2) computed in double; a value
  /// exactly on m_i goes to index i (the lower), as bitsandbytes' strict `>` does.
  std::vector<float> midpoints() const;
  /// Index of the level nearest 0 (the lowest on a tie): the code of an all-zero block.
  std::uint8_t zeroIndex() const;
};

/// NF4 (QLoRA): the 16 quantiles of N(0,1) normalized to [−1, 1], exactly as MATH.md lists them.
Codebook nf4Codebook();
/// bitsandbytes FP4: magnitude patterns 000..111 → 0, 0.0625, 8, 12, 4, 6, 2, 3 (÷ 12), bit 3 the
/// sign. ±0 share one level, so it has 15 levels; storedCode gives the positive-zero pattern 0000.
Codebook fp4BnbCodebook();
/// A user codebook: the values are sorted; errors when fewer than 2 or more than 256, not finite,
/// or two are equal.
Result<Codebook> makeCodebook(std::string name, std::vector<float> values);
/// "nf4" or "fp4" (bitsandbytes variant), case-insensitive.
Result<Codebook> namedCodebook(std::string_view name);

/// Parameters of a blockwise codebook quantization.
struct CodebookParams {
  Codebook codebook = nf4Codebook();
  std::size_t blockSize = 64;        ///< B consecutive elements share one absmax
  bool doubleQuant = false;          ///< quantize the absmax constants too (QLoRA)
  std::size_t dqBlockSize = 256;     ///< absmax constants per double-quantization scale
};

/// Double quantization of the per-block absmax constants a_k (QLoRA), with a symmetric int8
/// absmax code (not bitsandbytes' dynamic 8-bit map): mean μ = float(mean_k a_k) (in double);
/// per group g of dqBlockSize constants, s_g = float(max|a_k − μ| / 127);
/// code_k = clip(round-half-even((a_k − μ) / s_g), −127, 127) in double (0 when s_g = 0);
/// ã_k = float(s_g · code_k + μ). The 4-bit codes use the exact a_k; ã_k only scales the
/// reconstruction.
struct DoubleQuant {
  float mean = 0;
  std::vector<float> scales;        ///< one per group of dqBlockSize constants (fp32)
  std::vector<std::int8_t> codes;   ///< one per block
  std::vector<float> absmax;        ///< ã_k, the dequantized constants actually used
};

/// Result of quantizeCodebook: QuantResult with codes = level indices, one part per block
/// (params.scale = the absmax used for reconstruction, clip = [0, levels − 1]), no saturation
/// (absmax scaling never clips); plus the block constants.
struct CodebookResult : QuantResult {
  std::vector<float> absmax;   ///< exact fp32 block absmax over the block's finite values
  bool doubleQuantized = false;
  DoubleQuant dq;              ///< filled when doubleQuantized
  double nominalBitsPerParam = 0;  ///< codebookBitsPerParam(bits, B, dq): 4.5 / 4.127 for NF4 B=64
};

/// Nominal storage per parameter (MATH.md §4): k + 32/B without double quantization,
/// k + 8/B + 32/(dqBlock·B) with it. The exact figure in CodebookResult::total.bitsPerParam also
/// counts partial blocks and the fp32 mean.
double codebookBitsPerParam(int bits, std::size_t blockSize, bool doubleQuant, std::size_t dqBlockSize = 256);

/// Quantize x blockwise (MATH.md §4), multithreaded over blocks (TBB) with the Highway kernel.
/// Differences from bitsandbytes, on purpose: xn = x / a is a float division as MATH.md writes it
/// (bitsandbytes multiplies by a float reciprocal, which can move xn by an ulp and, rarely, a value
/// sitting on a boundary by one code); and the lower-index-at-a-midpoint rule applies to every
/// codebook, while bitsandbytes' FP4 rounds the magnitude with the sign apart, so at an exact
/// midpoint between two negative levels it picks the smaller magnitude (the higher index).
/// Non-finite inputs: the block absmax is taken over finite values; NaN gets the zero level and
/// ±inf the extreme levels (they are counted in the figures' nan/inf, never in the error).
Result<CodebookResult> quantizeCodebook(std::span<const float> x, const CodebookParams& params,
                                        const Work& work = {});

/// The transform alone into caller-owned buffers (benchmarks, the CLI's hot path): index[n],
/// absmax[⌈n/B⌉], recon[n] as codebookQuantizeBlocks defines them, parallel over blocks. Inputs
/// must be finite (quantizeCodebook handles the others). Errors on size mismatch or B = 0.
Status codebookTransform(std::span<const float> x, const Codebook& codebook, std::size_t blockSize,
                         std::span<std::uint8_t> index, std::span<float> absmax, std::span<float> recon);

/// Double-quantize block constants (see DoubleQuant). dqBlockSize ≥ 1.
DoubleQuant doubleQuantize(std::span<const float> absmax, std::size_t dqBlockSize = 256);

/// Occupancy of each level of a codebook on block-normalized data.
struct LevelOccupancy {
  std::string name;             ///< "nf4", "int4", "fp4"
  std::vector<float> levels;
  std::vector<float> boundaries;  ///< midpoints (levels − 1)
  std::vector<double> fraction;   ///< share of the finite values rounded to each level
  double ideal = 0;               ///< 1 / levels (equal use of every level)
  double entropyBits = 0;         ///< −Σ f log2 f: how many of the code's bits the data uses
};

/// What the NF4 preview view shows: the histogram of block-normalized values x / absmax over
/// [−1, 1], and the occupancy of the NF4 levels against the ideal 1/16, next to the same data
/// rounded to uniform symmetric INT4 (levels n/7, n = −7..7: MATH.md §2's 4-bit grid) and to the
/// bitsandbytes FP4 levels.
struct CodebookPreview {
  Histogram normalized;         ///< of x / absmax (per block of blockSize), `bins` bins on [−1, 1]
  LevelOccupancy codebook;      ///< the codebook under study (NF4 by default)
  LevelOccupancy int4;
  LevelOccupancy fp4;
  std::uint64_t values = 0;     ///< finite values counted
};

/// Preview data for `codebook` (NF4 by default) with block size B. Errors when B = 0 or bins = 0.
Result<CodebookPreview> codebookPreview(std::span<const float> x, std::size_t blockSize = 64,
                                        std::size_t bins = 256, const Codebook& codebook = nf4Codebook());

}  // namespace quench
