#pragma once
// Converting any readable tensor file or checkpoint folder to safetensors, HDF5 or .npz
// (quench-cli convert). One tensor at a time: the source is read (memory-mapped where the reader
// maps it), converted to the target dtype and handed to a streaming writer, so memory stays about
// one tensor however large the checkpoint. The target is written beside itself and renamed at the
// end: a failed or cancelled conversion leaves it as it was, and the source is never written.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/io/reader.h"
#include "core/io/writer.h"

namespace quench {

/// The dtype convert writes for floating-point tensors. Integer and bool tensors are always written
/// as stored (every target format holds them).
enum class ConvertDType {
  Auto,  ///< as stored when the target format can hold it, else float32 (exact for bf16, fp8, blocks)
  Keep,  ///< as stored; an error naming the tensor when the target format cannot hold its type
  F32,   ///< float32: exact from every type but float64 (rounded to nearest even)
  F16,   ///< IEEE half, rounded to nearest even (from float64 in one rounding)
  BF16,  ///< bfloat16, rounded to nearest even (from float64 in one rounding); safetensors only
};

/// Parses "auto", "keep", "f32", "f16" or "bf16".
std::optional<ConvertDType> convertDTypeFromName(std::string_view name);

/// The dtype tensor `t` gets in `format` under `mode`, or an error naming the tensor and the type.
Result<DType> convertTarget(OutFormat format, const TensorInfo& t, ConvertDType mode);

struct ConvertOptions {
  ConvertDType dtype = ConvertDType::Auto;
  /// Which tensors to convert (all when empty); order is the source's.
  std::function<bool(const TensorInfo&)> select;
  WriteOptions write;
};

/// One converted tensor, for progress and the report.
struct ConvertedTensor {
  std::string name;
  DType from = DType::F32;
  DType to = DType::F32;
  Shape shape;
  std::uint64_t bytes = 0;  ///< written bytes of its data
};

struct ConvertReport {
  OutFormat format = OutFormat::Safetensors;
  std::vector<ConvertedTensor> tensors;
  std::uint64_t bytesWritten = 0;  ///< tensor data bytes (headers excluded)
};

/// Called after each tensor is written: (tensor, its position, how many are converted, data bytes
/// written so far, data bytes in all).
using ConvertProgress = std::function<void(const ConvertedTensor&, std::size_t index, std::size_t count,
                                           std::uint64_t bytesDone, std::uint64_t bytesTotal)>;

/// Converts the tensors of `reader` into `out` (format by its extension). `out` must not be the
/// source file, nor a file of a source folder. Errors name the file and the tensor; a cancel (work.stop)
/// is an error and leaves `out` untouched.
Result<ConvertReport> convertTensorFile(const TensorReader& reader, const std::filesystem::path& out,
                                        const ConvertOptions& options = {}, const Work& work = {},
                                        const ConvertProgress& progress = {});

/// double → IEEE half bits in one rounding to nearest even (NumPy's float64.astype(float16)).
std::uint16_t doubleToHalf(double x);
/// double → bfloat16 bits in one rounding to nearest even.
std::uint16_t doubleToBf16(double x);

}  // namespace quench
