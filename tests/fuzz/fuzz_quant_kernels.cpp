// Differential libFuzzer target for the quantization kernels: for any parameters and any finite
// data, each SIMD kernel (the best target this CPU runs) must give the same codes, the same
// reconstruction bit for bit (+0 and −0 differ here) and the same saturation as its scalar twin.
// The fp32 fast paths (reciprocal with a near-tie margin, fp32 division, magic-number rounding)
// are correct by an argument in core/simd/quant_kernels.cpp; this checks that argument on inputs
// nobody chose. Any difference aborts.
//
// Input: scale (f32 bits), zero-point, low, high (i32 each, folded into ±2^24), one flags byte,
// then the data as f32 (non-finite values become 0: the kernels require finite input).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/simd/quant_kernels.h"

namespace {
std::int64_t fold(std::int32_t v) { return static_cast<std::int64_t>(v % (1 << 24)); }

template <class T>
void same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size() || (!a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) != 0)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 17) return 0;
  float s;
  std::int32_t z, lo, hi;
  std::memcpy(&s, data, 4);
  std::memcpy(&z, data + 4, 4);
  std::memcpy(&lo, data + 8, 4);
  std::memcpy(&hi, data + 12, 4);
  const std::uint8_t flags = data[16];
  s = std::fabs(s);
  if (!std::isfinite(s) || s == 0) return 0;
  quench::simd::AffineParams p;
  // Flag bit 0: a scale that is not a float (the f64 path), as an unrounded calibration gives.
  p.scale = (flags & 1) ? static_cast<double>(s) * (1 + 0x1.0p-40) : static_cast<double>(s);
  p.zero = fold(z);
  p.low = fold(lo);
  p.high = fold(hi);
  if (p.low > p.high) std::swap(p.low, p.high);
  if (flags & 2) {  // a narrow grid, where most lanes take the fast paths
    p.low = -127 + (p.low & 7);
    p.high = 127 - (p.high & 7);
    p.zero = p.zero % 64;
  }
  const std::size_t n = (size - 17) / 4;
  std::vector<float> x(n);
  if (n > 0) std::memcpy(x.data(), data + 17, n * 4);  // x.data() may be null when n = 0
  for (float& v : x)
    if (!std::isfinite(v)) v = 0;

  std::vector<std::int32_t> c1(n), c2(n);
  std::vector<float> r1(n), r2(n);
  std::vector<std::uint8_t> s1(n), s2(n);
  if (n > 0) {
    const auto k1 = quench::simd::quantizeAffine(x.data(), n, p, c1.data(), r1.data(), s1.data());
    const auto k2 = quench::simd::quantizeAffine_ref(x.data(), n, p, c2.data(), r2.data(), s2.data());
    if (k1 != k2) std::abort();
    same(c1, c2);
    same(r1, r2);
    same(s1, s2);
    // Without codes and flags: the same reconstruction and count.
    std::vector<float> r3(n);
    if (quench::simd::quantizeAffine(x.data(), n, p, nullptr, r3.data(), nullptr) != k2) std::abort();
    same(r3, r2);
  }

  // The fused kernels on the same data: int8 rows (1..4 rows) and int4 groups of 1..256.
  const std::size_t rows = 1 + (flags >> 2) % 4, cols = n / rows;
  if (cols > 0) {
    std::vector<std::int8_t> q1(rows * cols), q2(rows * cols);
    std::vector<float> sc1(rows), sc2(rows), t1(rows * cols), t2(rows * cols);
    quench::simd::quantizeRowsInt8Absmax(x.data(), rows, cols, q1.data(), sc1.data(), t1.data());
    quench::simd::quantizeRowsInt8Absmax_ref(x.data(), rows, cols, q2.data(), sc2.data(), t2.data());
    same(q1, q2);
    same(sc1, sc2);
    same(t1, t2);
  }
  if (n > 0) {
    const std::size_t group = 1 + static_cast<std::size_t>(static_cast<std::uint32_t>(z) % 256);
    const std::size_t groups = (n + group - 1) / group;
    std::vector<std::uint8_t> u1(n), u2(n);
    std::vector<float> g1(groups), g2(groups), t1(n), t2(n);
    std::vector<std::int32_t> z1(groups), z2(groups);
    quench::simd::quantizeGroupsInt4MinMax(x.data(), n, group, u1.data(), g1.data(), z1.data(), t1.data());
    quench::simd::quantizeGroupsInt4MinMax_ref(x.data(), n, group, u2.data(), g2.data(), z2.data(), t2.data());
    same(u1, u2);
    same(g1, g2);
    same(z1, z2);
    same(t1, t2);
  }
  return 0;
}
