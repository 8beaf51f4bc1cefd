#pragma once
// Sharded safetensors checkpoints, the Hugging Face Hub's layout for models above a few GB:
//   model.safetensors.index.json  {"metadata": {"total_size": ...},
//                                  "weight_map": {"tensor name": "model-00001-of-00004.safetensors", ...}}
//   model-00001-of-00004.safetensors ... model-00004-of-00004.safetensors
// opened as one reader with one catalog. Every shard is memory-mapped and only its header is read.
// The index and every shard are hostile input: each inconsistency between them is an error that
// names the file and the key.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/mapped_file.h"
#include "core/io/reader.h"

namespace quench {

/// The file name of a sharded checkpoint's index inside its folder.
inline constexpr std::string_view kSafetensorsIndexName = "model.safetensors.index.json";

/// Most shards an index may name. The largest published checkpoints have a few hundred; every
/// shard costs a mapping (the kernel allows about 65,000 per process), so an index naming more
/// than this is refused before any shard is opened.
inline constexpr std::size_t kMaxShards = 10000;

/// A parsed model.safetensors.index.json.
struct SafetensorsIndex {
  Metadata metadata;                ///< the "metadata" object, values as text (JSON for non-strings)
  std::vector<std::string> shards;  ///< distinct shard file names, sorted (the catalog's shard order)
  /// Tensor name → position in `shards`, sorted by tensor name (the order the Hub writes).
  std::vector<std::pair<std::string, std::size_t>> weightMap;
};

/// Parses and validates index JSON: an object with an object "weight_map" of string values, each
/// a plain file name (no path separator, not "." or "..", no NUL) ending in ".safetensors", at most
/// kMaxShards distinct ones, no tensor listed twice; "metadata" an object or null when present.
/// Errors start with `where` (the index file's path).
Result<SafetensorsIndex> parseSafetensorsIndex(std::string_view json, const std::string& where);

/// Opens a shard by its file name (already validated as a plain name).
using ShardOpener = std::function<Result<std::shared_ptr<MappedFile>>(const std::string& shardName)>;

/// One reader over the shards an index names. Tensors are listed shard by shard in `shards` order
/// (sorted names: model-00001-of-N first), each shard's in data order. Every tensor of every shard
/// must be listed in the index under that shard, and every listed tensor must be in its shard.
/// `folder` is the reader's path(); `indexName` names the index in errors.
Result<std::unique_ptr<TensorReader>> openShardedSafetensors(const std::string& folder, const std::string& indexName,
                                                             std::string_view indexJson, const ShardOpener& openShard);

/// Opens the index file at `indexPath` and the shards beside it (memory-mapped).
Result<std::unique_ptr<TensorReader>> openSafetensorsIndexFile(const std::filesystem::path& indexPath);

}  // namespace quench
