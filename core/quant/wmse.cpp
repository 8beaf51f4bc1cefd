#include "core/quant/wmse.h"
#include "core/exec/parallel.h"


namespace quench {

Status wmseQuantize(std::span<const float> x, std::size_t cols, const Partition& partition, const IntegerParams& ip,
                    std::span<const double> v, QuantResult& out, const Work& work) {
  const std::size_t parts = partition.partCount();
  std::vector<PartParams> params(parts);
  std::vector<std::string> errors(parts);
  exec::parallelFor(0, parts, 1, [&](exec::Range r) {
    std::vector<float> values;
    std::vector<double> weights;
    for (std::size_t j = r.begin; j < r.end && !work.cancelled(); ++j) {
      values.clear();
      weights.clear();
      partition.forEachIndex(j, [&](std::int64_t flat) {
        values.push_back(x[static_cast<std::size_t>(flat)]);
        weights.push_back(v[static_cast<std::size_t>(flat) % cols]);
      });
      auto c = calibrateWeightedMse(values, weights, ip.bits, ip.symmetric, ip.scaleFormat, ip.rounding,
                                    ip.calibration.mseCandidates);
      if (!c) errors[j] = c.error().message;
      else params[j] = c->params;
    }
  });
  if (work.cancelled()) return makeError("wmse: cancelled");
  for (const auto& e : errors)
    if (!e.empty()) return makeError("wmse: " + e);
  auto r = quantizeWithParams(x, partition, params, ip.rounding, ip.scaleFormat, !ip.symmetric, ip.seed, work);
  if (!r) return r.error();
  out = std::move(*r);
  return {};
}

}  // namespace quench
