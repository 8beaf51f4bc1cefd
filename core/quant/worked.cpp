#include "core/quant/worked.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/quant/integer.h"
#include "core/stats/error_figures.h"

namespace quench {
namespace {

std::string_view trimView(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> splitView(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  for (;;) {
    const auto next = s.find(sep, at);
    out.push_back(s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

// "'item' <why>" (built by appending: GCC 12 warns falsely on "'" + std::string + "...").
Error quoted(std::string_view item, std::string_view why) {
  std::string m = "'";
  m.append(item);
  m += "' ";
  m.append(why);
  return makeError(std::move(m));
}

template <class T>
bool parseWhole(std::string_view s, T& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

// The modes whose result depends on which way a tie k + ½ goes.
bool breaksTies(Rounding r) {
  return r == Rounding::HalfEven || r == Rounding::HalfAwayFromZero || r == Rounding::HalfUp;
}

}  // namespace

Result<WorkedQuantization> workedQuantization(std::span<const double> x, const Partition& partition,
                                              std::span<const PartParams> parts, Rounding rounding,
                                              std::uint64_t seed) {
  if (static_cast<std::int64_t>(x.size()) != partition.numel())
    return makeError(std::to_string(x.size()) + " values for a partition of " + std::to_string(partition.numel()) +
                     " elements");
  if (parts.size() != partition.partCount())
    return makeError(std::to_string(parts.size()) + " parameter sets for " + std::to_string(partition.partCount()) +
                     " parts (give one per part)");
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const PartParams& p = parts[j];
    if (!(p.scale > 0) || !std::isfinite(p.scale))
      return makeError("part " + std::to_string(j) + ": scale must be a positive finite number");
    if (p.clipLow > p.clipHigh)
      return makeError("part " + std::to_string(j) + ": clip range [" + std::to_string(p.clipLow) + ", " +
                       std::to_string(p.clipHigh) + "] is empty (L > U)");
  }
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return makeError("value " + std::to_string(i) + " is not finite");

  WorkedQuantization w;
  w.rows.resize(x.size());
  w.parts.resize(parts.size());
  double totalSq = 0;
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const PartParams& p = parts[j];
    WorkedPart& wp = w.parts[j];
    wp.params = p;
    double sq = 0;
    partition.forEachIndex(j, [&](std::int64_t i) {
      const auto k = static_cast<std::size_t>(i);
      WorkedRow& r = w.rows[k];
      r.index = k;
      r.part = j;
      r.x = x[k];
      r.xOverS = x[k] / p.scale;
      const double u = rounding == Rounding::Stochastic ? stochasticDraw(seed, k) : 0.0;
      r.rounded = roundWith(r.xOverS, rounding, u);
      r.shifted = r.rounded + static_cast<double>(p.zeroPoint);
      r.saturated = r.shifted < static_cast<double>(p.clipLow) || r.shifted > static_cast<double>(p.clipHigh);
      r.code = r.shifted < static_cast<double>(p.clipLow)    ? p.clipLow
               : r.shifted > static_cast<double>(p.clipHigh) ? p.clipHigh
                                                              : static_cast<std::int64_t>(r.shifted);
      r.dequantized = p.scale * static_cast<double>(r.code - p.zeroPoint);
      r.error = r.dequantized - r.x;
      // A tie: the double x/s sits half-way between two integers. It is real when (k + ½)·s
      // equals x exactly (fma computes q·s − x with one rounding, so 0 means exactly 0).
      if (breaksTies(rounding) && std::fabs(r.xOverS) < 0x1p52 &&
          r.xOverS - std::floor(r.xOverS) == 0.5)
        r.tie = std::fma(r.xOverS, p.scale, -r.x) == 0 ? WorkedTie::Exact : WorkedTie::FromDivision;
      sq += r.error * r.error;
      wp.maxAbsError = std::max(wp.maxAbsError, std::fabs(r.error));
      wp.saturated += r.saturated;
      wp.indices.push_back(i);
    });
    wp.mse = wp.indices.empty() ? 0.0 : sq / static_cast<double>(wp.indices.size());
    totalSq += sq;
    w.saturated += wp.saturated;
  }
  w.mse = x.empty() ? 0.0 : totalSq / static_cast<double>(x.size());
  double signal = 0;
  for (const WorkedRow& r : w.rows) signal += r.x * r.x;
  for (const WorkedPart& p : w.parts) w.maxAbsError = std::max(w.maxAbsError, p.maxAbsError);
  w.sqnrDb = sqnrDbFromSums(signal, totalSq);
  return w;
}

Result<std::vector<double>> parseWorkedValues(std::string_view text) {
  std::vector<double> out;
  if (trimView(text).empty()) return makeError("no values: type numbers separated by commas, e.g. 1.2, -0.55");
  for (std::string_view item : splitView(text, ',')) {
    const std::string_view t = trimView(item);
    double v = 0;
    if (!parseWhole(t, v)) return quoted(t, "is not a number");
    if (!std::isfinite(v)) return quoted(t, "is not a finite number");
    out.push_back(v);
  }
  return out;
}

Result<Partition> parseWorkedParts(std::string_view text, std::int64_t numel) {
  std::vector<std::vector<std::int64_t>> sets;
  if (trimView(text).empty()) {
    sets.emplace_back();
    for (std::int64_t i = 0; i < numel; ++i) sets.back().push_back(i);
  } else {
    for (std::string_view group : splitView(text, ';')) {
      sets.emplace_back();
      for (std::string_view item : splitView(group, ',')) {
        const std::string_view t = trimView(item);
        std::int64_t v = 0;
        if (!parseWhole(t, v))
          return quoted(t, "is not an index (parts look like \"0,1;2,3\")");
        sets.back().push_back(v);
      }
    }
  }
  return Partition::custom(numel, std::move(sets));
}

Result<PartParams> proposeAbsmax(std::span<const double> partValues, std::int64_t clipM) {
  if (clipM < 1) return makeError("absmax needs M ≥ 1");
  double a = 0;
  for (double v : partValues) {
    if (!std::isfinite(v)) return makeError("absmax: a value is not finite");
    a = std::max(a, std::fabs(v));
  }
  PartParams p;
  p.scale = a > 0 ? a / static_cast<double>(clipM) : 1.0;
  p.zeroPoint = 0;
  p.clipLow = -clipM;
  p.clipHigh = clipM;
  return p;
}

Result<PartParams> proposeMinMax(std::span<const double> partValues, std::int64_t clipLow, std::int64_t clipHigh) {
  if (clipHigh <= clipLow) return makeError("min-max needs U > L");
  if (partValues.empty()) return makeError("min-max: the part is empty");
  double lo = partValues[0], hi = partValues[0];
  for (double v : partValues) {
    if (!std::isfinite(v)) return makeError("min-max: a value is not finite");
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  PartParams p;
  p.clipLow = clipLow;
  p.clipHigh = clipHigh;
  if (hi > lo) {
    p.scale = (hi - lo) / static_cast<double>(clipHigh - clipLow);
  } else {
    p.scale = lo != 0 ? std::fabs(lo) : 1.0;
  }
  p.zeroPoint = clipLow + static_cast<std::int64_t>(std::nearbyint(-lo / p.scale));
  return p;
}

}  // namespace quench
