#pragma once
// The seeded block-Hadamard rotation of MATH.md §13 (QuaRot / QuIP#-style incoherence):
// R = blockdiag(H_m, …, H_m)·diag(σ)/√m, H_m Sylvester's matrix (H[i, j] = (−1)^popcount(i & j)),
// m the largest power of two dividing `in` (at most 4096), σ_j = −1 when bit 63 of the j-th
// SplitMix64 output from state = seed is set. W' = W·R is quantized by the recipe and
// Ŵ = Q̃(Q(W'))·Rᵀ; R is orthogonal, so x·Wᵀ = (x·R)·W'ᵀ.
//
// Arithmetic: the products are fast Walsh–Hadamard transforms in double per block, then ·σ_j, then
// / √m; W' = float32(that) is what the quantizer sees; Ŵ = float32((q̃·σ)·H_m / √m).
#include <cstdint>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/aware_common.h"

namespace quench {

/// z_j of SplitMix64 started at state = seed (j = 0, 1, ...).
std::uint64_t splitMix64(std::uint64_t seed, std::uint64_t j);
/// m: the largest power of two dividing `in`, at most 4096 (1 for odd `in`).
std::size_t rotationBlock(std::size_t in);
/// σ_j ∈ {−1, +1}, j = 0..in−1.
std::vector<double> rotationSigns(std::size_t in, std::uint64_t seed);
/// R (in × in, row-major) explicitly, for tests and small teaching examples.
std::vector<double> rotationMatrix(std::size_t in, std::uint64_t seed);

/// Each row of `w` (rows × in): forward (w·R) or back (w·Rᵀ), in double, in place.
void rotateRows(std::span<double> w, std::size_t in, std::uint64_t seed, bool inverse);

/// Rotation + the recipe's integer grid on `w` (rows × cols): out has the codes of W', Ŵ, figures
/// against `w`; report.rotationBlock is set.
Status rotateQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const Partition& partition,
                      const IntegerParams& ip, std::uint64_t seed, QuantResult& out, AwareReport& report,
                      const Work& work = {});

}  // namespace quench
