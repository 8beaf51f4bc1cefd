#pragma once
// GGUF → GGUF re-quantization, as llama-quantize does it: the same key/values (plus
// general.quantization_version, general.file_type and, with an importance matrix, the
// quantize.imatrix.* keys llama-quantize adds), every tensor in llama-quantize's order, each
// quantized to the type the plan gives it (pure: the file type's base type for every 2-D/3-D
// weight, norms kept; mix: llama.cpp's per-tensor rules, see mix.h) with ggml's own quantizers
// (quants.h), the rest copied byte for byte.
//
// Streaming: the source is memory-mapped, tensors are converted to float and quantized a slice of
// rows at a time, and written through GgufWriter (temporary file renamed into place), so memory
// stays at one slice (one tensor for block-quantized sources, which are decoded whole).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/ggml/mix.h"
#include "core/io/imatrix.h"

namespace quench::ggml {

struct ExportOptions {
  FileType fileType = FileType::MOSTLY_Q8_0;  ///< written as general.file_type; its base type is the default
  MixOptions mix;                             ///< mix.pure: --pure; hasImatrix is set from `imatrix`
  const Imatrix* imatrix = nullptr;           ///< importance matrix, or none
  std::string imatrixFileName;                ///< written as quantize.imatrix.file (the path as given)
  bool allowRequantize = false;               ///< allow block-quantized source tensors (dequantized first)
};

/// One tensor of the plan.
struct ExportTensor {
  std::string name;
  std::vector<std::uint64_t> ne;
  Type from = Type::F32;
  Type to = Type::F32;
  bool quantize = false;        ///< converted (to != from)
  bool importance = false;      ///< an imatrix entry was used
  std::uint64_t bytesIn = 0, bytesOut = 0;
  std::string note;             ///< fallback / override / imatrix remark
};

struct ExportPlan {
  std::vector<ExportTensor> tensors;  ///< in the written (llama-quantize) order
  std::vector<GgufKv> kv;             ///< the key/values to write
  std::uint64_t bytesIn = 0, bytesOut = 0;
  std::uint64_t elements = 0;         ///< parameters of the whole file
  int fallbacks = 0;
  int imatrixEntries = 0;             ///< entries of the importance matrix (quantize.imatrix.entries_count)
  std::vector<std::string> warnings;  ///< e.g. "did not find weights for output.weight"
};

/// Decide everything without writing: the type of every tensor, the key/values, the sizes. Errors
/// (before anything is written): a source that is not a GGUF model, a type Quench cannot write
/// that the plan needs, an importance matrix entry of the wrong size, a requantization not
/// allowed, Q2_K_S without an importance matrix.
Result<ExportPlan> planExport(const GgufFile& source, const ExportOptions& options);

/// Write `out` from `source` following the plan. Progress in parameters; cancellable (the target
/// is then left untouched). `out` must not be the source.
Result<ExportPlan> exportGguf(const std::filesystem::path& source, const std::filesystem::path& out,
                              const ExportOptions& options, const Work& work = {});

}  // namespace quench::ggml
