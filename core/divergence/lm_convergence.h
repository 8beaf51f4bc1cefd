#pragma once
// The sampled estimate of KL per token converging to the exact value as samples grow (MATH.md §9:
// E[D^] = KL(P^(n)‖Q^(n)) / n on sequences sampled from P). Each point is exactly what
// sampledLmKl (and `quench-cli lm-divergence`) reports for that many samples with the same seed:
// the sampler draws sequences one after another, so the first S sequences of a larger run are the
// run of S, and the points form one running estimate.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/divergence/explicit_lm.h"

namespace quench {

/// One point of the running estimate.
struct SampledKlPoint {
  std::size_t samples = 0;  ///< sequences drawn so far
  double perToken = 0;      ///< D^ after `samples` sequences, nats per token
  double stderr = 0;        ///< its standard error
};

/// Sample counts 2, then about `perDecade` per decade (geometric, rounded, distinct), up to and
/// including maxSamples (≥ 2).
std::vector<std::size_t> convergenceCheckpoints(std::size_t maxSamples, int perDecade = 8);

/// The running estimate at convergenceCheckpoints(maxSamples, perDecade).
Result<std::vector<SampledKlPoint>> sampledLmKlCurve(const ExplicitLm& p, const ExplicitLm& q, std::size_t length,
                                                     std::size_t maxSamples, std::uint64_t seed,
                                                     int perDecade = 8, const Work& work = {});

}  // namespace quench
