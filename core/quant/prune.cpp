#include "core/quant/prune.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <string>

#include "core/exec/parallel.h"

namespace quench {

Result<Sparsity> Sparsity::parse(std::string_view s) {
  Sparsity out;
  if (const auto colon = s.find(':'); colon != std::string_view::npos) {
    const auto a = std::from_chars(s.data(), s.data() + colon, out.n);
    const auto b = std::from_chars(s.data() + colon + 1, s.data() + s.size(), out.m);
    if (a.ec != std::errc() || a.ptr != s.data() + colon || b.ec != std::errc() || b.ptr != s.data() + s.size() ||
        out.n < 1 || out.m < out.n)
      return makeError("sparsity '" + std::string(s) + "' is not N:M with 1 ≤ N ≤ M");
    out.structured = true;
    return out;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out.fraction);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(out.fraction >= 0 && out.fraction <= 1))
    return makeError("sparsity '" + std::string(s) + "' is neither a fraction in [0, 1] nor N:M");
  return out;
}

std::string Sparsity::spec() const {
  if (structured) return std::to_string(n) + ":" + std::to_string(m);
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, fraction);  // shortest round-trip
  return std::string(buf, ptr);
}

namespace {

// (|θ|, index) strict weak order; NaN above every number.
bool smaller(float a, std::size_t ia, float b, std::size_t ib) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na != nb) return nb;  // a is a number, b is NaN → a is smaller
  if (!na) {
    const float fa = std::fabs(a), fb = std::fabs(b);
    if (fa != fb) return fa < fb;
  }
  return ia < ib;
}

// Zeroes the k smallest of x[lo, hi) (by the order above) into kept/recon.
void pruneSmallest(std::span<const float> x, std::size_t lo, std::size_t hi, std::size_t k,
                   std::vector<std::uint8_t>& kept, std::vector<float>& recon) {
  if (k == 0) return;
  std::vector<std::size_t> idx(hi - lo);
  std::iota(idx.begin(), idx.end(), lo);
  auto less = [&](std::size_t a, std::size_t b) { return smaller(x[a], a, x[b], b); };
  if (k < idx.size()) std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(), less);
  for (std::size_t i = 0; i < std::min(k, idx.size()); ++i) {
    kept[idx[i]] = 0;
    recon[idx[i]] = 0.0f;
  }
}

// Shared tail: counts, one part per unit of `unit` elements, totals with `bitsPerParam` storage.
void finish(std::span<const float> x, PruneResult& r, std::size_t unit, double bitsPerParam) {
  const std::size_t n = x.size();
  std::uint64_t zeros = 0;
  for (std::size_t i = 0; i < n; ++i) {
    r.pruned += r.kept[i] == 0;
    zeros += r.reconstruction[i] == 0.0f;
  }
  r.sparsity = n ? static_cast<double>(zeros) / static_cast<double>(n) : 0.0;
  r.prunedFraction = n ? static_cast<double>(r.pruned) / static_cast<double>(n) : 0.0;
  const std::size_t units = unit == 0 ? 0 : (n + unit - 1) / unit;
  r.parts.resize(units);
  exec::parallelFor(0, units, 1, [&](exec::Range range) {
    for (std::size_t u = range.begin; u != range.end; ++u) {
      const std::size_t lo = u * unit, len = std::min(unit, n - lo);
      PartReport& p = r.parts[u];
      p.size = len;
      p.params = PartParams{1.0, 0, 0, 0};
      p.figures = computeErrorFigures(x.subspan(lo, len), std::span<const float>(r.reconstruction).subspan(lo, len));
      setStorage(p.figures, bitsPerParam * static_cast<double>(len));
    }
  });
  r.total = computeErrorFigures(x, r.reconstruction);
  setStorage(r.total, bitsPerParam * static_cast<double>(n));
}

}  // namespace

Result<PruneResult> pruneMagnitude(std::span<const float> x, const MagnitudePruneParams& p, const Work& work) {
  if (!(p.fraction >= 0.0 && p.fraction <= 1.0)) return makeError("magnitude pruning: fraction must be in [0, 1]");
  const std::size_t n = x.size();
  std::size_t unit = n;
  if (p.scope == PruneScope::Row) {
    if (p.rowLength == 0 || n % p.rowLength != 0)
      return makeError("magnitude pruning: row length " + std::to_string(p.rowLength) + " does not divide " +
                       std::to_string(n) + " values");
    unit = p.rowLength;
  }
  PruneResult r;
  r.reconstruction.assign(x.begin(), x.end());
  r.kept.assign(n, 1);
  if (n > 0) {
    const auto k = static_cast<std::size_t>(std::floor(p.fraction * static_cast<double>(unit)));
    const std::size_t units = n / unit;
    exec::parallelFor(0, units, 1, [&](exec::Range range) {
      if (work.cancelled()) return;
      for (std::size_t u = range.begin; u != range.end; ++u) pruneSmallest(x, u * unit, (u + 1) * unit, k, r.kept, r.reconstruction);
    });
    if (work.cancelled()) return makeError("magnitude pruning: cancelled");
  }
  finish(x, r, unit, 32.0);
  return r;
}

Result<PruneResult> pruneNM(std::span<const float> x, const NmPruneParams& p, const Work& work) {
  if (p.n < 1 || p.m < p.n || p.m > 256)
    return makeError("N:M pruning: need 1 ≤ N ≤ M ≤ 256, got " + std::to_string(p.n) + ":" + std::to_string(p.m));
  const std::size_t n = x.size();
  const std::size_t row = p.rowLength == 0 ? n : p.rowLength;
  if (n > 0 && n % row != 0)
    return makeError("N:M pruning: row length " + std::to_string(p.rowLength) + " does not divide " + std::to_string(n) + " values");
  const auto M = static_cast<std::size_t>(p.m), N = static_cast<std::size_t>(p.n);
  PruneResult r;
  r.reconstruction.assign(x.begin(), x.end());
  r.kept.assign(n, 1);
  const std::size_t rows = n == 0 ? 0 : n / row;
  exec::parallelFor(0, rows, 1, [&](exec::Range range) {
    if (work.cancelled()) return;
    for (std::size_t rw = range.begin; rw != range.end; ++rw)
      for (std::size_t lo = rw * row; lo < (rw + 1) * row; lo += M) {
        const std::size_t hi = std::min(lo + M, (rw + 1) * row), len = hi - lo;
        if (len > N) pruneSmallest(x, lo, hi, len - N, r.kept, r.reconstruction);
      }
  });
  if (work.cancelled()) return makeError("N:M pruning: cancelled");
  int indexBits = 0;
  while ((1 << indexBits) < p.m) ++indexBits;
  finish(x, r, row, (32.0 * p.n + static_cast<double>(p.n) * indexBits) / p.m);
  return r;
}

}  // namespace quench
