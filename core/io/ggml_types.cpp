#include "core/io/ggml_types.h"

#include <array>
#include <cctype>
#include <limits>

namespace quench::ggml {
namespace {

// Block geometry from ggml's type_traits (ggml/src/ggml.c) and the block structs of
// ggml/src/ggml-common.h at llama.cpp commit 3f545bec: these numbers define the file format.
constexpr std::array<TypeInfo, 35> kTypes{{
    {Type::F32, "F32", "f32", 1, 4},
    {Type::F16, "F16", "f16", 1, 2},
    {Type::Q4_0, "Q4_0", "q4_0", 32, 18},
    {Type::Q4_1, "Q4_1", "q4_1", 32, 20},
    {Type::Q5_0, "Q5_0", "q5_0", 32, 22},
    {Type::Q5_1, "Q5_1", "q5_1", 32, 24},
    {Type::Q8_0, "Q8_0", "q8_0", 32, 34},
    {Type::Q8_1, "Q8_1", "q8_1", 32, 36},
    {Type::Q2_K, "Q2_K", "q2_K", 256, 84},
    {Type::Q3_K, "Q3_K", "q3_K", 256, 110},
    {Type::Q4_K, "Q4_K", "q4_K", 256, 144},
    {Type::Q5_K, "Q5_K", "q5_K", 256, 176},
    {Type::Q6_K, "Q6_K", "q6_K", 256, 210},
    {Type::Q8_K, "Q8_K", "q8_K", 256, 292},
    {Type::IQ2_XXS, "IQ2_XXS", "iq2_xxs", 256, 66},
    {Type::IQ2_XS, "IQ2_XS", "iq2_xs", 256, 74},
    {Type::IQ3_XXS, "IQ3_XXS", "iq3_xxs", 256, 98},
    {Type::IQ1_S, "IQ1_S", "iq1_s", 256, 50},
    {Type::IQ4_NL, "IQ4_NL", "iq4_nl", 32, 18},
    {Type::IQ3_S, "IQ3_S", "iq3_s", 256, 110},
    {Type::IQ2_S, "IQ2_S", "iq2_s", 256, 82},
    {Type::IQ4_XS, "IQ4_XS", "iq4_xs", 256, 136},
    {Type::I8, "I8", "i8", 1, 1},
    {Type::I16, "I16", "i16", 1, 2},
    {Type::I32, "I32", "i32", 1, 4},
    {Type::I64, "I64", "i64", 1, 8},
    {Type::F64, "F64", "f64", 1, 8},
    {Type::IQ1_M, "IQ1_M", "iq1_m", 256, 56},
    {Type::BF16, "BF16", "bf16", 1, 2},
    {Type::TQ1_0, "TQ1_0", "tq1_0", 256, 54},
    {Type::TQ2_0, "TQ2_0", "tq2_0", 256, 66},
    {Type::MXFP4, "MXFP4", "mxfp4", 32, 17},
    {Type::NVFP4, "NVFP4", "nvfp4", 64, 36},
    {Type::Q1_0, "Q1_0", "q1_0", 128, 18},
    {Type::Q2_0, "Q2_0", "q2_0", 64, 18},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

std::span<const TypeInfo> allTypes() { return kTypes; }

const TypeInfo* typeInfo(std::uint32_t id) {
  for (const TypeInfo& t : allTypes())
    if (static_cast<std::uint32_t>(t.type) == id) return &t;
  return nullptr;
}

const TypeInfo& typeInfo(Type t) {
  const TypeInfo* info = typeInfo(static_cast<std::uint32_t>(t));
  return info ? *info : kTypes[0];
}

std::optional<Type> typeFromName(std::string_view name) {
  for (const TypeInfo& t : allTypes())
    if (equalsIgnoreCase(t.name, name)) return t.type;
  return std::nullopt;
}

std::optional<std::uint64_t> rowBytes(Type t, std::uint64_t n) {
  const TypeInfo& info = typeInfo(t);
  if (n % info.blockSize != 0) return std::nullopt;
  const std::uint64_t blocks = n / info.blockSize;
  if (blocks > std::numeric_limits<std::uint64_t>::max() / info.blockBytes) return std::nullopt;
  return blocks * info.blockBytes;
}

}  // namespace quench::ggml
