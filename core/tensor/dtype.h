#pragma once
// Element types of stored tensors and their conversion to float.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quench {

/// Storage element type of a tensor in a file. The block formats are llama.cpp's (ggml-common.h,
/// MATH.md §12): a block of blockSize(t) consecutive elements along the innermost axis is stored in
/// blockBytes(t) bytes; core/io/ggml_blocks.h decodes them. New types are appended (the numeric
/// values of the older ones are kept).
enum class DType {
  F64, F32, F16, BF16, F8_E4M3, F8_E5M2,
  I8, U8, I16, U16, I32, U32, I64, U64, Bool,
  Q8_0, Q4_0,
  Q4_1, Q5_0, Q5_1,                       // 32-element blocks, fp16 scale (and min)
  Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,     // 256-element super-blocks ("K-quants")
  IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,   // lattice (grid) codes, 256-element blocks
  IQ3_XXS, IQ3_S, IQ4_NL, IQ4_XS,         // IQ4_NL: 32-element blocks, the others 256
  TQ1_0, TQ2_0,                           // ternary, 256-element blocks
  MXFP4, NVFP4,                           // E2M1 codes with an E8M0 (32) or UE4M3 (16 of 64) scale
  Q1_0, Q2_0,                             // binary (128) and 2-bit (64) blocks, fp16 scale
  Q8_1,                                   // Q8_0 plus a cached d·Σq (llama.cpp's dot-product operand)
};

/// Canonical upper-case name ("F32", "BF16", "Q8_0", ...), as safetensors spells it.
std::string_view dtypeName(DType t);
/// Parse a canonical name; nullopt for unknown names.
std::optional<DType> dtypeFromName(std::string_view name);
/// Bytes per element for element types; 0 for block formats (see blockBytes/blockSize).
std::size_t dtypeSize(DType t);
/// Elements per block for block formats (32 for Q8_0/Q4_0, 256 for Q4_K), 1 otherwise.
std::size_t blockSize(DType t);
/// Bytes per block for block formats (34 for Q8_0, 144 for Q4_K), dtypeSize otherwise.
std::size_t blockBytes(DType t);
/// True for llama.cpp's block formats (blockSize > 1 or no per-element size).
bool isBlockDType(DType t);
/// True bits per weight as stored, scales and minima included: 8·blockBytes/blockSize
/// (Q4_K 4.5, Q6_K 6.5625, Q2_K 2.625, Q8_0 8.5, F16 16). MATH.md §12.
double bitsPerWeight(DType t);
/// Stored bytes of `count` elements; nullopt when `count` is not a whole number of blocks or the
/// byte count overflows 64 bits.
std::optional<std::uint64_t> storedByteCount(DType t, std::uint64_t count);
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

/// Convert `count` little-endian elements of `t` at `src` to float. Element types only (block
/// formats: decodeToFloat in core/io/ggml_blocks.h). `src` needs no alignment.
void convertToFloat(DType t, const void* src, std::size_t count, float* dst);

}  // namespace quench
