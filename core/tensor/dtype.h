#pragma once
// Element types of stored tensors and their conversion to float.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quench {

/// Storage element type of a tensor in a file. Block formats (Q8_0, Q4_0) are dequantized on read.
enum class DType {
  F64, F32, F16, BF16, F8_E4M3, F8_E5M2,
  I8, U8, I16, U16, I32, U32, I64, U64, Bool,
  Q8_0, Q4_0,
};

/// Canonical upper-case name ("F32", "BF16", "Q8_0", ...), as safetensors spells it.
std::string_view dtypeName(DType t);
/// Parse a canonical name; nullopt for unknown names.
std::optional<DType> dtypeFromName(std::string_view name);
/// Bytes per element for element types; 0 for block formats (see blockBytes/blockSize).
std::size_t dtypeSize(DType t);
/// Elements per block for block formats (32 for Q8_0/Q4_0), 1 otherwise.
std::size_t blockSize(DType t);
/// Bytes per block for block formats (34 for Q8_0, 18 for Q4_0), dtypeSize otherwise.
std::size_t blockBytes(DType t);
bool isFloatingDType(DType t);

/// IEEE binary16 bits to float (exact: every half is a float).
float halfToFloat(std::uint16_t h);
/// bfloat16 bits to float (exact).
float bf16ToFloat(std::uint16_t b);
/// OCP FP8 E4M3 (no inf; S.1111.111 is NaN) to float (exact).
float fp8e4m3ToFloat(std::uint8_t v);
/// FP8 E5M2 (IEEE-like) to float (exact).
float fp8e5m2ToFloat(std::uint8_t v);
/// float to IEEE half, round to nearest even, overflow to inf.
std::uint16_t floatToHalf(float f);
/// float to bfloat16, round to nearest even (NaN stays NaN).
std::uint16_t floatToBf16(float f);

/// Convert `count` little-endian elements of `t` at `src` to float. Element types only
/// (not block formats). `src` needs no alignment.
void convertToFloat(DType t, const void* src, std::size_t count, float* dst);

}  // namespace quench
