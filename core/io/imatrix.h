#pragma once
// llama.cpp's importance-matrix files (llama-imatrix output, read by llama-quantize --imatrix),
// in both of its formats (learned from tools/imatrix/imatrix.cpp and common/imatrix-loader.cpp at
// llama.cpp commit 3f545bec):
//
// GGUF (current): key/values general.type = "imatrix", imatrix.datasets (array of strings),
//   imatrix.chunk_count (u32), imatrix.chunk_size (u32, tokens per chunk); for every weight
//   matrix W (name as in the model, sorted by name) two F32 tensors: "W.in_sum2" with
//   ne = (columns, matrices): Σ over tokens of x_j² for each input column j (one row per expert
//   for a 3-D expert tensor), and "W.counts" with ne = (1, matrices): the tokens each matrix saw.
// Legacy .dat: i32 n_entries; per entry i32 name length, name bytes, i32 ncall, i32 nval, nval
//   f32 values = (Σx²/count)·ncall with ncall = ⌈max count / chunk size⌉; then optionally i32
//   chunk count, i32 dataset length and the dataset name.
//
// Either way llama-quantize weights column j by the mean squared activation: GGUF sums/count
// (1 where count is 0), legacy values/ncall (importanceOf below does exactly that).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

/// One weight matrix's statistics.
struct ImatrixEntry {
  std::string name;                  ///< the weight's tensor name, e.g. "blk.0.attn_q.weight"
  std::vector<float> sums;           ///< matrices × columns, row-major (see the header comment for the format)
  std::vector<std::int64_t> counts;  ///< one per matrix (GGUF: tokens; legacy: {ncall})
  std::size_t matrices() const { return counts.size(); }
  std::size_t columns() const { return counts.empty() ? 0 : sums.size() / counts.size(); }
};

struct Imatrix {
  enum class Format { Gguf, Legacy };
  Format format = Format::Gguf;
  std::vector<ImatrixEntry> entries;  ///< sorted by name
  std::vector<std::string> datasets;  ///< the calibration texts' names
  std::int32_t chunkCount = 0;        ///< chunks the statistics were computed on
  std::int32_t chunkSize = 0;         ///< tokens per chunk (GGUF; 0 for legacy files)
  bool hasMetadata = false;           ///< GGUF: datasets, chunk_count and chunk_size were all present

  const ImatrixEntry* find(std::string_view name) const;
};

/// The per-column weights llama-quantize passes its quantizers for `e`: matrices × columns floats,
/// computed exactly as tools/quantize does (float division; 1 where a GGUF count is 0).
std::vector<float> importanceOf(const Imatrix& m, const ImatrixEntry& e);

/// Read either format (GGUF detected by its magic). Files are hostile: every count and length is
/// checked; errors name the file, the entry and the offset.
Result<Imatrix> readImatrix(const std::filesystem::path& path);
Result<Imatrix> parseImatrix(std::span<const std::uint8_t> bytes, const std::string& name);

/// Options of a conversion between the formats, as llama-imatrix --in-file does it.
struct ImatrixConversion {
  /// Tokens per chunk of the converting run (llama-imatrix's n_ctx / n_parallel): legacy ncall is
  /// ⌈count / chunkSize⌉ and a legacy file's sums are scaled back by it. 0 = the matrix's own
  /// chunk size (what llama-imatrix writes when it computes with --output-format dat).
  std::int32_t chunkSize = 0;
};

/// The GGUF bytes llama-imatrix writes for `m` (a legacy matrix is converted as llama-imatrix
/// --in-file does: sums·chunkSize, counts ncall·chunkSize, chunk count max count / chunkSize).
Result<std::vector<std::uint8_t>> encodeImatrixGguf(const Imatrix& m, const ImatrixConversion& conv = {});
/// The legacy .dat bytes llama-imatrix --output-format dat writes for `m` (a GGUF matrix is
/// normalised to ncall = ⌈count / chunkSize⌉; entries with no data are left out, as it does).
Result<std::vector<std::uint8_t>> encodeImatrixDat(const Imatrix& m, const ImatrixConversion& conv = {});
/// Write through a temporary file renamed into place; the format follows the extension (.gguf,
/// anything else legacy .dat, as llama-imatrix decides).
Status writeImatrix(const std::filesystem::path& path, const Imatrix& m, const ImatrixConversion& conv = {});

}  // namespace quench
