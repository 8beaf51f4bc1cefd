#pragma once
// The 1000-element test array of tools/golden_quant.py, reproduced bit for bit with integer
// arithmetic: x_i = (k1 + k2 + k3) / 2^24, k_j ∈ [−2^20, 2^20) from a 32-bit hash, plus outliers
// 0.75 at 7, −0.5 at 123, 0.625 at 500.
#include <cstdint>
#include <vector>

namespace quench::test {

inline std::uint32_t goldenHash(std::uint32_t i, std::uint32_t j) {
  std::uint32_t h = i * 2654435761u + j * 0x9E3779B9u + 0x1234567u;
  h ^= h >> 16;
  h *= 0x45D9F3Bu;
  h ^= h >> 16;
  h *= 0x45D9F3Bu;
  h ^= h >> 16;
  return h;
}

inline std::vector<float> goldenArray(std::size_t n = 1000) {
  std::vector<float> x(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::int32_t k = 0;
    for (std::uint32_t j = 0; j < 3; ++j) k += static_cast<std::int32_t>(goldenHash(i, j) & 0x1FFFFF) - (1 << 20);
    x[i] = static_cast<float>(k) / static_cast<float>(1 << 24);
  }
  x[7] = 0.75f;
  x[123] = -0.5f;
  x[500] = 0.625f;
  return x;
}

}  // namespace quench::test
