#include "core/eval/tensor_view.h"

#include <algorithm>
#include <chrono>

namespace quench::eval {

std::size_t histogramBins(std::size_t n) { return std::clamp<std::size_t>(n / 16, 16, 256); }

TensorView analyzeTensor(const TensorReader& reader, std::size_t index, const Work& work) {
  const auto start = std::chrono::steady_clock::now();
  TensorView out;
  auto stage = [&work](double begin, double span) {
    return Work{work.stop, [&work, begin, span](double done, double total) {
                  if (total > 0) work.report(begin + span * std::min(1.0, done / total), 1.0);
                }};
  };
  auto tensor = reader.readFloat(index, stage(0.0, 0.8));
  if (work.cancelled()) {
    out.cancelled = true;
    return out;
  }
  if (!tensor) {
    out.error = tensor.error().message;
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
    out.error = summary.error().message;
    return out;
  }
  out.summary = *summary;
  // Over [min, max] of the finite values, which summarize() just gave us.
  std::optional<std::pair<double, double>> range;
  if (out.summary.count > 0 && out.summary.min < out.summary.max) range = std::pair{out.summary.min, out.summary.max};
  out.histogram = computeHistogram(values, histogramBins(values.size()), range, stage(0.9, 0.1));
  out.cancelled = work.cancelled();
  out.tensor = std::make_shared<const FloatTensor>(std::move(tensor).value());
  work.report(1.0, 1.0);
  out.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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

}  // namespace quench::eval
