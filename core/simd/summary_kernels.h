#pragma once
// Summary-statistics kernel over a chunk of float32 values (counts of finite / NaN / ±Inf values,
// min, max, mean and the sum of squared deviations of the finite values): the Highway version
// with runtime dispatch and its scalar twin. No Highway types in this header.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace quench::simd {

/// Moments of the finite values of a chunk; NaN and ±Inf are only counted.
struct SummaryMoments {
  std::uint64_t count = 0;  ///< finite values
  std::uint64_t nan = 0;
  std::uint64_t inf = 0;
  double min = std::numeric_limits<double>::infinity();   ///< +∞ when count == 0
  double max = -std::numeric_limits<double>::infinity();  ///< −∞ when count == 0
  double mean = 0;  ///< of the finite values (0 when count == 0)
  double m2 = 0;    ///< Σ (x − mean)² over the finite values
};

/// Two passes over x[0..n) (sum, then squared deviations about the mean), accumulated in double
/// lanes. Single-threaded; callers split large arrays and merge with mergeSummaryMoments. No
/// alignment needed.
SummaryMoments summaryMoments(const float* x, std::size_t n);
/// Scalar twin of summaryMoments (sequential double sums): the specification and the test oracle.
SummaryMoments summaryMoments_ref(const float* x, std::size_t n);
/// Moments of the union of two disjoint chunks (Chan, Golub and LeVeque's pairwise update).
SummaryMoments mergeSummaryMoments(const SummaryMoments& a, const SummaryMoments& b);

}  // namespace quench::simd
