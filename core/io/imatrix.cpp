#include "core/io/imatrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "core/io/atomic_file.h"
#include "core/io/byte_cursor.h"
#include "core/io/gguf_file.h"
#include "core/io/gguf_writer.h"
#include "core/io/mapped_file.h"

namespace quench {
namespace {

constexpr std::string_view kSumsSuffix = ".in_sum2";
constexpr std::string_view kCountsSuffix = ".counts";
// Counts are token totals stored as f32: beyond 2^53 they are no longer integers anyway.
constexpr double kMaxCount = 9007199254740992.0;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<float> loadFloats(std::span<const std::uint8_t> bytes) {
  std::vector<float> out(bytes.size() / 4);
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

Result<Imatrix> parseGgufImatrix(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto h = parseGguf(bytes, name);
  if (!h) return h.error();
  const std::string where = name + ": imatrix: ";
  Imatrix m;
  m.format = Imatrix::Format::Gguf;
  const GgufValue* datasets = h->find("imatrix.datasets");
  const GgufValue* chunkCount = h->find("imatrix.chunk_count");
  const GgufValue* chunkSize = h->find("imatrix.chunk_size");
  if (datasets && datasets->isArray() && datasets->elementType() == GgufType::String) m.datasets = datasets->strings();
  m.hasMetadata = datasets && chunkCount && chunkSize;
  auto u32Key = [&](const GgufValue* v, const char* key, std::int32_t& out) -> Status {
    if (!v) return {};
    const auto u = v->type() == GgufType::U32 ? v->toUInt() : std::nullopt;
    if (!u || *u > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
      return makeError(where + key + " must be a u32 below 2^31 (is " + v->describe() + ")");
    out = static_cast<std::int32_t>(*u);
    return {};
  };
  if (auto s = u32Key(chunkCount, "imatrix.chunk_count", m.chunkCount); !s) return s.error();
  if (auto s = u32Key(chunkSize, "imatrix.chunk_size", m.chunkSize); !s) return s.error();

  // Pair W.in_sum2 with W.counts, sorted by W as llama.cpp's std::map does.
  std::map<std::string, std::pair<int, int>> pairs;
  for (std::size_t i = 0; i < h->tensors.size(); ++i) {
    const std::string& tn = h->tensors[i].name;
    if (endsWith(tn, kSumsSuffix)) pairs[tn.substr(0, tn.size() - kSumsSuffix.size())].first = static_cast<int>(i) + 1;
    else if (endsWith(tn, kCountsSuffix)) pairs[tn.substr(0, tn.size() - kCountsSuffix.size())].second = static_cast<int>(i) + 1;
  }
  if (pairs.empty()) return makeError(where + "no '<weight>.in_sum2' / '<weight>.counts' tensors");
  for (const auto& [w, idx] : pairs) {
    if (!idx.first || !idx.second) return makeError(where + "'" + w + "' has " + (idx.first ? "sums but no counts" : "counts but no sums"));
    const GgufTensorInfo& ts = h->tensors[static_cast<std::size_t>(idx.first - 1)];
    const GgufTensorInfo& tc = h->tensors[static_cast<std::size_t>(idx.second - 1)];
    if (ts.type != 0 || tc.type != 0) return makeError(where + "sums and counts of '" + w + "' must be F32");
    const std::uint64_t nval = ts.elements(), ncounts = tc.elements();
    if (ncounts == 0 || nval % ncounts != 0 || nval == 0)
      return makeError(where + "'" + w + "': " + std::to_string(nval) + " sums do not split into " + std::to_string(ncounts) +
                       " matrices");
    ImatrixEntry e;
    e.name = w;
    e.sums = loadFloats(bytes.subspan(h->dataOffset + ts.offset, ts.bytes));
    const std::vector<float> c = loadFloats(bytes.subspan(h->dataOffset + tc.offset, tc.bytes));
    e.counts.resize(c.size());
    for (std::size_t j = 0; j < c.size(); ++j) {
      if (!(c[j] >= 0.0f && static_cast<double>(c[j]) <= kMaxCount))
        return makeError(where + "'" + w + "': count " + std::to_string(j) + " is " + std::to_string(c[j]) +
                         " (must be a non-negative token count)");
      e.counts[j] = std::llround(c[j]);
    }
    m.entries.push_back(std::move(e));
  }
  return m;
}

Result<Imatrix> parseLegacyImatrix(std::span<const std::uint8_t> bytes, const std::string& name) {
  io::ByteCursor cur(bytes);
  auto fail = [&](const std::string& what) {
    return makeError(name + ": legacy imatrix: " + what + " (at byte " + std::to_string(cur.pos()) + ")");
  };
  Imatrix m;
  m.format = Imatrix::Format::Legacy;
  std::int32_t nEntries = 0;
  if (!cur.read(nEntries) || nEntries < 1) return fail("no entries (the first i32 must be a positive count)");
  // An entry needs at least 4 (name length) + 4 (ncall) + 4 (nval) + 4 (one value) bytes.
  if (static_cast<std::uint64_t>(nEntries) > cur.remaining() / 16)
    return fail(std::to_string(nEntries) + " entries cannot fit in " + std::to_string(cur.remaining()) + " bytes");
  std::map<std::string, ImatrixEntry> entries;
  for (std::int32_t i = 0; i < nEntries; ++i) {
    const std::string which = "entry " + std::to_string(i);
    std::int32_t len = 0;
    std::string_view ename;
    if (!cur.read(len) || len < 0 || !cur.takeString(static_cast<std::uint64_t>(len), ename)) return fail(which + ": name truncated");
    // llama.cpp reads the name as a C string: it ends at the first NUL.
    ename = ename.substr(0, std::min(ename.size(), ename.find('\0')));
    std::int32_t ncall = 0, nval = 0;
    if (!cur.read(ncall) || !cur.read(nval)) return fail(which + " ('" + std::string(ename) + "'): header truncated");
    if (nval < 1) return fail(which + " ('" + std::string(ename) + "'): " + std::to_string(nval) + " values");
    // A call count is a number of chunks: a negative one is a corrupt file, not data.
    if (ncall < 0) return fail(which + " ('" + std::string(ename) + "'): negative call count " + std::to_string(ncall));
    std::span<const std::uint8_t> raw;
    if (!cur.take(static_cast<std::uint64_t>(nval) * 4, raw))
      return fail(which + " ('" + std::string(ename) + "'): " + std::to_string(nval) + " values run past the end of the file");
    ImatrixEntry e;
    e.name = std::string(ename);
    e.sums = loadFloats(raw);
    e.counts = {ncall};
    if (!entries.emplace(e.name, std::move(e)).second) return fail(which + ": '" + std::string(ename) + "' appears twice");
  }
  // The trailer (chunk count, dataset name) is optional.
  if (cur.remaining() > 0) {
    std::int32_t nCalls = 0;
    if (cur.read(nCalls)) m.chunkCount = nCalls;
    std::int32_t len = 0;
    if (cur.read(len) && len > 0) {
      std::string_view ds;
      if (cur.takeString(static_cast<std::uint64_t>(len), ds)) m.datasets.emplace_back(ds.substr(0, std::min(ds.size(), ds.find('\0'))));
    }
  }
  for (auto& [n, e] : entries) m.entries.push_back(std::move(e));
  return m;
}

void putI32(std::vector<std::uint8_t>& out, std::int32_t v) {
  std::uint8_t raw[4];
  std::memcpy(raw, &v, 4);
  out.insert(out.end(), raw, raw + 4);
}

std::int64_t maxCount(const Imatrix& m) {
  std::int64_t mx = 0;
  for (const auto& e : m.entries)
    for (const auto c : e.counts) mx = std::max(mx, c);
  return mx;
}

Result<std::int32_t> conversionChunk(const Imatrix& m, const ImatrixConversion& conv) {
  const std::int32_t chunk = conv.chunkSize > 0 ? conv.chunkSize : m.chunkSize;
  if (chunk <= 0)
    return makeError("imatrix: converting needs the chunk size (tokens per chunk) of the run that made the statistics");
  return chunk;
}

}  // namespace

const ImatrixEntry* Imatrix::find(std::string_view name) const {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<float> importanceOf(const Imatrix& m, const ImatrixEntry& e) {
  std::vector<float> out(e.sums.size());
  if (m.format == Imatrix::Format::Gguf) {
    const std::size_t n0 = e.columns();
    for (std::size_t j = 0; j < e.counts.size(); ++j) {
      const auto count = static_cast<float>(e.counts[j]);
      for (std::size_t i = 0; i < n0; ++i) out[j * n0 + i] = count > 0.0f ? e.sums[j * n0 + i] / count : 1.0f;
    }
  } else {
    const std::int64_t ncall = e.counts.empty() ? 0 : e.counts[0];
    for (std::size_t i = 0; i < e.sums.size(); ++i) out[i] = ncall > 0 ? e.sums[i] / static_cast<float>(ncall) : e.sums[i];
  }
  return out;
}

Result<Imatrix> parseImatrix(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) return parseGgufImatrix(bytes, name);
  return parseLegacyImatrix(bytes, name);
}

Result<Imatrix> readImatrix(const std::filesystem::path& path) {
  auto f = MappedFile::open(path);
  if (!f) return f.error();
  return parseImatrix((*f)->bytes(), (*f)->name());
}

Result<std::vector<std::uint8_t>> encodeImatrixGguf(const Imatrix& m, const ImatrixConversion& conv) {
  std::vector<ImatrixEntry> entries = m.entries;
  std::int32_t chunkSize = m.chunkSize;
  std::int32_t chunkCount = m.chunkCount;
  if (m.format == Imatrix::Format::Legacy || conv.chunkSize > 0) {
    auto chunk = conversionChunk(m, conv);
    if (!chunk) return chunk.error();
    chunkSize = *chunk;
    if (m.format == Imatrix::Format::Legacy) {
      // llama-imatrix's load of a legacy file: raw sums = values·chunk, counts = ncall·chunk.
      for (auto& e : entries) {
        for (auto& v : e.sums) v = v * static_cast<float>(chunkSize);
        for (auto& c : e.counts) c = c * chunkSize;
      }
    }
    std::int64_t mx = 0;
    for (const auto& e : entries)
      for (const auto c : e.counts) mx = std::max(mx, c);
    if (mx / chunkSize > std::numeric_limits<std::int32_t>::max())
      return makeError("imatrix: " + std::to_string(mx) + " tokens make a chunk count the GGUF format cannot hold");
    chunkCount = static_cast<std::int32_t>(mx / chunkSize);
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<GgufKv> kv;
  kv.emplace_back("general.type", GgufValue::string("imatrix"));
  kv.emplace_back("imatrix.datasets", GgufValue::stringArray(m.datasets));
  kv.emplace_back("imatrix.chunk_count", GgufValue::u32(static_cast<std::uint32_t>(chunkCount)));
  kv.emplace_back("imatrix.chunk_size", GgufValue::u32(static_cast<std::uint32_t>(chunkSize)));
  std::vector<GgufTensorSpec> specs;
  for (const auto& e : entries) {
    if (e.counts.empty() || e.sums.empty() || e.sums.size() % e.counts.size() != 0)
      return makeError("imatrix: entry '" + e.name + "' has " + std::to_string(e.sums.size()) + " sums for " +
                       std::to_string(e.counts.size()) + " matrices");
    specs.push_back({e.name + std::string(kSumsSuffix), {e.columns(), e.matrices()}, ggml::Type::F32});
    specs.push_back({e.name + std::string(kCountsSuffix), {1, e.matrices()}, ggml::Type::F32});
  }
  auto header = encodeGgufHeader(kv, specs);
  if (!header) return header.error();
  std::vector<std::uint8_t> out = std::move(*header);
  auto appendPadded = [&](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out.insert(out.end(), b, b + n);
    while (out.size() % 32 != 0) out.push_back(0);
  };
  for (const auto& e : entries) {
    appendPadded(e.sums.data(), e.sums.size() * 4);
    std::vector<float> counts(e.counts.size());
    for (std::size_t j = 0; j < counts.size(); ++j) counts[j] = static_cast<float>(e.counts[j]);
    appendPadded(counts.data(), counts.size() * 4);
  }
  return out;
}

Result<std::vector<std::uint8_t>> encodeImatrixDat(const Imatrix& m, const ImatrixConversion& conv) {
  std::vector<const ImatrixEntry*> keep;
  for (const auto& e : m.entries) {
    if (e.counts.empty() || e.sums.empty() || e.sums.size() % e.counts.size() != 0)
      return makeError("imatrix: entry '" + e.name + "' has " + std::to_string(e.sums.size()) + " sums for " +
                       std::to_string(e.counts.size()) + " matrices");
    if (e.sums.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) ||
        e.name.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      return makeError("imatrix: entry '" + e.name + "' is too large for the legacy format");
    // llama-imatrix leaves out entries whose every matrix saw no token.
    if (m.format == Imatrix::Format::Gguf && std::all_of(e.counts.begin(), e.counts.end(), [](auto c) { return c == 0; })) continue;
    keep.push_back(&e);
  }
  // The legacy format has no empty file: its reader (llama.cpp's and ours) refuses a count below 1.
  if (keep.empty())
    return makeError("imatrix: no entry with data to write in the legacy format (every matrix saw no token)");
  std::sort(keep.begin(), keep.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  std::vector<std::uint8_t> out;
  putI32(out, static_cast<std::int32_t>(keep.size()));
  std::int32_t trailerChunks = m.chunkCount;
  std::int32_t chunk = 0;
  if (m.format == Imatrix::Format::Gguf) {
    auto c = conversionChunk(m, conv);
    if (!c) return c.error();
    chunk = *c;
    if (conv.chunkSize > 0) {
      if (maxCount(m) / chunk > std::numeric_limits<std::int32_t>::max())
        return makeError("imatrix: " + std::to_string(maxCount(m)) + " tokens make a chunk count the legacy format cannot hold");
      trailerChunks = static_cast<std::int32_t>(maxCount(m) / chunk);
    }
  }
  for (const ImatrixEntry* e : keep) {
    putI32(out, static_cast<std::int32_t>(e->name.size()));
    out.insert(out.end(), e->name.begin(), e->name.end());
    if (m.format == Imatrix::Format::Legacy) {
      putI32(out, static_cast<std::int32_t>(e->counts[0]));
      putI32(out, static_cast<std::int32_t>(e->sums.size()));
      const auto* b = reinterpret_cast<const std::uint8_t*>(e->sums.data());
      out.insert(out.end(), b, b + e->sums.size() * 4);
      continue;
    }
    // ncall = ⌈max count / chunk⌉ ("ceiling division to avoid accidental zeros"), values
    // (sum/count)·ncall, 1 for matrices without data.
    const std::int64_t mx = *std::max_element(e->counts.begin(), e->counts.end());
    const std::int64_t ncall64 = (mx + (chunk - 1)) / chunk;
    if (ncall64 < 0 || ncall64 > std::numeric_limits<std::int32_t>::max())
      return makeError("imatrix: entry '" + e->name + "': " + std::to_string(mx) +
                       " tokens make a call count the legacy format cannot hold");
    const auto ncall = static_cast<std::int32_t>(ncall64);
    putI32(out, ncall);
    const auto nval = static_cast<std::int32_t>(e->sums.size());
    const auto nmat = static_cast<std::int32_t>(e->counts.size());
    putI32(out, nval);
    std::vector<float> tmp(static_cast<std::size_t>(nval));
    for (std::int32_t i = 0; i < nval; ++i) {
      float count = static_cast<float>(e->counts[static_cast<std::size_t>(i / (nval / nmat))]);
      float value = e->sums[static_cast<std::size_t>(i)];
      if (count == 0.0f) {
        value = 1.0f;
        count = 1.0f;
      }
      tmp[static_cast<std::size_t>(i)] = (value / count) * static_cast<float>(ncall);
    }
    const auto* b = reinterpret_cast<const std::uint8_t*>(tmp.data());
    out.insert(out.end(), b, b + tmp.size() * 4);
  }
  putI32(out, trailerChunks);
  const std::string dataset = m.datasets.empty() ? std::string() : m.datasets.back();
  putI32(out, static_cast<std::int32_t>(dataset.size()));
  out.insert(out.end(), dataset.begin(), dataset.end());
  return out;
}

Status writeImatrix(const std::filesystem::path& path, const Imatrix& m, const ImatrixConversion& conv) {
  const bool legacy = path.extension() == ".dat";
  auto bytes = legacy ? encodeImatrixDat(m, conv) : encodeImatrixGguf(m, conv);
  if (!bytes) return makeError(path.string() + ": " + bytes.error().message);
  return writeFileAtomically(path, *bytes);
}

}  // namespace quench
