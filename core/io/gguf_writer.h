#pragma once
// GGUF writer (version 3), byte for byte the layout ggml's gguf_write_to_file produces: header,
// key/values in the given order, tensor infos (n_dims = ggml_n_dims: trailing dimensions of 1
// dropped, at least one kept), zero padding to the alignment, then each tensor's bytes followed by
// zeros up to the next multiple of the alignment (the last tensor too). The alignment is
// general.alignment when the key/values hold it (a u32 power of two), else 32.
//
// Streaming: the header is written when the writer is created (every tensor's type and shape are
// known up front), then tensor data is appended in order, in pieces of any size, so no more than
// one tensor (or one piece of it) need be in memory. The file is written beside the target and
// renamed into place by finish(); a writer destroyed before that leaves the target untouched.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/io/atomic_file.h"
#include "core/io/gguf_file.h"

namespace quench {

/// A tensor to be written: its name, ggml dimensions (ne[0] innermost) and ggml type.
struct GgufTensorSpec {
  std::string name;
  std::vector<std::uint64_t> ne;
  ggml::Type type = ggml::Type::F32;
};

class GgufWriter {
 public:
  /// Validate everything (unique non-empty keys, valid values, unique names shorter than 64
  /// bytes as ggml requires, 1..4 dimensions, ne[0] a multiple of the block size, sizes without
  /// overflow), create the temporary file and write the header.
  static Result<std::unique_ptr<GgufWriter>> create(const std::filesystem::path& path, const std::vector<GgufKv>& kv,
                                                    std::vector<GgufTensorSpec> tensors);

  /// Bytes tensor i takes (its rows × row size).
  std::uint64_t tensorBytes(std::size_t i) const { return m_bytes.at(i); }
  std::size_t tensorCount() const { return m_specs.size(); }
  /// The tensor the next append() belongs to (== tensorCount() when all are complete).
  std::size_t currentTensor() const { return m_current; }

  /// Append bytes of the current tensor; when it is complete the padding is written and the next
  /// tensor begins. Bytes beyond the current tensor's size are an error (nothing is written).
  Status append(std::span<const std::uint8_t> bytes);
  /// Check every tensor is complete, then commit the file into place.
  Status finish();

  const std::filesystem::path& path() const { return m_file->target(); }

 private:
  GgufWriter() = default;
  std::unique_ptr<AtomicFile> m_file;
  std::vector<GgufTensorSpec> m_specs;
  std::vector<std::uint64_t> m_bytes;
  std::uint32_t m_alignment = 32;
  std::size_t m_current = 0;
  std::uint64_t m_writtenOfCurrent = 0;
};

/// A tensor with its data, for writeGguf.
struct GgufTensorData {
  GgufTensorSpec spec;
  std::vector<std::uint8_t> data;
};

/// Write a whole GGUF file from memory (small files: imatrix, tests).
Status writeGguf(const std::filesystem::path& path, const std::vector<GgufKv>& kv, const std::vector<GgufTensorData>& tensors);

/// The header bytes GgufWriter writes (through the padding), for tests and size estimates.
Result<std::vector<std::uint8_t>> encodeGgufHeader(const std::vector<GgufKv>& kv, const std::vector<GgufTensorSpec>& tensors);

}  // namespace quench
