#pragma once
// GGUF with its metadata typed: what a GGUF *writer* needs to copy a file's key/values exactly
// (the TensorReader interface renders metadata as text, which loses u32 vs i32, f32 vs f64).
// parseGguf reads the header of untrusted bytes (every count and length checked against the bytes
// that remain, every product against overflow, like ggml's gguf.cpp); GgufWriter (gguf_writer.h)
// writes one.
//
// Layout (little-endian, version 3): "GGUF", u32 version, u64 n_tensors, u64 n_kv, n_kv ×
// (string key, u32 type, value), n_tensors × (string name, u32 n_dims, u64 ne[n_dims], u32 ggml
// type, u64 offset), zero padding to the alignment (general.alignment, default 32), then the data:
// each tensor at its offset (relative to the data section, a multiple of the alignment). A string
// is a u64 length and that many bytes. ne[0] is the innermost (contiguous) dimension.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/ggml_types.h"
#include "core/io/mapped_file.h"
#include "core/tensor/result.h"

namespace quench {

/// GGUF metadata value types (gguf.h, enum gguf_type).
enum class GgufType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9,
  U64 = 10, I64 = 11, F64 = 12,
};
/// "u32", "f32", "str", "arr", ... (as llama.cpp's tools print them).
std::string_view ggufTypeName(GgufType t);
/// Bytes of one scalar of `t`; 0 for String and Array.
std::size_t ggufScalarSize(GgufType t);

/// One typed metadata value: a scalar, a string, or an array (of scalars, strings or arrays).
/// Numbers are kept as their little-endian bytes, so copying a value never changes it.
class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue u8(std::uint8_t v) { return scalar(GgufType::U8, v); }
  static GgufValue i8(std::int8_t v) { return scalar(GgufType::I8, v); }
  static GgufValue u16(std::uint16_t v) { return scalar(GgufType::U16, v); }
  static GgufValue i16(std::int16_t v) { return scalar(GgufType::I16, v); }
  static GgufValue u32(std::uint32_t v) { return scalar(GgufType::U32, v); }
  static GgufValue i32(std::int32_t v) { return scalar(GgufType::I32, v); }
  static GgufValue u64(std::uint64_t v) { return scalar(GgufType::U64, v); }
  static GgufValue i64(std::int64_t v) { return scalar(GgufType::I64, v); }
  static GgufValue f32(float v) { return scalar(GgufType::F32, v); }
  static GgufValue f64(double v) { return scalar(GgufType::F64, v); }
  static GgufValue boolean(bool v) { return scalar(GgufType::Bool, static_cast<std::uint8_t>(v ? 1 : 0)); }
  static GgufValue string(std::string v);
  /// An array of `count` numbers (or bools) of `elem`, given as their little-endian bytes.
  static GgufValue numericArray(GgufType elem, std::vector<std::uint8_t> raw);
  template <class T>
  static GgufValue array(GgufType elem, std::span<const T> values);
  static GgufValue stringArray(std::vector<std::string> values);
  static GgufValue arrayOfArrays(std::vector<GgufValue> values);

  /// The value's type (Array for arrays).
  GgufType type() const { return m_type; }
  /// Element type of an array (meaningless for scalars).
  GgufType elementType() const { return m_elem; }
  bool isArray() const { return m_type == GgufType::Array; }
  /// Elements of an array; 1 for a scalar.
  std::uint64_t count() const;

  /// An integer or bool scalar as unsigned (nullopt when negative or not an integer).
  std::optional<std::uint64_t> toUInt() const;
  /// An integer or bool scalar as signed (nullopt when not an integer or above 2^63).
  std::optional<std::int64_t> toInt() const;
  /// A float or integer scalar as double.
  std::optional<double> toDouble() const;
  /// The text of a string scalar (empty for other types).
  const std::string& text() const { return m_text; }
  /// Little-endian bytes of a numeric scalar or numeric array.
  std::span<const std::uint8_t> raw() const { return m_raw; }
  const std::vector<std::string>& strings() const { return m_strings; }
  const std::vector<GgufValue>& arrays() const { return m_arrays; }
  /// Element i of a numeric array as a scalar value (nullopt out of range or for other arrays).
  std::optional<GgufValue> element(std::uint64_t i) const;

  /// Bytes of the encoded value (without key and type tag); nullopt on overflow.
  std::optional<std::uint64_t> encodedSize() const;
  /// Short rendering for messages and listings ("u32 15", "arr[str,512]").
  std::string describe() const;

  friend bool operator==(const GgufValue& a, const GgufValue& b) = default;

 private:
  template <class T>
  static GgufValue scalar(GgufType t, T v);

  GgufType m_type = GgufType::U8;
  GgufType m_elem = GgufType::U8;
  std::vector<std::uint8_t> m_raw;
  std::string m_text;
  std::vector<std::string> m_strings;
  std::vector<GgufValue> m_arrays;
};

using GgufKv = std::pair<std::string, GgufValue>;

/// Catalog entry of a GGUF tensor, in ggml's terms.
struct GgufTensorInfo {
  std::string name;
  std::vector<std::uint64_t> ne;  ///< ne[0] innermost; n_dims entries (1..4)
  std::uint32_t type = 0;         ///< ggml type id, known to ggml::typeInfo
  std::uint64_t offset = 0;       ///< relative to the data section
  std::uint64_t bytes = 0;        ///< stored size
  std::uint64_t elements() const;
};

/// The parsed header of a GGUF file.
struct GgufHeader {
  std::uint32_t version = 3;
  std::uint32_t alignment = 32;
  std::vector<GgufKv> kv;  ///< in file order
  std::vector<GgufTensorInfo> tensors;
  std::uint64_t dataOffset = 0;  ///< absolute offset of the data section

  /// The value of `key`, or nullptr.
  const GgufValue* find(std::string_view key) const;
};

/// Parse the header of untrusted GGUF bytes (`name` appears in errors). Checks everything ggml
/// checks: magic, version 2 or 3, counts and lengths against the bytes left, known value and
/// tensor types, unique keys and names, general.alignment a u32 power of two, 1..4 dimensions,
/// ne[0] a multiple of the block size, sizes without overflow, offsets aligned and inside the file.
Result<GgufHeader> parseGguf(std::span<const std::uint8_t> bytes, const std::string& name);

/// A memory-mapped GGUF file with its typed header.
struct GgufFile {
  std::shared_ptr<MappedFile> file;
  GgufHeader header;
  /// The stored bytes of tensor i (in range: checked by parseGguf).
  std::span<const std::uint8_t> tensorData(std::size_t i) const;
  /// Index of the tensor called `name`.
  std::optional<std::size_t> find(std::string_view name) const;
};
Result<GgufFile> openGgufFile(const std::filesystem::path& path);

template <class T>
GgufValue GgufValue::scalar(GgufType t, T v) {
  GgufValue out;
  out.m_type = t;
  out.m_raw.resize(sizeof(T));
  std::memcpy(out.m_raw.data(), &v, sizeof(T));
  return out;
}

template <class T>
GgufValue GgufValue::array(GgufType elem, std::span<const T> values) {
  std::vector<std::uint8_t> raw(values.size_bytes());
  if (!values.empty()) std::memcpy(raw.data(), values.data(), values.size_bytes());
  return numericArray(elem, std::move(raw));
}

}  // namespace quench
