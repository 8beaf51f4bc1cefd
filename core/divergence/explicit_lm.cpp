#include "core/divergence/explicit_lm.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <unordered_map>

#include "core/divergence/pmf.h"
#include "core/io/text_file.h"

namespace quench {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> splitSpaces(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  return out;
}

// KL(p‖m) restricted to the terms with weight; m > 0 wherever p > 0 by construction.
double klTerms(std::span<const double> p, std::span<const double> q) { return klPmf(p, q); }
}  // namespace

Result<ExplicitLm> ExplicitLm::fromJson(const nlohmann::json& j, const std::string& name) {
  auto fail = [&](const std::string& what) { return makeError(name + ": " + what); };
  if (!j.is_object()) return fail("not a JSON object with \"vocab\" and \"next\"");
  if (!j.contains("vocab") || !j["vocab"].is_array() || j["vocab"].empty())
    return fail("\"vocab\" must be a non-empty array of strings");
  if (!j.contains("next") || !j["next"].is_object()) return fail("\"next\" must be an object of context -> pmf");
  ExplicitLm lm;
  std::unordered_map<std::string, std::int32_t> index;
  for (const auto& t : j["vocab"]) {
    if (!t.is_string()) return fail("\"vocab\" entries must be strings");
    const std::string tok = t.get<std::string>();
    if (tok.empty() || tok.find(' ') != std::string::npos)
      return fail("vocabulary token \"" + tok + "\" is empty or contains a space (contexts join tokens with spaces)");
    if (!index.emplace(tok, static_cast<std::int32_t>(lm.m_vocab.size())).second)
      return fail("vocabulary token \"" + tok + "\" appears twice");
    lm.m_vocab.push_back(tok);
  }
  const std::size_t v = lm.m_vocab.size();
  for (const auto& [key, value] : j["next"].items()) {
    const std::string where = "context \"" + key + "\"";
    std::vector<std::int32_t> ctx;
    for (const std::string& t : splitSpaces(key)) {
      auto it = index.find(t);
      if (it == index.end()) return fail(where + ": \"" + t + "\" is not a vocabulary token (tokens are joined by single spaces)");
      ctx.push_back(it->second);
    }
    if (!value.is_array() || value.size() != v) {
      std::ostringstream s;
      s << where << ": the pmf must be an array of " << v << " numbers (one per vocabulary token)";
      return fail(s.str());
    }
    std::vector<double> pmf;
    for (const auto& x : value) {
      if (!x.is_number()) return fail(where + ": pmf entries must be numbers");
      pmf.push_back(x.get<double>());
    }
    auto checked = checkPmf(pmf, PmfCheck{}, where);
    if (!checked) return fail(checked.error().message);
    lm.m_maxContext = std::max(lm.m_maxContext, ctx.size());
    lm.m_next.emplace(std::move(ctx), std::move(*checked));
  }
  if (!lm.m_next.count({})) return fail("\"next\" has no \"\" (empty context) entry");
  return lm;
}

Result<ExplicitLm> ExplicitLm::load(const std::filesystem::path& path) {
  auto text = readTextFile(path, kMaxExplicitLmBytes, "explicit LM");
  if (!text) return text.error();
  if (auto deep = jsonDepthError(*text)) return makeError(path.string() + ": " + *deep);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError(path.string() + ": not valid JSON");
  return fromJson(j, path.string());
}

std::span<const double> ExplicitLm::next(std::span<const std::int32_t> prefix) const {
  for (std::size_t len = std::min(prefix.size(), m_maxContext);; --len) {
    std::vector<std::int32_t> key(prefix.end() - static_cast<std::ptrdiff_t>(len), prefix.end());
    auto it = m_next.find(key);
    if (it != m_next.end()) return it->second;
    if (len == 0) break;
  }
  return {};  // unreachable: "" is validated present
}

namespace {
Status checkPair(const ExplicitLm& p, const ExplicitLm& q, std::size_t length) {
  if (p.vocab() != q.vocab()) return makeError("P and Q have different vocabularies (same tokens, same order needed)");
  if (length == 0) return makeError("sequence length must be at least 1");
  return {};
}

// Depth-first enumeration of every prefix. At a prefix t_<i of probability a = P^(i−1), b =
// Q^(i−1) it adds the chain terms of position i and, at full length, the joint terms.
struct Enumerator {
  const ExplicitLm& p;
  const ExplicitLm& q;
  std::size_t n;
  const Work& work;
  LmDivergence& out;
  std::vector<std::int32_t> prefix;
  std::uint64_t leaves = 0;
  bool cancelled = false;

  void visit(double a, double b) {
    if (cancelled) return;
    const std::size_t i = prefix.size();  // position i+1 (1-based) is predicted here
    if (i == n) {
      // Joint terms: a = P^(n)(t), b = Q^(n)(t).
      if (a > 0) out.klJoint += b > 0 ? a * std::log(a / b) : kInf;
      const double m = 0.5 * (a + b);
      if (a > 0) out.jsJoint += 0.5 * a * std::log(a / m);
      if (b > 0) out.jsJoint += 0.5 * b * std::log(b / m);
      if ((++leaves & 0xFFFF) == 0) {
        if (work.cancelled()) cancelled = true;
        work.report(static_cast<double>(leaves), static_cast<double>(out.sequences));
      }
      return;
    }
    const auto pc = p.next(prefix), qc = q.next(prefix);
    const std::size_t v = pc.size();
    if (a > 0) out.klChain[i] += a * klTerms(pc, qc);
    // Mixture conditional M(v|t_<i) = (a·P(v|·) + b·Q(v|·)) / (a + b); MATH.md §9.
    if (a + b > 0) {
      std::vector<double> m(v);
      for (std::size_t k = 0; k < v; ++k) m[k] = (a * pc[k] + b * qc[k]) / (a + b);
      out.jsChain[i] += 0.5 * (a > 0 ? a * klTerms(pc, m) : 0.0) + 0.5 * (b > 0 ? b * klTerms(qc, m) : 0.0);
    }
    for (std::size_t k = 0; k < v; ++k) {
      const double na = a * pc[k], nb = b * qc[k];
      if (na == 0 && nb == 0) {  // a subtree neither model can produce contributes nothing
        std::uint64_t skipped = 1;
        for (std::size_t r = i + 1; r < n; ++r) skipped *= v;
        leaves += skipped;
        continue;
      }
      prefix.push_back(static_cast<std::int32_t>(k));
      visit(na, nb);
      prefix.pop_back();
    }
  }
};
}  // namespace

Result<LmDivergence> exactLmDivergence(const ExplicitLm& p, const ExplicitLm& q, std::size_t length, const Work& work) {
  if (Status s = checkPair(p, q, length); !s) return s.error();
  LmDivergence out;
  const std::uint64_t v = p.vocabSize();
  out.sequences = 1;
  for (std::size_t i = 0; i < length; ++i) {
    if (out.sequences > kMaxEnumeratedSequences / v) {
      std::ostringstream s;
      s << "exact enumeration of " << v << "^" << length << " sequences exceeds the limit of "
        << kMaxEnumeratedSequences << " (2^24); use a shorter --length or the sampled estimate";
      return makeError(s.str());
    }
    out.sequences *= v;
  }
  out.klChain.assign(length, 0.0);
  out.jsChain.assign(length, 0.0);
  Enumerator e{p, q, length, work, out, {}, 0, false};
  e.prefix.reserve(length);
  e.visit(1.0, 1.0);
  if (e.cancelled || work.cancelled()) return makeError("cancelled");
  work.report(static_cast<double>(out.sequences), static_cast<double>(out.sequences));
  return out;
}

namespace {
// Inverse-CDF draw from a pmf with a 53-bit uniform in [0, 1). Rounding can leave u above the
// running sum at the end; the draw then goes to the last token with positive probability.
std::int32_t drawCategorical(std::span<const double> pmf, std::mt19937_64& rng) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  double c = 0;
  std::int32_t last = 0;
  for (std::size_t k = 0; k < pmf.size(); ++k) {
    if (pmf[k] <= 0) continue;
    last = static_cast<std::int32_t>(k);
    c += pmf[k];
    if (u < c) return last;
  }
  return last;
}
}  // namespace

Result<SampledKl> sampledLmKl(const ExplicitLm& p, const ExplicitLm& q, std::size_t length, std::size_t samples,
                              std::uint64_t seed, const Work& work) {
  if (Status s = checkPair(p, q, length); !s) return s.error();
  if (samples < 2) return makeError("need at least 2 samples for a standard error");
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> seq;
  seq.reserve(length);
  double mean = 0, m2 = 0;  // Welford running mean and Σ(x − mean)² of D_s / n, the per-token KL of sequence s
  std::size_t infinite = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    if ((s & 0x3FF) == 0) {
      if (work.cancelled()) return makeError("cancelled");
      work.report(static_cast<double>(s), static_cast<double>(samples));
    }
    seq.clear();
    double d = 0;
    for (std::size_t i = 0; i < length; ++i) {
      const auto pc = p.next(seq), qc = q.next(seq);
      d += klTerms(pc, qc);
      seq.push_back(drawCategorical(pc, rng));
    }
    if (std::isinf(d)) ++infinite;
    const double perToken = d / static_cast<double>(length);
    const double delta = perToken - mean;
    mean += delta / static_cast<double>(s + 1);
    m2 += delta * (perToken - mean);
  }
  SampledKl r;
  r.sequences = samples;
  r.tokens = samples * length;
  const double ns = static_cast<double>(samples);
  r.perToken = infinite > 0 ? kInf : mean;
  r.stderr = infinite > 0 ? kInf : std::sqrt(m2 / (ns - 1) / ns);
  return r;
}

}  // namespace quench
