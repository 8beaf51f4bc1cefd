#include "core/tensor/dtype.h"

#include <array>
#include <cassert>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace quench {
namespace {
struct DTypeRow {
  DType type;
  std::string_view name;
  std::size_t size;
  std::size_t block;
  std::size_t blockBytes;
  bool floating;
};
// Block geometry of llama.cpp's types: ggml-common.h's block_* structs (sizeof and QK).
constexpr std::array<DTypeRow, 42> kRows{{
    {DType::F64, "F64", 8, 1, 8, true},
    {DType::F32, "F32", 4, 1, 4, true},
    {DType::F16, "F16", 2, 1, 2, true},
    {DType::BF16, "BF16", 2, 1, 2, true},
    {DType::F8_E4M3, "F8_E4M3", 1, 1, 1, true},
    {DType::F8_E5M2, "F8_E5M2", 1, 1, 1, true},
    {DType::I8, "I8", 1, 1, 1, false},
    {DType::U8, "U8", 1, 1, 1, false},
    {DType::I16, "I16", 2, 1, 2, false},
    {DType::U16, "U16", 2, 1, 2, false},
    {DType::I32, "I32", 4, 1, 4, false},
    {DType::U32, "U32", 4, 1, 4, false},
    {DType::I64, "I64", 8, 1, 8, false},
    {DType::U64, "U64", 8, 1, 8, false},
    {DType::Bool, "BOOL", 1, 1, 1, false},
    {DType::Q8_0, "Q8_0", 0, 32, 34, true},
    {DType::Q4_0, "Q4_0", 0, 32, 18, true},
    {DType::Q4_1, "Q4_1", 0, 32, 20, true},
    {DType::Q5_0, "Q5_0", 0, 32, 22, true},
    {DType::Q5_1, "Q5_1", 0, 32, 24, true},
    {DType::Q2_K, "Q2_K", 0, 256, 84, true},
    {DType::Q3_K, "Q3_K", 0, 256, 110, true},
    {DType::Q4_K, "Q4_K", 0, 256, 144, true},
    {DType::Q5_K, "Q5_K", 0, 256, 176, true},
    {DType::Q6_K, "Q6_K", 0, 256, 210, true},
    {DType::Q8_K, "Q8_K", 0, 256, 292, true},
    {DType::IQ1_S, "IQ1_S", 0, 256, 50, true},
    {DType::IQ1_M, "IQ1_M", 0, 256, 56, true},
    {DType::IQ2_XXS, "IQ2_XXS", 0, 256, 66, true},
    {DType::IQ2_XS, "IQ2_XS", 0, 256, 74, true},
    {DType::IQ2_S, "IQ2_S", 0, 256, 82, true},
    {DType::IQ3_XXS, "IQ3_XXS", 0, 256, 98, true},
    {DType::IQ3_S, "IQ3_S", 0, 256, 110, true},
    {DType::IQ4_NL, "IQ4_NL", 0, 32, 18, true},
    {DType::IQ4_XS, "IQ4_XS", 0, 256, 136, true},
    {DType::TQ1_0, "TQ1_0", 0, 256, 54, true},
    {DType::TQ2_0, "TQ2_0", 0, 256, 66, true},
    {DType::MXFP4, "MXFP4", 0, 32, 17, true},
    {DType::NVFP4, "NVFP4", 0, 64, 36, true},
    {DType::Q1_0, "Q1_0", 0, 128, 18, true},
    {DType::Q2_0, "Q2_0", 0, 64, 18, true},
    {DType::Q8_1, "Q8_1", 0, 32, 36, true},
}};
// The table is indexed by the enum's value: every DType has its row, in order.
constexpr bool rowsInEnumOrder() {
  for (std::size_t i = 0; i < kRows.size(); ++i)
    if (static_cast<std::size_t>(kRows[i].type) != i) return false;
  return static_cast<std::size_t>(DType::Q8_1) + 1 == kRows.size();
}
static_assert(rowsInEnumOrder(), "kRows must list every DType in enum order");

const DTypeRow& row(DType t) {
  const auto i = static_cast<std::size_t>(t);
  return i < kRows.size() ? kRows[i] : kRows[1];
}

template <class T>
T loadLE(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    auto* b = reinterpret_cast<unsigned char*>(&v);
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  }
  return v;
}
}  // namespace

std::string_view dtypeName(DType t) { return row(t).name; }
std::optional<DType> dtypeFromName(std::string_view name) {
  for (const auto& r : kRows)
    if (r.name == name) return r.type;
  return std::nullopt;
}
std::size_t dtypeSize(DType t) { return row(t).size; }
std::size_t blockSize(DType t) { return row(t).block; }
std::size_t blockBytes(DType t) { return row(t).blockBytes; }
bool isFloatingDType(DType t) { return row(t).floating; }
bool isBlockDType(DType t) { return row(t).size == 0; }
double bitsPerWeight(DType t) {
  const DTypeRow& r = row(t);
  return 8.0 * static_cast<double>(r.blockBytes) / static_cast<double>(r.block);
}
std::optional<std::uint64_t> storedByteCount(DType t, std::uint64_t count) {
  const DTypeRow& r = row(t);
  if (count % r.block != 0) return std::nullopt;
  const std::uint64_t blocks = count / r.block;
  if (blocks > std::numeric_limits<std::uint64_t>::max() / r.blockBytes) return std::nullopt;
  return blocks * r.blockBytes;
}

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1f;
  const std::uint32_t man = h & 0x3ffu;
  if (exp == 0) {
    // zero or subnormal: man * 2^-24
    const float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  std::uint32_t bits;
  if (exp == 31)
    bits = sign | 0x7f800000u | (man << 13);
  else
    bits = sign | ((exp + 112) << 23) | (man << 13);
  return std::bit_cast<float>(bits);
}

float bf16ToFloat(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

float fp8e4m3ToFloat(std::uint8_t v) {
  const bool neg = v & 0x80;
  const int exp = (v >> 3) & 0xf;
  const int man = v & 0x7;
  float r;
  if (exp == 0xf && man == 0x7)
    r = std::numeric_limits<float>::quiet_NaN();
  else if (exp == 0)
    r = std::ldexp(static_cast<float>(man), -9);  // man/8 * 2^(1-7)
  else
    r = std::ldexp(1.0f + man / 8.0f, exp - 7);
  return neg ? -r : r;
}

float fp8e5m2ToFloat(std::uint8_t v) { return halfToFloat(static_cast<std::uint16_t>(v) << 8); }

std::uint16_t floatToHalf(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return sign | (absx > 0x7f800000u ? 0x7e00u : 0x7c00u);
  if (absx >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to inf
  if (absx < 0x38800000u) {
    // result is subnormal or zero: value / 2^-24, rounded to nearest even
    const float a = std::bit_cast<float>(absx);
    const float scaled = a * 16777216.0f;  // exact (power of two)
    const float r = std::nearbyint(scaled);  // default rounding mode: nearest even
    return sign | static_cast<std::uint16_t>(r);
  }
  // normal: re-bias exponent, round mantissa 23 -> 10 bits with ties to even
  std::uint32_t m = absx + 0xfffu + ((absx >> 13) & 1u);
  m -= (112u << 23);
  return sign | static_cast<std::uint16_t>(m >> 13);
}

std::uint16_t floatToBf16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  const std::uint32_t r = x + 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(r >> 16);
}

void convertToFloat(DType t, const void* srcv, std::size_t n, float* dst) {
  // An empty tensor may hand null pointers (an empty span or vector); memcpy must not see them.
  if (n == 0) return;
  const auto* s = static_cast<const unsigned char*>(srcv);
  switch (t) {
    case DType::F32:
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(dst, s, n * 4);
      } else {
        for (std::size_t i = 0; i < n; ++i) dst[i] = loadLE<float>(s + 4 * i);
      }
      break;
    case DType::F64:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<double>(s + 8 * i));
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) dst[i] = halfToFloat(loadLE<std::uint16_t>(s + 2 * i));
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) dst[i] = bf16ToFloat(loadLE<std::uint16_t>(s + 2 * i));
      break;
    case DType::F8_E4M3:
      for (std::size_t i = 0; i < n; ++i) dst[i] = fp8e4m3ToFloat(s[i]);
      break;
    case DType::F8_E5M2:
      for (std::size_t i = 0; i < n; ++i) dst[i] = fp8e5m2ToFloat(s[i]);
      break;
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(static_cast<std::int8_t>(s[i]));
      break;
    case DType::U8:
    case DType::Bool:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      break;
    case DType::I16:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::int16_t>(s + 2 * i));
      break;
    case DType::U16:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::uint16_t>(s + 2 * i));
      break;
    case DType::I32:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::int32_t>(s + 4 * i));
      break;
    case DType::U32:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::uint32_t>(s + 4 * i));
      break;
    case DType::I64:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::int64_t>(s + 8 * i));
      break;
    case DType::U64:
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(loadLE<std::uint64_t>(s + 8 * i));
      break;
    default:
      assert(false && "block formats are decoded by decodeToFloat (core/io/ggml_blocks.h)");
      break;
  }
}

}  // namespace quench
