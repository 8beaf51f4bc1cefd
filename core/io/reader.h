#pragma once
// One interface for every tensor file format. A reader lists its catalog when opened (no tensor
// data is read) and converts one tensor to float on request. Readers treat files as hostile.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/exec/progress.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

/// Ordered key → value pairs; values rendered as text (JSON for structured values).
using Metadata = std::vector<std::pair<std::string, std::string>>;

/// How a metadata value is stored, for formats whose metadata is typed (GGUF).
struct MetadataType {
  std::string type;          ///< "uint8" … "uint64", "int8" … "int64", "float32", "float64", "bool", "string", "array"
  std::string elementType;   ///< arrays: the type of their elements ("array" for nested arrays)
  std::uint64_t length = 0;  ///< arrays: the number of elements
  std::string head;          ///< arrays: JSON array of the first kMetadataHead elements (all when fewer)
};
/// Elements of an array kept in MetadataType::head.
inline constexpr std::size_t kMetadataHead = 8;

class TensorReader {
 public:
  virtual ~TensorReader() = default;
  /// "safetensors", "hdf5", "npy", "npz", "gguf", "llama2c" or "demo".
  virtual std::string_view format() const = 0;
  /// The file this reader was opened on (or a descriptive name for in-memory sources).
  virtual const std::string& path() const = 0;
  /// Every tensor of the file, in file order.
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  /// File-level metadata (safetensors __metadata__, GGUF key/values, llama2.c header, ...).
  virtual const Metadata& metadata() const = 0;
  /// metadataTypes()[i] describes metadata()[i] for formats whose metadata is typed (GGUF);
  /// empty for formats whose metadata is plain text.
  virtual const std::vector<MetadataType>& metadataTypes() const;
  /// Read tensor `index` and convert it to float32. Thread-safe: may run on worker threads
  /// concurrently with other reads on the same reader. Errors name the file and the tensor.
  virtual Result<FloatTensor> readFloat(std::size_t index, const Work& work = {}) const = 0;
  /// The tensor's bytes exactly as stored (little-endian elements of TensorInfo::dtype, or ggml
  /// blocks), when the reader memory-maps them; empty when it cannot (HDF5, compressed npz, the
  /// demo). Valid while the reader lives; no copy, no conversion. Thread-safe. This is how the
  /// runtime keeps weights as stored (bf16/f16/blocks) instead of converting them to float32.
  virtual std::span<const std::uint8_t> storedBytes(std::size_t index) const;
  /// The tensor's values as stored, copied: TensorInfo::dtype elements, little-endian, row-major
  /// (or its ggml blocks), TensorInfo::bytes long. A copy of storedBytes when the reader maps them;
  /// otherwise read from the file and put in that order (npy/npz big-endian or Fortran-order
  /// arrays are byte-swapped and transposed, HDF5 datasets read in their own type). This is how
  /// statistics and `convert --dtype keep` see float64 and integer values exactly. Thread-safe.
  virtual Result<std::vector<std::uint8_t>> readStored(std::size_t index, const Work& work = {}) const;

  /// Index of the tensor called `name`, if any.
  std::optional<std::size_t> find(std::string_view name) const;
  /// readFloat by name, with a clear error when the name does not exist.
  Result<FloatTensor> readFloat(std::string_view name, const Work& work = {}) const;
};

/// Open any supported tensor file; the format is detected from its content (magic bytes, then
/// extension). A *.safetensors.index.json opens its sharded checkpoint. A directory is a Hugging
/// Face checkpoint: its model.safetensors, else its model.safetensors.index.json with the shards,
/// else its only .safetensors file.
Result<std::unique_ptr<TensorReader>> openTensorFile(const std::filesystem::path& path);

}  // namespace quench
