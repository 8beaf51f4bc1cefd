// quench-cli divergence: KL/JS between two pmfs (--p/--q) or the per-token summary between two
// logit (or log-prob) matrices read from tensor files (--p-logits/--q-logits), MATH.md §8–§9.
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/divergence/pmf.h"
#include "core/divergence/token_summary.h"
#include "core/io/reader.h"

namespace quench::cli {
namespace {
struct DivergenceOptions {
  std::string p, q;              // comma-separated pmfs
  std::string pLogits, qLogits;  // FILE[:DATASET]
  double temperature = 1.0;
  bool bits = false;
  bool normalize = false;
  bool logprobs = false;
  bool json = false;
};

// A finite number, or the string "inf" (JSON has no infinity; never clamped).
nlohmann::ordered_json number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  return v;
}

Result<std::vector<double>> parseList(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() && item.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      return makeError(what + ": \"" + item + "\" is not a number (expected e.g. 0.5,0.3,0.2)");
    }
  }
  if (out.empty()) return makeError(what + ": empty list");
  return out;
}

int runPmfs(const DivergenceOptions& o) {
  const PmfCheck check{1e-9, o.normalize};
  auto p = parseList(o.p, "--p");
  if (!p) return fail(p.error().message);
  auto q = parseList(o.q, "--q");
  if (!q) return fail(q.error().message);
  auto pc = checkPmf(*p, check, "--p");
  if (!pc) return fail(pc.error().message);
  auto qc = checkPmf(*q, check, "--q");
  if (!qc) return fail(qc.error().message);
  auto d = pmfDivergence(*pc, *qc, o.temperature, o.bits);
  if (!d) return fail(d.error().message);
  const char* unit = o.bits ? "bits" : "nats";
  if (o.json) {
    nlohmann::ordered_json j;
    j["kl"] = number(d->kl);
    j["kl_reverse"] = number(d->klReverse);
    j["js"] = number(d->js);
    j["js_sqrt"] = number(d->jsSqrt);
    j["unit"] = unit;
    j["temperature"] = o.temperature;
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout.precision(10);
  std::cout << "KL(P||Q) = " << d->kl << ' ' << unit << "\nKL(Q||P) = " << d->klReverse << ' ' << unit
            << "\nJS(P||Q) = " << d->js << ' ' << unit << "\nsqrt(JS) = " << d->jsSqrt << '\n';
  return 0;
}

// Read FILE[:DATASET] as a (rows, vocab) float matrix; a 1-D tensor is one row.
Result<FloatTensor> readMatrix(const std::string& spec, const std::string& what) {
  std::string file = spec, dataset;
  std::error_code ec;
  if (!std::filesystem::exists(spec, ec)) {
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0) return makeError(what + ": " + spec + ": no such file");
    file = spec.substr(0, colon);
    dataset = spec.substr(colon + 1);
  }
  auto reader = openTensorFile(file);
  if (!reader) return makeError(what + ": " + reader.error().message);
  const TensorReader& r = **reader;
  Result<FloatTensor> t = makeError("");
  if (dataset.empty()) {
    if (r.tensors().size() != 1) {
      std::ostringstream s;
      s << what << ": " << file << " holds " << r.tensors().size() << " tensors; name one as FILE:DATASET";
      return makeError(s.str());
    }
    t = r.readFloat(std::size_t{0});
  } else {
    t = r.readFloat(std::string_view(dataset));
  }
  if (!t) return makeError(what + ": " + t.error().message);
  if (t->shape.empty() || t->values.empty()) return makeError(what + ": " + spec + " is empty or a scalar");
  return t;
}

int runLogits(const DivergenceOptions& o) {
  auto p = readMatrix(o.pLogits, "--p-logits");
  if (!p) return fail(p.error().message);
  auto q = readMatrix(o.qLogits, "--q-logits");
  if (!q) return fail(q.error().message);
  if (p->shape != q->shape)
    return fail("--p-logits is " + shapeToString(p->shape) + " but --q-logits is " + shapeToString(q->shape) +
                " (rows = positions, columns = vocabulary; shapes must match)");
  if (!(std::isfinite(o.temperature) && o.temperature > 0)) return fail("--temperature must be finite and > 0");
  if (o.temperature != 1.0) {  // softmax(z/T); for log-probs the same as p^(1/T) renormalized
    for (float& v : p->values) v = static_cast<float>(v / o.temperature);
    for (float& v : q->values) v = static_cast<float>(v / o.temperature);
  }
  const auto vocab = static_cast<std::size_t>(p->cols());
  TokenAccumulator acc;
  if (Status st = acc.addRows(p->values, q->values, vocab, o.logprobs ? RowKind::LogProbs : RowKind::Logits); !st)
    return fail(o.pLogits + " vs " + o.qLogits + ": " + st.error().message);
  const TokenSummary s = acc.summary();
  const double k = o.bits ? 1.0 / kLn2 : 1.0;
  const char* unit = o.bits ? "bits" : "nats";
  if (o.json) {
    nlohmann::ordered_json j;
    j["tokens"] = s.tokens;
    j["kl_mean"] = number(s.klMean * k);
    j["kl_stderr"] = number(s.klStderr * k);
    j["kl_median"] = number(s.klMedian * k);
    j["kl_p90"] = number(s.klP90 * k);
    j["kl_p95"] = number(s.klP95 * k);
    j["kl_p99"] = number(s.klP99 * k);
    j["kl_p999"] = number(s.klP999 * k);
    j["kl_min"] = number(s.klMin * k);
    j["kl_max"] = number(s.klMax * k);
    j["js_mean"] = number(s.jsMean * k);
    j["top1_agreement"] = s.top1Agreement;
    j["kl_infinite"] = s.klInfinite;
    j["unit"] = unit;
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout.precision(6);
  std::cout << s.tokens << " positions, vocabulary " << vocab << " (" << unit << ")\n"
            << "Mean KL:     " << s.klMean * k << " +/- " << s.klStderr * k << '\n'
            << "Median KL:   " << s.klMedian * k << '\n'
            << "90/95/99/99.9%: " << s.klP90 * k << ' ' << s.klP95 * k << ' ' << s.klP99 * k << ' '
            << s.klP999 * k << '\n'
            << "Min/Max KL:  " << s.klMin * k << ' ' << s.klMax * k << '\n'
            << "Mean JS:     " << s.jsMean * k << '\n'
            << "Same top:    " << 100.0 * s.top1Agreement << " %\n";
  if (s.klInfinite) std::cout << "Infinite KL at " << s.klInfinite << " positions\n";
  return 0;
}

int runDivergence(const DivergenceOptions& o) {
  const bool pmfs = !o.p.empty() || !o.q.empty();
  const bool logits = !o.pLogits.empty() || !o.qLogits.empty();
  if (pmfs && logits) return fail("give either --p/--q or --p-logits/--q-logits, not both");
  if (pmfs) {
    if (o.p.empty() || o.q.empty()) return fail("--p and --q must both be given");
    return runPmfs(o);
  }
  if (logits) {
    if (o.pLogits.empty() || o.qLogits.empty()) return fail("--p-logits and --q-logits must both be given");
    return runLogits(o);
  }
  return fail("divergence: give --p and --q, or --p-logits and --q-logits");
}
}  // namespace

Runner addDivergenceCommand(CLI::App& app) {
  auto o = std::make_shared<DivergenceOptions>();
  auto* cmd = app.add_subcommand("divergence", "KL, JS and sqrt(JS) between two pmfs, or the per-token summary "
                                                "between two logit matrices (nats unless --bits)");
  cmd->add_option("--p", o->p, "P as comma-separated probabilities, e.g. 0.5,0.3,0.2");
  cmd->add_option("--q", o->q, "Q as comma-separated probabilities");
  cmd->add_option("--p-logits", o->pLogits, "P rows: FILE[:DATASET] (HDF5, .npy, ...), rows = positions, columns = vocabulary");
  cmd->add_option("--q-logits", o->qLogits, "Q rows: FILE[:DATASET], same shape as --p-logits");
  cmd->add_option("--temperature", o->temperature,
                  "T > 0: softmax(z/T) on logits; p^(1/T) renormalized on pmfs (the same thing for z = ln p)");
  cmd->add_flag("--bits", o->bits, "Report in bits instead of nats");
  cmd->add_flag("--normalize", o->normalize, "Rescale --p/--q to sum to 1 instead of rejecting them");
  cmd->add_flag("--logprobs", o->logprobs, "The matrices hold natural-log probabilities instead of logits");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runDivergence(*o); };
}

}  // namespace quench::cli
