// Sharded safetensors: the index JSON is parsed strictly (a tensor listed twice is an error, not the
// last one silently winning), shard names are checked to be plain file names in the index's folder
// before anything is opened, then each shard's header is parsed and checked against the index in
// both directions. Only headers are read: opening a 16 GB checkpoint touches a few pages per shard.
#include "core/io/safetensors_index.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "core/io/safetensors_format.h"
#include "core/io/text_file.h"

namespace quench {
namespace {

using Json = nlohmann::json;

// An index is a few MB even for the largest models (one line per tensor); above this it is not one.
constexpr std::uint64_t kMaxIndexBytes = 100ull << 20;

// A name the index may use for a shard: a plain file name in the index's own folder.
std::optional<std::string> badShardName(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos)
    return "contains a path separator (shards must be files in the index's folder)";
  if (name == "." || name == "..") return "is not a file name";
  if (name.find('\0') != std::string::npos) return "contains a NUL byte";
  constexpr std::string_view kExt = ".safetensors";
  if (name.size() <= kExt.size() || name.compare(name.size() - kExt.size(), kExt.size(), kExt) != 0)
    return "does not end in .safetensors";
  return std::nullopt;
}

// JSON string for an error message (quotes and escapes; invalid UTF-8 replaced).
std::string jsonQuoted(const std::string& s) { return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

// SAX consumer of the index: builds only what the index means (metadata as text, tensor → shard
// pairs), checks each value as it arrives and stops at the first problem. No DOM is built, so a
// 100 MB index with a million tensors costs one pass, and an index naming too many shards stops as
// soon as the limit is crossed.
class IndexSax {
 public:
  using Json = nlohmann::json;

  std::string error;  // set when parsing stopped (syntax or meaning)
  bool sawWeightMap = false;
  Metadata metadata;
  std::unordered_map<std::string, std::string> weightMap;  // tensor → shard
  std::map<std::string, std::size_t> shards;               // distinct shard names

  bool null() { return scalar(nullptr, "null"); }
  bool boolean(bool v) { return scalar(v, v ? "true" : "false"); }
  bool number_integer(std::int64_t v) { return scalar(v, std::to_string(v)); }
  bool number_unsigned(std::uint64_t v) { return scalar(v, std::to_string(v)); }
  bool number_float(double v, const std::string& token) { return scalar(v, token); }
  bool string(std::string& v) {
    if (inWeightMapValue()) return weightMapValue(v);
    if (m_stack.size() == 1) return checkTopLevel(false, false, jsonQuoted(v));
    return scalar(v, v);
  }
  bool binary(Json::binary_t&) { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    Frame& f = m_stack.back();
    // weight_map keys are checked with their shard (the message names both shards).
    if (!(isWeightMap(f) && m_stack.size() == 2) && !f.keys.insert(k).second)
      return fail("key " + jsonQuoted(k) + " appears twice in " +
                  (m_stack.size() == 1 ? std::string("the top-level object") : "object " + jsonQuoted(f.name)));
    f.key = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    if (error.empty()) error = std::string("not valid JSON: ") + ex.what();
    return false;
  }

 private:
  enum class Role { Root, WeightMap, Metadata, Other };
  struct Frame {
    bool object = false;
    Role role = Role::Other;
    std::string name;  // the key this container is the value of
    std::string key;   // the last key read in it
    std::unordered_set<std::string> keys;
  };

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  static bool isWeightMap(const Frame& f) { return f.role == Role::WeightMap; }
  bool inWeightMapValue() const { return m_stack.size() == 2 && isWeightMap(m_stack.back()); }
  bool inMetadataValue() const { return m_stack.size() == 2 && m_stack.back().role == Role::Metadata; }

  // A value arrives where the top-level keys say what it must be.
  bool checkTopLevel(bool isObject, bool isNull, const std::string& text) {
    const std::string& k = m_stack.back().key;
    if (k == "weight_map" && !isObject) {
      return fail("'weight_map' is not a JSON object of tensor → shard file (it is " + text + ")");
    }
    if (k == "metadata" && !isObject && !isNull) return fail("'metadata' is not a JSON object");
    return true;
  }

  template <class V>
  bool scalar(V&& v, const std::string& text) {
    if (m_stack.empty()) return fail("index is not a JSON object");
    if (!m_capture.empty()) return capture(Json(std::forward<V>(v)));
    if (m_stack.size() == 1) return checkTopLevel(false, std::is_same_v<std::decay_t<V>, std::nullptr_t>, text);
    if (inWeightMapValue())
      return fail("weight_map[" + jsonQuoted(m_stack.back().key) + "]: shard is not a string but " + text);
    if (inMetadataValue()) metadata.emplace_back(m_stack.back().key, text);
    return true;
  }

  bool weightMapValue(std::string& shard) {
    const std::string& tensor = m_stack.back().key;
    const std::string ctx = "weight_map[" + jsonQuoted(tensor) + "]: ";
    if (auto bad = badShardName(shard)) return fail(ctx + "shard name " + jsonQuoted(shard) + " " + *bad);
    const auto [it, fresh] = weightMap.emplace(tensor, shard);
    if (!fresh)
      return fail(ctx + "the tensor is listed twice (shards " + jsonQuoted(it->second) + " and " + jsonQuoted(shard) + ")");
    if (shards.emplace(shard, 0).second && shards.size() > kMaxShards)
      return fail("weight_map names more than " + std::to_string(kMaxShards) + " shard files (refused before opening any)");
    return true;
  }

  bool open(bool object) {
    Frame f;
    f.object = object;
    if (m_stack.empty()) {
      if (!object) return fail("index is not a JSON object");
      f.role = Role::Root;
    } else {
      f.name = m_stack.back().key;
      if (!m_capture.empty()) {
        m_capture.push_back(object ? Json::object() : Json::array());
        m_captureKeys.push_back(f.name);
      } else if (m_stack.size() == 1) {
        if (!checkTopLevel(object, false, object ? "an object" : "an array")) return false;
        if (f.name == "weight_map") {
          if (sawWeightMap) return fail("key 'weight_map' appears twice in the top-level object");
          sawWeightMap = true;
          f.role = Role::WeightMap;
        } else if (f.name == "metadata") {
          f.role = Role::Metadata;
        }
      } else if (inWeightMapValue()) {
        return fail("weight_map[" + jsonQuoted(m_stack.back().key) + "]: shard is not a string but " +
                    (object ? "an object" : "an array"));
      } else if (inMetadataValue()) {
        // A structured metadata value: collected as JSON and kept as its text.
        m_capture.push_back(object ? Json::object() : Json::array());
        m_captureKeys.push_back(f.name);
      }
    }
    m_stack.push_back(std::move(f));
    return true;
  }

  bool close() {
    m_stack.pop_back();
    if (m_capture.empty()) return true;
    Json done = std::move(m_capture.back());
    m_capture.pop_back();
    std::string name = std::move(m_captureKeys.back());
    m_captureKeys.pop_back();
    if (m_capture.empty()) {
      metadata.emplace_back(std::move(name), done.dump(-1, ' ', false, Json::error_handler_t::replace));
      return true;
    }
    return capture(std::move(done));
  }

  // Adds a finished value to the structured metadata value being collected.
  bool capture(Json v) {
    Json& top = m_capture.back();
    if (top.is_array()) top.push_back(std::move(v));
    else top[m_stack.back().key] = std::move(v);
    return true;
  }

  std::vector<Frame> m_stack;
  std::vector<Json> m_capture;           // structured metadata value under construction
  std::vector<std::string> m_captureKeys;
};

}  // namespace

Result<SafetensorsIndex> parseSafetensorsIndex(std::string_view json, const std::string& where) {
  if (json.size() > kMaxIndexBytes)
    return makeError(where + ": index is " + std::to_string(json.size()) + " bytes, more than the 100 MiB limit");
  // Structured metadata values are kept and later dump()ed, which recurses once per level.
  if (auto deep = jsonDepthError(json)) return makeError(where + ": " + *deep);
  IndexSax sax;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(json.begin(), json.end(), &sax);
  } catch (const std::exception& ex) {  // allocation failure or a library invariant: still an Error
    return makeError(where + ": " + ex.what());
  }
  if (!ok || !sax.error.empty())
    return makeError(where + ": " + (sax.error.empty() ? std::string("not valid JSON") : sax.error));
  if (!sax.sawWeightMap) return makeError(where + ": no 'weight_map' (not a safetensors shard index)");

  SafetensorsIndex index;
  index.metadata = std::move(sax.metadata);
  for (auto& [name, pos] : sax.shards) {
    pos = index.shards.size();
    index.shards.push_back(name);
  }
  index.weightMap.reserve(sax.weightMap.size());
  for (auto& [tensor, shard] : sax.weightMap) index.weightMap.emplace_back(tensor, sax.shards.at(shard));
  std::sort(index.weightMap.begin(), index.weightMap.end());
  return index;
}

Result<std::unique_ptr<TensorReader>> openShardedSafetensors(const std::string& folder, const std::string& indexName,
                                                             std::string_view indexJson, const ShardOpener& openShard) {
  auto parsed = parseSafetensorsIndex(indexJson, indexName);
  if (!parsed) return parsed.error();
  SafetensorsIndex& index = *parsed;

  // Where the index says each tensor is.
  std::unordered_map<std::string_view, std::size_t> listed;
  listed.reserve(index.weightMap.size());
  for (const auto& [name, shard] : index.weightMap) listed.emplace(name, shard);

  std::vector<std::shared_ptr<MappedFile>> files;
  std::vector<io::SafetensorsTensor> tensors;
  std::vector<std::size_t> perShard(index.shards.size(), 0);
  Metadata shardMetadata;
  for (std::size_t s = 0; s < index.shards.size(); ++s) {
    const std::string& shardName = index.shards[s];
    auto file = openShard(shardName);
    if (!file) {
      const auto first = std::find_if(index.weightMap.begin(), index.weightMap.end(),
                                      [s](const auto& kv) { return kv.second == s; });
      return makeError(indexName + ": weight_map[" + jsonQuoted(first->first) + "] names shard " + jsonQuoted(shardName) +
                       ", which cannot be opened: " + file.error().message);
    }
    auto header = io::parseSafetensorsHeader(**file);
    if (!header) return makeError(indexName + ": shard " + jsonQuoted(shardName) + ": " + header.error().message);
    const std::string shardPath = (*file)->name();
    for (auto& e : header->entries) {
      const auto it = listed.find(e.info.name);
      if (it == listed.end())
        return makeError(shardPath + ": tensor " + jsonQuoted(e.info.name) + " is not listed in " + indexName +
                         "'s weight_map");
      if (it->second != s)
        return makeError(shardPath + ": tensor " + jsonQuoted(e.info.name) + " is listed in " + indexName +
                         "'s weight_map under shard " + jsonQuoted(index.shards[it->second]) + ", not this one");
      tensors.push_back({std::move(e.info), s, e.offset});
      ++perShard[s];
    }
    if (s == 0) shardMetadata = std::move(header->metadata);
    files.push_back(std::move(file).value());
  }
  // Every shard's tensors are now known to be listed under it, and names are unique within a shard
  // and in the index: a listed tensor is present iff its shard's count matches the index's count.
  std::vector<std::size_t> expected(index.shards.size(), 0);
  for (const auto& [name, shard] : index.weightMap) ++expected[shard];
  for (std::size_t s = 0; s < index.shards.size(); ++s) {
    if (perShard[s] == expected[s]) continue;
    std::unordered_map<std::string_view, bool> present;
    for (const auto& t : tensors)
      if (t.file == s) present.emplace(t.info.name, true);
    for (const auto& [name, shard] : index.weightMap)
      if (shard == s && !present.count(name))
        return makeError(indexName + ": weight_map[" + jsonQuoted(name) + "] names shard " + jsonQuoted(index.shards[s]) +
                         ", which holds no such tensor (" + files[s]->name() + ")");
  }

  Metadata metadata = std::move(index.metadata);
  metadata.emplace_back("shards", std::to_string(index.shards.size()));
  // The first shard's __metadata__ ("format": "pt", ...); shards of one checkpoint carry the same.
  for (auto& kv : shardMetadata)
    if (std::none_of(metadata.begin(), metadata.end(), [&](const auto& m) { return m.first == kv.first; }))
      metadata.push_back(std::move(kv));
  return io::makeSafetensorsReader(folder, std::move(files), std::move(tensors), std::move(metadata));
}

Result<std::unique_ptr<TensorReader>> openSafetensorsIndexFile(const std::filesystem::path& indexPath) {
  auto mapped = MappedFile::open(indexPath);
  if (!mapped) return mapped.error();
  const auto bytes = (*mapped)->bytes();
  const std::filesystem::path dir = indexPath.has_parent_path() ? indexPath.parent_path() : std::filesystem::path(".");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return openShardedSafetensors(dir.string(), indexPath.string(), text,
                                [&](const std::string& shard) { return MappedFile::open(dir / shard); });
}

}  // namespace quench
