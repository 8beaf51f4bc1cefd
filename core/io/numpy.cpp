// NumPy readers. A .npy file is a magic string, a version, a header length and a Python dict literal
// ({'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }) followed by the raw elements. The
// header is parsed by a strict parser for exactly the dict numpy writes (no eval of anything).
// A .npz file is a ZIP archive of .npy members, stored or deflated; opening reads the central
// directory and each member's npy header only (inflating just enough bytes), the data is inflated
// and CRC-checked when a tensor is converted.
// Length (~750 lines): .npz members are .npy files, so the two readers share the strict header
// parser and the element conversion; the ZIP layer (central directory, inflate, CRC) is the rest.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <set>

#include "core/io/byte_cursor.h"
#include "core/io/formats.h"

namespace quench {
namespace {

constexpr std::string_view kNpyMagic{"\x93NUMPY", 6};
// numpy itself refuses headers above 10000 characters by default; allow generous room.
constexpr std::uint64_t kMaxNpyHeader = 1u << 20;
constexpr std::size_t kChunkElements = std::size_t{1} << 20;

// ---------------------------------------------------------------------------------------------
// npy header

struct NpyHeader {
  DType dtype = DType::F32;
  std::size_t itemSize = 4;
  bool bigEndian = false;
  bool fortranOrder = false;
  Shape shape;
  std::uint64_t count = 0;
  std::uint64_t dataOffset = 0;  // bytes from the start of the .npy stream to the first element
  std::uint64_t dataBytes = 0;   // count × itemSize
};

// Parser for the dict literal: {'descr': <str>, 'fortran_order': <bool>, 'shape': <tuple>, }
// Keys may come in any order (numpy sorts them), each exactly once; nothing else is accepted.
class DictParser {
 public:
  explicit DictParser(std::string_view s) : m_s(s) {}

  std::optional<std::string> parse(NpyHeader& h, std::string& descr) {
    skipSpace();
    if (!eat('{')) return "header does not start with '{'";
    std::set<std::string> seen;
    for (;;) {
      skipSpace();
      if (eat('}')) break;
      std::string key;
      if (!string(key)) return "expected a quoted key at offset " + std::to_string(m_pos);
      if (!seen.insert(key).second) return "key '" + key + "' appears twice";
      skipSpace();
      if (!eat(':')) return "expected ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (peek() == '[') return "structured dtypes (descr is a list) are not supported";
        if (!string(descr)) return "'descr' is not a quoted string";
      } else if (key == "fortran_order") {
        if (word("True")) h.fortranOrder = true;
        else if (word("False")) h.fortranOrder = false;
        else return "'fortran_order' is neither True nor False";
      } else if (key == "shape") {
        if (auto err = tuple(h.shape)) return err;
      } else {
        return "unexpected key '" + key + "'";
      }
      skipSpace();
      if (eat(',')) continue;
      skipSpace();
      if (eat('}')) break;
      return "expected ',' or '}' after the value of '" + key + "'";
    }
    skipSpace();
    if (m_pos != m_s.size()) return "trailing characters after the dict";
    for (const char* k : {"descr", "fortran_order", "shape"})
      if (!seen.count(k)) return std::string("missing key '") + k + "'";
    return std::nullopt;
  }

 private:
  char peek() const { return m_pos < m_s.size() ? m_s[m_pos] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++m_pos;
    return true;
  }
  void skipSpace() {
    while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\n' || m_s[m_pos] == '\t')) ++m_pos;
  }
  bool word(std::string_view w) {
    if (m_s.substr(m_pos, w.size()) != w) return false;
    m_pos += w.size();
    return true;
  }
  // A Python str literal without escapes (dtype strings and key names never need any).
  bool string(std::string& out) {
    const char q = peek();
    if (q != '\'' && q != '"') return false;
    const std::size_t end = m_s.find(q, m_pos + 1);
    if (end == std::string_view::npos) return false;
    out = std::string(m_s.substr(m_pos + 1, end - m_pos - 1));
    if (out.find('\\') != std::string::npos) return false;
    m_pos = end + 1;
    return true;
  }
  // (), (n,), (n, m), ... ; Python 2 files may write 3L.
  std::optional<std::string> tuple(Shape& shape) {
    if (!eat('(')) return "'shape' is not a tuple";
    for (;;) {
      skipSpace();
      if (eat(')')) return std::nullopt;
      if (peek() < '0' || peek() > '9') return "'shape' holds something that is not a non-negative integer";
      std::uint64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const std::uint64_t digit = static_cast<std::uint64_t>(peek() - '0');
        if (v > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10)
          return "'shape' dimension too large";
        v = v * 10 + digit;
        ++m_pos;
      }
      eat('L');
      shape.push_back(static_cast<std::int64_t>(v));
      skipSpace();
      if (eat(',')) continue;
      skipSpace();
      if (eat(')')) {
        // Python writes a one-element tuple as (n,); "(n)" is an int, not a tuple.
        if (shape.size() == 1) return "'shape' (n) is not a tuple: numpy writes (n,)";
        return std::nullopt;
      }
      return "'shape' is not a well-formed tuple";
    }
  }

  std::string_view m_s;
  std::size_t m_pos = 0;
};

// descr is a byte-order char, a kind char and a size: '<f4', '>i8', '|u1', '|b1', '=f2'.
std::optional<std::string> parseDescr(const std::string& descr, NpyHeader& h) {
  if (descr.size() < 3) return "unsupported dtype descr '" + descr + "'";
  const char order = descr[0];
  const char kind = descr[1];
  const std::string size = descr.substr(2);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return "dtype descr '" + descr + "' has no byte-order character";
  struct Row { char kind; const char* size; DType dtype; };
  static constexpr Row kRows[] = {
      {'f', "2", DType::F16}, {'f', "4", DType::F32}, {'f', "8", DType::F64},
      {'i', "1", DType::I8},  {'u', "1", DType::U8},  {'i', "2", DType::I16}, {'u', "2", DType::U16},
      {'i', "4", DType::I32}, {'u', "4", DType::U32}, {'i', "8", DType::I64}, {'u', "8", DType::U64},
      {'b', "1", DType::Bool},
  };
  for (const Row& r : kRows) {
    if (r.kind == kind && size == r.size) {
      h.dtype = r.dtype;
      h.itemSize = dtypeSize(r.dtype);
      // '=' is native order; the file was written by a machine we assume little-endian like ours.
      h.bigEndian = order == '>' && h.itemSize > 1;
      return std::nullopt;
    }
  }
  return "unsupported dtype descr '" + descr + "' (supported: f2 f4 f8 i1..i8 u1..u8 b1)";
}

// Parses the npy preamble and header from the first bytes of a .npy stream. `available` may be a
// prefix of the stream (npz: only what was inflated so far). On success h.dataOffset is set.
// `needMore` reports how many leading bytes are required when the prefix is too short.
std::optional<std::string> parseNpyHeader(std::span<const std::uint8_t> available, NpyHeader& h,
                                          std::uint64_t* needMore = nullptr) {
  io::ByteCursor cur(available);
  std::string_view magic;
  if (!cur.takeString(kNpyMagic.size(), magic) || magic != kNpyMagic) {
    if (available.size() < 10 && needMore) { *needMore = 12; return "short"; }
    return "not a .npy stream (bad magic)";
  }
  std::uint8_t major = 0, minor = 0;
  if (!cur.read(major) || !cur.read(minor)) {
    if (needMore) { *needMore = 12; return "short"; }
    return "truncated npy preamble";
  }
  std::uint64_t headerLen = 0;
  if (major == 1) {
    std::uint16_t n = 0;
    if (!cur.read(n)) {
      if (needMore) { *needMore = 12; return "short"; }
      return "truncated npy header length";
    }
    headerLen = n;
  } else if (major == 2 || major == 3) {
    std::uint32_t n = 0;
    if (!cur.read(n)) {
      if (needMore) { *needMore = 12; return "short"; }
      return "truncated npy header length";
    }
    headerLen = n;
  } else {
    return "unsupported npy version " + std::to_string(major) + "." + std::to_string(minor);
  }
  if (headerLen > kMaxNpyHeader)
    return "npy header length " + std::to_string(headerLen) + " exceeds the 1 MiB limit";
  std::string_view text;
  if (!cur.takeString(headerLen, text)) {
    if (needMore) { *needMore = cur.pos() + headerLen; return "short"; }
    return "npy header length " + std::to_string(headerLen) + " runs past the end of the file";
  }
  // Version 1 and 2 headers are latin-1, version 3 UTF-8; the dict numpy writes is ASCII either way.
  // The header ends in '\n' after padding spaces.
  if (text.empty() || text.back() != '\n') return "npy header does not end in a newline";
  text.remove_suffix(1);
  std::string descr;
  DictParser parser(text);
  if (auto err = parser.parse(h, descr)) return "npy header: " + *err;
  if (auto err = parseDescr(descr, h)) return "npy header: " + *err;
  const auto count = checkedElementCount(h.shape);
  if (!count || *count > std::numeric_limits<std::uint64_t>::max() / h.itemSize)
    return "npy header: shape " + shapeToString(h.shape) + " has too many elements (product overflows)";
  h.count = *count;
  h.dataBytes = *count * h.itemSize;
  h.dataOffset = cur.pos();
  return std::nullopt;
}

// Converts the element bytes of an npy payload (h.dataBytes bytes) to row-major floats.
void decodeNpyPayload(const NpyHeader& h, const std::uint8_t* src, float* dst, const Work& work) {
  const std::size_t count = static_cast<std::size_t>(h.count);
  std::vector<float> fortran;
  float* target = dst;
  if (h.fortranOrder && h.shape.size() > 1) {
    fortran.resize(count);
    target = fortran.data();
  }
  std::vector<std::uint8_t> swapped;
  for (std::size_t done = 0; done < count;) {
    const std::size_t n = std::min(kChunkElements, count - done);
    const std::uint8_t* p = src + done * h.itemSize;
    if (h.bigEndian) {
      swapped.assign(p, p + n * h.itemSize);
      for (std::size_t i = 0; i < n; ++i)
        std::reverse(swapped.begin() + i * h.itemSize, swapped.begin() + (i + 1) * h.itemSize);
      p = swapped.data();
    }
    convertToFloat(h.dtype, p, n, target + done);
    done += n;
    work.report(static_cast<double>(done), static_cast<double>(count));
  }
  if (target == dst) return;
  // Fortran order: element (i0, ..., ik) sits at i0 + d0·(i1 + d1·(i2 + ...)). Walk the row-major
  // output with a multi-index and keep the column-major offset up to date incrementally.
  const std::size_t rank = h.shape.size();
  std::vector<std::uint64_t> stride(rank), index(rank, 0);
  std::uint64_t s = 1;
  for (std::size_t k = 0; k < rank; ++k) {
    stride[k] = s;
    s *= static_cast<std::uint64_t>(h.shape[k]);
  }
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < count; ++i) {
    dst[i] = fortran[off];
    for (std::size_t k = rank; k-- > 0;) {
      ++index[k];
      off += stride[k];
      if (index[k] < static_cast<std::uint64_t>(h.shape[k])) break;
      off -= stride[k] * index[k];
      index[k] = 0;
    }
  }
}

// Copies an npy payload (h.dataBytes bytes) into `dst` as little-endian, row-major elements of
// h.dtype: what readStored promises. Element bytes are moved whole, never converted.
void normalizeNpyPayload(const NpyHeader& h, const std::uint8_t* src, std::uint8_t* dst) {
  const std::size_t count = static_cast<std::size_t>(h.count);
  const std::size_t size = h.itemSize;
  const bool fortran = h.fortranOrder && h.shape.size() > 1;
  if (!fortran) {
    if (count * size != 0) std::memcpy(dst, src, count * size);  // an empty array may have null buffers
  } else {
    // Row-major walk of the output with the column-major offset kept up to date, as decodeNpyPayload.
    const std::size_t rank = h.shape.size();
    std::vector<std::uint64_t> stride(rank), index(rank, 0);
    std::uint64_t s = 1;
    for (std::size_t k = 0; k < rank; ++k) {
      stride[k] = s;
      s *= static_cast<std::uint64_t>(h.shape[k]);
    }
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::memcpy(dst + i * size, src + off * size, size);
      for (std::size_t k = rank; k-- > 0;) {
        ++index[k];
        off += stride[k];
        if (index[k] < static_cast<std::uint64_t>(h.shape[k])) break;
        off -= stride[k] * index[k];
        index[k] = 0;
      }
    }
  }
  if (h.bigEndian)
    for (std::size_t i = 0; i < count; ++i) std::reverse(dst + i * size, dst + (i + 1) * size);
}

TensorInfo npyInfo(std::string name, const NpyHeader& h) {
  TensorInfo info;
  info.name = std::move(name);
  info.dtype = h.dtype;
  info.shape = h.shape;
  info.bytes = h.dataBytes;
  if (h.bigEndian) info.layout = "big-endian";
  if (h.fortranOrder && h.shape.size() > 1)
    info.layout += std::string(info.layout.empty() ? "" : ", ") + "Fortran order (transposed on read)";
  return info;
}

// ---------------------------------------------------------------------------------------------
// .npy

class NpyReader final : public TensorReader {
 public:
  NpyReader(std::shared_ptr<MappedFile> file, NpyHeader h, std::string name)
      : m_file(std::move(file)), m_header(std::move(h)) {
    m_tensors.push_back(npyInfo(std::move(name), m_header));
  }
  std::string_view format() const override { return "npy"; }
  const std::string& path() const override { return m_file->name(); }
  const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
  const Metadata& metadata() const override { return m_metadata; }
  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index != 0) return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(path() + ": reading cancelled");
    FloatTensor out;
    out.name = m_tensors[0].name;
    out.shape = m_header.shape;
    out.values.resize(static_cast<std::size_t>(m_header.count));
    decodeNpyPayload(m_header, m_file->bytes().data() + m_header.dataOffset, out.values.data(), work);
    return out;
  }
  // Mapped as stored only when the file's order is the row-major little-endian one.
  std::span<const std::uint8_t> storedBytes(std::size_t index) const override {
    if (index != 0 || m_header.bigEndian || (m_header.fortranOrder && m_header.shape.size() > 1)) return {};
    return m_file->bytes().subspan(static_cast<std::size_t>(m_header.dataOffset),
                                   static_cast<std::size_t>(m_header.dataBytes));
  }
  Result<std::vector<std::uint8_t>> readStored(std::size_t index, const Work& work) const override {
    if (index != 0) return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(path() + ": reading cancelled");
    std::vector<std::uint8_t> out(static_cast<std::size_t>(m_header.dataBytes));
    normalizeNpyPayload(m_header, m_file->bytes().data() + m_header.dataOffset, out.data());
    return out;
  }

 private:
  std::shared_ptr<MappedFile> m_file;
  NpyHeader m_header;
  std::vector<TensorInfo> m_tensors;
  Metadata m_metadata;
};

std::string stemOf(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? std::string("array") : base;
}

// ---------------------------------------------------------------------------------------------
// .npz (ZIP)

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::size_t kEndRecordSize = 22;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
// Deflate cannot expand better than about 1032:1, so a claimed uncompressed size above this is a
// lie; the check bounds every allocation by the file size.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct Member {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compSize = 0;
  std::uint64_t uncompSize = 0;
  std::uint64_t dataStart = 0;  // absolute offset of the (compressed) member bytes
  NpyHeader header;
};

// Replaces 0xFFFFFFFF sizes/offsets from a ZIP64 extra field (id 0x0001), in the order the spec
// gives: uncompressed size, compressed size, local header offset.
bool applyZip64Extra(std::span<const std::uint8_t> extra, std::uint64_t* uncomp, std::uint64_t* comp,
                     std::uint64_t* offset) {
  io::ByteCursor cur(extra);
  while (cur.remaining() >= 4) {
    std::uint16_t id = 0, len = 0;
    cur.read(id);
    cur.read(len);
    std::span<const std::uint8_t> body;
    if (!cur.take(len, body)) return false;
    if (id != 0x0001) continue;
    io::ByteCursor z(body);
    for (std::uint64_t* field : {uncomp, comp, offset}) {
      if (!field || *field != 0xFFFFFFFFu) continue;
      if (!z.read(*field)) return false;
    }
    return true;
  }
  return !((uncomp && *uncomp == 0xFFFFFFFFu) || (comp && *comp == 0xFFFFFFFFu) ||
           (offset && *offset == 0xFFFFFFFFu));
}

// Inflates a raw deflate stream into `out` (whose size is the number of bytes wanted). Returns the
// number of bytes produced, or an error. With `exact`, the stream must end exactly at out.size().
Result<std::size_t> inflateRaw(std::span<const std::uint8_t> in, std::span<std::uint8_t> out, bool exact) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return makeError("cannot initialise zlib");
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int rc = Z_OK;
  // zlib counts in uInt: feed large members in pieces.
  constexpr std::size_t kStep = 1u << 30;
  while (produced < out.size()) {
    const std::size_t inStep = std::min(kStep, in.size() - consumed);
    const std::size_t outStep = std::min(kStep, out.size() - produced);
    zs.next_in = const_cast<Bytef*>(in.data() + consumed);
    zs.avail_in = static_cast<uInt>(inStep);
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(outStep);
    rc = inflate(&zs, Z_NO_FLUSH);
    consumed += inStep - zs.avail_in;
    produced += outStep - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const std::string msg = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      return makeError("corrupt deflate data: " + msg);
    }
    if (rc == Z_BUF_ERROR) break;  // no progress possible: the input is exhausted
  }
  if (exact && produced == out.size() && rc != Z_STREAM_END) {
    // The output is full: the stream must end here, with no data left over.
    std::uint8_t extra = 0;
    zs.next_out = &extra;
    zs.avail_out = 1;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_STREAM_END || zs.avail_out == 0) {
      inflateEnd(&zs);
      return makeError(zs.avail_out == 0 ? "deflate stream holds more data than the declared uncompressed size"
                                         : "deflate stream does not end where the declared size says (truncated or corrupt)");
    }
  }
  inflateEnd(&zs);
  if (exact && produced != out.size())
    return makeError("deflate stream ends after " + std::to_string(produced) +
                     " bytes, the declared uncompressed size is " + std::to_string(out.size()));
  return produced;
}

class NpzReader final : public TensorReader {
 public:
  NpzReader(std::shared_ptr<MappedFile> file, std::vector<Member> members, Metadata metadata)
      : m_file(std::move(file)), m_members(std::move(members)), m_metadata(std::move(metadata)) {
    for (const Member& m : m_members) m_tensors.push_back(npyInfo(m.name, m.header));
  }
  std::string_view format() const override { return "npz"; }
  const std::string& path() const override { return m_file->name(); }
  const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
  const Metadata& metadata() const override { return m_metadata; }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    std::vector<std::uint8_t> inflated;
    auto member = memberNpy(index, work, inflated);
    if (!member) return member.error();
    const auto& [npy, h] = *member;
    FloatTensor out;
    out.name = m_members[index].name;
    out.shape = h.shape;
    out.values.resize(static_cast<std::size_t>(h.count));
    decodeNpyPayload(h, npy.data() + h.dataOffset, out.values.data(), work);
    return out;
  }

  Result<std::vector<std::uint8_t>> readStored(std::size_t index, const Work& work) const override {
    std::vector<std::uint8_t> inflated;
    auto member = memberNpy(index, work, inflated);
    if (!member) return member.error();
    const auto& [npy, h] = *member;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(h.dataBytes));
    normalizeNpyPayload(h, npy.data() + h.dataOffset, out.data());
    return out;
  }

  // The member's whole .npy stream (inflated into `buffer` when deflated), its CRC-32 checked and
  // its header re-parsed and matched against the catalog.
  Result<std::pair<std::span<const std::uint8_t>, NpyHeader>> memberNpy(std::size_t index, const Work& work,
                                                                         std::vector<std::uint8_t>& buffer) const {
    if (index >= m_members.size())
      return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(path() + ": reading cancelled");
    const Member& m = m_members[index];
    const std::string ctx = path() + ": member '" + m.name + ".npy': ";
    const auto packed = m_file->bytes().subspan(static_cast<std::size_t>(m.dataStart),
                                                static_cast<std::size_t>(m.compSize));
    std::span<const std::uint8_t> npy = packed;
    if (m.method == 8) {
      buffer.resize(static_cast<std::size_t>(m.uncompSize));
      auto n = inflateRaw(packed, buffer, true);
      if (!n) return makeError(ctx + n.error().message);
      npy = buffer;
    }
    // CRC-32 of the uncompressed member, computed in pieces (zlib counts in uInt).
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::size_t at = 0; at < npy.size();) {
      const std::size_t n = std::min<std::size_t>(npy.size() - at, 1u << 30);
      crc = crc32(crc, npy.data() + at, static_cast<uInt>(n));
      at += n;
    }
    if (static_cast<std::uint32_t>(crc) != m.crc)
      return makeError(ctx + "CRC-32 mismatch (stored " + hex(m.crc) + ", computed " +
                       hex(static_cast<std::uint32_t>(crc)) + "): the archive is corrupt");
    // The header inflated now must be the one catalogued at open (same bytes, same CRC).
    NpyHeader h;
    if (auto err = parseNpyHeader(npy, h)) return makeError(ctx + *err);
    if (h.dataOffset != m.header.dataOffset || h.dataOffset + h.dataBytes != npy.size())
      return makeError(ctx + "npy header disagrees with the member size");
    return std::pair{npy, h};
  }

  static std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
  }

 private:
  std::shared_ptr<MappedFile> m_file;
  std::vector<Member> m_members;
  std::vector<TensorInfo> m_tensors;
  Metadata m_metadata;
};

// Reads the local header of `m` (at `localOffset`), checks it against the central directory and
// reads the member's npy header (inflating only its first bytes).
std::optional<std::string> readLocalAndNpyHeader(std::span<const std::uint8_t> bytes,
                                                 std::uint64_t localOffset, std::uint64_t cdOffset,
                                                 Member& m) {
  io::ByteCursor cur(bytes);
  std::uint32_t sig = 0, crc = 0, comp32 = 0, uncomp32 = 0;
  std::uint16_t version = 0, flags = 0, method = 0, time = 0, date = 0, nameLen = 0, extraLen = 0;
  if (!cur.seek(localOffset) || !cur.read(sig) || sig != kLocalSig)
    return "no local file header at offset " + std::to_string(localOffset);
  if (!(cur.read(version) && cur.read(flags) && cur.read(method) && cur.read(time) && cur.read(date) &&
        cur.read(crc) && cur.read(comp32) && cur.read(uncomp32) && cur.read(nameLen) && cur.read(extraLen)))
    return "truncated local file header";
  std::string_view name;
  std::span<const std::uint8_t> extra;
  if (!cur.takeString(nameLen, name) || !cur.take(extraLen, extra)) return "truncated local file header";
  if (name != m.name + ".npy") return "local header name '" + std::string(name) + "' differs from the central directory";
  if (method != m.method) return "local header compression method differs from the central directory";
  // Bit 3: sizes and CRC follow the data in a descriptor; the central directory is authoritative.
  if (!(flags & 0x8)) {
    std::uint64_t comp = comp32, uncomp = uncomp32;
    if (!applyZip64Extra(extra, &uncomp, &comp, nullptr)) return "malformed ZIP64 extra field in local header";
    if (comp != m.compSize || uncomp != m.uncompSize || crc != m.crc)
      return "local header sizes/CRC differ from the central directory";
  }
  m.dataStart = cur.pos();
  if (m.compSize > cdOffset || m.dataStart > cdOffset - m.compSize)
    return "member data (" + std::to_string(m.compSize) + " bytes at " + std::to_string(m.dataStart) +
           ") runs into the central directory";
  const auto packed = bytes.subspan(static_cast<std::size_t>(m.dataStart), static_cast<std::size_t>(m.compSize));

  std::uint64_t need = 0;
  std::optional<std::string> err;
  if (m.method == 0) {
    if (m.compSize != m.uncompSize) return "stored member with compressed size ≠ uncompressed size";
    err = parseNpyHeader(packed, m.header);
  } else {
    // Inflate the 12-byte preamble, then the whole header once its length is known.
    std::vector<std::uint8_t> head(static_cast<std::size_t>(std::min<std::uint64_t>(12, m.uncompSize)));
    for (int pass = 0; pass < 2; ++pass) {
      auto n = inflateRaw(packed, head, false);
      if (!n) return n.error().message;
      head.resize(*n);
      need = 0;
      err = parseNpyHeader(head, m.header, &need);
      if (!err || *err != "short") break;
      if (need > m.uncompSize || head.size() >= need) {
        err = "npy header runs past the end of the member";
        break;
      }
      head.resize(static_cast<std::size_t>(need));
    }
  }
  if (err && *err == "short") err = "npy header runs past the end of the member";
  if (err) return err;
  if (m.header.dataOffset + m.header.dataBytes != m.uncompSize)
    return "npy header (" + shapeToString(m.header.shape) + ", " + std::to_string(m.header.dataBytes) +
           " data bytes) disagrees with the member size " + std::to_string(m.uncompSize);
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<TensorReader>> openNpy(std::shared_ptr<MappedFile> file) {
  NpyHeader h;
  if (auto err = parseNpyHeader(file->bytes(), h)) return makeError(file->name() + ": " + *err);
  const std::uint64_t have = file->size() - h.dataOffset;
  if (have != h.dataBytes)
    return makeError(file->name() + ": npy header promises " + std::to_string(h.dataBytes) + " data bytes (" +
                     shapeToString(h.shape) + " × " + std::to_string(h.itemSize) + ") but the file holds " +
                     std::to_string(have));
  std::string name = stemOf(file->name());
  return std::unique_ptr<TensorReader>(new NpyReader(std::move(file), std::move(h), std::move(name)));
}

Result<std::unique_ptr<TensorReader>> openNpz(std::shared_ptr<MappedFile> file) {
  const std::string& where = file->name();
  const auto bytes = file->bytes();
  const std::string ctx = where + ": npz: ";
  if (bytes.size() < kEndRecordSize) return makeError(ctx + "too short for a ZIP archive");

  // End of central directory: the last 22-byte record with a comment running exactly to the end.
  std::optional<std::size_t> endAt;
  const std::size_t lowest = bytes.size() > kEndRecordSize + 0xFFFF ? bytes.size() - kEndRecordSize - 0xFFFF : 0;
  for (std::size_t at = bytes.size() - kEndRecordSize + 1; at-- > lowest;) {
    io::ByteCursor c(bytes, at);
    std::uint32_t sig = 0;
    std::uint16_t commentLen = 0;
    c.read(sig);
    if (sig != kEndSig) continue;
    c.seek(at + 20);
    c.read(commentLen);
    if (at + kEndRecordSize + commentLen == bytes.size()) {
      endAt = at;
      break;
    }
  }
  if (!endAt) return makeError(ctx + "no ZIP end-of-central-directory record (not a ZIP archive or truncated)");
  io::ByteCursor end(bytes, *endAt + 4);
  std::uint16_t disk16 = 0, cdDisk16 = 0, entriesHere16 = 0, entries16 = 0;
  std::uint32_t cdSize32 = 0, cdOffset32 = 0;
  end.read(disk16);
  end.read(cdDisk16);
  end.read(entriesHere16);
  end.read(entries16);
  end.read(cdSize32);
  end.read(cdOffset32);
  std::uint64_t disk = disk16, cdDisk = cdDisk16, entriesHere = entriesHere16, entries = entries16;
  std::uint64_t cdSize = cdSize32, cdOffset = cdOffset32;
  // ZIP64 (over 65535 members or 4 GiB, or always for some writers): a locator just before the end
  // record points to the ZIP64 end record, whose 64-bit counts and offsets replace the 32-bit ones.
  std::uint64_t directoryEnd = *endAt;
  if (*endAt >= 20) {
    io::ByteCursor c(bytes, *endAt - 20);
    std::uint32_t sig = 0, locatorDisk = 0, totalDisks = 0;
    std::uint64_t zip64At = 0;
    c.read(sig);
    if (sig == kZip64LocatorSig) {
      c.read(locatorDisk);
      c.read(zip64At);
      c.read(totalDisks);
      constexpr std::uint64_t kZip64EndSize = 56;
      if (locatorDisk != 0 || totalDisks != 1) return makeError(ctx + "multi-disk ZIP archives are not supported");
      if (zip64At > *endAt - 20 || *endAt - 20 - zip64At < kZip64EndSize)
        return makeError(ctx + "ZIP64 end record offset " + std::to_string(zip64At) + " lies outside the archive");
      io::ByteCursor z(bytes, zip64At);
      std::uint32_t zsig = 0, disk32 = 0, cdDisk32 = 0;
      std::uint64_t recordSize = 0;
      std::uint16_t made = 0, needed = 0;
      z.read(zsig);
      z.read(recordSize);
      z.read(made);
      z.read(needed);
      z.read(disk32);
      z.read(cdDisk32);
      z.read(entriesHere);
      z.read(entries);
      z.read(cdSize);
      z.read(cdOffset);
      if (zsig != kZip64EndSig) return makeError(ctx + "ZIP64 end record has a bad signature");
      disk = disk32;
      cdDisk = cdDisk32;
      directoryEnd = zip64At;
    }
  }
  if (disk != 0 || cdDisk != 0 || entriesHere != entries)
    return makeError(ctx + "multi-disk ZIP archives are not supported");
  if (cdOffset > directoryEnd || cdSize > directoryEnd - cdOffset)
    return makeError(ctx + "central directory (" + std::to_string(cdSize) + " bytes at " +
                     std::to_string(cdOffset) + ") lies outside the archive");
  if (entries > cdSize / kCentralSize)
    return makeError(ctx + std::to_string(entries) + " entries cannot fit in a central directory of " +
                     std::to_string(cdSize) + " bytes");

  std::vector<Member> members;
  Metadata metadata;
  std::set<std::string> names;
  io::ByteCursor cd(bytes.first(static_cast<std::size_t>(cdOffset + cdSize)), static_cast<std::size_t>(cdOffset));
  for (std::uint64_t i = 0; i < entries; ++i) {
    std::uint32_t sig = 0, crc = 0, comp32 = 0, uncomp32 = 0, extAttr = 0, local32 = 0;
    std::uint16_t made = 0, version = 0, flags = 0, method = 0, time = 0, date = 0, nameLen = 0,
                  extraLen = 0, commentLen = 0, diskStart = 0, intAttr = 0;
    if (!cd.read(sig) || sig != kCentralSig)
      return makeError(ctx + "central directory entry " + std::to_string(i) + " has a bad signature");
    if (!(cd.read(made) && cd.read(version) && cd.read(flags) && cd.read(method) && cd.read(time) &&
          cd.read(date) && cd.read(crc) && cd.read(comp32) && cd.read(uncomp32) && cd.read(nameLen) &&
          cd.read(extraLen) && cd.read(commentLen) && cd.read(diskStart) && cd.read(intAttr) &&
          cd.read(extAttr) && cd.read(local32)))
      return makeError(ctx + "central directory entry " + std::to_string(i) + " is truncated");
    std::string_view name;
    std::span<const std::uint8_t> extra;
    if (!cd.takeString(nameLen, name) || !cd.take(extraLen, extra) || !cd.skip(commentLen))
      return makeError(ctx + "central directory entry " + std::to_string(i) + " is truncated");
    const std::string mctx = ctx + "member '" + std::string(name) + "': ";
    std::uint64_t comp = comp32, uncomp = uncomp32, local = local32;
    if (!applyZip64Extra(extra, &uncomp, &comp, &local))
      return makeError(mctx + "malformed ZIP64 extra field");
    if (!name.empty() && name.back() == '/') continue;  // a directory entry
    if (name.size() < 4 || name.substr(name.size() - 4) != ".npy") {
      metadata.emplace_back("skipped:" + std::string(name), "not a .npy member");
      continue;
    }
    if (flags & 0x1) return makeError(mctx + "encrypted members are not supported");
    if (method != 0 && method != 8)
      return makeError(mctx + "compression method " + std::to_string(method) +
                       " is not supported (only stored and deflate)");
    if (method == 8 && uncomp > comp * kMaxDeflateRatio + 1024)
      return makeError(mctx + "uncompressed size " + std::to_string(uncomp) + " is impossible for " +
                       std::to_string(comp) + " deflated bytes");
    Member m;
    m.name = std::string(name.substr(0, name.size() - 4));
    if (!names.insert(m.name).second) return makeError(mctx + "appears twice in the archive");
    m.method = method;
    m.crc = crc;
    m.compSize = comp;
    m.uncompSize = uncomp;
    if (auto err = readLocalAndNpyHeader(bytes, local, cdOffset, m)) return makeError(mctx + *err);
    members.push_back(std::move(m));
  }
  return std::unique_ptr<TensorReader>(new NpzReader(std::move(file), std::move(members), std::move(metadata)));
}

}  // namespace quench
