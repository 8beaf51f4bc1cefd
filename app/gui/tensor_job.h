#pragma once
// The background work behind a tensor selection: read it, summarize it, histogram it
// (core/eval/tensor_view.h), with the texts the window shows. Runs on a worker thread; the window
// applies the result on the GUI thread.
#include <QString>
#include <cstddef>
#include <memory>

#include "core/eval/tensor_view.h"
#include "core/exec/progress.h"
#include "core/io/reader.h"

namespace quench::app {

using eval::histogramBins;
using eval::interestingTensor;

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

/// eval::analyzeTensor of tensor `index` of `reader`, with its name and heading.
TensorAnalysis analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work);

}  // namespace quench::app
