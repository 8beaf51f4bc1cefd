#pragma once
// The background work behind a tensor selection: read it, summarize it, histogram it. Runs on a
// worker thread; the window applies the result on the GUI thread.
#include <QString>
#include <cstddef>
#include <memory>

#include "core/exec/progress.h"
#include "core/io/reader.h"
#include "core/stats/histogram.h"
#include "core/stats/summary.h"
#include "core/stats/tensor_summary.h"

namespace quench::app {

struct TensorAnalysis {
  QString name;     ///< tensor name
  QString heading;  ///< "name\nshape · dtype" for the statistics panel
  Summary summary;
  Histogram histogram;
  /// The tensor as float32, read once and shared with the quantization jobs.
  std::shared_ptr<const FloatTensor> tensor;
  QString error;  ///< empty on success
  bool cancelled = false;
  double elapsedMs = 0;  ///< wall time of read + summary + histogram
};

/// Bins for a histogram of `n` values: about 16 values per bin, between 16 and 256 bins, so small
/// tensors are not mostly empty bins and large ones stay resolvable on screen.
std::size_t histogramBins(std::size_t n);

/// Read tensor `index` of `reader`, then summarize and histogram it. Progress runs 0..1 over the
/// three steps; stops early (cancelled = true) when work.stop is requested.
TensorAnalysis analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work);

/// The tensor worth showing first in a file: the first 2-D attention or FFN weight, else the
/// largest 2-D tensor, else the first tensor. nullopt for an empty file.
std::optional<std::size_t> interestingTensor(const TensorReader& reader);

}  // namespace quench::app
