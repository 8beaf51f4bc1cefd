#pragma once
// Element-wise kernels of the decoder runtime (gated activations, attention softmax): Highway
// versions with runtime dispatch and their scalar twins, which are the specification. No Highway
// types in this header.
#include <cstddef>

namespace quench::simd {

/// gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^(−x)) (SwiGLU's product).
void siluMul(float* gate, const float* up, std::size_t n);
/// gate[i] = gelu_tanh(gate[i]) · up[i], gelu_tanh(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
void geluTanhMul(float* gate, const float* up, std::size_t n);
/// gate[i] = gelu(gate[i]) · up[i], gelu(x) = ½x(1 + erf(x/√2)) (exact GELU; scalar erf).
void geluErfMul(float* gate, const float* up, std::size_t n);
/// Softmax of scale·x over x[0..valid), in place, max subtracted first, the normaliser summed in
/// double; x[valid..n) set to 0 (the causally masked keys). valid ≥ 1.
void scaledSoftmax(float* x, std::size_t valid, std::size_t n, float scale);

void siluMul_ref(float* gate, const float* up, std::size_t n);
void geluTanhMul_ref(float* gate, const float* up, std::size_t n);
void scaledSoftmax_ref(float* x, std::size_t valid, std::size_t n, float scale);

}  // namespace quench::simd
