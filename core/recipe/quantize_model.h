#pragma once
// Apply a recipe to a tensor file and write the quantized model: the one writer behind
// `quench-cli quantize FILE --recipe R.json [--out OUT] [--codes]` and the workbench's "Export
// Quantized Tensors…", and the figures both report.
//
// Every tensor of the file is visited in file order. A tensor the recipe selects (matchRule) is
// read as float32 and quantized with its rule's method into buffers reused from one tensor to the
// next; its reconstruction is written as float32. Every other tensor is written unchanged as
// float32, so the output is a whole model that the readers and the runtime open like the original.
// The recipe goes into the metadata ("quench_recipe", its canonical JSON).
//
// Streaming: the output is written one tensor at a time (io/writer.h TensorFileWriter), so memory
// holds one tensor, its quantization result and nothing else, whatever the model's size. The file
// is a temporary renamed into place on success: an error or a cancel leaves no output and an
// existing target as it was. Progress runs over the elements of the file (every tensor counts,
// selected or not); `work.stop` is checked between tensors and inside the quantizers.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/io/imatrix.h"
#include "core/io/reader.h"
#include "core/quant/types.h"
#include "core/recipe/recipe.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

struct QuantizeModelOptions {
  /// Where to write (.safetensors, .h5/.hdf5 or .npz, by extension); empty: quantize and report only.
  std::filesystem::path out;
  /// Also write, right after each transformed tensor whose method has codes, NAME.codes (int32,
  /// the tensor's shape), NAME.scales (float32, one per part) and NAME.zero_points (int32, one
  /// per part). A file lists every tensor's size before the first byte of data, and a method's
  /// part count is known only once it has run, so with codes every selected tensor is quantized
  /// once more beforehand: the quantization time doubles.
  bool codes = false;
  /// llama.cpp's importance matrix: each selected tensor with a single-matrix entry of its name gets
  /// that entry's importance (llama-quantize's per-column weights) as its calibration input. Not
  /// owned; null: none.
  const Imatrix* imatrix = nullptr;
};

/// One transformed tensor.
struct QuantizedTensor {
  std::string name;
  Shape shape;
  std::size_t rule = 0;  ///< the recipe rule that selected it
  ErrorFigures figures;  ///< its §7 figures (bitsPerParam with its metadata)
  std::vector<PartReport> parts;
  std::optional<AwareReport> aware;  ///< what an activation-aware step reported (MATH.md §13)
};

/// What quantizeModel did.
struct QuantizedModel {
  std::vector<QuantizedTensor> tensors;  ///< the transformed tensors, in file order
  /// §7 figures over every transformed element together (MATH.md §7 on their concatenation: the
  /// error sums of all tensors merged), bits per parameter the storage of all of them over their
  /// element count.
  ErrorFigures total;
  std::size_t copied = 0;  ///< tensors no rule selected (written unchanged when writing)
};

/// Quantizes every tensor of `reader` that `recipe` selects and, when options.out is set, writes
/// the model there. Errors name the file, the tensor and the rule ("FILE: NAME: message", path
/// "rules[k]...." for a parameter at fault); nothing is written then.
Result<QuantizedModel> quantizeModel(const TensorReader& reader, const Recipe& recipe,
                                     const QuantizeModelOptions& options = {}, const Work& work = {});

}  // namespace quench
