#pragma once
// Writers for safetensors, HDF5 and NumPy .npz. Every writer writes a temporary file beside the
// target and renames it into place, so a failure never leaves a half-written file, the target's
// old content stays intact until the rename, and inputs are never touched.
//
// Two ways in: whole lists of tensors (writeSafetensors/writeHdf5/writeNpz/writeTensorFile), or a
// streaming TensorFileWriter that takes one tensor at a time (memory: one tensor), which
// `quench-cli convert` uses on checkpoints larger than memory.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/io/reader.h"

namespace quench {

/// A tensor to be written: raw little-endian element bytes of an element dtype (not ggml blocks).
struct OutTensor {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<std::uint8_t> data;

  static OutTensor fromFloats(std::string name, Shape shape, std::span<const float> values);
  static OutTensor fromInt8(std::string name, Shape shape, std::span<const std::int8_t> values);
  static OutTensor fromInt32(std::string name, Shape shape, std::span<const std::int32_t> values);
};

/// One tensor a streaming writer will receive: its name, element dtype and row-major shape.
struct TensorPlan {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
};

/// The file formats the writers produce.
enum class OutFormat { Safetensors, Hdf5, Npz };

/// The format chosen by a target's extension: .safetensors, .h5/.hdf5 or .npz (case-insensitive);
/// an error naming the path otherwise.
Result<OutFormat> outFormatFor(const std::filesystem::path& path);
/// "safetensors", "HDF5" or ".npz", for messages.
std::string_view outFormatName(OutFormat f);
/// Why `format` cannot store `dtype` ("HDF5 has no bfloat16 type ..."), or nullopt when it can.
/// safetensors holds every element dtype; HDF5 and .npz have no bfloat16 or FP8 that NumPy or
/// h5py read; no format stores ggml blocks.
std::optional<std::string> cannotStore(OutFormat format, DType dtype);

/// Options of the writers (all off by default).
struct WriteOptions {
  /// .npz: ZIP64 size/offset records on every member even when under 4 GiB (they are written
  /// anyway where needed). For tests of the >4 GiB layout on small files; NumPy reads both.
  bool forceZip64 = false;
};

/// Writes a tensor file one tensor at a time into "<target>.tmp-<pid>" beside the target.
/// write() the tensors of the plan in order, then commit(); destroying an uncommitted writer (an
/// error, a cancel) removes the temporary file and leaves the target as it was.
class TensorFileWriter {
 public:
  virtual ~TensorFileWriter() = default;
  /// Write the next planned tensor: exactly (elements × dtype size) bytes, little-endian, row-major.
  virtual Status write(std::span<const std::uint8_t> bytes) = 0;
  /// After every planned tensor: flush, fsync, rename onto the target, fsync the folder.
  virtual Status commit() = 0;
  /// Index of the next tensor write() expects.
  virtual std::size_t written() const = 0;
};

/// A streaming writer for `plan` in the format of `path`'s extension. The whole plan is validated
/// first (names: non-empty, unique, valid for the format; dtypes the format can store; shapes), so a
/// plan that cannot be written fails before the temporary file exists. `metadata` goes to the
/// safetensors __metadata__ or HDF5 root attributes; .npz has no place for it and drops it.
Result<std::unique_ptr<TensorFileWriter>> createTensorFileWriter(const std::filesystem::path& path,
                                                                 std::vector<TensorPlan> plan,
                                                                 const Metadata& metadata = {},
                                                                 const WriteOptions& options = {});

/// The same in a given format, whatever `path`'s extension.
Result<std::unique_ptr<TensorFileWriter>> createTensorFileWriter(const std::filesystem::path& path, OutFormat format,
                                                                 std::vector<TensorPlan> plan,
                                                                 const Metadata& metadata = {},
                                                                 const WriteOptions& options = {});

/// safetensors with the given __metadata__ (string values only, as the format requires).
Status writeSafetensors(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                        const Metadata& metadata = {});
/// HDF5: a tensor named "a/b/c" becomes dataset c in group /a/b; metadata as root attributes.
Status writeHdf5(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                 const Metadata& metadata = {});
/// NumPy .npz as np.savez writes it (stored, not deflated): member "<name>.npy" per tensor, so that
/// np.load(path)[name] is the array. No metadata.
Status writeNpz(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                const WriteOptions& options = {});
/// Chooses by extension: .safetensors, .h5/.hdf5 or .npz (anything else is an error).
Status writeTensorFile(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                       const Metadata& metadata = {});

/// Inputs are never modified: an error when the existing file `out` is one of `inputs` (the same
/// file through any path or link), or a file inside an input that is a folder (a checkpoint). The
/// rename would otherwise replace the input. Empty entries are skipped; a missing `out` is fine.
Status checkNotAnInput(const std::filesystem::path& out, const std::vector<std::string>& inputs);

}  // namespace quench
