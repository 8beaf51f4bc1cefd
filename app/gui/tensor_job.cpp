#include "app/gui/tensor_job.h"

#include <QElapsedTimer>
#include <algorithm>

namespace quench::app {

std::size_t histogramBins(std::size_t n) { return std::clamp<std::size_t>(n / 16, 16, 256); }

TensorAnalysis analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work) {
  QElapsedTimer timer;
  timer.start();
  TensorAnalysis out;
  const TensorInfo& info = reader.tensors().at(index);
  out.name = QString::fromStdString(info.name);
  out.heading = out.name + QLatin1Char('\n') + QString::fromStdString(shapeToString(info.shape)) +
                QStringLiteral(" · ") + QString::fromLatin1(dtypeName(info.dtype));
  // llama.cpp's block types: their true size, scales included (Q4_K is 4.5 bits, not 4).
  if (isBlockDType(info.dtype))
    out.heading += QStringLiteral(" (%1 bits per weight)").arg(bitsPerWeight(info.dtype), 0, 'g', 6);
  auto stage = [&work](double start, double span) {
    return Work{work.stop, [&work, start, span](double done, double total) {
                  if (total > 0) work.report(start + span * std::min(1.0, done / total), 1.0);
                }};
  };
  auto tensor = reader.readFloat(index, stage(0.0, 0.8));
  if (work.cancelled()) {
    out.cancelled = true;
    return out;
  }
  if (!tensor) {
    out.error = QString::fromStdString(tensor.error().message);
    return out;
  }
  const std::span<const float> values(tensor->values);
  // Statistics from the stored values at their own precision (float64 in double), through the same
  // core function as `quench-cli inspect --stats`; the float32 copy is reused where it is exact.
  auto summary = summarizeStored(reader, index, stage(0.8, 0.1), &*tensor);
  if (work.cancelled()) {
    out.cancelled = true;
    return out;
  }
  if (!summary) {
    out.error = QString::fromStdString(summary.error().message);
    return out;
  }
  out.summary = *summary;
  // Over [min, max] of the finite values, which summarize() just gave us.
  std::optional<std::pair<double, double>> range;
  if (out.summary.count > 0 && out.summary.min < out.summary.max)
    range = std::pair{out.summary.min, out.summary.max};
  out.histogram = computeHistogram(values, histogramBins(values.size()), range, stage(0.9, 0.1));
  out.cancelled = work.cancelled();
  out.tensor = std::make_shared<const FloatTensor>(std::move(tensor).value());
  work.report(1.0, 1.0);
  out.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  return out;
}

std::optional<std::size_t> interestingTensor(const TensorReader& reader) {
  const auto& ts = reader.tensors();
  if (ts.empty()) return std::nullopt;
  const char* const kPreferred[] = {"attn_q", "q_proj", "wq", "attn", "ffn", "mlp"};
  for (const char* key : kPreferred)
    for (std::size_t i = 0; i < ts.size(); ++i)
      if (ts[i].shape.size() == 2 && ts[i].name.find(key) != std::string::npos) return i;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].shape.size() == 2 && (!best || ts[i].bytes > ts[*best].bytes)) best = i;
  return best ? best : std::optional<std::size_t>{0};
}

}  // namespace quench::app
