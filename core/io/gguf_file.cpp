#include "core/io/gguf_file.h"

#include <array>
#include <bit>
#include <charconv>
#include <limits>
#include <unordered_set>

#include "core/io/byte_cursor.h"

namespace quench {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF values are kept as host bytes");

constexpr std::uint32_t kMaxDims = 4;       // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;         // deeper nesting is never written; bounds recursion

bool knownType(std::uint32_t t) { return t <= 12; }

/// Smallest encoded size of one value of type t (a string is at least its length field, an
/// array its element type and count).
std::uint64_t minEncodedSize(GgufType t) {
  switch (t) {
    case GgufType::String: return 8;
    case GgufType::Array: return 12;
    default: return ggufScalarSize(t);
  }
}

std::optional<std::uint64_t> checkedMul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
  return a * b;
}
std::optional<std::uint64_t> checkedAdd(std::uint64_t a, std::uint64_t b) {
  if (b > std::numeric_limits<std::uint64_t>::max() - a) return std::nullopt;
  return a + b;
}

template <class T>
T loadRaw(std::span<const std::uint8_t> raw) {
  T v{};
  std::memcpy(&v, raw.data(), sizeof(T));
  return v;
}

class Parser {
 public:
  Parser(std::span<const std::uint8_t> bytes, const std::string& name) : m_cur(bytes), m_bytes(bytes), m_name(name) {}

  Error fail(const std::string& what) const {
    return makeError(m_name + ": GGUF: " + what + " (at byte " + std::to_string(m_cur.pos()) + ")");
  }

  bool readString(std::string& out) {
    std::uint64_t n = 0;
    std::string_view s;
    if (!m_cur.read(n) || !m_cur.takeString(n, s)) return false;
    out.assign(s);
    return true;
  }

  bool setError(std::string what) {
    if (m_err.empty()) m_err = std::move(what);
    return false;
  }

  /// One value of type t (an array when t is Array).
  bool readValue(GgufType t, GgufValue& out, int depth) {
    if (t == GgufType::String) {
      std::string s;
      if (!readString(s)) return setError("string runs past the end of the file");
      out = GgufValue::string(std::move(s));
      return true;
    }
    if (t == GgufType::Array) return readArray(out, depth);
    const std::size_t size = ggufScalarSize(t);
    std::span<const std::uint8_t> raw;
    if (!m_cur.take(size, raw)) return setError("value truncated");
    if (t == GgufType::Bool && raw[0] > 1) return setError("bool value " + std::to_string(raw[0]) + " is neither 0 nor 1");
    out = scalarFrom(raw, t);
    return true;
  }

  static GgufValue scalarFrom(std::span<const std::uint8_t> r, GgufType t) {
    switch (t) {
      case GgufType::U8: return GgufValue::u8(loadRaw<std::uint8_t>(r));
      case GgufType::I8: return GgufValue::i8(loadRaw<std::int8_t>(r));
      case GgufType::U16: return GgufValue::u16(loadRaw<std::uint16_t>(r));
      case GgufType::I16: return GgufValue::i16(loadRaw<std::int16_t>(r));
      case GgufType::U32: return GgufValue::u32(loadRaw<std::uint32_t>(r));
      case GgufType::I32: return GgufValue::i32(loadRaw<std::int32_t>(r));
      case GgufType::F32: return GgufValue::f32(loadRaw<float>(r));
      case GgufType::Bool: return GgufValue::boolean(r[0] != 0);
      case GgufType::U64: return GgufValue::u64(loadRaw<std::uint64_t>(r));
      case GgufType::I64: return GgufValue::i64(loadRaw<std::int64_t>(r));
      default: return GgufValue::f64(loadRaw<double>(r));
    }
  }

  bool readArray(GgufValue& out, int depth) {
    if (depth >= kMaxArrayNesting) return setError("arrays nested deeper than " + std::to_string(kMaxArrayNesting));
    std::uint32_t et = 0;
    std::uint64_t n = 0;
    if (!m_cur.read(et) || !m_cur.read(n)) return setError("array header truncated");
    if (!knownType(et)) return setError("array of unknown element type " + std::to_string(et));
    const auto elem = static_cast<GgufType>(et);
    // Every element needs at least its minimum size: a lying count fails here, before any work.
    if (n > m_cur.remaining() / minEncodedSize(elem))
      return setError("array of " + std::to_string(n) + " elements is larger than the " + std::to_string(m_cur.remaining()) +
                      " bytes left in the file");
    if (elem == GgufType::String) {
      std::vector<std::string> items(static_cast<std::size_t>(n));
      for (auto& s : items)
        if (!readString(s)) return setError("string array element runs past the end of the file");
      out = GgufValue::stringArray(std::move(items));
      return true;
    }
    if (elem == GgufType::Array) {
      std::vector<GgufValue> items(static_cast<std::size_t>(n));
      for (auto& v : items)
        if (!readArray(v, depth + 1)) return false;
      out = GgufValue::arrayOfArrays(std::move(items));
      return true;
    }
    std::span<const std::uint8_t> raw;
    if (!m_cur.take(n * ggufScalarSize(elem), raw)) return setError("array data truncated");
    if (elem == GgufType::Bool)
      for (std::size_t i = 0; i < raw.size(); ++i)
        if (raw[i] > 1) return setError("bool array element " + std::to_string(i) + " is neither 0 nor 1");
    out = GgufValue::numericArray(elem, std::vector<std::uint8_t>(raw.begin(), raw.end()));
    return true;
  }

  Result<GgufHeader> parse();

 private:
  io::ByteCursor m_cur;
  std::span<const std::uint8_t> m_bytes;
  const std::string& m_name;
  std::string m_err;
};

Result<GgufHeader> Parser::parse() {
  GgufHeader h;
  std::string_view magic;
  if (!m_cur.takeString(4, magic) || magic != "GGUF") return fail("not a GGUF file (no 'GGUF' magic)");
  if (!m_cur.read(h.version)) return fail("header truncated (no version)");
  if (h.version != 2 && h.version != 3) {
    if ((h.version & 0xFFFF) == 0 && (h.version >> 24) >= 2) return fail("big-endian GGUF is not supported");
    return fail("unsupported GGUF version " + std::to_string(h.version) + " (only 2 and 3)");
  }
  std::uint64_t nTensors = 0, nKv = 0;
  if (!m_cur.read(nTensors) || !m_cur.read(nKv)) return fail("header truncated (tensor and key/value counts)");
  // A key/value pair needs at least 8 + 4 + 1 bytes; a tensor info 8 + 4 + 8 + 4 + 8.
  if (nKv > m_cur.remaining() / 13) return fail("key/value count " + std::to_string(nKv) + " is larger than the file can hold");
  if (nTensors > m_cur.remaining() / 32)
    return fail("tensor count " + std::to_string(nTensors) + " is larger than the file can hold");

  h.kv.reserve(static_cast<std::size_t>(nKv));
  std::unordered_set<std::string> keys;
  for (std::uint64_t i = 0; i < nKv; ++i) {
    std::string key;
    if (!readString(key)) return fail("key " + std::to_string(i) + " truncated");
    if (!keys.insert(key).second) return fail("duplicate key '" + key + "'");
    std::uint32_t type = 0;
    if (!m_cur.read(type)) return fail("value type of '" + key + "' truncated");
    if (!knownType(type)) return fail("key '" + key + "': unknown value type " + std::to_string(type));
    GgufValue v;
    if (!readValue(static_cast<GgufType>(type), v, 0)) return fail("key '" + key + "': " + m_err);
    if (key == "general.alignment") {
      if (v.type() != GgufType::U32) return fail("general.alignment must be a u32");
      const auto a = static_cast<std::uint32_t>(*v.toUInt());
      if (a == 0 || (a & (a - 1)) != 0) return fail("general.alignment " + std::to_string(a) + " is not a power of two");
      h.alignment = a;
    }
    h.kv.emplace_back(std::move(key), std::move(v));
  }

  h.tensors.reserve(static_cast<std::size_t>(nTensors));
  std::unordered_set<std::string> names;
  for (std::uint64_t i = 0; i < nTensors; ++i) {
    GgufTensorInfo t;
    if (!readString(t.name)) return fail("tensor info " + std::to_string(i) + ": name truncated");
    if (!names.insert(t.name).second) return fail("duplicate tensor name '" + t.name + "'");
    std::uint32_t nDims = 0;
    if (!m_cur.read(nDims)) return fail("'" + t.name + "': n_dims truncated");
    if (nDims == 0 || nDims > kMaxDims) return fail("'" + t.name + "': n_dims " + std::to_string(nDims) + " is not in 1..4");
    t.ne.resize(nDims);
    for (auto& d : t.ne)
      if (!m_cur.read(d)) return fail("'" + t.name + "': dimensions truncated");
    std::uint64_t numel = 1;
    for (const auto d : t.ne) {
      if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail("'" + t.name + "': dimension " + std::to_string(d) + " is too large");
      const auto m = checkedMul(numel, d);
      if (!m || *m > (std::uint64_t{1} << 62)) return fail("'" + t.name + "': element count overflows");
      numel = *m;
    }
    if (!m_cur.read(t.type) || !m_cur.read(t.offset)) return fail("'" + t.name + "': type/offset truncated");
    const ggml::TypeInfo* type = ggml::typeInfo(t.type);
    if (!type) return fail("'" + t.name + "': unknown ggml type " + std::to_string(t.type));
    if (t.ne[0] % type->blockSize != 0)
      return fail("'" + t.name + "': innermost dimension " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                  std::string(type->name) + " block size " + std::to_string(type->blockSize));
    const auto bytes = checkedMul(numel / type->blockSize, type->blockBytes);
    if (!bytes) return fail("'" + t.name + "': byte size overflows");
    t.bytes = *bytes;
    h.tensors.push_back(std::move(t));
  }

  const std::uint64_t pos = m_cur.pos();
  h.dataOffset = (pos + h.alignment - 1) / h.alignment * h.alignment;  // pos < 2^63: no overflow
  if (!h.tensors.empty() && h.dataOffset > m_bytes.size())
    return fail("data section starts at " + std::to_string(h.dataOffset) + ", past the end of the file");
  const std::uint64_t dataSize = h.dataOffset <= m_bytes.size() ? m_bytes.size() - h.dataOffset : 0;
  for (const GgufTensorInfo& t : h.tensors) {
    if (t.offset % h.alignment != 0)
      return fail("tensor '" + t.name + "': offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                  std::to_string(h.alignment));
    if (t.offset > dataSize || t.bytes > dataSize - t.offset)
      return fail("tensor '" + t.name + "': bytes [" + std::to_string(t.offset) + ", +" + std::to_string(t.bytes) +
                  ") lie outside the " + std::to_string(dataSize) + "-byte data section");
  }
  return h;
}

}  // namespace

std::string_view ggufTypeName(GgufType t) {
  static constexpr std::array<std::string_view, 13> kNames{"u8",  "i8",  "u16", "i16", "u32", "i32", "f32",
                                                           "bool", "str", "arr", "u64", "i64", "f64"};
  const auto i = static_cast<std::uint32_t>(t);
  return i < kNames.size() ? kNames[i] : std::string_view("?");
}

std::size_t ggufScalarSize(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

GgufValue GgufValue::string(std::string v) {
  GgufValue out;
  out.m_type = GgufType::String;
  out.m_text = std::move(v);
  return out;
}

GgufValue GgufValue::numericArray(GgufType elem, std::vector<std::uint8_t> raw) {
  GgufValue out;
  out.m_type = GgufType::Array;
  out.m_elem = elem;
  out.m_raw = std::move(raw);
  return out;
}

GgufValue GgufValue::stringArray(std::vector<std::string> values) {
  GgufValue out;
  out.m_type = GgufType::Array;
  out.m_elem = GgufType::String;
  out.m_strings = std::move(values);
  return out;
}

GgufValue GgufValue::arrayOfArrays(std::vector<GgufValue> values) {
  GgufValue out;
  out.m_type = GgufType::Array;
  out.m_elem = GgufType::Array;
  out.m_arrays = std::move(values);
  return out;
}

std::uint64_t GgufValue::count() const {
  if (!isArray()) return 1;
  if (m_elem == GgufType::String) return m_strings.size();
  if (m_elem == GgufType::Array) return m_arrays.size();
  const std::size_t s = ggufScalarSize(m_elem);
  return s ? m_raw.size() / s : 0;
}

std::optional<GgufValue> GgufValue::element(std::uint64_t i) const {
  if (!isArray() || m_elem == GgufType::String || m_elem == GgufType::Array || i >= count()) return std::nullopt;
  const std::size_t size = ggufScalarSize(m_elem);
  GgufValue out;
  out.m_type = m_elem;
  out.m_raw.assign(m_raw.begin() + static_cast<std::ptrdiff_t>(i * size), m_raw.begin() + static_cast<std::ptrdiff_t>((i + 1) * size));
  return out;
}

std::optional<std::uint64_t> GgufValue::toUInt() const {
  const auto i = toInt();
  if (m_type == GgufType::U64) return loadRaw<std::uint64_t>(m_raw);
  if (!i || *i < 0) return std::nullopt;
  return static_cast<std::uint64_t>(*i);
}

std::optional<std::int64_t> GgufValue::toInt() const {
  switch (m_type) {
    case GgufType::U8: case GgufType::Bool: return loadRaw<std::uint8_t>(m_raw);
    case GgufType::I8: return loadRaw<std::int8_t>(m_raw);
    case GgufType::U16: return loadRaw<std::uint16_t>(m_raw);
    case GgufType::I16: return loadRaw<std::int16_t>(m_raw);
    case GgufType::U32: return loadRaw<std::uint32_t>(m_raw);
    case GgufType::I32: return loadRaw<std::int32_t>(m_raw);
    case GgufType::I64: return loadRaw<std::int64_t>(m_raw);
    case GgufType::U64: {
      const auto v = loadRaw<std::uint64_t>(m_raw);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
      return static_cast<std::int64_t>(v);
    }
    default: return std::nullopt;
  }
}

std::optional<double> GgufValue::toDouble() const {
  if (m_type == GgufType::F32) return static_cast<double>(loadRaw<float>(m_raw));
  if (m_type == GgufType::F64) return loadRaw<double>(m_raw);
  if (m_type == GgufType::U64) return static_cast<double>(loadRaw<std::uint64_t>(m_raw));
  if (const auto i = toInt()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<std::uint64_t> GgufValue::encodedSize() const {
  if (m_type == GgufType::String) return checkedAdd(8, m_text.size());
  if (!isArray()) return ggufScalarSize(m_type);
  std::uint64_t total = 12;  // element type + count
  if (m_elem == GgufType::String) {
    for (const auto& s : m_strings) {
      const auto t = checkedAdd(total, 8 + static_cast<std::uint64_t>(s.size()));
      if (!t) return std::nullopt;
      total = *t;
    }
    return total;
  }
  if (m_elem == GgufType::Array) {
    for (const auto& a : m_arrays) {
      const auto s = a.encodedSize();
      if (!s) return std::nullopt;
      const auto t = checkedAdd(total, *s);
      if (!t) return std::nullopt;
      total = *t;
    }
    return total;
  }
  return checkedAdd(total, m_raw.size());
}

std::string GgufValue::describe() const {
  if (isArray()) {
    return "arr[" + std::string(ggufTypeName(m_elem)) + "," + std::to_string(count()) + "]";
  }
  std::string out(ggufTypeName(m_type));
  out += ' ';
  if (m_type == GgufType::String) return out + m_text;
  if (m_type == GgufType::Bool) return out + (m_raw[0] ? "true" : "false");
  if (m_type == GgufType::F32 || m_type == GgufType::F64) {
    char buf[64];
    const auto r = m_type == GgufType::F32 ? std::to_chars(buf, buf + sizeof buf, loadRaw<float>(m_raw))
                                           : std::to_chars(buf, buf + sizeof buf, loadRaw<double>(m_raw));
    return out + std::string(buf, r.ptr);
  }
  if (m_type == GgufType::U64) return out + std::to_string(loadRaw<std::uint64_t>(m_raw));
  return out + std::to_string(*toInt());
}

std::uint64_t GgufTensorInfo::elements() const {
  std::uint64_t n = 1;
  for (const auto d : ne) n *= d;  // checked by parseGguf / the writer
  return n;
}

const GgufValue* GgufHeader::find(std::string_view key) const {
  for (const auto& [k, v] : kv)
    if (k == key) return &v;
  return nullptr;
}

Result<GgufHeader> parseGguf(std::span<const std::uint8_t> bytes, const std::string& name) {
  Parser p(bytes, name);
  return p.parse();
}

std::span<const std::uint8_t> GgufFile::tensorData(std::size_t i) const {
  const GgufTensorInfo& t = header.tensors.at(i);
  return file->bytes().subspan(header.dataOffset + t.offset, t.bytes);
}

std::optional<std::size_t> GgufFile::find(std::string_view name) const {
  for (std::size_t i = 0; i < header.tensors.size(); ++i)
    if (header.tensors[i].name == name) return i;
  return std::nullopt;
}

Result<GgufFile> openGgufFile(const std::filesystem::path& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  auto header = parseGguf((*mapped)->bytes(), (*mapped)->name());
  if (!header) return header.error();
  return GgufFile{std::move(*mapped), std::move(*header)};
}

}  // namespace quench
