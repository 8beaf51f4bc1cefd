#include "core/divergence/pmf_terms.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/divergence/pmf.h"

namespace quench {
namespace {

std::string_view trimView(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool parseDouble(std::string_view s, double& v) {
  s = trimView(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

KlTermList klTermList(std::span<const double> a, std::span<const double> b, double unit) {
  KlTermList r;
  r.terms.resize(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    double t = 0;
    if (a[i] > 0) {
      if (b[i] > 0) {
        t = a[i] * std::log(a[i] / b[i]) / unit;
      } else {
        t = std::numeric_limits<double>::infinity();
        r.infinite.push_back(i);
      }
    }
    r.terms[i] = t;
    r.sum += t;
  }
  return r;
}

}  // namespace

Result<std::vector<double>> parsePmfText(std::string_view text, const std::string& what) {
  std::vector<double> out;
  if (trimView(text).empty()) return makeError(what + ": no values (type probabilities separated by commas)");
  std::size_t at = 0;
  for (;;) {
    const auto next = text.find(',', at);
    const std::string_view item =
        trimView(text.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    double v = 0;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      double num = 0, den = 0;
      if (!parseDouble(item.substr(0, slash), num) || !parseDouble(item.substr(slash + 1), den) || den == 0)
        return makeError(what + ": '" + std::string(item) + "' is not a number or a fraction a/b");
      v = num / den;
    } else if (!parseDouble(item, v)) {
      return makeError(what + ": '" + std::string(item) + "' is not a number");
    }
    out.push_back(v);
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

Result<PmfTerms> pmfTerms(std::span<const double> p, std::span<const double> q, bool normalize, bool bits) {
  if (p.size() != q.size())
    return makeError("p has " + std::to_string(p.size()) + " entries and q has " + std::to_string(q.size()) +
                     ": both pmfs must be on the same outcomes");
  const PmfCheck check{1e-9, normalize};
  auto pc = checkPmf(p, check, "p");
  if (!pc) return pc.error();
  auto qc = checkPmf(q, check, "q");
  if (!qc) return qc.error();
  PmfTerms r;
  r.bits = bits;
  r.p = std::move(*pc);
  r.q = std::move(*qc);
  r.m.resize(r.p.size());
  for (std::size_t i = 0; i < r.p.size(); ++i) r.m[i] = 0.5 * (r.p[i] + r.q[i]);
  const double unit = bits ? kLn2 : 1.0;
  r.kl = klTermList(r.p, r.q, unit);
  r.klReverse = klTermList(r.q, r.p, unit);
  r.pm = klTermList(r.p, r.m, unit);
  r.qm = klTermList(r.q, r.m, unit);
  r.js = 0.5 * r.pm.sum + 0.5 * r.qm.sum;
  return r;
}

}  // namespace quench
