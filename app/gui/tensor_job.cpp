#include "app/gui/tensor_job.h"

namespace quench::app {

TensorAnalysis analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work) {
  const TensorInfo& info = reader.tensors().at(index);
  TensorAnalysis out;
  out.name = QString::fromStdString(info.name);
  out.heading = out.name + QLatin1Char('\n') + QString::fromStdString(shapeToString(info.shape)) +
                QStringLiteral(" · ") + QString::fromLatin1(dtypeName(info.dtype));
  // llama.cpp's block types: their true size, scales included (Q4_K is 4.5 bits, not 4).
  if (isBlockDType(info.dtype))
    out.heading += QStringLiteral(" (%1 bits per weight)").arg(bitsPerWeight(info.dtype), 0, 'g', 6);
  eval::TensorView v = eval::analyzeTensor(reader, index, work);
  out.summary = v.summary;
  out.histogram = std::move(v.histogram);
  out.tensor = std::move(v.tensor);
  out.error = QString::fromStdString(v.error);
  out.cancelled = v.cancelled;
  out.elapsedMs = v.elapsedMs;
  return out;
}

}  // namespace quench::app
