#include "core/divergence/lm_convergence.h"

#include <cmath>

namespace quench {

std::vector<std::size_t> convergenceCheckpoints(std::size_t maxSamples, int perDecade) {
  std::vector<std::size_t> out;
  if (maxSamples < 2) return out;
  if (perDecade < 1) perDecade = 1;
  out.push_back(2);
  for (int k = 1;; ++k) {
    const double v = 2.0 * std::pow(10.0, static_cast<double>(k) / perDecade);
    const auto s = static_cast<std::size_t>(std::llround(v));
    if (s >= maxSamples) break;
    if (s > out.back()) out.push_back(s);
  }
  if (out.back() != maxSamples) out.push_back(maxSamples);
  return out;
}

Result<std::vector<SampledKlPoint>> sampledLmKlCurve(const ExplicitLm& p, const ExplicitLm& q, std::size_t length,
                                                     std::size_t maxSamples, std::uint64_t seed, int perDecade,
                                                     const Work& work) {
  if (maxSamples < 2) return makeError("need at least 2 samples for a standard error");
  const std::vector<std::size_t> at = convergenceCheckpoints(maxSamples, perDecade);
  // Work in sequences drawn, summed over all checkpoints (each point re-draws its prefix).
  double total = 0;
  for (std::size_t s : at) total += static_cast<double>(s);
  double done = 0;
  std::vector<SampledKlPoint> out;
  out.reserve(at.size());
  for (std::size_t s : at) {
    if (work.cancelled()) return makeError("cancelled");
    auto r = sampledLmKl(p, q, length, s, seed, Work{work.stop, {}});  // progress is ours
    if (!r) return r.error();
    out.push_back({s, r->perToken, r->stderr});
    done += static_cast<double>(s);
    work.report(done, total);
  }
  return out;
}

}  // namespace quench
