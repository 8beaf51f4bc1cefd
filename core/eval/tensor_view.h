#pragma once
// What the workbench shows of a tensor before any recipe touches it: read once as float32 (and
// shared with the quantization that follows), its summary statistics and its histogram. Also the
// tensor worth showing first when a file opens.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/exec/progress.h"
#include "core/io/reader.h"
#include "core/stats/histogram.h"
#include "core/stats/summary.h"
#include "core/stats/tensor_summary.h"

namespace quench::eval {

/// Bins for a histogram of `n` values: about 16 values per bin, between 16 and 256 bins, so small
/// tensors are not mostly empty bins and large ones stay resolvable on screen.
std::size_t histogramBins(std::size_t n);

/// One tensor read, summarized and histogrammed.
struct TensorView {
  std::shared_ptr<const FloatTensor> tensor;  ///< the tensor as float32 (null unless read)
  Summary summary;
  Histogram histogram;  ///< histogramBins(numel) bins over [min, max] of the finite values
  std::string error;    ///< the reader's error (empty on success)
  bool cancelled = false;
  double elapsedMs = 0;  ///< wall time of read + summary + histogram
};

/// Read tensor `index` of `reader`, then summarize and histogram it. Progress runs 0..1 over the
/// three steps (read 80 %, summary 10 %, histogram 10 %); stops early (cancelled = true) when
/// work.stop is requested.
TensorView analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work = {});

/// The tensor worth showing first in a file: the first 2-D attention or FFN weight, else the
/// largest 2-D tensor, else the first tensor. nullopt for an empty file.
std::optional<std::size_t> interestingTensor(const TensorReader& reader);

}  // namespace quench::eval
