// ggml's quantizers re-implemented bit for bit (see quants.h). Reading guide:
//  * Every expression keeps ggml's evaluation order and precision: `w*x*l` is (w·x)·l in float,
//    int operands are converted to float where C converts them, and no operation is fused (this
//    file is compiled with -ffp-contract=off; ggml-quants.c is built without FMA).
//  * C's float → small-integer conversions compile on x86-64 to cvttss2si (out of range or NaN
//    gives INT32_MIN) followed by keeping the low byte; truncInt8/truncUint8 do exactly that, so
//    even a degenerate input gives ggml's bytes and never undefined behaviour.
//  * nearestInt is ggml's rounding by adding 1.5·2^23 and reading the mantissa (exact for
//    |x| < 2^22, round-half-even), done on the bits so it is defined for every float.
//  * Block layouts (little-endian, bytes): Q4_0 d·qs[16]; Q4_1 d·m·qs[16]; Q5_0 d·qh[4]·qs[16];
//    Q5_1 d·m·qh[4]·qs[16]; Q8_0 d·qs[32]; Q2_K scales[16]·qs[64]·d·dmin; Q3_K hmask[32]·qs[64]·
//    scales[12]·d; Q4_K d·dmin·scales[12]·qs[128]; Q5_K d·dmin·scales[12]·qh[32]·qs[128]; Q6_K
//    ql[128]·qh[64]·scales[16]·d; IQ4_NL d·qs[16]; IQ4_XS d·scales_h[2]·scales_l[4]·qs[128]
//    (d, m, dmin are fp16).
// Length (~1340 lines): llama.cpp's quantizers are one family. The K and IQ4 types call the same
// scale searches (make_qx/q3/qp_quants) and packing helpers in file-local inline functions that
// must round exactly alike; keeping them in one translation unit keeps them inlined and under the
// one -ffp-contract=off setting, and the file reads in ggml-quants.c's order for comparison.
#include "core/ggml/quants.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/exec/parallel.h"
#include "core/tensor/dtype.h"

namespace quench::ggml {
namespace {

static_assert(std::endian::native == std::endian::little, "block fields are stored as host bytes");

constexpr int kQK = 256;                    // QK_K: elements per K-quant super-block
constexpr float kGroupMaxEps = 1e-15f;      // GROUP_MAX_EPS: a group below this is all zero

// IQ4_NL / IQ4_XS code book: the 16 non-linear levels of ggml-common.h's kvalues_iq4nl. A format
// constant: a file stores indices into it.
constexpr std::array<std::int8_t, 16> kIq4nlValues{-127, -104, -83, -65, -49, -35, -22, -10,
                                                   1,    13,   25,  38,  53,  69,  89,  113};

constexpr std::array<Type, 15> kQuantizable{Type::F32,  Type::F16,  Type::BF16, Type::Q8_0, Type::Q4_0,
                                            Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q2_K, Type::Q3_K,
                                            Type::Q4_K, Type::Q5_K, Type::Q6_K, Type::IQ4_NL, Type::IQ4_XS};

// ---------------------------------------------------------------------------------------------
// Scalar conversions with ggml's exact semantics.

/// cvttss2si: truncation toward zero; NaN and values outside int32 give INT32_MIN.
inline std::int32_t truncInt32(float f) {
  if (!(f >= -2147483648.0f && f < 2147483648.0f)) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(f);
}
/// C's (int8_t)f and (uint8_t)f as GCC compiles them for x86-64: the low byte of cvttss2si.
inline std::int8_t truncInt8(float f) { return static_cast<std::int8_t>(truncInt32(f)); }
inline std::uint8_t truncUint8(float f) { return static_cast<std::uint8_t>(truncInt32(f)); }

/// ggml's nearest_int: round half to even through the float mantissa of f + 1.5·2^23.
inline int nearestInt(float f) {
  const float v = f + 12582912.0f;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}

inline float fp16ToFp32(std::uint16_t h) { return halfToFloat(h); }

inline void storeU16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v & 0xff);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline std::uint16_t loadU16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline void storeF16(std::uint8_t* p, float f) { storeU16(p, fp32ToFp16(f)); }

inline int clampInt(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// ---------------------------------------------------------------------------------------------
// The scale searches of ggml-quants.c (make_qx_quants, make_q3_quants, make_qkx2_quants,
// make_qkx3_quants, make_qp_quants), each returning the scale and writing the codes L.

/// Symmetric grid [-nmax, nmax-1] (stored +nmax) with the scale that maximises (Σwxl)²/Σwl² over
/// 19 trial inverse scales around -nmax/max. rmseType 1 with qw == nullptr weights by x².
float makeQxQuants(int n, int nmax, const float* x, std::int8_t* L, int rmseType, const float* qw) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  auto weight = [&](int i) -> float {
    if (qw) return qw[i];
    switch (rmseType) {
      case 1: return x[i] * x[i];
      case 2: return 1.0f;
      case 3: return std::fabs(x[i]);
      default: return std::sqrt(std::fabs(x[i]));
    }
  };
  float iscale = static_cast<float>(-nmax) / max;
  if (rmseType == 0) {
    for (int i = 0; i < n; ++i) {
      const int l = nearestInt(iscale * x[i]);
      L[i] = static_cast<std::int8_t>(nmax + clampInt(l, -nmax, nmax - 1));
    }
    return 1.0f / iscale;
  }
  bool returnEarly = false;
  if (rmseType < 0) {
    rmseType = -rmseType;
    returnEarly = true;
  }
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearestInt(iscale * x[i]);
    l = clampInt(l, -nmax, nmax - 1);
    L[i] = static_cast<std::int8_t>(l + nmax);
    const float w = weight(i);
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1.0f / iscale) : 1.0f / iscale;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearestInt(iscale * x[i]);
      l = clampInt(l, -nmax, nmax - 1);
      const float w = weight(i);
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = nearestInt(iscale * x[i]);
        L[i] = static_cast<std::int8_t>(nmax + clampInt(l, -nmax, nmax - 1));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/// Q3_K's reference search (make_q3_quants with do_rmse): start from -nmax/max and move single
/// codes while (Σwxl)²/Σwl² grows, weights x², at most 5 sweeps.
float makeQ3Quants(int n, int nmax, const float* x, std::int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearestInt(iscale * x[i]);
    l = clampInt(l, -nmax, nmax - 1);
    L[i] = static_cast<std::int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int nChanged = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * static_cast<float>(L[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
        int newL = nearestInt(x[i] * sl2 / slx);
        newL = clampInt(newL, -nmax, nmax - 1);
        if (newL != L[i]) {
          slx += w * x[i] * static_cast<float>(newL);
          sl2 += w * static_cast<float>(newL) * static_cast<float>(newL);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<std::int8_t>(newL);
            sumlx = slx;
            suml2 = sl2;
            ++nChanged;
          }
        }
      }
    }
    if (!nChanged) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/// Asymmetric grid [0, nmax] with a min ≤ 0 (make_qkx2_quants): from the min–max grid, try
/// nstep+1 inverse scales (rmin + rdelta·is + nmax)/(max − min), fit scale and min by weighted
/// least squares for each, keep the one with the least weighted |error| (useMad) or error².
float makeQkx2Quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* theMin,
                     std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool useMad) {
  float min = x[0];
  float max = x[0];
  float sumW = weights[0];
  float sumX = sumW * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sumW += w;
    sumX += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *theMin = -min;
    return 0.f;
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1.0f / iscale;
  float bestError = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearestInt(iscale * (x[i] - min));
    L[i] = static_cast<std::uint8_t>(clampInt(l, 0, nmax));
    float diff = scale * static_cast<float>(L[i]) + min - x[i];
    diff = useMad ? std::fabs(diff) : diff * diff;
    bestError += weights[i] * diff;
  }
  if (nstep < 1) {
    *theMin = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearestInt(iscale * (x[i] - min));
      l = clampInt(l, 0, nmax);
      Laux[i] = static_cast<std::uint8_t>(l);
      const float w = weights[i];
      const float fl = static_cast<float>(l);
      sumL += w * fl;
      sumL2 += w * fl * fl;
      sumXL += w * fl * x[i];
    }
    const float D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / D;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float curError = 0;
      for (int i = 0; i < n; ++i) {
        float diff = thisScale * static_cast<float>(Laux[i]) + thisMin - x[i];
        diff = useMad ? std::fabs(diff) : diff * diff;
        curError += weights[i] * diff;
      }
      if (curError < bestError) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  *theMin = -min;
  return scale;
}

/// make_qkx3_quants: llama.cpp's copy of make_qkx2_quants for the importance-weighted quantizers.
/// With weights always given its arithmetic is make_qkx2_quants' operation for operation (its
/// degenerate test `max <= min` equals `max == min`: min, the minimum clamped down to ≤ 0, never exceeds max), so
/// it is that function under llama.cpp's name, kept so call sites read like ggml-quants.c.
float makeQkx3Quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L, float* theMin,
                     std::uint8_t* Laux, float rmin, float rdelta, int nstep, bool useMad) {
  return makeQkx2Quants(n, nmax, x, weights, L, theMin, Laux, rmin, rdelta, nstep, useMad);
}

/// make_qp_quants: the super-block scale of non-negative sub-block scales (or mins) on [0, nmax],
/// chosen among 9 inverse scales by weighted squared error, then refined code by code.
float makeQpQuants(int n, int nmax, const float* x, std::uint8_t* L, const float* qw) {
  float max = 0;
  for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
  if (max < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = static_cast<float>(nmax) / max;
  for (int i = 0; i < n; ++i) L[i] = static_cast<std::uint8_t>(nearestInt(iscale * x[i]));
  const float scale = 1.0f / iscale;
  float bestMse = 0;
  for (int i = 0; i < n; ++i) {
    const float diff = x[i] - scale * static_cast<float>(L[i]);
    bestMse += qw[i] * diff * diff;
  }
  for (int is = -4; is <= 4; ++is) {
    if (is == 0) continue;
    const float iscaleIs = (0.1f * static_cast<float>(is) + static_cast<float>(nmax)) / max;
    const float scaleIs = 1.0f / iscaleIs;
    float mse = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearestInt(iscaleIs * x[i]);
      l = std::min(nmax, l);
      const float diff = x[i] - scaleIs * static_cast<float>(l);
      mse += qw[i] * diff * diff;
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = iscaleIs;
    }
  }
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearestInt(iscale * x[i]);
    l = std::min(nmax, l);
    L[i] = static_cast<std::uint8_t>(l);
    const float w = qw[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int nChanged = 0;
    for (int i = 0; i < n; ++i) {
      const float w = qw[i];
      const float li = static_cast<float>(L[i]);
      float slx = sumlx - w * x[i] * li;
      float sl2 = suml2 - w * li * li;
      if (slx > 0 && sl2 > 0) {
        int newL = nearestInt(x[i] * sl2 / slx);
        newL = std::min(nmax, newL);
        if (newL != L[i]) {
          slx += w * x[i] * static_cast<float>(newL);
          sl2 += w * static_cast<float>(newL) * static_cast<float>(newL);
          if (slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<std::uint8_t>(newL);
            sumlx = slx;
            suml2 = sl2;
            ++nChanged;
          }
        }
      }
    }
    if (!nChanged) break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/// Index of the IQ4 level nearest to x (ties go up), as ggml's best_index_int8.
inline int bestIndexIq4(float x) {
  const auto& v = kIq4nlValues;
  if (x <= static_cast<float>(v[0])) return 0;
  if (x >= static_cast<float>(v[15])) return 15;
  int ml = 0, mu = 15;
  while (mu - ml > 1) {
    const int mav = (ml + mu) / 2;
    if (x < static_cast<float>(v[mav])) mu = mav;
    else ml = mav;
  }
  return x - static_cast<float>(v[mu - 1]) < static_cast<float>(v[mu]) - x ? mu - 1 : mu;
}

// ---------------------------------------------------------------------------------------------
// K-quant scale packing shared by Q4_K and Q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes.

inline void packScaleMinK4(int j, std::uint8_t ls, std::uint8_t lm, std::uint8_t* scales) {
  if (j < 4) {
    scales[j] = ls;
    scales[j + 4] = lm;
  } else {
    scales[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
    scales[j - 4] = static_cast<std::uint8_t>(scales[j - 4] | ((ls >> 4) << 6));
    scales[j] = static_cast<std::uint8_t>(scales[j] | ((lm >> 4) << 6));
  }
}
inline void scaleMinK4(int j, const std::uint8_t* q, std::uint8_t* d, std::uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/// Q2_K/Q3_K code packing: four 2-bit codes per byte, element l of each 32-group in 2-bit slot.
inline void pack2Bit(const std::uint8_t* L, std::uint8_t* qs) {
  for (int j = 0; j < kQK; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

/// Q3_K scale packing: 16 six-bit scales, low nibbles in bytes 0..7, high 2 bits in bytes 8..11.
inline void packScaleQ3K(int j, int l, std::uint8_t* scales) {
  if (j < 8) scales[j] = static_cast<std::uint8_t>(l & 0xF);
  else scales[j - 8] = static_cast<std::uint8_t>(scales[j - 8] | ((l & 0xF) << 4));
  l >>= 4;
  scales[j % 4 + 8] = static_cast<std::uint8_t>(scales[j % 4 + 8] | (l << (2 * (j / 4))));
}
inline int scaleQ3K(int j, const std::uint8_t* scales) {
  std::int8_t sc = static_cast<std::int8_t>(j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4);
  sc = static_cast<std::int8_t>((sc | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
  return sc;
}

// ---------------------------------------------------------------------------------------------
// Legacy 32-element blocks.

void q8_0Ref(const float* x, std::uint8_t* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n / 32; ++i, x += 32, y += 34) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    for (int j = 0; j < 32; ++j) y[2 + j] = static_cast<std::uint8_t>(truncInt8(std::round(x[j] * id)));
  }
}

void q4_0Ref(const float* x, std::uint8_t* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n / 32; ++i, x += 32, y += 18) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    for (int j = 0; j < 16; ++j) {
      const int xi0 = std::min(15, static_cast<int>(truncInt8(x[j] * id + 8.5f)));
      const int xi1 = std::min(15, static_cast<int>(truncInt8(x[16 + j] * id + 8.5f)));
      y[2 + j] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(xi0) | (static_cast<std::uint8_t>(xi1) << 4));
    }
  }
}

void q4_1Ref(const float* x, std::uint8_t* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n / 32; ++i, x += 32, y += 20) {
    float min = std::numeric_limits<float>::max();
    float max = -std::numeric_limits<float>::max();
    for (int j = 0; j < 32; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    storeF16(y + 2, min);
    for (int j = 0; j < 16; ++j) {
      const int xi0 = std::min(15, static_cast<int>(truncInt8((x[j] - min) * id + 0.5f)));
      const int xi1 = std::min(15, static_cast<int>(truncInt8((x[16 + j] - min) * id + 0.5f)));
      y[4 + j] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(xi0) | (static_cast<std::uint8_t>(xi1) << 4));
    }
  }
}

/// Q5_0/Q5_1 code packing: low nibbles like Q4, the fifth bits of element j in bit j of qh.
inline void pack5Bit(const std::uint8_t* codes, std::uint8_t* qh, std::uint8_t* qs) {
  std::uint32_t h = 0;
  for (int j = 0; j < 16; ++j) {
    const std::uint8_t xi0 = codes[j];
    const std::uint8_t xi1 = codes[j + 16];
    qs[j] = static_cast<std::uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
    h |= ((xi0 & 0x10u) >> 4) << (j + 0);
    h |= ((xi1 & 0x10u) >> 4) << (j + 16);
  }
  std::memcpy(qh, &h, 4);
}

void q5_0Ref(const float* x, std::uint8_t* y, std::int64_t n) {
  std::uint8_t codes[32];
  for (std::int64_t i = 0; i < n / 32; ++i, x += 32, y += 22) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    for (int j = 0; j < 32; ++j)
      codes[j] = static_cast<std::uint8_t>(std::min(31, static_cast<int>(truncInt8(x[j] * id + 16.5f))));
    pack5Bit(codes, y + 2, y + 6);
  }
}

void q5_1Ref(const float* x, std::uint8_t* y, std::int64_t n) {
  std::uint8_t codes[32];
  for (std::int64_t i = 0; i < n / 32; ++i, x += 32, y += 24) {
    float min = std::numeric_limits<float>::max();
    float max = -std::numeric_limits<float>::max();
    for (int j = 0; j < 32; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(y, d);
    storeF16(y + 2, min);
    for (int j = 0; j < 32; ++j) codes[j] = truncUint8((x[j] - min) * id + 0.5f);
    pack5Bit(codes, y + 4, y + 8);
  }
}

/// σ² = Σx²/n over the whole row: the importance-weighted legacy quantizers weight element j by
/// qw[j]·sqrt(σ² + x_j²).
float rowSigma2(const float* x, std::int64_t n) {
  float sumX2 = 0;
  for (std::int64_t j = 0; j < n; ++j) sumX2 += x[j] * x[j];
  return sumX2 / static_cast<float>(n);
}

/// The importance weights of one 32-block of a legacy type: qw[j]·sqrt(σ² + x_j²).
void legacyBlockWeights(const float* xb, const float* qwb, float sigma2, float* weight) {
  for (int j = 0; j < 32; ++j) weight[j] = qwb[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
}

void q4_0Weighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qw) {
  const float sigma2 = rowSigma2(x, n);
  float weight[32];
  std::int8_t L[32];
  for (std::int64_t ib = 0; ib < n / 32; ++ib) {
    const float* xb = x + 32 * ib;
    std::uint8_t* yb = y + 18 * ib;
    legacyBlockWeights(xb, qw + 32 * ib, sigma2, weight);
    const float d = makeQxQuants(32, 8, xb, L, 1, weight);
    storeF16(yb, d);
    for (int j = 0; j < 16; ++j) yb[2 + j] = static_cast<std::uint8_t>(L[j] | (L[j + 16] << 4));
  }
}

void q5_0Weighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qw) {
  const float sigma2 = rowSigma2(x, n);
  float weight[32];
  std::int8_t L[32];
  std::uint8_t codes[32];
  for (std::int64_t ib = 0; ib < n / 32; ++ib) {
    const float* xb = x + 32 * ib;
    std::uint8_t* yb = y + 22 * ib;
    legacyBlockWeights(xb, qw + 32 * ib, sigma2, weight);
    const float d = makeQxQuants(32, 16, xb, L, 1, weight);
    storeF16(yb, d);
    for (int j = 0; j < 32; ++j) codes[j] = static_cast<std::uint8_t>(L[j]);
    pack5Bit(codes, yb + 2, yb + 6);
  }
}

void q4_1Weighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qw) {
  const float sigma2 = rowSigma2(x, n);
  float weight[32];
  std::uint8_t L[32], Laux[32];
  for (std::int64_t ib = 0; ib < n / 32; ++ib) {
    const float* xb = x + 32 * ib;
    std::uint8_t* yb = y + 20 * ib;
    legacyBlockWeights(xb, qw + 32 * ib, sigma2, weight);
    float min = 0;
    const float d = makeQkx3Quants(32, 15, xb, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
    storeF16(yb, d);
    storeF16(yb + 2, -min);
    for (int j = 0; j < 16; ++j) yb[4 + j] = static_cast<std::uint8_t>(L[j] | (L[j + 16] << 4));
  }
}

void q5_1Weighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qw) {
  const float sigma2 = rowSigma2(x, n);
  float weight[32];
  std::uint8_t L[32], Laux[32];
  for (std::int64_t ib = 0; ib < n / 32; ++ib) {
    const float* xb = x + 32 * ib;
    std::uint8_t* yb = y + 24 * ib;
    legacyBlockWeights(xb, qw + 32 * ib, sigma2, weight);
    float min = 0;
    const float d = makeQkx3Quants(32, 31, xb, weight, L, &min, Laux, -0.9f, 0.05f, 36, false);
    storeF16(yb, d);
    storeF16(yb + 2, -min);
    pack5Bit(L, yb + 4, yb + 8);
  }
}

// ---------------------------------------------------------------------------------------------
// K-quants (256-element super-blocks).

void q2_KRef(const float* x, std::uint8_t* y, std::int64_t n) {
  std::uint8_t L[kQK];
  std::uint8_t Laux[16];
  float weights[16];
  float mins[16];
  float scales[16];
  const float q4scale = 15.f;
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 84) {
    std::uint8_t* ys = y;        // scales[16]
    std::uint8_t* qs = y + 16;   // qs[64]
    float maxScale = 0;
    float maxMin = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    if (maxScale > 0) {
      const float iscale = q4scale / maxScale;
      for (int j = 0; j < 16; ++j) ys[j] = static_cast<std::uint8_t>(nearestInt(iscale * scales[j]));
      storeF16(y + 80, maxScale / q4scale);
    } else {
      for (int j = 0; j < 16; ++j) ys[j] = 0;
      storeF16(y + 80, 0.f);
    }
    if (maxMin > 0) {
      const float iscale = q4scale / maxMin;
      for (int j = 0; j < 16; ++j) {
        const int l = nearestInt(iscale * mins[j]);
        ys[j] = static_cast<std::uint8_t>(ys[j] | (l << 4));
      }
      storeF16(y + 82, maxMin / q4scale);
    } else {
      storeF16(y + 82, 0.f);
    }
    const float dAll = fp16ToFp32(loadU16(y + 80));
    const float mAll = fp16ToFp32(loadU16(y + 82));
    for (int j = 0; j < 16; ++j) {
      const float d = dAll * static_cast<float>(ys[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = mAll * static_cast<float>(ys[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearestInt((x[16 * j + ii] + dm) / d);
        L[16 * j + ii] = static_cast<std::uint8_t>(clampInt(l, 0, 3));
      }
    }
    pack2Bit(L, qs);
  }
}

void q2_KWeighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow) {
  std::uint8_t L[kQK];
  std::uint8_t Laux[16];
  float mins[16];
  float scales[16];
  float sw[16];
  float weight[16];
  std::uint8_t Ls[16], Lm[16];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 84) {
    std::fill(sw, sw + 16, 0.0f);
    float sumx2 = 0;
    for (int j = 0; j < kQK; ++j) sumx2 += x[j] * x[j];
    const float sigma2 = sumx2 / static_cast<float>(kQK);
    for (int j = 0; j < 16; ++j) {
      const float* qw = qwRow + kQK * i + 16 * j;
      for (int l = 0; l < 16; ++l) weight[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
      for (int l = 0; l < 16; ++l) sw[j] += weight[l];
      scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    const float dm0 = makeQpQuants(16, 15, scales, Ls, sw);
    const float mm0 = makeQpQuants(16, 15, mins, Lm, sw);
    storeF16(y + 80, dm0);
    storeF16(y + 82, mm0);
    const float dm = fp16ToFp32(loadU16(y + 80));
    const float mm = fp16ToFp32(loadU16(y + 82));
    std::uint8_t* ys = y;
    for (int j = 0; j < 16; ++j) ys[j] = static_cast<std::uint8_t>(Ls[j] | (Lm[j] << 4));
    for (int j = 0; j < 16; ++j) {
      const float d = dm * static_cast<float>(ys[j] & 0xF);
      if (d == 0.0f) continue;
      const float m = mm * static_cast<float>(ys[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearestInt((x[16 * j + ii] + m) / d);
        L[16 * j + ii] = static_cast<std::uint8_t>(clampInt(l, 0, 3));
      }
    }
    pack2Bit(L, y + 16);
  }
}

/// Q3_K's tail, shared by both quantizers: requantize with the stored fp16 scales, split the
/// 3-bit codes into hmask (bit 2) and 2-bit qs.
void q3_KFinish(const float* x, std::int8_t* L, std::uint8_t* y) {
  std::uint8_t* hmask = y;
  std::uint8_t* qs = y + 32;
  const std::uint8_t* scales = y + 96;
  const float dAll = fp16ToFp32(loadU16(y + 108));
  for (int j = 0; j < 16; ++j) {
    const float d = dAll * static_cast<float>(scaleQ3K(j, scales));
    if (d == 0.0f) continue;
    for (int ii = 0; ii < 16; ++ii) {
      const int l = nearestInt(x[16 * j + ii] / d);
      L[16 * j + ii] = static_cast<std::int8_t>(clampInt(l, -4, 3) + 4);
    }
  }
  std::memset(hmask, 0, 32);
  int m = 0;
  std::uint8_t hm = 1;
  std::uint8_t codes[kQK];
  for (int j = 0; j < kQK; ++j) {
    int v = L[j];
    if (v > 3) {
      hmask[m] = static_cast<std::uint8_t>(hmask[m] | hm);
      v -= 4;
    }
    codes[j] = static_cast<std::uint8_t>(v);
    if (++m == 32) {
      m = 0;
      hm = static_cast<std::uint8_t>(hm << 1);
    }
  }
  pack2Bit(codes, qs);
}

void q3_KRef(const float* x, std::uint8_t* y, std::int64_t n) {
  std::int8_t L[kQK];
  float scales[16];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 110) {
    float maxScale = 0;
    float amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        maxScale = scales[j];
      }
    }
    std::uint8_t* ys = y + 96;
    std::memset(ys, 0, 12);
    if (maxScale != 0.0f) {
      const float iscale = -32.f / maxScale;
      for (int j = 0; j < 16; ++j) {
        std::int8_t l = static_cast<std::int8_t>(nearestInt(iscale * scales[j]));
        l = static_cast<std::int8_t>(clampInt(l, -32, 31) + 32);
        packScaleQ3K(j, l, ys);
      }
      storeF16(y + 108, 1.0f / iscale);
    } else {
      storeF16(y + 108, 0.f);
    }
    q3_KFinish(x, L, y);
  }
}

void q3_KWeighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow) {
  std::int8_t L[kQK];
  float scales[16];
  float weight[16];
  float sw[16];
  std::int8_t Ls[16];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 110) {
    float sumx2 = 0;
    for (int j = 0; j < kQK; ++j) sumx2 += x[j] * x[j];
    const float sigma2 = 2.0f * sumx2 / static_cast<float>(kQK);
    for (int j = 0; j < 16; ++j) {
      const float* qw = qwRow + kQK * i + 16 * j;
      for (int l = 0; l < 16; ++l) weight[l] = qw[l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
      float sumw = 0;
      for (int l = 0; l < 16; ++l) sumw += weight[l];
      sw[j] = sumw;
      scales[j] = makeQxQuants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
    }
    std::uint8_t* ys = y + 96;
    std::memset(ys, 0, 12);
    const float dBlock = makeQxQuants(16, 32, scales, Ls, 1, sw);
    for (int j = 0; j < 16; ++j) packScaleQ3K(j, Ls[j], ys);
    storeF16(y + 108, dBlock);
    q3_KFinish(x, L, y);
  }
}

/// Q4_K/Q5_K tail: requantize every 32-group with the stored fp16 d·scale and dmin·min.
void requantizeK4(const float* x, const std::uint8_t* scales, float dAll, float mAll, int nmax, std::uint8_t* L) {
  for (int j = 0; j < 8; ++j) {
    std::uint8_t sc = 0, m = 0;
    scaleMinK4(j, scales, &sc, &m);
    const float d = dAll * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = mAll * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii) {
      const int l = nearestInt((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<std::uint8_t>(clampInt(l, 0, nmax));
    }
  }
}

/// The reference K4/K5 sub-block search: weights av_x + |x| with av_x the group's RMS.
void refScalesK4(const float* x, int nmax, float rmin, float rdelta, int nstep, std::uint8_t* L, float* scales, float* mins,
                 float* maxScale, float* maxMin) {
  std::uint8_t Laux[32];
  float weights[32];
  *maxScale = 0;
  *maxMin = 0;
  for (int j = 0; j < 8; ++j) {
    float sumX2 = 0;
    for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
    const float avX = std::sqrt(sumX2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = avX + std::fabs(x[32 * j + l]);
    scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, rdelta, nstep, false);
    if (scales[j] > *maxScale) *maxScale = scales[j];
    if (mins[j] > *maxMin) *maxMin = mins[j];
  }
}

/// Pack the reference K4/K5 scales: 6-bit codes of scale/maxScale and min/maxMin.
void refPackK4(const float* scales, const float* mins, float maxScale, float maxMin, std::uint8_t* y) {
  const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
  const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
  std::uint8_t* ys = y + 4;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t ls = static_cast<std::uint8_t>(nearestInt(invScale * scales[j]));
    std::uint8_t lm = static_cast<std::uint8_t>(nearestInt(invMin * mins[j]));
    ls = std::min<std::uint8_t>(63, ls);
    lm = std::min<std::uint8_t>(63, lm);
    packScaleMinK4(j, ls, lm, ys);
  }
  storeF16(y, maxScale / 63.f);
  storeF16(y + 2, maxMin / 63.f);
}

/// The importance-weighted K4/K5 search: weights qw·sqrt(σ² + x²) with σ² = 2·Σx²/256 (or
/// av_x + |x| without importance), make_qkx3_quants per group, make_qp_quants for the scales.
void weightedK4(const float* x, const float* qw, int nmax, bool clampCodes, std::uint8_t* L, std::uint8_t* y) {
  std::uint8_t Laux[32];
  std::uint8_t Ls[8], Lm[8];
  float weights[32];
  float sw[8], mins[8], scales[8];
  float sumX2 = 0;
  for (int l = 0; l < kQK; ++l) sumX2 += x[l] * x[l];
  const float sigma2 = 2.0f * sumX2 / static_cast<float>(kQK);
  const float avX = std::sqrt(sigma2);
  for (int j = 0; j < 8; ++j) {
    if (qw) {
      for (int l = 0; l < 32; ++l) weights[l] = qw[32 * j + l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
    } else {
      for (int l = 0; l < 32; ++l) weights[l] = avX + std::fabs(x[32 * j + l]);
    }
    float sumw = 0;
    for (int l = 0; l < 32; ++l) sumw += weights[l];
    sw[j] = sumw;
    scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
  }
  const float dBlock = makeQpQuants(8, 63, scales, Ls, sw);
  const float mBlock = makeQpQuants(8, 63, mins, Lm, sw);
  std::uint8_t* ys = y + 4;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t ls = Ls[j];
    std::uint8_t lm = Lm[j];
    if (clampCodes) {
      ls = std::min<std::uint8_t>(63, ls);
      lm = std::min<std::uint8_t>(63, lm);
    }
    packScaleMinK4(j, ls, lm, ys);
  }
  storeF16(y, dBlock);
  storeF16(y + 2, mBlock);
}

void packQ4K(const std::uint8_t* L, std::uint8_t* qs) {
  for (int j = 0; j < kQK; j += 64, qs += 32)
    for (int l = 0; l < 32; ++l) qs[l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
}

void packQ5K(const std::uint8_t* L, std::uint8_t* qh, std::uint8_t* ql) {
  std::memset(qh, 0, 32);
  std::uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < kQK; n += 64) {
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j];
      if (l1 > 15) {
        l1 -= 16;
        qh[j] = static_cast<std::uint8_t>(qh[j] | m1);
      }
      int l2 = L[n + j + 32];
      if (l2 > 15) {
        l2 -= 16;
        qh[j] = static_cast<std::uint8_t>(qh[j] | m2);
      }
      ql[j] = static_cast<std::uint8_t>(l1 | (l2 << 4));
    }
    m1 = static_cast<std::uint8_t>(m1 << 2);
    m2 = static_cast<std::uint8_t>(m2 << 2);
    ql += 32;
  }
}

void q4_KRef(const float* x, std::uint8_t* y, std::int64_t n) {
  std::uint8_t L[kQK];
  float scales[8], mins[8];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 144) {
    float maxScale = 0, maxMin = 0;
    refScalesK4(x, 15, -1.f, 0.1f, 20, L, scales, mins, &maxScale, &maxMin);
    refPackK4(scales, mins, maxScale, maxMin, y);
    requantizeK4(x, y + 4, fp16ToFp32(loadU16(y)), fp16ToFp32(loadU16(y + 2)), 15, L);
    packQ4K(L, y + 16);
  }
}

void q4_KWeighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow) {
  std::uint8_t L[kQK];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 144) {
    weightedK4(x, qwRow + kQK * i, 15, false, L, y);
    requantizeK4(x, y + 4, fp16ToFp32(loadU16(y)), fp16ToFp32(loadU16(y + 2)), 15, L);
    packQ4K(L, y + 16);
  }
}

void q5_KRef(const float* x, std::uint8_t* y, std::int64_t n) {
  std::uint8_t L[kQK];
  float scales[8], mins[8];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 176) {
    float maxScale = 0, maxMin = 0;
    refScalesK4(x, 31, -0.5f, 0.1f, 15, L, scales, mins, &maxScale, &maxMin);
    refPackK4(scales, mins, maxScale, maxMin, y);
    requantizeK4(x, y + 4, fp16ToFp32(loadU16(y)), fp16ToFp32(loadU16(y + 2)), 31, L);
    packQ5K(L, y + 16, y + 48);
  }
}

void q5_KWeighted(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow) {
  std::uint8_t L[kQK];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 176) {
    weightedK4(x, qwRow + kQK * i, 31, true, L, y);
    requantizeK4(x, y + 4, fp16ToFp32(loadU16(y)), fp16ToFp32(loadU16(y + 2)), 31, L);
    packQ5K(L, y + 16, y + 48);
  }
}

/// Q6_K for both quantizers: make_qx_quants per 16-group (weights x², or the importance qw
/// itself), 8-bit group scales relative to the largest, requantize with the fp16 super scale.
void q6_K(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow) {
  std::int8_t L[kQK];
  float scales[16];
  for (std::int64_t i = 0; i < n / kQK; ++i, x += kQK, y += 210) {
    float maxScale = 0;
    float maxAbsScale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      const float* qw = qwRow ? qwRow + kQK * i + 16 * ib : nullptr;
      const float scale = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw);
      scales[ib] = scale;
      const float absScale = std::fabs(scale);
      if (absScale > maxAbsScale) {
        maxAbsScale = absScale;
        maxScale = scale;
      }
    }
    std::uint8_t* ql = y;
    std::uint8_t* qh = y + 128;
    auto* ys = y + 192;  // int8 scales[16]
    if (maxAbsScale < kGroupMaxEps) {
      std::memset(y, 0, 210);
      storeF16(y + 208, 0.f);
      continue;
    }
    const float iscale = -128.f / maxScale;
    storeF16(y + 208, 1.0f / iscale);
    for (int ib = 0; ib < 16; ++ib)
      ys[ib] = static_cast<std::uint8_t>(static_cast<std::int8_t>(std::min(127, nearestInt(iscale * scales[ib]))));
    const float dAll = fp16ToFp32(loadU16(y + 208));
    for (int j = 0; j < 16; ++j) {
      const float d = dAll * static_cast<float>(static_cast<std::int8_t>(ys[j]));
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearestInt(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<std::int8_t>(clampInt(l, -32, 31) + 32);
      }
    }
    for (int j = 0; j < kQK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l + 0] & 0xF;
        const int q2 = L[j + l + 32] & 0xF;
        const int q3 = L[j + l + 64] & 0xF;
        const int q4 = L[j + l + 96] & 0xF;
        ql[l + 0] = static_cast<std::uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<std::uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<std::uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                          ((L[j + l + 96] >> 4) << 6));
      }
      ql += 64;
      qh += 32;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IQ4_NL / IQ4_XS: quantize_row_iq4_nl_impl. One super-block of `superSize` elements in
// 32-element groups; `L` persists between calls like ggml's caller-owned buffer (a group whose
// |x| < 1e-15 keeps the previous codes until they are recomputed).

void iq4Impl(int superSize, const float* x, std::uint8_t* dh, std::uint8_t* q4, std::uint8_t* scalesH,
             std::uint8_t* scalesL, float* scales, const float* quantWeights, int ntry, std::uint8_t* L) {
  constexpr int kBlock = 32;
  float weight[kBlock];
  const auto& values = kIq4nlValues;
  float sigma2 = 0;
  for (int j = 0; j < superSize; ++j) sigma2 += x[j] * x[j];
  sigma2 *= 2.f / static_cast<float>(superSize);

  std::memset(q4, 0, static_cast<std::size_t>(superSize / 2));
  storeF16(dh, 0.f);

  float maxScale = 0, amaxScale = 0;
  for (int ib = 0; ib < superSize / kBlock; ++ib) {
    const float* xb = x + ib * kBlock;
    std::uint8_t* Lb = L + ib * kBlock;
    if (quantWeights) {
      const float* qw = quantWeights + ib * kBlock;
      for (int j = 0; j < kBlock; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
    } else {
      for (int j = 0; j < kBlock; ++j) weight[j] = xb[j] * xb[j];
    }
    float amax = 0, max = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax < kGroupMaxEps) {
      scales[ib] = 0;
      continue;
    }
    const float v0 = static_cast<float>(values[0]);
    float d = ntry > 0 ? -max / v0 : max / v0;
    float id = 1.0f / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float al = id * xb[j];
      const int l = bestIndexIq4(al);
      Lb[j] = static_cast<std::uint8_t>(l);
      const float q = static_cast<float>(values[l]);
      const float w = weight[j];
      sumqx += w * q * xb[j];
      sumq2 += w * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
    float best = d * sumqx;
    for (int itry = -ntry; itry <= ntry; ++itry) {
      id = static_cast<float>(itry + values[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kBlock; ++j) {
        const float al = id * xb[j];
        const int l = bestIndexIq4(al);
        const float q = static_cast<float>(values[l]);
        const float w = weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    const float absD = std::fabs(d);
    if (absD > amaxScale) {
      amaxScale = absD;
      maxScale = d;
    }
  }

  if (superSize / kBlock > 1) {
    const int nb = superSize / kBlock;
    std::memset(scalesH, 0, static_cast<std::size_t>((nb + 7) / 8) * 2);
    std::uint16_t sh = 0;
    const float d = -maxScale / 32.0f;
    storeF16(dh, d);
    const float id = d != 0.0f ? 1.0f / d : 0.f;
    for (int ib = 0; ib < nb; ++ib) {
      int l = nearestInt(id * scales[ib]);
      l = clampInt(l, -32, 31);
      const float dl = d * static_cast<float>(l);
      const float idl = dl != 0.0f ? 1.0f / dl : 0.f;
      std::uint8_t* Lb = L + ib * kBlock;
      const float* xb = x + ib * kBlock;
      for (int j = 0; j < kBlock; ++j) Lb[j] = static_cast<std::uint8_t>(bestIndexIq4(idl * xb[j]));
      l += 32;
      const auto lLow = static_cast<std::uint8_t>(l & 0xf);
      const auto lHigh = static_cast<std::uint8_t>(l >> 4);
      if (ib % 2 == 0) scalesL[ib / 2] = lLow;
      else scalesL[ib / 2] = static_cast<std::uint8_t>(scalesL[ib / 2] | (lLow << 4));
      sh = static_cast<std::uint16_t>(sh | (lHigh << 2 * (ib % 8)));
    }
    storeU16(scalesH, sh);  // nb = 8 for IQ4_XS: one uint16
  } else {
    storeF16(dh, scales[0]);
    if (ntry > 0) {
      const float id = scales[0] != 0.0f ? 1.0f / scales[0] : 0;
      for (int j = 0; j < superSize; ++j) L[j] = static_cast<std::uint8_t>(bestIndexIq4(id * x[j]));
    }
  }

  for (int i = 0; i < superSize / 32; ++i)
    for (int j = 0; j < 16; ++j) q4[16 * i + j] = static_cast<std::uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

/// quantize_iq4_nl (ntry 7) or quantize_row_iq4_nl_ref (ntry -1) over one row; L carries over
/// from block to block as in ggml.
void iq4nlRow(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow, int ntry, std::uint8_t* L) {
  float scale = 0;
  for (std::int64_t ibl = 0; ibl < n / 32; ++ibl) {
    const float* qw = qwRow ? qwRow + 32 * ibl : nullptr;
    std::uint8_t* yb = y + 18 * ibl;
    iq4Impl(32, x + 32 * ibl, yb, yb + 2, nullptr, nullptr, &scale, qw, ntry, L);
  }
}

void iq4xsRow(const float* x, std::uint8_t* y, std::int64_t n, const float* qwRow, std::uint8_t* L) {
  float scales[kQK / 32];
  for (std::int64_t ibl = 0; ibl < n / kQK; ++ibl) {
    const float* qw = qwRow ? qwRow + kQK * ibl : nullptr;
    std::uint8_t* yb = y + 136 * ibl;
    iq4Impl(kQK, x + kQK * ibl, yb, yb + 8, yb + 2, yb + 4, scales, qw, 7, L);
  }
}

// ---------------------------------------------------------------------------------------------

/// Per-thread state ggml keeps in caller-owned buffers: the IQ4 code buffer L, zero at the start
/// of a chunk (ggml's is uninitialised stack memory; it is only ever read before being written
/// for an all-zero first group, whose bytes then depend on that memory in ggml).
struct RowState {
  std::array<std::uint8_t, kQK> iq4L{};
};

/// One row, as ggml_quantize_chunk does it. `qw` is the row's importance or nullptr.
void quantizeRow(Type t, const float* x, std::int64_t n, const float* qw, std::uint8_t* y, bool reference, RowState& st) {
  switch (t) {
    case Type::F32: std::memcpy(y, x, static_cast<std::size_t>(n) * 4); break;
    case Type::F16:
      for (std::int64_t i = 0; i < n; ++i) storeU16(y + 2 * i, fp32ToFp16(x[i]));
      break;
    case Type::BF16:
      for (std::int64_t i = 0; i < n; ++i) storeU16(y + 2 * i, fp32ToBf16(x[i]));
      break;
    case Type::Q8_0: q8_0Ref(x, y, n); break;
    case Type::Q4_0: qw ? q4_0Weighted(x, y, n, qw) : q4_0Ref(x, y, n); break;
    case Type::Q4_1: qw ? q4_1Weighted(x, y, n, qw) : q4_1Ref(x, y, n); break;
    case Type::Q5_0: qw ? q5_0Weighted(x, y, n, qw) : q5_0Ref(x, y, n); break;
    case Type::Q5_1: qw ? q5_1Weighted(x, y, n, qw) : q5_1Ref(x, y, n); break;
    case Type::Q2_K: qw ? q2_KWeighted(x, y, n, qw) : q2_KRef(x, y, n); break;
    case Type::Q3_K: qw ? q3_KWeighted(x, y, n, qw) : q3_KRef(x, y, n); break;
    case Type::Q4_K: qw ? q4_KWeighted(x, y, n, qw) : q4_KRef(x, y, n); break;
    case Type::Q5_K: qw ? q5_KWeighted(x, y, n, qw) : q5_KRef(x, y, n); break;
    case Type::Q6_K: q6_K(x, y, n, qw); break;
    case Type::IQ4_NL: iq4nlRow(x, y, n, qw, reference ? -1 : 7, st.iq4L.data()); break;
    case Type::IQ4_XS: iq4xsRow(x, y, n, qw, st.iq4L.data()); break;
    default: break;  // rejected by checkArgs
  }
}

Status checkArgs(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols, std::span<const float> importance,
                 std::span<std::uint8_t> dst) {
  const TypeInfo& info = typeInfo(t);
  if (!canQuantize(t)) return makeError("ggml quantize: Quench cannot write type " + std::string(info.name));
  if (rows < 0 || cols <= 0) return makeError("ggml quantize: invalid shape " + std::to_string(rows) + "×" + std::to_string(cols));
  if (cols % info.blockSize != 0)
    return makeError("ggml quantize: a row of " + std::to_string(cols) + " elements is not a multiple of the " +
                     std::string(info.name) + " block size " + std::to_string(info.blockSize));
  const auto count = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols);
  if (static_cast<std::uint64_t>(rows) > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(cols) ||
      src.size() != count)
    return makeError("ggml quantize: " + std::to_string(src.size()) + " values for " + std::to_string(rows) + "×" +
                     std::to_string(cols));
  const auto rb = rowBytes(t, static_cast<std::uint64_t>(cols));
  if (!rb || dst.size() != *rb * static_cast<std::uint64_t>(rows))
    return makeError("ggml quantize: output buffer of " + std::to_string(dst.size()) + " bytes does not fit " +
                     std::to_string(rows) + " rows of " + std::string(info.name));
  if (!importance.empty() && importance.size() != static_cast<std::uint64_t>(cols))
    return makeError("ggml quantize: " + std::to_string(importance.size()) + " importance weights for rows of " +
                     std::to_string(cols));
  for (std::size_t j = 0; j < importance.size(); ++j)
    if (!std::isfinite(importance[j]))
      return makeError("ggml quantize: importance weight of column " + std::to_string(j) + " is not finite");
  return {};
}

/// Non-finite inputs make ggml's float → int conversions meaningless; refuse them with the place.
Status checkFinite(const float* x, std::int64_t n, std::int64_t row) {
  for (std::int64_t j = 0; j < n; ++j)
    if (!std::isfinite(x[j]))
      return makeError("ggml quantize: value at row " + std::to_string(row) + ", column " + std::to_string(j) +
                       " is not finite");
  return {};
}

Status quantizeRange(Type t, std::span<const float> src, std::int64_t row0, std::int64_t row1, std::int64_t cols,
                     const float* qw, std::span<std::uint8_t> dst, bool reference) {
  const std::uint64_t rb = *rowBytes(t, static_cast<std::uint64_t>(cols));
  RowState st;
  for (std::int64_t r = row0; r < row1; ++r) {
    const float* x = src.data() + r * cols;
    if (auto s = checkFinite(x, cols, r); !s) return s;
    quantizeRow(t, x, cols, qw, dst.data() + static_cast<std::uint64_t>(r) * rb, reference, st);
  }
  return {};
}

}  // namespace

std::span<const Type> quantizableTypes() { return kQuantizable; }

bool canQuantize(Type t) { return std::find(kQuantizable.begin(), kQuantizable.end(), t) != kQuantizable.end(); }

bool usesImportance(Type t) {
  return canQuantize(t) && t != Type::F32 && t != Type::F16 && t != Type::BF16 && t != Type::Q8_0;
}

Status quantizeRows(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols, std::span<const float> importance,
                    std::span<std::uint8_t> dst) {
  if (auto s = checkArgs(t, src, rows, cols, importance, dst); !s) return s;
  return quantizeRange(t, src, 0, rows, cols, importance.empty() ? nullptr : importance.data(), dst, false);
}

Status quantizeRowsReference(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols,
                             std::span<std::uint8_t> dst) {
  if (auto s = checkArgs(t, src, rows, cols, {}, dst); !s) return s;
  return quantizeRange(t, src, 0, rows, cols, nullptr, dst, true);
}

Status quantizeMatrix(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols, std::span<const float> importance,
                      std::span<std::uint8_t> dst, const Work& work) {
  if (auto s = checkArgs(t, src, rows, cols, importance, dst); !s) return s;
  const float* qw = importance.empty() ? nullptr : importance.data();
  // Chunks of about 64 Ki elements: small enough to spread a 4096-row matrix over every core and
  // to notice a stop request within milliseconds, large enough to amortise the task.
  const std::int64_t grain = std::max<std::int64_t>(1, 65536 / cols);
  std::atomic<std::int64_t> done{0};
  std::atomic<bool> failed{false};
  std::string firstError;
  std::atomic_flag errorTaken = ATOMIC_FLAG_INIT;
  exec::parallelFor(0, static_cast<std::size_t>(rows), static_cast<std::size_t>(grain), [&](exec::Range r) {
    if (failed.load(std::memory_order_relaxed) || work.cancelled()) return;
    Status s = quantizeRange(t, src, static_cast<std::int64_t>(r.begin), static_cast<std::int64_t>(r.end), cols, qw,
                             dst, false);
    if (!s) {
      failed = true;
      if (!errorTaken.test_and_set()) firstError = s.error().message;
      return;
    }
    const std::int64_t now = done.fetch_add(static_cast<std::int64_t>(r.size())) + static_cast<std::int64_t>(r.size());
    work.report(static_cast<double>(now), static_cast<double>(rows));
  });
  if (failed) return makeError(firstError);
  if (work.cancelled()) return makeError("ggml quantize: cancelled");
  return {};
}

Status validateRowData(Type t, std::span<const std::uint8_t> data) {
  const TypeInfo& info = typeInfo(t);
  if (data.size() % info.blockBytes != 0)
    return makeError("ggml validate: " + std::to_string(data.size()) + " bytes are not whole " + std::string(info.name) + " blocks");
  const std::size_t nb = data.size() / info.blockBytes;
  auto badHalf = [](std::uint16_t h) { return (h & 0x7c00u) == 0x7c00u; };  // inf or NaN
  auto fail = [&](std::size_t b, const char* what) {
    return makeError("ggml validate: " + std::string(info.name) + " block " + std::to_string(b) + ": " + what + " is not finite");
  };
  // Offsets of the fp16 fields (d, and m/dmin where present) inside each block.
  int o1 = -1, o2 = -1;
  switch (t) {
    case Type::F32:
      for (std::size_t i = 0; i < nb; ++i) {
        float f;
        std::memcpy(&f, data.data() + 4 * i, 4);
        if (!std::isfinite(f)) return fail(i, "value");
      }
      return {};
    case Type::F16:
      for (std::size_t i = 0; i < nb; ++i)
        if (badHalf(loadU16(data.data() + 2 * i))) return fail(i, "value");
      return {};
    case Type::BF16:
      for (std::size_t i = 0; i < nb; ++i)
        if ((loadU16(data.data() + 2 * i) & 0x7f80u) == 0x7f80u) return fail(i, "value");
      return {};
    case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: case Type::IQ4_NL: case Type::IQ4_XS: o1 = 0; break;
    case Type::Q4_1: case Type::Q5_1: case Type::Q4_K: case Type::Q5_K: o1 = 0; o2 = 2; break;
    case Type::Q2_K: o1 = 80; o2 = 82; break;
    case Type::Q3_K: o1 = 108; break;
    case Type::Q6_K: o1 = 208; break;
    default: return makeError("ggml validate: type " + std::string(info.name) + " is not checked by Quench");
  }
  for (std::size_t i = 0; i < nb; ++i) {
    const std::uint8_t* b = data.data() + i * info.blockBytes;
    if (badHalf(loadU16(b + o1))) return fail(i, "scale d");
    if (o2 >= 0 && badHalf(loadU16(b + o2))) return fail(i, "min/dmin");
  }
  return {};
}

std::uint16_t fp32ToFp16(float f) {
  const std::uint32_t w = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((w >> 16) & 0x8000u);
  const std::uint32_t a = w & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);  // NaN
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // ≥ 65520 rounds to inf
  if (a >= 0x38800000u) {                                                   // normal half
    const std::uint32_t exp = (a >> 23) - 127 + 15;
    const std::uint32_t mant = a & 0x7fffffu;
    std::uint32_t h = (exp << 10) | (mant >> 13);
    const std::uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // the carry may roll into the exponent
    return static_cast<std::uint16_t>(sign | h);
  }
  if (a <= 0x33000000u) return sign;  // ≤ 2^-25: rounds (to even) to zero
  // Subnormal half: units of 2^-24; value = mant·2^(exp−150), so q = mant >> (126 − exp).
  const std::uint32_t exp = a >> 23;
  const std::uint32_t mant = (a & 0x7fffffu) | 0x800000u;
  const std::uint32_t shift = 126 - exp;
  std::uint32_t q = mant >> shift;
  const std::uint32_t rem = mant & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return static_cast<std::uint16_t>(sign | q);
}

std::uint16_t fp32ToBf16(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 64u);
  return static_cast<std::uint16_t>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

}  // namespace quench::ggml
