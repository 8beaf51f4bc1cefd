#pragma once
// Per-tensor summary statistics (quench-cli inspect --stats, the browser's statistics panel).
#include <cstdint>
#include <span>

#include "core/exec/progress.h"

namespace quench {

/// Statistics over the finite values; NaN and ±Inf are counted, never folded into the figures.
/// Population form (divide by N), accumulated in double.
struct Summary {
  std::uint64_t count = 0;  ///< finite values
  std::uint64_t nan = 0;
  std::uint64_t inf = 0;
  double min = 0, max = 0, mean = 0, std = 0, absmax = 0;
};

/// Multithreaded SIMD summary of `x`.
Summary summarize(std::span<const float> x, const Work& work = {});
/// Scalar single-threaded twin: the specification and the test oracle.
Summary summarize_ref(std::span<const float> x);

}  // namespace quench
