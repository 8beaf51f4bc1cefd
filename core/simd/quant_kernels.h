#pragma once
// Quantization kernels (MATH.md §2) with runtime-dispatched Highway versions and scalar *_ref
// twins that are their specification. Codes are bit-identical between a kernel and its twin on
// every target. The specification computes the quotient in DOUBLE (x promoted to double, divided
// by the double stored scale, rounded half-to-even), exactly the §2 arithmetic; fp32 arithmetic
// alone is not equivalent (a quotient just above k + ½ can round to the tie k + ½ in fp32 and then
// to even). The SIMD versions compute in fp32 (x times the rounded reciprocal of s) and redo in
// double every vector with a lane too near a tie to be sure; quant_kernels.cpp has the proof.
// No Highway type appears here. Inputs must be finite unless a function says otherwise.
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace quench::simd {

/// code = clip_[low, high](round_half_even(double(x)/scale) + zero), recon = float(scale·(code − zero)).
struct AffineParams {
  double scale = 1;
  std::int64_t zero = 0, low = -127, high = 127;
};

/// Quantizes n contiguous floats; writes codes, reconstruction and per-element saturation flags
/// (0/1; `codes` and `saturated` may be null: not written). Returns the number of saturated elements.
std::uint64_t quantizeAffine(const float* x, std::size_t n, const AffineParams& p, std::int32_t* codes,
                             float* recon, std::uint8_t* saturated);
std::uint64_t quantizeAffine_ref(const float* x, std::size_t n, const AffineParams& p, std::int32_t* codes,
                                 float* recon, std::uint8_t* saturated);

/// (min, max) of n ≥ 1 finite floats.
std::pair<float, float> minMax(const float* x, std::size_t n);
std::pair<float, float> minMax_ref(const float* x, std::size_t n);

/// The fp32 scale stored for a double scale (nearest, ties to even; 0 → smallest subnormal,
/// overflow → FLT_MAX), identical to storeScale(s, ScaleFormat::FP32).
float fp32Scale(double s);

/// int8 per-row absmax: for each row of the (rows, cols) row-major x, s = fp32Scale(max|x|/127)
/// (1 for an all-zero row), codes in [−127, 127], recon = s·code. codes (rows·cols), scales (rows),
/// recon (rows·cols) preallocated by the caller. The SIMD version runs rows in parallel (TBB) and
/// writes a recon of 16 MiB or more with non-temporal stores (it is then not in cache afterwards).
void quantizeRowsInt8Absmax(const float* x, std::size_t rows, std::size_t cols, std::int8_t* codes,
                            float* scales, float* recon);
void quantizeRowsInt8Absmax_ref(const float* x, std::size_t rows, std::size_t cols, std::int8_t* codes,
                                float* scales, float* recon);

/// int4 min-max over consecutive groups of `group` elements of the flat x (the last group may be
/// short): s = fp32Scale((max − min)/15) (|min|, or 1, for a constant group), zero =
/// round_half_even(−min/s), codes in [0, 15] one per byte, recon = s·(code − zero). Outputs:
/// codes (n), scales and zeros (⌈n/group⌉), recon (n). The SIMD version runs groups in parallel;
/// a recon of 16 MiB or more is written with non-temporal stores when recon and every group start
/// are vector-aligned (64-byte alignment and group a multiple of 16 suffice on every target).
void quantizeGroupsInt4MinMax(const float* x, std::size_t n, std::size_t group, std::uint8_t* codes,
                              float* scales, std::int32_t* zeros, float* recon);
void quantizeGroupsInt4MinMax_ref(const float* x, std::size_t n, std::size_t group, std::uint8_t* codes,
                                  float* scales, std::int32_t* zeros, float* recon);

/// Sums of an error report over finite pairs, accumulated in double.
struct ErrorSums {
  double sumErr2 = 0, sumX2 = 0, sumXr2 = 0, dot = 0, maxAbsErr = 0;
  float minXr = INFINITY, maxXr = -INFINITY;  ///< range of xr (so a histogram of xr needs no extra pass)
  bool allFinite = true;  ///< false when some x or xr is NaN/±Inf (the sums are then unusable)
};
/// Σ(x − xr)², Σx², Σxr², Σx·xr, max|x − xr| and min/max xr of n pairs (the SIMD version sums in
/// a different order: relative differences ~1e-15; min/max are exact).
ErrorSums errorSums(const float* x, const float* xr, std::size_t n);
ErrorSums errorSums_ref(const float* x, const float* xr, std::size_t n);

/// Number of NaN/±Inf among n floats.
std::uint64_t countNonFinite(const float* x, std::size_t n);
std::uint64_t countNonFinite_ref(const float* x, std::size_t n);

/// Min and max over the finite values of n floats; false (lo, hi untouched) when none is finite.
bool finiteMinMax(const float* x, std::size_t n, float& lo, float& hi);
bool finiteMinMax_ref(const float* x, std::size_t n, float& lo, float& hi);

/// Histogram accumulation, the arithmetic of computeHistogram_ref: with scale = bins/(hi − lo),
/// a finite v in [lo, hi] goes to bin min(⌊(double(v) − lo)·scale⌋, bins − 1); others are
/// counted in outside[0] (below), outside[1] (above), outside[2] (NaN), outside[3] (±Inf).
/// Adds to counts (bins entries) and outside.
void histogramAccumulate(const float* x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                         std::size_t bins, std::uint64_t outside[4]);
void histogramAccumulate_ref(const float* x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                             std::size_t bins, std::uint64_t outside[4]);

}  // namespace quench::simd
