// Decoders of llama.cpp's block formats (MATH.md §12), written from the layouts in ggml-common.h
// and the reference dequantize_row_* of ggml-quants.c. Each decoder turns one block at `b` into
// its blockSize(t) floats at `y`, with the same float32 operations in the same order as the
// reference (x·d + m is a product rounded to float and then a sum rounded to float: this file is
// compiled with -ffp-contract=off so that no compiler fuses them). The generic loop over blocks
// inlines the per-block function, whose fixed-length inner loops auto-vectorize.
// Length (~640 lines): one table, a decoder per block type of §12, sharing the grids and sign
// tables of the IQ types and the one -ffp-contract=off setting; split by family it would scatter
// what a reviewer compares against ggml-common.h side by side.
#include "core/io/ggml_blocks.h"

#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>

namespace quench {
namespace {

#include "core/io/ggml_tables.inc"

// ggml's type ids (ggml.h, enum ggml_type) with ggml's names and block geometry.
constexpr std::array<GgmlType, 35> kGgmlTypes{{
    {0, "F32", 1, 4, DType::F32, ""},
    {1, "F16", 1, 2, DType::F16, ""},
    {2, "Q4_0", 32, 18, DType::Q4_0, "blocks of 32: fp16 d, 4-bit q; x = d*(q-8)"},
    {3, "Q4_1", 32, 20, DType::Q4_1, "blocks of 32: fp16 d and m, 4-bit q; x = d*q + m"},
    {6, "Q5_0", 32, 22, DType::Q5_0, "blocks of 32: fp16 d, 5-bit q; x = d*(q-16)"},
    {7, "Q5_1", 32, 24, DType::Q5_1, "blocks of 32: fp16 d and m, 5-bit q; x = d*q + m"},
    {8, "Q8_0", 32, 34, DType::Q8_0, "blocks of 32: fp16 d, int8 q; x = d*q"},
    {9, "Q8_1", 32, 36, DType::Q8_1, "blocks of 32: fp16 d and d*sum(q), int8 q; x = d*q"},
    {10, "Q2_K", 256, 84, DType::Q2_K, "super-blocks of 256: 16 x 16 with 4-bit scale and min, 2-bit q; fp16 d, dmin"},
    {11, "Q3_K", 256, 110, DType::Q3_K, "super-blocks of 256: 16 x 16 with 6-bit scales, 3-bit q; fp16 d"},
    {12, "Q4_K", 256, 144, DType::Q4_K, "super-blocks of 256: 8 x 32 with 6-bit scale and min, 4-bit q; fp16 d, dmin"},
    {13, "Q5_K", 256, 176, DType::Q5_K, "super-blocks of 256: 8 x 32 with 6-bit scale and min, 5-bit q; fp16 d, dmin"},
    {14, "Q6_K", 256, 210, DType::Q6_K, "super-blocks of 256: 16 x 16 with int8 scales, 6-bit q; fp16 d"},
    {15, "Q8_K", 256, 292, DType::Q8_K, "super-blocks of 256: float32 d, int8 q, 16 int16 sums"},
    {16, "IQ2_XXS", 256, 66, DType::IQ2_XXS, "super-blocks of 256: 8-value codes from a 256-entry grid, 7-bit sign patterns, 4-bit scales; fp16 d"},
    {17, "IQ2_XS", 256, 74, DType::IQ2_XS, "super-blocks of 256: 8-value codes from a 512-entry grid, 7-bit sign patterns, 4-bit scales; fp16 d"},
    {18, "IQ3_XXS", 256, 98, DType::IQ3_XXS, "super-blocks of 256: 4-value codes from a 256-entry grid, 7-bit sign patterns, 4-bit scales; fp16 d"},
    {19, "IQ1_S", 256, 50, DType::IQ1_S, "super-blocks of 256: 8-value ternary codes from a 2048-entry grid, shift +-1/8, 3-bit scales; fp16 d"},
    {20, "IQ4_NL", 32, 18, DType::IQ4_NL, "blocks of 32: fp16 d, 4-bit indices into a 16-value non-linear code book"},
    {21, "IQ3_S", 256, 110, DType::IQ3_S, "super-blocks of 256: 4-value codes from a 512-entry grid, sign bits, 4-bit scales; fp16 d"},
    {22, "IQ2_S", 256, 82, DType::IQ2_S, "super-blocks of 256: 8-value codes from a 1024-entry grid, sign bits, 4-bit scales; fp16 d"},
    {23, "IQ4_XS", 256, 136, DType::IQ4_XS, "super-blocks of 256: 8 x 32 with 6-bit scales, 4-bit non-linear code-book indices; fp16 d"},
    {24, "I8", 1, 1, DType::I8, ""},
    {25, "I16", 1, 2, DType::I16, ""},
    {26, "I32", 1, 4, DType::I32, ""},
    {27, "I64", 1, 8, DType::I64, ""},
    {28, "F64", 1, 8, DType::F64, ""},
    {29, "IQ1_M", 256, 56, DType::IQ1_M, "super-blocks of 256: 8-value ternary codes from a 2048-entry grid, shift +-1/8, 3-bit scales per 16; fp16 d"},
    {30, "BF16", 1, 2, DType::BF16, ""},
    {34, "TQ1_0", 256, 54, DType::TQ1_0, "super-blocks of 256: ternary q in {-1, 0, 1}, 5 per byte; fp16 d"},
    {35, "TQ2_0", 256, 66, DType::TQ2_0, "super-blocks of 256: ternary q in {-1, 0, 1}, 2 bits each; fp16 d"},
    {39, "MXFP4", 32, 17, DType::MXFP4, "blocks of 32: E8M0 scale, E2M1 values (OCP MX)"},
    {40, "NVFP4", 64, 36, DType::NVFP4, "blocks of 64: 4 UE4M3 scales (one per 16), E2M1 values"},
    {41, "Q1_0", 128, 18, DType::Q1_0, "blocks of 128: fp16 d, 1 bit each; x = +-d"},
    {42, "Q2_0", 64, 18, DType::Q2_0, "blocks of 64: fp16 d, 2-bit q; x = d*(q-1)"},
}};

// ---------------------------------------------------------------------------------------------
// Little-endian fields (no alignment assumed).

inline std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline float f16(const std::uint8_t* p) { return halfToFloat(u16(p)); }
inline float f32(const std::uint8_t* p) { return std::bit_cast<float>(u32(p)); }

/// Byte j of a grid entry: the code of element j (the tables store element j in bits 8j..8j+7).
template <class T>
inline std::uint8_t gridByte(T entry, int j) { return static_cast<std::uint8_t>(entry >> (8 * j)); }

/// ±1 from bit j of a sign byte: set means negative.
inline float signOf(std::uint8_t signs, int j) { return (signs >> j) & 1 ? -1.0f : 1.0f; }

/// E8M0 scale halved (MXFP4's codes are twice the E2M1 values): 2^(e−128) as float bits, with
/// e = 0 and 1 the subnormals 2^−128 and 2^−127.
inline float e8m0Half(std::uint8_t e) {
  const std::uint32_t bits = e < 2 ? 0x00200000u << e : static_cast<std::uint32_t>(e - 1) << 23;
  return std::bit_cast<float>(bits);
}

/// Unsigned E4M3 scale of NVFP4 (bias 7, no sign; the top bit is ignored), halved like e8m0Half.
/// 0x00 and 0x7F decode to 0.
inline float ue4m3Half(std::uint8_t x) {
  if (x == 0 || x == 0x7F) return 0.0f;
  const int exp = (x >> 3) & 0xF;
  const int man = x & 0x7;
  const float raw = exp == 0 ? std::ldexp(static_cast<float>(man), -9)
                             : std::ldexp(1.0f + static_cast<float>(man) / 8.0f, exp - 7);
  return raw * 0.5f;
}

/// Scale and min j (0..7) of the 12 packed 6-bit values of Q4_K/Q5_K.
inline void scaleMinK4(int j, const std::uint8_t* q, std::uint8_t& sc, std::uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// ---------------------------------------------------------------------------------------------
// 32-element blocks. Low nibble of byte j is element j, high nibble element j + 16.

// Q4_0 (18 B): fp16 d, 16 B of nibbles; x = (q − 8)·d.
void blockQ4_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1 (20 B): fp16 d, fp16 m, 16 B of nibbles; x = q·d + m.
void blockQ4_1(const std::uint8_t* b, float* y) {
  const float d = f16(b), m = f16(b + 2);
  const std::uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0 (22 B): fp16 d, 32 high bits (bit j of the little-endian word is element j's fifth bit),
// 16 B of nibbles; x = (q − 16)·d.
void blockQ5_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint32_t qh = u32(b + 2);
  const std::uint8_t* qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
    const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
    y[j] = static_cast<float>(((qs[j] & 0x0F) | h0) - 16) * d;
    y[j + 16] = static_cast<float>(((qs[j] >> 4) | h1) - 16) * d;
  }
}

// Q5_1 (24 B): fp16 d, fp16 m, 32 high bits, 16 B of nibbles; x = q·d + m.
void blockQ5_1(const std::uint8_t* b, float* y) {
  const float d = f16(b), m = f16(b + 2);
  const std::uint32_t qh = u32(b + 4);
  const std::uint8_t* qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
    const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
    y[j] = static_cast<float>((qs[j] & 0x0F) | h0) * d + m;
    y[j + 16] = static_cast<float>((qs[j] >> 4) | h1) * d + m;
  }
}

// Q8_0 (34 B): fp16 d, 32 int8; x = q·d.
void blockQ8_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<std::int8_t>(b[2 + j])) * d;
}

// Q8_1 (36 B): fp16 d, fp16 d·Σq (a cache for dot products), 32 int8; x = q·d. llama.cpp has no
// dequantize_row_q8_1: this is Q8_0's formula, which is what quantize_row_q8_1_ref inverts.
void blockQ8_1(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<std::int8_t>(b[4 + j])) * d;
}

// IQ4_NL (18 B): fp16 d, 16 B of nibbles indexing the non-linear code book; x = d·k[q].
void blockIQ4_NL(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(kValuesIq4nl[qs[j] & 0x0F]);
    y[j + 16] = d * static_cast<float>(kValuesIq4nl[qs[j] >> 4]);
  }
}

// MXFP4 (17 B): E8M0 exponent e, 16 B of E2M1 nibbles; x = k[q]·2^(e−128), k = 2·E2M1.
void blockMXFP4(const std::uint8_t* b, float* y) {
  const float d = e8m0Half(b[0]);
  const std::uint8_t* qs = b + 1;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(kValuesFp4[qs[j] & 0x0F]) * d;
    y[j + 16] = static_cast<float>(kValuesFp4[qs[j] >> 4]) * d;
  }
}

// NVFP4 (36 B, 64 elements): four UE4M3 scales, one per 16 elements, then 4 × 8 B of E2M1
// nibbles; within a sub-block of 16, low nibble of byte j is element j, high nibble j + 8.
void blockNVFP4(const std::uint8_t* b, float* y) {
  const std::uint8_t* qs = b + 4;
  for (int s = 0; s < 4; ++s) {
    const float d = ue4m3Half(b[s]);
    float* ys = y + 16 * s;
    for (int j = 0; j < 8; ++j) {
      const std::uint8_t q = qs[8 * s + j];
      ys[j] = static_cast<float>(kValuesFp4[q & 0x0F]) * d;
      ys[j + 8] = static_cast<float>(kValuesFp4[q >> 4]) * d;
    }
  }
}

// Q1_0 (18 B, 128 elements): fp16 d, one bit per element (bit j%8 of byte j/8); x = ±d.
void blockQ1_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const float negD = -d;
  for (int j = 0; j < 128; ++j) y[j] = (b[2 + j / 8] >> (j % 8)) & 1 ? d : negD;
}

// Q2_0 (18 B, 64 elements): fp16 d, two bits per element (bits 2(j%4) of byte j/4); x = (q − 1)·d.
void blockQ2_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  for (int j = 0; j < 64; ++j) {
    const int q = (b[2 + j / 4] >> (2 * (j % 4))) & 3;
    y[j] = static_cast<float>(q - 1) * d;
  }
}

// ---------------------------------------------------------------------------------------------
// K-quants: 256-element super-blocks.

// Q2_K (84 B): 16 scale/min bytes (low nibble scale, high nibble min, one per 16 elements), 64 B of
// 2-bit codes, fp16 d, fp16 dmin. Byte l of each 32-byte group holds elements l, l+32, l+64, l+96
// of its 128 in bits 0-1, 2-3, 4-5, 6-7. x = (d·sc)·q − dmin·m.
void blockQ2_K(const std::uint8_t* b, float* y) {
  const std::uint8_t* scales = b;
  const std::uint8_t* q = b + 16;
  const float d = f16(b + 80), dmin = f16(b + 82);
  int is = 0;
  for (int n = 0; n < 256; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; ++half) {
        const std::uint8_t sc = scales[is++];
        const float dl = d * static_cast<float>(sc & 0xF);
        const float ml = dmin * static_cast<float>(sc >> 4);
        const std::uint8_t* qq = q + 16 * half;
        for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((qq[l] >> shift) & 3) - ml;
      }
    }
    q += 32;
  }
}

// Q3_K (110 B): 32 B high-bit mask, 64 B of 2-bit codes, 12 B of sixteen 6-bit scales, fp16 d.
// x = (d·(sc − 32))·(q − 4·[high bit clear]).
void blockQ3_K(const std::uint8_t* b, float* y) {
  const std::uint8_t* hm = b;
  const std::uint8_t* q = b + 32;
  const std::uint8_t* packed = b + 96;
  const float dAll = f16(b + 108);
  // Scale i: low 4 bits from byte i (i < 8) or the high nibble of byte i − 8; high 2 bits from
  // byte 8 + i%4 at bit 2·(i/4).
  std::int8_t scales[16];
  for (int i = 0; i < 16; ++i) {
    const int low = i < 8 ? packed[i] & 0xF : packed[i - 8] >> 4;
    const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
    scales[i] = static_cast<std::int8_t>((low | (high << 4)) - 32);
  }
  int is = 0;
  std::uint8_t m = 1;
  for (int n = 0; n < 256; n += 128) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; ++half) {
        const float dl = dAll * static_cast<float>(scales[is++]);
        const std::uint8_t* qq = q + 16 * half;
        const std::uint8_t* hh = hm + 16 * half;
        for (int l = 0; l < 16; ++l) {
          const int v = ((qq[l] >> shift) & 3) - ((hh[l] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
      m = static_cast<std::uint8_t>(m << 1);
    }
    q += 32;
  }
}

// Q4_K (144 B): fp16 d, fp16 dmin, 12 B of eight 6-bit scales and mins, 128 B of nibbles. Each
// 32-byte group holds 64 elements: low nibbles the first 32, high nibbles the next 32.
// x = (d·sc)·q − dmin·m.
void blockQ4_K(const std::uint8_t* b, float* y) {
  const float d = f16(b), dmin = f16(b + 2);
  const std::uint8_t* scales = b + 4;
  const std::uint8_t* q = b + 16;
  for (int is = 0; is < 8; is += 2) {
    std::uint8_t sc, m;
    scaleMinK4(is, scales, sc, m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    scaleMinK4(is + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) y[32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
    y += 64;
    q += 32;
  }
}

// Q5_K (176 B): as Q4_K plus 32 B of fifth bits (bit 2k of byte l for element l of the k-th
// 64-group's first half, bit 2k+1 for its second half).
void blockQ5_K(const std::uint8_t* b, float* y) {
  const float d = f16(b), dmin = f16(b + 2);
  const std::uint8_t* scales = b + 4;
  const std::uint8_t* qh = b + 16;
  const std::uint8_t* ql = b + 48;
  std::uint8_t u1 = 1, u2 = 2;
  for (int is = 0; is < 8; is += 2) {
    std::uint8_t sc, m;
    scaleMinK4(is, scales, sc, m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    scaleMinK4(is + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) y[32 + l] = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    y += 64;
    ql += 32;
    u1 = static_cast<std::uint8_t>(u1 << 2);
    u2 = static_cast<std::uint8_t>(u2 << 2);
  }
}

// Q6_K (210 B): 128 B low nibbles, 64 B of high 2-bit pairs, 16 int8 scales, fp16 d.
// x = (d·sc)·(q − 32). In each 128-element half, element 32k + l (k = 0..3, l = 0..31) takes its low
// 4 bits from byte l (k = 0, 2) or l + 32 (k = 1, 3) of the half's 64 — low nibble for k < 2, high
// for k ≥ 2 — its top 2 bits from bits 2k..2k+1 of byte l of the half's 32 qh bytes, and scale
// 2k + l/16 of the half's 8. Written as 8 runs of 16 with one scale each (the reference's loop
// order interleaves the four k; the values are the same products).
void blockQ6_K(const std::uint8_t* b, float* y) {
  const std::uint8_t* ql = b;
  const std::uint8_t* qh = b + 128;
  const std::uint8_t* scRaw = b + 192;
  const float d = f16(b + 208);
  for (int n = 0; n < 2; ++n) {
    for (int k = 0; k < 4; ++k) {
      const std::uint8_t* low = ql + (k & 1) * 32;
      const int lowShift = (k >> 1) * 4;
      for (int h = 0; h < 2; ++h) {
        const float ds = d * static_cast<float>(static_cast<std::int8_t>(scRaw[8 * n + 2 * k + h]));
        float* yy = y + 32 * k + 16 * h;
        for (int i = 0; i < 16; ++i) {
          const int l = 16 * h + i;
          const int q = (((low[l] >> lowShift) & 0xF) | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;
          yy[i] = ds * static_cast<float>(q);
        }
      }
    }
    y += 128;
    ql += 64;
    qh += 32;
  }
}

// Q8_K (292 B): float32 d, 256 int8, 16 int16 block sums (not needed to decode); x = d·q.
void blockQ8_K(const std::uint8_t* b, float* y) {
  const float d = f32(b);
  for (int j = 0; j < 256; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(b[4 + j]));
}

// ---------------------------------------------------------------------------------------------
// Ternary.

/// Base-3 digit n of a TQ1_0 byte: the byte holds ⌈q·256/243⌉ for the 5-digit number q, so
/// multiplying by 3^n (mod 256) brings digit n to the top, and (v·3) >> 8 reads it (0, 1, 2).
inline float tritMinusOne(std::uint8_t byte, std::uint8_t pow3, float d) {
  const auto v = static_cast<std::uint8_t>(byte * pow3);
  const int digit = (static_cast<std::uint16_t>(v) * 3) >> 8;
  return static_cast<float>(digit - 1) * d;
}

// TQ1_0 (54 B): 48 B of five trits each, 4 B of four trits each, fp16 d; x = (t − 1)·d. Elements
// run over digit n = 0..4 of bytes 0..31, then digits 0..4 of bytes 32..47, then digits 0..3 of
// the 4 high bytes.
void blockTQ1_0(const std::uint8_t* b, float* y) {
  static constexpr std::uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const std::uint8_t* qs = b;
  const std::uint8_t* qh = b + 48;
  const float d = f16(b + 52);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) *y++ = tritMinusOne(qs[m], kPow3[n], d);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) *y++ = tritMinusOne(qs[32 + m], kPow3[n], d);
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j) *y++ = tritMinusOne(qh[j], kPow3[n], d);
}

// TQ2_0 (66 B): 64 B of 2-bit codes (byte m of each 32-byte group holds elements m, m+32, m+64,
// m+96 of its 128), fp16 d; x = (q − 1)·d.
void blockTQ2_0(const std::uint8_t* b, float* y) {
  const float d = f16(b + 64);
  for (int j = 0; j < 64; j += 32)
    for (int l = 0; l < 4; ++l)
      for (int m = 0; m < 32; ++m) *y++ = static_cast<float>(((b[j + m] >> (2 * l)) & 3) - 1) * d;
}

// ---------------------------------------------------------------------------------------------
// IQ lattice types: indices into the grids of ggml_tables.inc, sign patterns with even parity.

// IQ2_XXS (66 B): fp16 d, then per 32 elements two little-endian words: the first holds four grid
// indices (one byte each, 8 elements each), the second four 7-bit sign indices and a 4-bit scale.
void blockIQ2_XXS(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  for (int ib = 0; ib < 8; ++ib) {
    const std::uint8_t* g = b + 2 + 8 * ib;
    const std::uint32_t aux = u32(g + 4);
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f;
    for (int l = 0; l < 4; ++l) {
      const std::uint64_t grid = kIq2xxsGrid[g[l]];
      const std::uint8_t signs = kSignsIq2xs[(aux >> (7 * l)) & 127];
      for (int j = 0; j < 8; ++j) y[j] = db * static_cast<float>(gridByte(grid, j)) * signOf(signs, j);
      y += 8;
    }
  }
}

// IQ2_XS (74 B): fp16 d, 32 little-endian 16-bit codes (9-bit grid index, 7-bit sign index), 8
// scale bytes (two 4-bit scales per 32 elements).
void blockIQ2_XS(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  const std::uint8_t* scales = b + 66;
  for (int ib = 0; ib < 8; ++ib) {
    const float db[2] = {d * (0.5f + static_cast<float>(scales[ib] & 0xF)) * 0.25f,
                         d * (0.5f + static_cast<float>(scales[ib] >> 4)) * 0.25f};
    for (int l = 0; l < 4; ++l) {
      const std::uint16_t code = u16(qs + 2 * (4 * ib + l));
      const std::uint64_t grid = kIq2xsGrid[code & 511];
      const std::uint8_t signs = kSignsIq2xs[code >> 9];
      for (int j = 0; j < 8; ++j) y[j] = db[l / 2] * static_cast<float>(gridByte(grid, j)) * signOf(signs, j);
      y += 8;
    }
  }
}

// IQ2_S (82 B): fp16 d, 32 B low grid-index bytes, 32 B of explicit sign bytes, 8 B of high index
// bits (2 per 8 elements), 8 scale bytes.
void blockIQ2_S(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  const std::uint8_t* signs = b + 34;
  const std::uint8_t* qh = b + 66;
  const std::uint8_t* scales = b + 74;
  for (int ib = 0; ib < 8; ++ib) {
    const float db[2] = {d * (0.5f + static_cast<float>(scales[ib] & 0xF)) * 0.25f,
                         d * (0.5f + static_cast<float>(scales[ib] >> 4)) * 0.25f};
    for (int l = 0; l < 4; ++l) {
      const float dl = db[l / 2];
      const std::uint64_t grid = kIq2sGrid[qs[l] | ((qh[ib] << (8 - 2 * l)) & 0x300)];
      for (int j = 0; j < 8; ++j) y[j] = dl * static_cast<float>(gridByte(grid, j)) * signOf(signs[l], j);
      y += 8;
    }
    qs += 4;
    signs += 4;
  }
}

// IQ3_XXS (98 B): fp16 d, 64 grid-index bytes (4 elements each), then per 32 elements a
// little-endian word of four 7-bit sign indices and a 4-bit scale.
void blockIQ3_XXS(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  const std::uint8_t* scalesAndSigns = b + 66;
  for (int ib = 0; ib < 8; ++ib) {
    const std::uint32_t aux = u32(scalesAndSigns + 4 * ib);
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
    for (int l = 0; l < 4; ++l) {
      const std::uint8_t signs = kSignsIq2xs[(aux >> (7 * l)) & 127];
      const std::uint32_t g1 = kIq3xxsGrid[qs[2 * l]];
      const std::uint32_t g2 = kIq3xxsGrid[qs[2 * l + 1]];
      for (int j = 0; j < 4; ++j) {
        y[j] = db * static_cast<float>(gridByte(g1, j)) * signOf(signs, j);
        y[j + 4] = db * static_cast<float>(gridByte(g2, j)) * signOf(signs, j + 4);
      }
      y += 8;
    }
    qs += 8;
  }
}

// IQ3_S (110 B): fp16 d, 64 low grid-index bytes, 8 B of ninth index bits, 32 B of sign bytes,
// 4 B of 4-bit scales (one per 32 elements); x = d·(1 + 2·sc)·grid·sign.
void blockIQ3_S(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  const std::uint8_t* qh = b + 66;
  const std::uint8_t* signs = b + 74;
  const std::uint8_t* scales = b + 106;
  for (int ib = 0; ib < 8; ib += 2) {
    const float db[2] = {d * static_cast<float>(1 + 2 * (scales[ib / 2] & 0xF)),
                         d * static_cast<float>(1 + 2 * (scales[ib / 2] >> 4))};
    for (int half = 0; half < 2; ++half) {
      const int h = qh[half];
      for (int l = 0; l < 4; ++l) {
        const std::uint32_t g1 = kIq3sGrid[qs[2 * l] | ((h << (8 - 2 * l)) & 256)];
        const std::uint32_t g2 = kIq3sGrid[qs[2 * l + 1] | ((h << (7 - 2 * l)) & 256)];
        for (int j = 0; j < 4; ++j) {
          y[j] = db[half] * static_cast<float>(gridByte(g1, j)) * signOf(signs[l], j);
          y[j + 4] = db[half] * static_cast<float>(gridByte(g2, j)) * signOf(signs[l], j + 4);
        }
        y += 8;
      }
      qs += 8;
      signs += 4;
    }
    qh += 2;
  }
}

constexpr float kIq1Delta = 0.125f;  // IQ1S_DELTA = IQ1M_DELTA

// IQ1_S (50 B): fp16 d, 32 low grid-index bytes, 8 little-endian 16-bit words (per 32 elements:
// four 3-bit high index parts, a 3-bit scale, the sign of the shift δ); x = dl·(grid + ±δ),
// grid values −1, 0, 1.
void blockIQ1_S(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint8_t* qs = b + 2;
  const std::uint8_t* qhRaw = b + 34;
  for (int ib = 0; ib < 8; ++ib) {
    const std::uint16_t qh = u16(qhRaw + 2 * ib);
    const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
    const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
    for (int l = 0; l < 4; ++l) {
      const std::uint64_t grid = kIq1sGrid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
      for (int j = 0; j < 8; ++j)
        y[j] = dl * (static_cast<float>(static_cast<std::int8_t>(gridByte(grid, j))) + delta);
      y += 8;
    }
    qs += 4;
  }
}

// IQ1_M (56 B): 32 low grid-index bytes, 16 B of (3 high index bits + δ sign) nibbles, 8 B of
// 3-bit scales whose top nibbles together hold the fp16 super-block scale.
void blockIQ1_M(const std::uint8_t* b, float* y) {
  const std::uint8_t* qs = b;
  const std::uint8_t* qh = b + 32;
  const std::uint16_t sc[4] = {u16(b + 48), u16(b + 50), u16(b + 52), u16(b + 54)};
  const auto scaleBits = static_cast<std::uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) |
                                                    ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));
  const float d = halfToFloat(scaleBits);
  for (int ib = 0; ib < 8; ++ib) {
    const float dl1 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1);
    const float dl2 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
    const int idx[4] = {qs[0] | ((qh[0] << 8) & 0x700), qs[1] | ((qh[0] << 4) & 0x700),
                        qs[2] | ((qh[1] << 8) & 0x700), qs[3] | ((qh[1] << 4) & 0x700)};
    const float delta[4] = {qh[0] & 0x08 ? -kIq1Delta : kIq1Delta, qh[0] & 0x80 ? -kIq1Delta : kIq1Delta,
                            qh[1] & 0x08 ? -kIq1Delta : kIq1Delta, qh[1] & 0x80 ? -kIq1Delta : kIq1Delta};
    for (int l = 0; l < 4; ++l) {
      const float dl = l < 2 ? dl1 : dl2;
      const std::uint64_t grid = kIq1sGrid[idx[l]];
      for (int j = 0; j < 8; ++j)
        y[j] = dl * (static_cast<float>(static_cast<std::int8_t>(gridByte(grid, j))) + delta[l]);
      y += 8;
    }
    qs += 4;
    qh += 2;
  }
}

// IQ4_XS (136 B): fp16 d, 16-bit high scale bits (2 per 32 elements), 4 B of low scale nibbles,
// 128 B of code-book nibbles (per 32 elements: low nibbles first 16, high nibbles next 16);
// x = (d·(ls − 32))·k[q].
void blockIQ4_XS(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint16_t scalesH = u16(b + 2);
  const std::uint8_t* scalesL = b + 4;
  const std::uint8_t* qs = b + 8;
  for (int ib = 0; ib < 8; ++ib) {
    const int ls = ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
    const float dl = d * static_cast<float>(ls - 32);
    for (int j = 0; j < 16; ++j) {
      y[j] = dl * static_cast<float>(kValuesIq4nl[qs[j] & 0xF]);
      y[j + 16] = dl * static_cast<float>(kValuesIq4nl[qs[j] >> 4]);
    }
    y += 32;
    qs += 16;
  }
}

// ---------------------------------------------------------------------------------------------

using BlockFn = void (*)(const std::uint8_t*, float*);

/// Every block of a run, the per-block decoder inlined into the loop.
template <BlockFn F, std::size_t kElems, std::size_t kBytes>
void decodeRun(const std::uint8_t* src, std::size_t blocks, float* dst) {
  for (std::size_t i = 0; i < blocks; ++i) F(src + i * kBytes, dst + i * kElems);
}

}  // namespace

const GgmlType* findGgmlType(std::uint32_t id) {
  for (const GgmlType& t : kGgmlTypes)
    if (t.id == id) return &t;
  return nullptr;
}

std::optional<std::uint32_t> ggmlTypeId(DType t) {
  for (const GgmlType& g : kGgmlTypes)
    if (g.dtype == t) return g.id;
  return std::nullopt;
}

void decodeToFloat(DType t, const void* srcv, std::size_t count, float* dst) {
  if (!isBlockDType(t)) {
    convertToFloat(t, srcv, count, dst);
    return;
  }
  assert(count % blockSize(t) == 0 && "block types decode whole blocks");
  const auto* src = static_cast<const std::uint8_t*>(srcv);
  const std::size_t n = count / blockSize(t);
  switch (t) {
    case DType::Q4_0: return decodeRun<blockQ4_0, 32, 18>(src, n, dst);
    case DType::Q4_1: return decodeRun<blockQ4_1, 32, 20>(src, n, dst);
    case DType::Q5_0: return decodeRun<blockQ5_0, 32, 22>(src, n, dst);
    case DType::Q5_1: return decodeRun<blockQ5_1, 32, 24>(src, n, dst);
    case DType::Q8_0: return decodeRun<blockQ8_0, 32, 34>(src, n, dst);
    case DType::Q8_1: return decodeRun<blockQ8_1, 32, 36>(src, n, dst);
    case DType::Q2_K: return decodeRun<blockQ2_K, 256, 84>(src, n, dst);
    case DType::Q3_K: return decodeRun<blockQ3_K, 256, 110>(src, n, dst);
    case DType::Q4_K: return decodeRun<blockQ4_K, 256, 144>(src, n, dst);
    case DType::Q5_K: return decodeRun<blockQ5_K, 256, 176>(src, n, dst);
    case DType::Q6_K: return decodeRun<blockQ6_K, 256, 210>(src, n, dst);
    case DType::Q8_K: return decodeRun<blockQ8_K, 256, 292>(src, n, dst);
    case DType::IQ1_S: return decodeRun<blockIQ1_S, 256, 50>(src, n, dst);
    case DType::IQ1_M: return decodeRun<blockIQ1_M, 256, 56>(src, n, dst);
    case DType::IQ2_XXS: return decodeRun<blockIQ2_XXS, 256, 66>(src, n, dst);
    case DType::IQ2_XS: return decodeRun<blockIQ2_XS, 256, 74>(src, n, dst);
    case DType::IQ2_S: return decodeRun<blockIQ2_S, 256, 82>(src, n, dst);
    case DType::IQ3_XXS: return decodeRun<blockIQ3_XXS, 256, 98>(src, n, dst);
    case DType::IQ3_S: return decodeRun<blockIQ3_S, 256, 110>(src, n, dst);
    case DType::IQ4_NL: return decodeRun<blockIQ4_NL, 32, 18>(src, n, dst);
    case DType::IQ4_XS: return decodeRun<blockIQ4_XS, 256, 136>(src, n, dst);
    case DType::TQ1_0: return decodeRun<blockTQ1_0, 256, 54>(src, n, dst);
    case DType::TQ2_0: return decodeRun<blockTQ2_0, 256, 66>(src, n, dst);
    case DType::MXFP4: return decodeRun<blockMXFP4, 32, 17>(src, n, dst);
    case DType::NVFP4: return decodeRun<blockNVFP4, 64, 36>(src, n, dst);
    case DType::Q1_0: return decodeRun<blockQ1_0, 128, 18>(src, n, dst);
    case DType::Q2_0: return decodeRun<blockQ2_0, 64, 18>(src, n, dst);
    default: assert(false && "not a block type"); return;
  }
}

}  // namespace quench
