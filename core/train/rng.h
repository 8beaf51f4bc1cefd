#pragma once
// The training engine's random numbers: SplitMix64 and our own conversions to uniform and normal
// draws (std:: distributions are implementation-defined), so a seed gives the same run with any
// standard library.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace quench::train {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}

  /// SplitMix64 (Steele, Lea, Flood 2014): 64 uniformly distributed bits.
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n), n ≥ 1, without modulo bias (rejection of the short last block).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  /// Standard normal by Box–Muller (one draw per call; the sine twin is discarded for simplicity).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::uint64_t m_state;
};

}  // namespace quench::train
