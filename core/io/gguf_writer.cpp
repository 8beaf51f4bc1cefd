#include "core/io/gguf_writer.h"

#include <bit>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace quench {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF is written as host bytes");

constexpr std::uint32_t kDefaultAlignment = 32;
constexpr std::size_t kMaxNameBytes = 63;  // GGML_MAX_NAME - 1: ggml refuses longer tensor names

class Encoder {
 public:
  std::vector<std::uint8_t> out;
  template <class T>
  void put(T v) {
    std::uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    out.insert(out.end(), raw, raw + sizeof(T));
  }
  void str(std::string_view s) {
    put<std::uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void value(const GgufValue& v) {
    if (v.type() == GgufType::String) return str(v.text());
    if (!v.isArray()) {
      out.insert(out.end(), v.raw().begin(), v.raw().end());
      return;
    }
    put(static_cast<std::uint32_t>(v.elementType()));
    put<std::uint64_t>(v.count());
    if (v.elementType() == GgufType::String) {
      for (const auto& s : v.strings()) str(s);
    } else if (v.elementType() == GgufType::Array) {
      for (const auto& a : v.arrays()) value(a);
    } else {
      out.insert(out.end(), v.raw().begin(), v.raw().end());
    }
  }
};

/// A value the encoder can write faithfully: known types, numeric bytes a whole number of
/// elements, nested arrays shallow enough for every reader.
bool validValue(const GgufValue& v, int depth, std::string& why) {
  const auto t = static_cast<std::uint32_t>(v.type());
  if (t > 12) return why = "unknown value type " + std::to_string(t), false;
  if (v.type() == GgufType::String) return true;
  if (!v.isArray()) {
    if (v.raw().size() != ggufScalarSize(v.type())) return why = "scalar of the wrong size", false;
    if (v.type() == GgufType::Bool && v.raw()[0] > 1) return why = "bool neither 0 nor 1", false;
    return true;
  }
  if (depth >= 8) return why = "arrays nested deeper than 8", false;
  const auto et = static_cast<std::uint32_t>(v.elementType());
  if (et > 12) return why = "array of unknown element type " + std::to_string(et), false;
  if (v.elementType() == GgufType::Array) {
    for (const auto& a : v.arrays())
      if (!validValue(a, depth + 1, why)) return false;
    return true;
  }
  if (v.elementType() == GgufType::String) return true;
  if (v.raw().size() % ggufScalarSize(v.elementType()) != 0) return why = "array bytes are not whole elements", false;
  if (v.elementType() == GgufType::Bool)
    for (const auto b : v.raw())
      if (b > 1) return why = "bool array element neither 0 nor 1", false;
  return true;
}

/// ggml_n_dims: dimensions after the last one that is not 1 are dropped (a scalar keeps one).
std::size_t nDims(const std::vector<std::uint64_t>& ne) {
  std::size_t n = ne.size();
  while (n > 1 && ne[n - 1] == 1) --n;
  return n;
}

struct Layout {
  std::vector<std::uint8_t> header;  // through the padding before the data section
  std::vector<std::uint64_t> bytes;  // per tensor
  std::uint32_t alignment = kDefaultAlignment;
};

Result<Layout> layout(const std::vector<GgufKv>& kv, const std::vector<GgufTensorSpec>& tensors) {
  Layout l;
  std::unordered_set<std::string> keys;
  for (const auto& [k, v] : kv) {
    if (k.empty()) return makeError("GGUF writer: empty key");
    if (!keys.insert(k).second) return makeError("GGUF writer: key '" + k + "' given twice");
    std::string why;
    if (!validValue(v, 0, why)) return makeError("GGUF writer: key '" + k + "': " + why);
    if (k == "general.alignment") {
      const auto a = v.type() == GgufType::U32 ? v.toUInt() : std::nullopt;
      if (!a || *a == 0 || (*a & (*a - 1)) != 0) return makeError("GGUF writer: general.alignment must be a u32 power of two");
      l.alignment = static_cast<std::uint32_t>(*a);
    }
  }
  std::unordered_set<std::string> names;
  l.bytes.reserve(tensors.size());
  for (const auto& t : tensors) {
    const std::string ctx = "GGUF writer: tensor '" + t.name + "': ";
    if (t.name.empty()) return makeError("GGUF writer: a tensor has an empty name");
    if (t.name.size() > kMaxNameBytes)
      return makeError(ctx + "name longer than " + std::to_string(kMaxNameBytes) + " bytes (ggml cannot load it)");
    if (!names.insert(t.name).second) return makeError(ctx + "name given twice");
    if (t.ne.empty() || t.ne.size() > 4) return makeError(ctx + std::to_string(t.ne.size()) + " dimensions (1..4)");
    const ggml::TypeInfo* info = ggml::typeInfo(static_cast<std::uint32_t>(t.type));
    if (!info) return makeError(ctx + "unknown ggml type " + std::to_string(static_cast<std::uint32_t>(t.type)));
    auto rb = ggml::rowBytes(t.type, t.ne[0]);
    if (!rb) return makeError(ctx + "ne[0] = " + std::to_string(t.ne[0]) + " is not a multiple of the " + std::string(info->name) +
                              " block size " + std::to_string(info->blockSize));
    std::uint64_t bytes = *rb;
    for (std::size_t d = 1; d < t.ne.size(); ++d) {
      if (t.ne[d] != 0 && bytes > (std::uint64_t{1} << 62) / t.ne[d]) return makeError(ctx + "size overflows");
      bytes *= t.ne[d];
    }
    if (t.ne[0] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return makeError(ctx + "ne[0] too large");
    l.bytes.push_back(bytes);
  }

  Encoder e;
  e.out = {'G', 'G', 'U', 'F'};
  e.put<std::uint32_t>(3);
  e.put<std::uint64_t>(tensors.size());
  e.put<std::uint64_t>(kv.size());
  for (const auto& [k, v] : kv) {
    e.str(k);
    e.put(static_cast<std::uint32_t>(v.type()));
    e.value(v);
  }
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    e.str(t.name);
    const std::size_t n = nDims(t.ne);
    e.put(static_cast<std::uint32_t>(n));
    for (std::size_t d = 0; d < n; ++d) e.put<std::uint64_t>(t.ne[d]);
    e.put(static_cast<std::uint32_t>(t.type));
    e.put<std::uint64_t>(offset);
    const std::uint64_t padded = (l.bytes[i] + l.alignment - 1) / l.alignment * l.alignment;
    if (padded > std::numeric_limits<std::uint64_t>::max() - offset) return makeError("GGUF writer: data section overflows");
    offset += padded;
  }
  while (e.out.size() % l.alignment != 0) e.out.push_back(0);
  l.header = std::move(e.out);
  return l;
}

}  // namespace

Result<std::vector<std::uint8_t>> encodeGgufHeader(const std::vector<GgufKv>& kv, const std::vector<GgufTensorSpec>& tensors) {
  auto l = layout(kv, tensors);
  if (!l) return l.error();
  return std::move(l->header);
}

Result<std::unique_ptr<GgufWriter>> GgufWriter::create(const std::filesystem::path& path, const std::vector<GgufKv>& kv,
                                                       std::vector<GgufTensorSpec> tensors) {
  auto l = layout(kv, tensors);
  if (!l) return makeError(path.string() + ": " + l.error().message);
  auto file = AtomicFile::create(path);
  if (!file) return file.error();
  std::unique_ptr<GgufWriter> w(new GgufWriter());
  w->m_file = std::move(*file);
  w->m_specs = std::move(tensors);
  w->m_bytes = std::move(l->bytes);
  w->m_alignment = l->alignment;
  if (auto s = w->m_file->write(l->header); !s) return s.error();
  // Zero-byte tensors are complete at once.
  while (w->m_current < w->m_bytes.size() && w->m_bytes[w->m_current] == 0) ++w->m_current;
  return w;
}

Status GgufWriter::append(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    if (m_current >= m_specs.size())
      return makeError(m_file->target().string() + ": " + std::to_string(bytes.size()) + " bytes beyond the last tensor");
    const std::uint64_t left = m_bytes[m_current] - m_writtenOfCurrent;
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes.size()));
    if (auto s = m_file->write(bytes.first(take)); !s) return s;
    bytes = bytes.subspan(take);
    m_writtenOfCurrent += take;
    if (m_writtenOfCurrent == m_bytes[m_current]) {
      const std::uint64_t pad = (m_alignment - m_writtenOfCurrent % m_alignment) % m_alignment;
      if (auto s = m_file->writeZeros(pad); !s) return s;
      m_writtenOfCurrent = 0;
      ++m_current;
      while (m_current < m_bytes.size() && m_bytes[m_current] == 0) ++m_current;
    }
  }
  return {};
}

Status GgufWriter::finish() {
  if (m_current < m_specs.size())
    return makeError(m_file->target().string() + ": tensor '" + m_specs[m_current].name + "' has " +
                     std::to_string(m_writtenOfCurrent) + " of its " + std::to_string(m_bytes[m_current]) + " bytes");
  return m_file->commit();
}

Status writeGguf(const std::filesystem::path& path, const std::vector<GgufKv>& kv, const std::vector<GgufTensorData>& tensors) {
  std::vector<GgufTensorSpec> specs;
  specs.reserve(tensors.size());
  for (const auto& t : tensors) specs.push_back(t.spec);
  auto w = GgufWriter::create(path, kv, std::move(specs));
  if (!w) return w.error();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].data.size() != (*w)->tensorBytes(i))
      return makeError(path.string() + ": tensor '" + tensors[i].spec.name + "' has " + std::to_string(tensors[i].data.size()) +
                       " bytes, its shape and type need " + std::to_string((*w)->tensorBytes(i)));
    if (auto s = (*w)->append(tensors[i].data); !s) return s;
  }
  return (*w)->finish();
}

}  // namespace quench
