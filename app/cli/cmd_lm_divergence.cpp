// quench-cli lm-divergence P.json Q.json --length N: exact joint KL/JS of two explicit small LMs
// with the chain-rule terms per position, and the dataset estimate on sequences sampled from P
// (MATH.md §9).
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "core/divergence/explicit_lm.h"

namespace quench::cli {
namespace {
struct LmDivergenceOptions {
  std::string p, q;
  std::size_t length = 0;
  std::size_t samples = 0;
  std::uint64_t seed = 0;
  bool json = false;
};

nlohmann::ordered_json number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

int runLmDivergence(const LmDivergenceOptions& o) {
  auto p = ExplicitLm::load(o.p);
  if (!p) return fail(p.error().message);
  auto q = ExplicitLm::load(o.q);
  if (!q) return fail(q.error().message);
  auto exact = exactLmDivergence(*p, *q, o.length);
  if (!exact) return fail(o.p + " vs " + o.q + ": " + exact.error().message);
  nlohmann::ordered_json j;
  j["length"] = o.length;
  j["sequences"] = exact->sequences;
  j["kl_joint"] = number(exact->klJoint);
  auto& klc = j["kl_chain"] = nlohmann::ordered_json::array();
  for (double v : exact->klChain) klc.push_back(number(v));
  j["js_joint"] = number(exact->jsJoint);
  auto& jsc = j["js_chain"] = nlohmann::ordered_json::array();
  for (double v : exact->jsChain) jsc.push_back(number(v));
  j["kl_joint_per_token"] = number(exact->klJoint / static_cast<double>(o.length));
  if (o.samples > 0) {
    auto s = sampledLmKl(*p, *q, o.length, o.samples, o.seed);
    if (!s) return fail(o.p + " vs " + o.q + ": " + s.error().message);
    j["samples"] = o.samples;
    j["seed"] = o.seed;
    j["kl_sampled"] = number(s->perToken);
    j["kl_sampled_stderr"] = number(s->stderr);
  }
  if (o.json) {
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout.precision(10);
  std::cout << "Length " << o.length << " (" << exact->sequences << " sequences enumerated), nats\n"
            << "KL(P^n||Q^n) = " << exact->klJoint << "  chain terms:";
  for (double v : exact->klChain) std::cout << ' ' << v;
  std::cout << "\nJS(P^n||Q^n) = " << exact->jsJoint << "  chain terms:";
  for (double v : exact->jsChain) std::cout << ' ' << v;
  std::cout << "\nKL per token  = " << exact->klJoint / static_cast<double>(o.length) << '\n';
  if (o.samples > 0)
    std::cout << "Sampled from P (" << o.samples << " sequences, seed " << o.seed
              << "): " << j["kl_sampled"].dump() << " +/- " << j["kl_sampled_stderr"].dump() << " per token\n";
  return 0;
}
}  // namespace

Runner addLmDivergenceCommand(CLI::App& app) {
  auto o = std::make_shared<LmDivergenceOptions>();
  auto* cmd = app.add_subcommand("lm-divergence",
                                 "Exact joint KL/JS (with chain-rule terms) of two explicit small LMs (JSON tables), "
                                 "and the estimate on sequences sampled from P");
  cmd->add_option("P", o->p, "Reference LM, JSON {\"vocab\": [...], \"next\": {context: pmf}}")->required();
  cmd->add_option("Q", o->q, "Compared LM, same vocabulary")->required();
  cmd->add_option("--length", o->length, "Sequence length n (V^n <= 2^24 for the exact enumeration)")
      ->required()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  cmd->add_option("--samples", o->samples, "Sequences to sample from P for the dataset estimate (>= 2; 0 = none)");
  cmd->add_option("--seed", o->seed, "Seed of the std::mt19937_64 sampler");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runLmDivergence(*o); };
}

}  // namespace quench::cli
