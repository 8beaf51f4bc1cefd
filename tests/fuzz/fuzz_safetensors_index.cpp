// libFuzzer target for sharded safetensors checkpoints (model.safetensors.index.json): the input
// is the index JSON, optionally followed by a NUL byte and the bytes of a shard file that every
// shard name the index uses opens to. Any input must give a reader whose catalog reads (each tensor
// decoding to as many values as its shape promises) or an error naming the index or a shard;
// never a crash, a hang on a huge index, or an allocation sized by an unchecked count.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/safetensors_index.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  const std::size_t indexSize = nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
  const std::string_view index(text, indexSize);
  const std::vector<std::uint8_t> shard = nul ? std::vector<std::uint8_t>(data + indexSize + 1, data + size)
                                              : std::vector<std::uint8_t>{};

  // The parser alone: a result or an error naming the index.
  auto parsed = quench::parseSafetensorsIndex(index, "fuzz.index.json");
  if (!parsed && parsed.error().message.rfind("fuzz.index.json: ", 0) != 0) std::abort();
  if (parsed) {
    if (parsed->shards.size() > quench::kMaxShards) std::abort();
    for (const auto& [name, shardIndex] : parsed->weightMap)
      if (shardIndex >= parsed->shards.size()) std::abort();
  }

  // The whole checkpoint, every shard being `shard`.
  int opened = 0;
  auto reader = quench::openShardedSafetensors(
      "fuzz", "fuzz.index.json", index, [&](const std::string& name) -> quench::Result<std::shared_ptr<quench::MappedFile>> {
        ++opened;
        if (name.find('/') != std::string::npos || name == "..") std::abort();  // never outside the folder
        return quench::MappedFile::fromBytes("fuzz/" + name, shard);
      });
  if (!reader) {
    const std::string& m = reader.error().message;
    if (m.rfind("fuzz.index.json: ", 0) != 0 && m.rfind("fuzz/", 0) != 0) std::abort();
    return 0;
  }
  if (static_cast<std::size_t>(opened) > quench::kMaxShards) std::abort();
  const auto& tensors = (*reader)->tensors();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if ((*reader)->storedBytes(i).size() != tensors[i].bytes) std::abort();
    auto t = (*reader)->readFloat(i);
    if (!t) std::abort();  // the catalog was validated: every tensor reads
    if (t->values.size() != quench::checkedElementCount(tensors[i].shape).value_or(~0ull)) std::abort();
  }
  return 0;
}
