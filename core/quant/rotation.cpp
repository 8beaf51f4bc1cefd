#include "core/quant/rotation.h"
#include "core/exec/parallel.h"


#include <bit>
#include <cmath>

namespace quench {

std::uint64_t splitMix64(std::uint64_t seed, std::uint64_t j) {
  std::uint64_t z = seed + (j + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::size_t rotationBlock(std::size_t in) {
  if (in == 0) return 1;
  std::size_t m = in & (~in + 1);  // lowest set bit
  return std::min<std::size_t>(m, 4096);
}

std::vector<double> rotationSigns(std::size_t in, std::uint64_t seed) {
  std::vector<double> s(in);
  for (std::size_t j = 0; j < in; ++j) s[j] = (splitMix64(seed, j) >> 63) ? -1.0 : 1.0;
  return s;
}

std::vector<double> rotationMatrix(std::size_t in, std::uint64_t seed) {
  const std::size_t m = rotationBlock(in);
  const std::vector<double> sigma = rotationSigns(in, seed);
  const double root = std::sqrt(static_cast<double>(m));
  std::vector<double> r(in * in, 0.0);
  for (std::size_t i = 0; i < in; ++i)
    for (std::size_t j = 0; j < in; ++j)
      if (i / m == j / m) {
        const double h = (std::popcount((i % m) & (j % m)) & 1) ? -1.0 : 1.0;
        r[i * in + j] = h * sigma[j] / root;
      }
  return r;
}

namespace {
// v ← v·H_m in place (Sylvester order; H_m is symmetric).
void fwht(double* v, std::size_t m) {
  for (std::size_t h = 1; h < m; h *= 2)
    for (std::size_t i = 0; i < m; i += 2 * h)
      for (std::size_t j = i; j < i + h; ++j) {
        const double a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
}
}  // namespace

void rotateRows(std::span<double> w, std::size_t in, std::uint64_t seed, bool inverse) {
  const std::size_t m = rotationBlock(in), rows = in ? w.size() / in : 0;
  const std::vector<double> sigma = rotationSigns(in, seed);
  const double root = std::sqrt(static_cast<double>(m));
  exec::parallelFor(0, rows, 16, [&](exec::Range r) {
    for (std::size_t i = r.begin; i < r.end; ++i) {
      double* row = w.data() + i * in;
      if (!inverse) {
        // (w·R)_j = (Σ_k w_k H[k, j])·σ_j / √m
        for (std::size_t b = 0; b < in; b += m) fwht(row + b, m);
        for (std::size_t j = 0; j < in; ++j) row[j] = row[j] * sigma[j] / root;
      } else {
        // (q·Rᵀ)_k = Σ_j q_j σ_j H[k, j] / √m
        for (std::size_t j = 0; j < in; ++j) row[j] *= sigma[j];
        for (std::size_t b = 0; b < in; b += m) fwht(row + b, m);
        for (std::size_t j = 0; j < in; ++j) row[j] /= root;
      }
    }
  });
}

Status rotateQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const Partition& partition,
                      const IntegerParams& ip, std::uint64_t seed, QuantResult& out, AwareReport& report,
                      const Work& work) {
  std::vector<double> wd(w.begin(), w.end());
  rotateRows(wd, cols, seed, false);
  std::vector<float> rotated(wd.size());
  for (std::size_t k = 0; k < wd.size(); ++k) rotated[k] = static_cast<float>(wd[k]);
  if (Status st = quantizeIntegerInto(out, rotated, partition, ip, work); !st) return st;
  std::vector<double> q(out.reconstruction.begin(), out.reconstruction.end());
  rotateRows(q, cols, seed, true);
  for (std::size_t k = 0; k < q.size(); ++k) out.reconstruction[k] = static_cast<float>(q[k]);
  std::vector<PartParams> params;
  for (const PartReport& p : out.parts) params.push_back(p.params);
  aware::finishReport(out, w, partition, params, ip.bits, aware::integerMetaBits(ip));
  report.rotationBlock = static_cast<std::int64_t>(rotationBlock(cols));
  (void)rows;
  return {};
}

}  // namespace quench
