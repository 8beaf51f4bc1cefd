#pragma once
// Blockwise absmax codebook quantization (NF4 / FP4 / user codebooks, MATH.md §4): the SIMD
// kernel (Highway, runtime dispatch) and its scalar twin. No Highway types in this header.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace quench::simd {

/// Blockwise codebook quantize + dequantize of n finite floats, single-threaded (callers split
/// the work across whole blocks). For each block of `blockSize` consecutive values (the last may
/// be short): a = max|x| (float); per element xn = x / a (float division), index = the number of
/// midpoints m_i with xn > m_i (strict: an exact midpoint goes to the lower index), recon =
/// a · levels[index] (float). A block with a = 0 gets index `zeroIndex` and recon 0.
/// `levels` (numLevels ≤ 256, ascending) and `midpoints` (numLevels − 1, m_i between levels i
/// and i+1); outputs: index[n], absmax[⌈n/blockSize⌉], recon[n]. No alignment needed.
void codebookQuantizeBlocks(const float* x, std::size_t n, std::size_t blockSize, const float* levels,
                            const float* midpoints, std::size_t numLevels, std::uint8_t zeroIndex,
                            std::uint8_t* index, float* absmax, float* recon);
/// Scalar twin of codebookQuantizeBlocks: the specification and the test oracle.
void codebookQuantizeBlocks_ref(const float* x, std::size_t n, std::size_t blockSize, const float* levels,
                                const float* midpoints, std::size_t numLevels, std::uint8_t zeroIndex,
                                std::uint8_t* index, float* absmax, float* recon);

}  // namespace quench::simd
