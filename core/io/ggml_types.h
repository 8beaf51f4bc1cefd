#pragma once
// ggml's tensor types as GGUF files name them: the numeric ids of ggml.h's enum ggml_type, the
// names ggml prints ("q4_K") and llama-quantize's spelling ("Q4_K"), and the block geometry a
// writer needs to size a row. The GGUF writer, the imatrix files and the ggml quantizers
// (core/ggml) share this one table.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace quench::ggml {

/// ggml type ids (ggml.h, enum ggml_type, llama.cpp commit 3f545bec). Ids 4, 5 and 31..33, 36..38
/// were removed upstream and never appear in a valid file.
enum class Type : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};

/// One row of ggml's type traits.
struct TypeInfo {
  Type type;
  std::string_view name;       ///< upper case, as llama-quantize and GGUF tools spell it: "Q4_K"
  std::string_view ggmlName;   ///< ggml_type_name(): "q4_K", "f32", "iq4_nl"
  std::uint32_t blockSize;     ///< elements per block (1 for plain element types)
  std::uint32_t blockBytes;    ///< bytes per block
};

/// Every type a GGUF file may hold, in id order.
std::span<const TypeInfo> allTypes();
/// The traits of type id `id`, or nullptr when ggml has no such type.
const TypeInfo* typeInfo(std::uint32_t id);
const TypeInfo& typeInfo(Type t);
/// Parse a type name, case-insensitively ("Q4_K", "q4_k", "iq4_nl", "bf16").
std::optional<Type> typeFromName(std::string_view name);
/// Bytes of one row of `n` elements; nullopt when n is not a multiple of the block size or the
/// size overflows.
std::optional<std::uint64_t> rowBytes(Type t, std::uint64_t n);

}  // namespace quench::ggml
