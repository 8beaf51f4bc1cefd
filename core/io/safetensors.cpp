// safetensors reader: an 8-byte little-endian header length N, N bytes of JSON, then the data
// buffer. The file is memory-mapped; opening parses and validates only the JSON header, tensor bytes
// are touched when a tensor is converted. Every header field is checked against the file size.
// The same reader serves a sharded checkpoint (safetensors_index.cpp): one catalog over several
// mapped files.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/io/byte_cursor.h"
#include "core/io/formats.h"
#include "core/io/json_strict.h"
#include "core/io/safetensors_format.h"

namespace quench {
namespace io {
namespace {

using Json = nlohmann::json;

// The reference implementation refuses headers above 100 MB; a larger one is surely not a model.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;
// Elements converted per step, so a cancelled read stops within a few milliseconds.
constexpr std::size_t kChunkElements = std::size_t{1} << 20;

class SafetensorsReader final : public TensorReader {
 public:
  SafetensorsReader(std::string path, std::vector<std::shared_ptr<MappedFile>> files,
                    std::vector<SafetensorsTensor> tensors, Metadata metadata)
      : m_path(std::move(path)), m_files(std::move(files)), m_metadata(std::move(metadata)) {
    m_tensors.reserve(tensors.size());
    m_places.reserve(tensors.size());
    for (auto& t : tensors) {
      m_places.push_back({t.file, t.offset});
      m_tensors.push_back(std::move(t.info));
    }
  }
  std::string_view format() const override { return "safetensors"; }
  const std::string& path() const override { return m_path; }
  const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
  const Metadata& metadata() const override { return m_metadata; }

  std::span<const std::uint8_t> storedBytes(std::size_t index) const override {
    if (index >= m_tensors.size()) return {};
    const Place& p = m_places[index];
    return m_files[p.file]->bytes().subspan(p.offset, m_tensors[index].bytes);
  }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index >= m_tensors.size())
      return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    const TensorInfo& info = m_tensors[index];
    const MappedFile& file = *m_files[m_places[index].file];
    // Validated at open: count × dtype size == info.bytes and the range lies inside the file.
    const std::uint64_t count = info.bytes / dtypeSize(info.dtype);
    FloatTensor out;
    out.name = info.name;
    out.shape = info.shape;
    out.values.resize(static_cast<std::size_t>(count));
    const std::uint8_t* src = file.bytes().data() + m_places[index].offset;
    const std::size_t size = dtypeSize(info.dtype);
    for (std::size_t done = 0; done < count;) {
      if (work.cancelled()) return makeError(file.name() + ": reading '" + info.name + "' cancelled");
      const std::size_t n = std::min<std::size_t>(kChunkElements, count - done);
      convertToFloat(info.dtype, src + done * size, n, out.values.data() + done);
      done += n;
      work.report(static_cast<double>(done), static_cast<double>(count));
    }
    return out;
  }

 private:
  struct Place {
    std::size_t file;
    std::uint64_t offset;
  };
  std::string m_path;
  std::vector<std::shared_ptr<MappedFile>> m_files;
  std::vector<TensorInfo> m_tensors;
  std::vector<Place> m_places;
  Metadata m_metadata;
};

std::string metadataText(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Reads a JSON number that must be a non-negative integer (shape dims, offsets).
bool unsignedValue(const Json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(v.get<std::int64_t>());
    return true;
  }
  return false;
}

Result<SafetensorsEntry> parseEntry(const std::string& where, const std::string& name, const Json& v,
                         std::uint64_t dataStart, std::uint64_t dataSize) {
  const std::string ctx = where + ": tensor '" + name + "': ";
  if (!v.is_object()) return makeError(ctx + "entry is not a JSON object");
  const auto dt = v.find("dtype");
  const auto sh = v.find("shape");
  const auto of = v.find("data_offsets");
  if (dt == v.end() || !dt->is_string()) return makeError(ctx + "missing string 'dtype'");
  if (sh == v.end() || !sh->is_array()) return makeError(ctx + "missing array 'shape'");
  if (of == v.end() || !of->is_array()) return makeError(ctx + "missing array 'data_offsets'");

  SafetensorsEntry e;
  e.info.name = name;
  const std::string dtypeText = dt->get<std::string>();
  const auto dtype = dtypeFromName(dtypeText);
  if (!dtype || dtypeSize(*dtype) == 0)
    return makeError(ctx + "unknown dtype '" + dtypeText + "'");
  e.info.dtype = *dtype;

  for (const auto& d : *sh) {
    std::uint64_t u = 0;
    if (!unsignedValue(d, u) || u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return makeError(ctx + "shape " + sh->dump() + " holds a value that is not a non-negative integer");
    e.info.shape.push_back(static_cast<std::int64_t>(u));
  }
  const auto count = checkedElementCount(e.info.shape);
  const std::uint64_t size = dtypeSize(*dtype);
  if (!count || *count > std::numeric_limits<std::uint64_t>::max() / size)
    return makeError(ctx + "shape " + sh->dump() + " has too many elements (product overflows)");

  std::uint64_t begin = 0, end = 0;
  if (of->size() != 2 || !unsignedValue((*of)[0], begin) || !unsignedValue((*of)[1], end))
    return makeError(ctx + "data_offsets " + of->dump() + " is not two non-negative integers");
  if (begin > end)
    return makeError(ctx + "data_offsets " + of->dump() + " end before begin");
  if (end > dataSize)
    return makeError(ctx + "data_offsets " + of->dump() + " past the end of the data buffer (" +
                     std::to_string(dataSize) + " bytes)");
  const std::uint64_t expected = *count * size;
  if (end - begin != expected)
    return makeError(ctx + "byte range " + std::to_string(end - begin) + " != " +
                     std::to_string(*count) + " elements × " + std::to_string(size) + " bytes (" +
                     dtypeText + " " + sh->dump() + ")");
  e.info.bytes = expected;
  e.offset = dataStart + begin;
  return e;
}

}  // namespace

Result<SafetensorsHeader> parseSafetensorsHeader(const MappedFile& file) {
  const std::string& where = file.name();
  io::ByteCursor cur(file.bytes());
  std::uint64_t headerLen = 0;
  if (!cur.read(headerLen))
    return makeError(where + ": safetensors: file too short for the 8-byte header length (" +
                     std::to_string(file.size()) + " bytes)");
  if (headerLen > cur.remaining())
    return makeError(where + ": safetensors: header length " + std::to_string(headerLen) +
                     " exceeds the file size minus 8 (" + std::to_string(cur.remaining()) + ")");
  if (headerLen > kMaxHeaderBytes)
    return makeError(where + ": safetensors: header length " + std::to_string(headerLen) +
                     " exceeds the 100 MiB limit");
  std::string_view text;
  cur.takeString(headerLen, text);

  Json header;
  std::vector<std::string> metadataOrder;
  if (auto err = parseJsonStrict(text, header, "__metadata__", &metadataOrder))
    return makeError(where + ": safetensors: header: " + *err);
  if (!header.is_object()) return makeError(where + ": safetensors: header is not a JSON object");

  const std::uint64_t dataStart = 8 + headerLen;
  const std::uint64_t dataSize = file.size() - dataStart;
  SafetensorsHeader out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object())
        return makeError(where + ": safetensors: __metadata__ is not a JSON object");
      for (const std::string& key : metadataOrder) out.metadata.emplace_back(key, metadataText(it.value().at(key)));
      continue;
    }
    auto e = parseEntry(where, it.key(), it.value(), dataStart, dataSize);
    if (!e) return e.error();
    out.entries.push_back(std::move(e).value());
  }

  // File order is data order; tensors may not overlap (the format packs them back to back).
  auto& entries = out.entries;
  std::stable_sort(entries.begin(), entries.end(),
                   [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.offset < b.offset; });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const SafetensorsEntry& prev = entries[i - 1];
    if (prev.offset + prev.info.bytes > entries[i].offset && prev.info.bytes > 0 && entries[i].info.bytes > 0)
      return makeError(where + ": safetensors: tensors '" + prev.info.name + "' and '" +
                       entries[i].info.name + "' overlap in the data buffer");
  }
  return out;
}

std::unique_ptr<TensorReader> makeSafetensorsReader(std::string path, std::vector<std::shared_ptr<MappedFile>> files,
                                                    std::vector<SafetensorsTensor> tensors, Metadata metadata) {
  return std::make_unique<SafetensorsReader>(std::move(path), std::move(files), std::move(tensors),
                                             std::move(metadata));
}

}  // namespace io

Result<std::unique_ptr<TensorReader>> openSafetensors(std::shared_ptr<MappedFile> file) {
  auto header = io::parseSafetensorsHeader(*file);
  if (!header) return header.error();
  std::vector<io::SafetensorsTensor> tensors;
  tensors.reserve(header->entries.size());
  for (auto& e : header->entries) tensors.push_back({std::move(e.info), 0, e.offset});
  std::string path = file->name();
  return io::makeSafetensorsReader(std::move(path), {std::move(file)}, std::move(tensors),
                                   std::move(header->metadata));
}

}  // namespace quench
