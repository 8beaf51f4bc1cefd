// Highway kernels for the decoder's element-wise steps. Compiled once per target through
// foreach_target.h; the dispatch table and the scalar twins are emitted once under HWY_ONCE.
// Exp and Tanh are Highway's contrib/math (at most a few ULP from the correctly rounded value),
// the twins use <cmath>; both compute in float32 except the softmax normaliser (double).
#include "core/simd/decoder_kernels.h"

#include <algorithm>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/decoder_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace quench::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// e^88 is finite in float32; beyond it silu(x) for x < −88 is below 1e−36, i.e. 0.
HWY_INLINE VF Silu(DF d, VF x) {
  const VF e = hn::Exp(d, hn::Min(hn::Neg(x), hn::Set(d, 88.0f)));
  return hn::Div(x, hn::Add(hn::Set(d, 1.0f), e));
}

HWY_INLINE VF GeluTanh(DF d, VF x) {
  const VF k0 = hn::Set(d, 0.7978845608028654f);  // √(2/π)
  const VF k1 = hn::Set(d, 0.044715f);
  const VF inner = hn::Mul(k0, hn::MulAdd(hn::Mul(k1, hn::Mul(x, x)), x, x));  // √(2/π)(x + 0.044715x³)
  const VF half = hn::Set(d, 0.5f);
  return hn::Mul(hn::Mul(half, x), hn::Add(hn::Set(d, 1.0f), hn::Tanh(d, inner)));
}

template <class F>
HWY_INLINE void GatedProduct(float* gate, const float* up, std::size_t n, F act) {
  const DF d;
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(act(d, hn::LoadU(d, gate + i)), hn::LoadU(d, up + i)), d, gate + i);
  if (i < n) {  // the tail through a zero-padded vector
    const std::size_t r = n - i;
    alignas(64) float g[HWY_MAX_BYTES / sizeof(float)] = {}, u[HWY_MAX_BYTES / sizeof(float)] = {};
    std::copy(gate + i, gate + n, g);
    std::copy(up + i, up + n, u);
    hn::Store(hn::Mul(act(d, hn::Load(d, g)), hn::Load(d, u)), d, g);
    std::copy(g, g + r, gate + i);
  }
}

void SiluMul(float* gate, const float* up, std::size_t n) { GatedProduct(gate, up, n, Silu); }
void GeluTanhMul(float* gate, const float* up, std::size_t n) { GatedProduct(gate, up, n, GeluTanh); }

void ScaledSoftmax(float* x, std::size_t valid, std::size_t n, float scale) {
  const DF d;
  const std::size_t N = hn::Lanes(d);
  const VF s = hn::Set(d, scale);
  float mx = -HUGE_VALF;
  std::size_t i = 0;
  VF vmax = hn::Set(d, -HUGE_VALF);
  for (; i + N <= valid; i += N) {
    const VF z = hn::Mul(hn::LoadU(d, x + i), s);
    hn::StoreU(z, d, x + i);
    vmax = hn::Max(vmax, z);
  }
  for (; i < valid; ++i) {
    x[i] *= scale;
    mx = std::max(mx, x[i]);
  }
  mx = std::max(mx, hn::GetLane(hn::MaxOfLanes(d, vmax)));
  const VF m = hn::Set(d, mx);
  VF acc = hn::Zero(d);
  double tail = 0;
  for (i = 0; i + N <= valid; i += N) {
    const VF e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), m));
    hn::StoreU(e, d, x + i);
    acc = hn::Add(acc, e);
  }
  for (; i < valid; ++i) {
    x[i] = std::exp(x[i] - mx);
    tail += x[i];
  }
  // Lanes hold at most valid/N terms each, all in (0, 1]: float partial sums lose nothing that
  // matters; the lanes and the tail are added in double.
  alignas(64) float lanes[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(acc, d, lanes);
  double sum = tail;
  for (std::size_t l = 0; l < N; ++l) sum += lanes[l];
  const VF inv = hn::Set(d, static_cast<float>(1.0 / sum));
  for (i = 0; i + N <= valid; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), inv), d, x + i);
  for (; i < valid; ++i) x[i] *= static_cast<float>(1.0 / sum);
  std::fill(x + valid, x + n, 0.0f);
}

}  // namespace HWY_NAMESPACE
}  // namespace quench::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quench::simd {

HWY_EXPORT(SiluMul);
HWY_EXPORT(GeluTanhMul);
HWY_EXPORT(ScaledSoftmax);

void siluMul(float* gate, const float* up, std::size_t n) { HWY_DYNAMIC_DISPATCH(SiluMul)(gate, up, n); }
void geluTanhMul(float* gate, const float* up, std::size_t n) { HWY_DYNAMIC_DISPATCH(GeluTanhMul)(gate, up, n); }
void scaledSoftmax(float* x, std::size_t valid, std::size_t n, float scale) {
  HWY_DYNAMIC_DISPATCH(ScaledSoftmax)(x, valid, n, scale);
}

void geluErfMul(float* gate, const float* up, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float x = gate[i];
    gate[i] = 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)) * up[i];
  }
}

void siluMul_ref(float* gate, const float* up, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void geluTanhMul_ref(float* gate, const float* up, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float x = gate[i];
    gate[i] = 0.5f * x * (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x))) * up[i];
  }
}

void scaledSoftmax_ref(float* x, std::size_t valid, std::size_t n, float scale) {
  float mx = -HUGE_VALF;
  for (std::size_t i = 0; i < valid; ++i) {
    x[i] *= scale;
    mx = std::max(mx, x[i]);
  }
  double sum = 0;
  for (std::size_t i = 0; i < valid; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  for (std::size_t i = 0; i < valid; ++i) x[i] = static_cast<float>(x[i] / sum);
  std::fill(x + valid, x + n, 0.0f);
}

}  // namespace quench::simd
#endif  // HWY_ONCE
