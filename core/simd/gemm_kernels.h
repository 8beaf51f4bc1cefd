#pragma once
// Matrix products of the decoder runtime: Highway kernels with runtime dispatch, and their scalar
// twins. No Highway types in this header.
//
// The product a Linear layer needs is C = A·Bᵀ: A (m × k) the activations of m tokens, float32;
// B (n × k) the weight as stored (float32, float16 or bfloat16, or any row-decodable format via a
// decoder callback), row-major, so that B's rows are output features. B is converted to float32
// a panel at a time inside the product; nothing converts the whole matrix.
//
// How (the choice was measured, README "Speed"): A is packed once per call, transposed, in panels
// of 2 vectors of tokens; B is converted row by row into a small float32 scratch, KC = 256 columns
// at a time; the micro-kernel keeps a (12 rows of B) × (2 vectors of tokens) tile of Cᵀ in
// registers (AVX-512; 6 × 2 on 16-register targets), broadcasting one B value per row and step;
// each task transposes its finished block of Cᵀ into C. Threads (oneTBB) split B's rows; every
// element of C is one sum in the same order whatever the number of threads, the block size m or
// the element's place in the block (batch-invariant), on a given SIMD target.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"

namespace quench::simd {

/// Converts `count` consecutive elements of row `row` of a stored matrix, starting at column
/// `first`, to float32. `first` and `count` are multiples of the format's block size (KC = 256
/// is a multiple of every ggml block size).
using RowDecoder = void (*)(const void* context, std::size_t row, std::size_t first, std::size_t count, float* dst);

/// The right operand B as stored: (rows, cols) row-major, rows `rowBytes` apart.
struct GemmOperand {
  DType type = DType::F32;     ///< F32, F16 or BF16 (decoded in the kernels), else `decode` is used
  const std::uint8_t* data = nullptr;
  std::size_t rowBytes = 0;
  RowDecoder decode = nullptr;      ///< for any other type: how to turn a row range into floats
  const void* decodeContext = nullptr;
};

/// Row stride of the decoded panel: the K-block of the product (elements).
inline constexpr int kGemmKc = 256;

/// C (m × n) = A (m × k) · Bᵀ with B (n × k) as stored; C += instead when `accumulate`.
/// A and C are float32 row-major with row strides lda and ldc (elements). Parallel over B's rows
/// unless `parallel` is false (then on the calling thread: for callers that parallelise outside).
void gemmNT(int m, int n, int k, const float* a, std::size_t lda, const GemmOperand& b, float* c, std::size_t ldc,
            bool accumulate = false, bool parallel = true);

/// One product of gemmNTShared: C (m × n, row stride ldc) (+)= A · Bᵀ.
struct GemmTarget {
  GemmOperand b;
  int n = 0;
  float* c = nullptr;
  std::size_t ldc = 0;
  bool accumulate = false;
};

/// Several products of the same A (q, k and v of one input; gate and up): A is packed once and
/// the tasks of all of them share the threads. Each C is what gemmNT would give.
void gemmNTShared(int m, int k, const float* a, std::size_t lda, std::span<const GemmTarget> targets,
                  bool parallel = true);

/// C (m × n) = A (m × k) · B with B (k × n) float32 row-major (row stride ldb), e.g. attention
/// weights times values; C += when `accumulate`. Same kernels as gemmNT.
void gemmNN(int m, int n, int k, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
            std::size_t ldc, bool accumulate = false, bool parallel = true);

/// Scalar twin of gemmNT: every element Σ_k a·b in double, stored as float. The specification.
void gemmNT_ref(int m, int n, int k, const float* a, std::size_t lda, const GemmOperand& b, float* c, std::size_t ldc,
                bool accumulate = false);
/// Scalar twin of gemmNN.
void gemmNN_ref(int m, int n, int k, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
                std::size_t ldc, bool accumulate = false);

/// Row `row` of B, columns [first, first + count), as float32 (the conversion the kernels use).
void decodeOperandRow(const GemmOperand& b, std::size_t row, std::size_t first, std::size_t count, float* dst);

/// Names of the Highway targets compiled into gemm_kernels and supported by this CPU.
std::vector<std::string> gemmKernelTargets();
/// Forces dispatch to the named target (for equivalence tests and benchmarks); false when unknown.
/// Global: it affects every Highway dispatch in the process until resetGemmKernelTarget.
bool forceGemmKernelTarget(const std::string& name);
/// Undoes forceGemmKernelTarget.
void resetGemmKernelTarget();

}  // namespace quench::simd
