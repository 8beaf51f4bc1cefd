#include "core/divergence/token_summary.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/exec/parallel.h"
#include "core/simd/divergence_kernels.h"

namespace quench {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

Result<RowStats> finishRow(const simd::RowDivergenceFigures& f, std::span<const float> p, std::span<const float> q,
                           std::int32_t trueToken) {
  if (!f.valid) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      for (const auto& [row, name] : {std::pair{p, "P"}, std::pair{q, "Q"}}) {
        const float v = row[i];
        if (std::isnan(v) || v == std::numeric_limits<float>::infinity()) {
          std::ostringstream s;
          s << name << " entry " << i << " is " << v << " (NaN and +Inf are not allowed)";
          return makeError(s.str());
        }
      }
    }
    return makeError("a row of P or Q has no finite entry (every probability is 0)");
  }
  RowStats r;
  r.kl = f.kl;
  r.js = f.js;
  r.top1Same = f.argmaxP == f.argmaxQ;
  if (trueToken != kNoToken) {
    r.hasTrue = true;
    const auto t = static_cast<std::size_t>(trueToken);
    r.logPTrue = static_cast<double>(p[t]) - f.lseP;
    r.logQTrue = static_cast<double>(q[t]) - f.lseQ;
  }
  return r;
}

Status checkShapes(std::size_t np, std::size_t nq, std::int32_t trueToken) {
  if (np == 0) return makeError("empty row");
  if (np != nq) {
    std::ostringstream s;
    s << "P row has " << np << " entries but Q row has " << nq;
    return makeError(s.str());
  }
  if (trueToken != kNoToken && (trueToken < 0 || static_cast<std::size_t>(trueToken) >= np)) {
    std::ostringstream s;
    s << "true token " << trueToken << " is outside the vocabulary of " << np;
    return makeError(s.str());
  }
  return {};
}
}  // namespace

// Both kinds go through the same log-softmax: for log-probs it only removes rounding drift from
// Σp = 1, and it makes −∞ (probability 0) work the same way.
Result<RowStats> compareRow(std::span<const float> p, std::span<const float> q, RowKind /*kind*/,
                            std::int32_t trueToken) {
  if (Status s = checkShapes(p.size(), q.size(), trueToken); !s) return s.error();
  return finishRow(simd::rowDivergence(p.data(), q.data(), p.size()), p, q, trueToken);
}

Result<RowStats> compareRowToLlamaBase(std::span<const float> baseLogProbs, std::span<const float> q, RowKind /*qKind*/,
                                       std::int32_t trueToken) {
  if (Status s = checkShapes(baseLogProbs.size(), q.size(), trueToken); !s) return s.error();
  // The base row is used as stored (no re-normalization): llama.cpp compares the decoded
  // ln p_base directly, and its floor test is on those values.
  auto f = simd::rowDivergence_ref(baseLogProbs.data(), q.data(), q.size(), kLlamaLogFloor);
  if (f.valid) {
    double kl = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
      const double lp = baseLogProbs[i];
      if (lp <= kLlamaLogFloor) continue;
      const double lq = static_cast<double>(q[i]) - f.lseQ;
      kl += lq == -kInf ? kInf : std::exp(lp) * (lp - lq);
    }
    f.kl = kl;
    f.lseP = 0;
  }
  return finishRow(f, baseLogProbs, q, trueToken);
}

void TokenAccumulator::add(const RowStats& row) {
  m_kl.push_back(row.kl);
  m_jsSum += row.js;
  m_top1 += row.top1Same ? 1 : 0;
  if (row.hasTrue) {
    ++m_withTrue;
    m_sumLogP += row.logPTrue;
    m_sumLogQ += row.logQTrue;
    const double delta = std::exp(row.logQTrue) - std::exp(row.logPTrue);
    m_sumDelta += delta;
    m_sumDelta2 += delta * delta;
  }
}

Status TokenAccumulator::addRows(std::span<const float> p, std::span<const float> q, std::size_t vocab, RowKind kind,
                                 std::span<const std::int32_t> trueTokens, const Work& work) {
  if (vocab == 0) return makeError("vocabulary size is 0");
  if (p.size() != q.size() || p.size() % vocab != 0) {
    std::ostringstream s;
    s << "P has " << p.size() << " values and Q has " << q.size() << ": not both rows × " << vocab;
    return makeError(s.str());
  }
  const std::size_t rows = p.size() / vocab;
  if (!trueTokens.empty() && trueTokens.size() != rows) {
    std::ostringstream s;
    s << trueTokens.size() << " true tokens for " << rows << " rows";
    return makeError(s.str());
  }
  std::vector<RowStats> stats(rows);
  std::vector<std::string> errors(rows);
  std::atomic<bool> failed{false};
  std::atomic<std::size_t> done{0};
  exec::parallelFor(0, rows, 16, [&](exec::Range r) {
    if (work.cancelled() || failed.load(std::memory_order_relaxed)) return;
    for (std::size_t i = r.begin; i != r.end; ++i) {
      auto row = compareRow(p.subspan(i * vocab, vocab), q.subspan(i * vocab, vocab), kind,
                            trueTokens.empty() ? kNoToken : trueTokens[i]);
      if (!row) {
        errors[i] = "row " + std::to_string(i) + ": " + row.error().message;
        failed = true;
        return;
      }
      stats[i] = *row;
    }
    work.report(static_cast<double>(done += r.size()), static_cast<double>(rows));
  });
  if (work.cancelled()) return makeError("cancelled");
  if (failed) {
    for (const std::string& e : errors)
      if (!e.empty()) return makeError(e);
  }
  m_kl.reserve(m_kl.size() + rows);
  for (const RowStats& s : stats) add(s);
  return {};
}

void TokenAccumulator::merge(const TokenAccumulator& o) {
  m_kl.insert(m_kl.end(), o.m_kl.begin(), o.m_kl.end());
  m_jsSum += o.m_jsSum;
  m_top1 += o.m_top1;
  m_withTrue += o.m_withTrue;
  m_sumLogP += o.m_sumLogP;
  m_sumLogQ += o.m_sumLogQ;
  m_sumDelta += o.m_sumDelta;
  m_sumDelta2 += o.m_sumDelta2;
}

double quantileSorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = static_cast<double>(sorted.size() - 1) * std::clamp(q, 0.0, 1.0);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = h - static_cast<double>(lo);
  // Equal neighbours (including two +∞) need no interpolation; this also avoids ∞ − ∞.
  if (frac == 0 || sorted[lo] == sorted[hi]) return sorted[lo];
  if (std::isinf(sorted[hi])) return sorted[hi];
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

TokenSummary TokenAccumulator::summary() const {
  TokenSummary s;
  s.tokens = m_kl.size();
  if (s.tokens == 0) return s;
  const double n = static_cast<double>(s.tokens);
  double sum = 0;
  for (double v : m_kl) {
    if (std::isinf(v)) ++s.klInfinite;
    sum += v;
  }
  s.klMean = sum / n;
  if (s.klInfinite == 0 && s.tokens > 1) {
    double m2 = 0;
    for (double v : m_kl) m2 += (v - s.klMean) * (v - s.klMean);
    s.klStderr = std::sqrt(m2 / n / (n - 1));
  } else if (s.klInfinite > 0) {
    s.klStderr = kInf;
  }
  std::vector<double> sorted(m_kl);
  std::sort(sorted.begin(), sorted.end());
  s.klMin = sorted.front();
  s.klMax = sorted.back();
  s.klMedian = quantileSorted(sorted, 0.5);
  s.klP90 = quantileSorted(sorted, 0.90);
  s.klP95 = quantileSorted(sorted, 0.95);
  s.klP99 = quantileSorted(sorted, 0.99);
  s.klP999 = quantileSorted(sorted, 0.999);
  s.jsMean = m_jsSum / n;
  s.top1Agreement = static_cast<double>(m_top1) / n;
  s.withTrue = m_withTrue;
  if (m_withTrue > 0) {
    const double nt = static_cast<double>(m_withTrue);
    s.pplP = std::exp(-m_sumLogP / nt);
    s.pplQ = std::exp(-m_sumLogQ / nt);
    s.lnPplRatio = (m_sumLogP - m_sumLogQ) / nt;
    s.pplRatio = std::exp(s.lnPplRatio);
    s.deltaPMean = m_sumDelta / nt;
    s.deltaPRms = std::sqrt(m_sumDelta2 / nt);
  }
  return s;
}

}  // namespace quench
