#include "core/quant/llm_int8.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/exec/parallel.h"

namespace quench {

namespace {

// int8 absmax code of v with scale s (s = 0: everything is 0).
std::int64_t int8Code(float v, float s) {
  if (s == 0.0f) return 0;
  return static_cast<std::int64_t>(std::clamp(std::nearbyint(static_cast<double>(v) / s), -127.0, 127.0));
}

MatmulError compare(const std::vector<double>& y, const std::vector<double>& exact) {
  MatmulError e;
  double se = 0, sx = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = y[i] - exact[i];
    se += d * d;
    sx += exact[i] * exact[i];
    e.maxAbsError = std::max(e.maxAbsError, std::fabs(d));
  }
  e.mse = y.empty() ? 0.0 : se / static_cast<double>(y.size());
  e.relFrobenius = se == 0 ? 0.0 : (sx == 0 ? INFINITY : std::sqrt(se / sx));
  return e;
}

// Int8 product over the feature columns j with use[j] (X rows and W columns absmax-scaled over
// those features only), added into y (tokens × outputs).
void int8Product(std::span<const float> x, std::span<const float> w, std::size_t T, std::size_t F, std::size_t O,
                 const std::vector<std::uint8_t>& use, std::vector<double>& y) {
  std::vector<float> sx(T, 0.0f), sw(O, 0.0f);
  for (std::size_t t = 0; t < T; ++t) {
    float a = 0;
    for (std::size_t j = 0; j < F; ++j)
      if (use[j]) a = std::max(a, std::fabs(x[t * F + j]));
    sx[t] = static_cast<float>(a / 127.0);
  }
  std::vector<float> wmax(O, 0.0f);
  for (std::size_t j = 0; j < F; ++j)
    if (use[j])
      for (std::size_t o = 0; o < O; ++o) wmax[o] = std::max(wmax[o], std::fabs(w[j * O + o]));
  for (std::size_t o = 0; o < O; ++o) sw[o] = static_cast<float>(wmax[o] / 127.0);
  // quantized W (features × outputs), int codes
  std::vector<std::int32_t> qw(F * O, 0);
  for (std::size_t j = 0; j < F; ++j)
    if (use[j])
      for (std::size_t o = 0; o < O; ++o) qw[j * O + o] = static_cast<std::int32_t>(int8Code(w[j * O + o], sw[o]));
  exec::parallelFor(0, T, 1, [&](exec::Range r) {
    std::vector<std::int64_t> acc(O);
    for (std::size_t t = r.begin; t != r.end; ++t) {
      std::fill(acc.begin(), acc.end(), 0);
      for (std::size_t j = 0; j < F; ++j) {
        if (!use[j]) continue;
        const std::int64_t q = int8Code(x[t * F + j], sx[t]);
        if (q == 0) continue;
        for (std::size_t o = 0; o < O; ++o) acc[o] += q * qw[j * O + o];
      }
      for (std::size_t o = 0; o < O; ++o)
        y[t * O + o] += static_cast<double>(acc[o]) * static_cast<double>(sx[t]) * static_cast<double>(sw[o]);
    }
  });
}

// Exact product over the feature columns with use[j], in double, added into y.
void exactProduct(std::span<const float> x, std::span<const float> w, std::size_t T, std::size_t F, std::size_t O,
                  const std::vector<std::uint8_t>& use, std::vector<double>& y) {
  exec::parallelFor(0, T, 1, [&](exec::Range r) {
    for (std::size_t t = r.begin; t != r.end; ++t)
      for (std::size_t j = 0; j < F; ++j) {
        if (!use[j]) continue;
        const double a = x[t * F + j];
        for (std::size_t o = 0; o < O; ++o) y[t * O + o] += a * static_cast<double>(w[j * O + o]);
      }
  });
}

}  // namespace

Result<ColumnOutliers> findOutlierColumns(std::span<const float> m, std::size_t rows, std::size_t cols,
                                          double threshold) {
  if (!(threshold > 0) || !std::isfinite(threshold)) return makeError("outlier columns: threshold must be finite and > 0");
  if (cols != 0 && rows > m.size() / cols) return makeError("outlier columns: shape is larger than the data");
  if (rows * cols != m.size())
    return makeError("outlier columns: " + std::to_string(rows) + " × " + std::to_string(cols) + " does not match " +
                     std::to_string(m.size()) + " values");
  ColumnOutliers r;
  r.threshold = threshold;
  r.columnMaxAbs.assign(cols, 0.0f);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t c = 0; c < cols; ++c) {
      const float v = m[i * cols + c];
      if (!std::isfinite(v))
        return makeError("outlier columns: non-finite value at (" + std::to_string(i) + ", " + std::to_string(c) + ")");
      r.columnMaxAbs[c] = std::max(r.columnMaxAbs[c], std::fabs(v));
    }
  for (std::size_t c = 0; c < cols; ++c)
    if (r.columnMaxAbs[c] >= threshold) r.outlierColumns.push_back(c);
  return r;
}

Result<LlmInt8Report> llmInt8Matmul(std::span<const float> x, std::size_t T, std::size_t F, std::span<const float> w,
                                    std::size_t O, const LlmInt8Params& params) {
  if (T == 0 || F == 0 || O == 0) return makeError("LLM.int8(): dimensions must be ≥ 1");
  if (T > (std::size_t{1} << 28) / O || T * O > (std::size_t{1} << 28) || T * F > (std::size_t{1} << 36) / O)
    return makeError("LLM.int8(): product too large for the exact comparison");
  if (x.size() != T * F) return makeError("LLM.int8(): X has " + std::to_string(x.size()) + " values, expected tokens × features");
  if (w.size() != F * O) return makeError("LLM.int8(): W has " + std::to_string(w.size()) + " values, expected features × outputs");
  auto out = findOutlierColumns(x, T, F, params.threshold);
  if (!out) return makeError("LLM.int8(): X: " + out.error().message);
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!std::isfinite(w[i])) return makeError("LLM.int8(): W has a non-finite value at index " + std::to_string(i));

  LlmInt8Report r;
  r.tokens = T;
  r.features = F;
  r.outputs = O;
  r.outliers = std::move(*out);
  std::vector<std::uint8_t> all(F, 1), outlier(F, 0), regular(F, 1);
  for (std::size_t j : r.outliers.outlierColumns) {
    outlier[j] = 1;
    regular[j] = 0;
  }
  r.exact.assign(T * O, 0.0);
  exactProduct(x, w, T, F, O, all, r.exact);
  r.plainInt8.assign(T * O, 0.0);
  int8Product(x, w, T, F, O, all, r.plainInt8);
  r.decomposed.assign(T * O, 0.0);
  exactProduct(x, w, T, F, O, outlier, r.decomposed);
  int8Product(x, w, T, F, O, regular, r.decomposed);
  r.plainError = compare(r.plainInt8, r.exact);
  r.decomposedError = compare(r.decomposed, r.exact);
  const double f = static_cast<double>(F), k = static_cast<double>(r.outliers.outlierColumns.size());
  r.weightBitsPerParam = (8.0 * (f - k) + 32.0 * k + 32.0) / f;
  r.plainWeightBitsPerParam = 8.0 + 32.0 / f;
  return r;
}

}  // namespace quench
