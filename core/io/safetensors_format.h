#pragma once
// The safetensors header parser and reader, shared by the single-file and the sharded
// (model.safetensors.index.json) entry points (private to core/io).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/mapped_file.h"
#include "core/io/reader.h"

namespace quench::io {

/// One tensor of a safetensors file: its catalog entry and the absolute offset of its first byte.
struct SafetensorsEntry {
  TensorInfo info;
  std::uint64_t offset = 0;
};

/// A validated header: tensors in data order (byte ranges inside the file, no overlaps, size =
/// elements × dtype size) and __metadata__ in file order.
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;
  Metadata metadata;
};

/// Parses and validates the header of one mapped safetensors file. Errors start with the file name.
Result<SafetensorsHeader> parseSafetensorsHeader(const MappedFile& file);

/// A tensor of a reader over several files: which file, and where in it.
struct SafetensorsTensor {
  TensorInfo info;
  std::size_t file = 0;
  std::uint64_t offset = 0;
};

/// A reader over one or more mapped safetensors files whose headers were validated. `path` is what
/// path() returns (the file, or the folder of a sharded checkpoint).
std::unique_ptr<TensorReader> makeSafetensorsReader(std::string path, std::vector<std::shared_ptr<MappedFile>> files,
                                                    std::vector<SafetensorsTensor> tensors, Metadata metadata);

}  // namespace quench::io
