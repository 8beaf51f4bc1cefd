// GGUF (v2 and v3) reader: the file format of ggml / llama.cpp.
//
// Layout (little-endian): "GGUF", uint32 version, uint64 n_tensors, uint64 n_kv, then n_kv
// key/value pairs (string key, uint32 value type, value), then n_tensors tensor infos (string
// name, uint32 n_dims, uint64 ne[n_dims], uint32 ggml type, uint64 offset), padding to
// general.alignment (default 32), then the tensor data; each offset is relative to the start of
// the data section and a multiple of the alignment. A string is uint64 length + bytes (no NUL).
//
// The file is hostile: like ggml's own gguf.cpp, every count is checked against the bytes that
// remain before anything is allocated (each element needs at least its minimum encoded size), and
// every product is checked for overflow.
//
// ggml's ne[0] is the innermost (contiguous) dimension, so the row-major Shape is ne reversed: a
// Linear weight with ne = [in, out] is the row-major (out, in) matrix.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <unordered_set>

#include "core/exec/parallel.h"
#include "core/io/byte_cursor.h"
#include "core/io/formats.h"
#include "core/io/ggml_blocks.h"

namespace quench {
namespace {

constexpr std::uint32_t kDefaultAlignment = 32;
constexpr std::uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;          // deeper nesting is never written; bounds recursion

enum GgufType : std::uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

/// The name of a GGUF metadata value type as MetadataType spells it (GGUF's own names, lower case).
const char* typeName(std::uint32_t t) {
  static constexpr const char* kNames[] = {"uint8", "int8",  "uint16", "int16", "uint32", "int32", "float32",
                                           "bool",  "string", "array", "uint64", "int64", "float64"};
  return t < std::size(kNames) ? kNames[t] : "unknown";
}

/// Smallest encoded size of one value of a GGUF metadata type (0 for unknown types).
std::uint64_t minEncodedSize(std::uint32_t t) {
  switch (t) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: return 8;
    case kString: return 8;       // length only
    case kArray: return 4 + 8;    // element type + count
    default: return 0;
  }
}

std::optional<std::uint64_t> checkedMul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

template <class T>
void appendNumber(std::string& out, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Floats as the shortest text that reads back to the same value; JSON has no NaN/Inf, so inside
/// JSON arrays those become null.
template <class F>
void appendFloat(std::string& out, F v, bool json) {
  if (std::isfinite(v)) {
    appendNumber(out, v);
  } else if (json) {
    out += "null";
  } else {
    out += std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  }
}

/// Append `s` as a JSON string literal. Invalid UTF-8 bytes become U+FFFD so that the result is
/// always parseable by nlohmann::json::parse (GGUF vocabularies are meant to be UTF-8 but the file
/// is untrusted).
void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte sequence: validate length, continuation bytes, overlongs and surrogates.
    std::size_t len = 0;
    std::uint32_t cp = 0, minCp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; minCp = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; minCp = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; minCp = 0x10000; }
    bool valid = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    valid = valid && cp >= minCp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (valid) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  out += '"';
}

class GgufParser {
 public:
  explicit GgufParser(std::shared_ptr<MappedFile> file) : m_file(std::move(file)), m_cur(m_file->bytes()) {}

  Error fail(const std::string& what) const {
    Error e = makeError(m_file->name() + ": GGUF: " + what + " (at byte " + std::to_string(m_cur.pos()) + ")");
    e.file = m_file->name();
    e.offset = m_cur.pos();
    return e;
  }

  /// A GGUF string; fails on truncation.
  bool readString(std::string_view& out) {
    std::uint64_t n = 0;
    return m_cur.read(n) && m_cur.takeString(n, out);
  }

  /// Parse one scalar of type `t` and render it: as plain text at the top level, as a JSON value
  /// inside arrays. Returns false (with m_err set) on failure.
  bool readScalar(std::uint32_t t, std::string& out, bool json) {
    auto num = [&](auto v) {
      if (!m_cur.read(v)) return false;
      appendNumber(out, v);
      return true;
    };
    switch (t) {
      case kU8: return num(std::uint8_t{});
      case kI8: return num(std::int8_t{});
      case kU16: return num(std::uint16_t{});
      case kI16: return num(std::int16_t{});
      case kU32: return num(std::uint32_t{});
      case kI32: return num(std::int32_t{});
      case kU64: return num(std::uint64_t{});
      case kI64: return num(std::int64_t{});
      case kF32: {
        float v;
        if (!m_cur.read(v)) return false;
        appendFloat(out, v, json);
        return true;
      }
      case kF64: {
        double v;
        if (!m_cur.read(v)) return false;
        appendFloat(out, v, json);
        return true;
      }
      case kBool: {
        std::uint8_t v;  // read as a byte: any value but 0/1 is an error, never a bool trap
        if (!m_cur.read(v)) return false;
        if (v > 1) return setError("bool value " + std::to_string(v) + " is neither 0 nor 1");
        out += v ? "true" : "false";
        return true;
      }
      case kString: {
        std::string_view s;
        if (!readString(s)) return setError("string value runs past the end of the file");
        if (json) appendJsonString(out, s); else out.append(s);
        return true;
      }
      default:
        return setError("unknown metadata value type " + std::to_string(t));
    }
  }

  /// Parse an array (element type, count, elements) as JSON text appended to `out`. For a
  /// top-level array, `top` receives its element type, its length and its first kMetadataHead
  /// elements (a cut of the text already built: no second pass over a 150k-token vocabulary).
  bool readArray(std::string& out, int depth, MetadataType* top = nullptr) {
    if (depth > kMaxArrayNesting) return setError("arrays nested deeper than " + std::to_string(kMaxArrayNesting));
    std::uint32_t et = 0;
    std::uint64_t n = 0;
    if (!m_cur.read(et) || !m_cur.read(n)) return setError("array header truncated");
    const std::uint64_t minSize = minEncodedSize(et);
    if (minSize == 0) return setError("array of unknown element type " + std::to_string(et));
    // Every element needs at least minSize bytes: a lying count fails here, before any work.
    if (n > m_cur.remaining() / minSize)
      return setError("array of " + std::to_string(n) + " elements is larger than the " +
                      std::to_string(m_cur.remaining()) + " bytes left in the file");
    const std::size_t start = out.size();
    std::size_t headEnd = std::string::npos;
    out += '[';
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i) out += ',';
      if (i == kMetadataHead) headEnd = out.size() - 1;
      const bool ok = et == kArray ? readArray(out, depth + 1) : readScalar(et, out, true);
      if (!ok) {
        if (m_err.empty()) setError("array element " + std::to_string(i) + " truncated");
        return false;
      }
    }
    out += ']';
    if (top) {
      top->type = "array";
      top->elementType = typeName(et);
      top->length = n;
      top->head = headEnd == std::string::npos ? out.substr(start) : out.substr(start, headEnd - start) + "]";
    }
    return true;
  }

  bool setError(std::string what) {
    if (m_err.empty()) m_err = std::move(what);
    return false;
  }

  Result<std::unique_ptr<TensorReader>> parse();

 private:
  std::shared_ptr<MappedFile> m_file;
  io::ByteCursor m_cur;
  std::string m_err;
};

class GgufReader final : public TensorReader {
 public:
  struct Entry {
    std::uint64_t offset = 0;   // absolute byte offset of the data in the file
    const GgmlType* type = nullptr;
  };

  GgufReader(std::shared_ptr<MappedFile> file, std::vector<TensorInfo> infos, std::vector<Entry> entries,
             Metadata meta, std::vector<MetadataType> metaTypes)
      : m_file(std::move(file)), m_path(m_file->name()), m_infos(std::move(infos)),
        m_entries(std::move(entries)), m_meta(std::move(meta)), m_metaTypes(std::move(metaTypes)) {}

  std::string_view format() const override { return "gguf"; }
  const std::string& path() const override { return m_path; }
  const std::vector<TensorInfo>& tensors() const override { return m_infos; }
  const Metadata& metadata() const override { return m_meta; }
  const std::vector<MetadataType>& metadataTypes() const override { return m_metaTypes; }

  std::span<const std::uint8_t> storedBytes(std::size_t index) const override {
    if (index >= m_infos.size()) return {};
    return m_file->bytes().subspan(m_entries[index].offset, m_infos[index].bytes);
  }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index >= m_infos.size())
      return makeError(m_path + ": tensor index " + std::to_string(index) + " out of range");
    const TensorInfo& info = m_infos[index];
    const Entry& e = m_entries[index];
    // Sizes were validated when the catalog was built: bytes are in range, numel fits, and the
    // innermost dimension is whole blocks.
    const std::uint64_t numel = *checkedElementCount(info.shape);
    FloatTensor out;
    out.name = info.name;
    out.shape = info.shape;
    out.values.resize(numel);
    const std::uint8_t* src = m_file->bytes().data() + e.offset;
    const DType dt = e.type->dtype;
    const std::size_t perBlock = e.type->blockSize, blockBytes = e.type->blockBytes;
    const std::size_t blocks = numel / perBlock;
    // Chunks of at least 32 Ki elements: large enough to amortise the task, small enough to check
    // the stop token often.
    const std::size_t chunk = std::max<std::size_t>(1, 32768 / perBlock);
    exec::parallelFor(0, blocks, chunk, [&](exec::Range r) {
      if (work.cancelled()) return;
      decodeToFloat(dt, src + r.begin * blockBytes, r.size() * perBlock, out.values.data() + r.begin * perBlock);
    });
    if (work.cancelled()) return makeError(m_path + ": reading '" + info.name + "' cancelled");
    return out;
  }

 private:
  std::shared_ptr<MappedFile> m_file;
  std::string m_path;
  std::vector<TensorInfo> m_infos;
  std::vector<Entry> m_entries;
  Metadata m_meta;
  std::vector<MetadataType> m_metaTypes;
};

Result<std::unique_ptr<TensorReader>> GgufParser::parse() {
  std::string_view magic;
  if (!m_cur.takeString(4, magic) || magic != "GGUF") return fail("not a GGUF file (no 'GGUF' magic)");
  std::uint32_t version = 0;
  if (!m_cur.read(version)) return fail("header truncated (no version)");
  if (version == 1) return fail("GGUF version 1 is not supported (only 2 and 3)");
  if (version != 2 && version != 3) {
    if ((version & 0xFFFF) == 0 && (version >> 24) >= 2) return fail("big-endian GGUF is not supported");
    return fail("unsupported GGUF version " + std::to_string(version) + " (only 2 and 3)");
  }
  std::uint64_t nTensors = 0, nKv = 0;
  if (!m_cur.read(nTensors) || !m_cur.read(nKv)) return fail("header truncated (tensor and key/value counts)");
  // A key/value pair needs at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least
  // 8 (name length) + 4 (n_dims) + 8 (ne[0]) + 4 (type) + 8 (offset).
  if (nKv > m_cur.remaining() / 13)
    return fail("key/value count " + std::to_string(nKv) + " is larger than the file can hold");
  if (nTensors > m_cur.remaining() / 32)
    return fail("tensor count " + std::to_string(nTensors) + " is larger than the file can hold");

  Metadata meta;
  std::vector<MetadataType> metaTypes;
  meta.reserve(static_cast<std::size_t>(nKv));
  metaTypes.reserve(static_cast<std::size_t>(nKv));
  std::unordered_set<std::string> keys;
  std::uint32_t alignment = kDefaultAlignment;
  for (std::uint64_t i = 0; i < nKv; ++i) {
    std::string_view key;
    if (!readString(key)) return fail("key " + std::to_string(i) + " truncated");
    if (!keys.insert(std::string(key)).second) return fail("duplicate key '" + std::string(key) + "'");
    std::uint32_t type = 0;
    if (!m_cur.read(type)) return fail("value type of '" + std::string(key) + "' truncated");
    std::string value;
    MetadataType described;
    described.type = typeName(type);
    const bool ok = type == kArray ? readArray(value, 0, &described) : readScalar(type, value, false);
    if (!ok) {
      if (m_err.empty()) m_err = "value truncated";
      return fail("key '" + std::string(key) + "': " + m_err);
    }
    if (key == "general.alignment") {
      if (type != kU32) return fail("general.alignment must be a uint32");
      const auto a = static_cast<std::uint32_t>(std::stoul(value));
      if (a == 0 || (a & (a - 1)) != 0)
        return fail("general.alignment " + value + " is not a power of two");
      alignment = a;
    }
    meta.emplace_back(std::string(key), std::move(value));
    metaTypes.push_back(std::move(described));
  }

  std::vector<TensorInfo> infos;
  std::vector<GgufReader::Entry> entries;
  std::vector<std::uint64_t> relOffsets;
  infos.reserve(static_cast<std::size_t>(nTensors));
  entries.reserve(static_cast<std::size_t>(nTensors));
  relOffsets.reserve(static_cast<std::size_t>(nTensors));
  std::unordered_set<std::string> names;
  for (std::uint64_t i = 0; i < nTensors; ++i) {
    const std::string which = "tensor info " + std::to_string(i);
    std::string_view name;
    if (!readString(name)) return fail(which + ": name truncated");
    TensorInfo info;
    info.name = std::string(name);
    if (!names.insert(info.name).second) return fail("duplicate tensor name '" + info.name + "'");
    std::uint32_t nDims = 0;
    if (!m_cur.read(nDims)) return fail("'" + info.name + "': n_dims truncated");
    if (nDims == 0 || nDims > kMaxDims)
      return fail("'" + info.name + "': n_dims " + std::to_string(nDims) + " is not in 1..4");
    std::array<std::uint64_t, kMaxDims> ne{};
    for (std::uint32_t d = 0; d < nDims; ++d)
      if (!m_cur.read(ne[d])) return fail("'" + info.name + "': dimensions truncated");
    info.shape.resize(nDims);
    for (std::uint32_t d = 0; d < nDims; ++d) {
      if (ne[d] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail("'" + info.name + "': dimension " + std::to_string(ne[d]) + " is negative or too large");
      info.shape[nDims - 1 - d] = static_cast<std::int64_t>(ne[d]);  // ne[0] innermost
    }
    const auto numel = checkedElementCount(info.shape);
    if (!numel) return fail("'" + info.name + "': element count of " + shapeToString(info.shape) + " overflows");
    std::uint32_t typeId = 0;
    std::uint64_t offset = 0;
    if (!m_cur.read(typeId) || !m_cur.read(offset)) return fail("'" + info.name + "': type/offset truncated");
    const GgmlType* type = findGgmlType(typeId);
    if (!type) return fail("'" + info.name + "': unknown ggml type " + std::to_string(typeId));
    if (ne[0] % type->blockSize != 0)
      return fail("'" + info.name + "': innermost dimension " + std::to_string(ne[0]) +
                  " is not a multiple of the " + std::string(type->name) + " block size " + std::to_string(type->blockSize));
    const auto bytes = checkedMul(*numel / type->blockSize, type->blockBytes);
    if (!bytes) return fail("'" + info.name + "': byte size overflows");
    info.bytes = *bytes;
    info.dtype = type->dtype;
    if (!type->layout.empty())
      info.layout = std::string(type->name) + ": " + std::string(type->layout) + " (along the last axis)";
    infos.push_back(std::move(info));
    entries.push_back({offset, type});
    relOffsets.push_back(offset);
  }

  // The data section starts at the next multiple of the alignment.
  const std::uint64_t pos = m_cur.pos();
  const std::uint64_t dataStart = (pos + alignment - 1) / alignment * alignment;  // pos < 2^63: no overflow
  if (nTensors > 0 && dataStart > m_file->size())
    return fail("data section starts at " + std::to_string(dataStart) + ", past the end of the file");
  const std::uint64_t dataSize = dataStart <= m_file->size() ? m_file->size() - dataStart : 0;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const std::uint64_t off = relOffsets[i];
    if (off % alignment != 0)
      return fail("tensor '" + infos[i].name + "': offset " + std::to_string(off) + " is not a multiple of the alignment " +
                  std::to_string(alignment));
    if (off > dataSize || infos[i].bytes > dataSize - off)
      return fail("tensor '" + infos[i].name + "': bytes [" + std::to_string(off) + ", +" + std::to_string(infos[i].bytes) +
                  ") lie outside the " + std::to_string(dataSize) + "-byte data section");
    entries[i].offset = dataStart + off;
  }
  return std::unique_ptr<TensorReader>(
      new GgufReader(m_file, std::move(infos), std::move(entries), std::move(meta), std::move(metaTypes)));
}

}  // namespace

Result<std::unique_ptr<TensorReader>> openGguf(std::shared_ptr<MappedFile> file) {
  if (!file) return makeError("GGUF: no file");
  GgufParser parser(std::move(file));
  return parser.parse();
}

}  // namespace quench
