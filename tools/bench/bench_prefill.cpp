// Prompt throughput of the decoder runtime, as llama-bench measures llama.cpp's ("pp512"): one
// forward pass over a prompt of N random token ids from an empty cache, the logits of the last
// position only; plus the time from opening the model to its first logits, and the machine's
// float32 FMA peak to express the throughput as a fraction of it.
//
//   bench_prefill MODEL [--tokens N] [--threads T] [--rounds R] [--all-logits] [--peak]
//
// MODEL is anything quench opens (a .gguf, a Hugging Face folder, a llama2.c .bin). Prints one
// JSON object: open_to_first_logits_s (open + load + the first token's logits, cold process state
// but page cache as it is), tokens_per_s per round, the FLOPs of one prompt, and (with --peak)
// the FMA peak of T threads in GFLOP/s. tools/bench/run_prefill_bench.sh alternates it with
// llama-bench and tabulates medians.
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/model/model_loader.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// FLOPs of one prompt of n tokens: 2 per multiply-add of every layer's linears, the attention's
// QKᵀ and PV over the causal prefix, and the classifier for the positions whose logits are asked.
double promptFlops(const quench::model::ModelConfig& c, int n, int logitRows) {
  const double d = c.dim, q = c.qDim(), kv = c.kvDim(), h = c.hiddenDim;
  const double linear = d * q + 2 * d * kv + q * d + 3 * d * h;
  double attention = 0;
  for (int p = 0; p < n; ++p) attention += 2.0 * (p + 1) * q;  // QKᵀ and PV: (p+1)·head_dim per head each
  return 2.0 * (c.nLayers * (linear * n + attention) + static_cast<double>(logitRows) * c.vocabSize * d);
}

// Peak float32 FMA throughput: 12 independent chains of 512-bit (or 256-bit) FMAs per thread.
__attribute__((target("avx512f"))) double fmaLoop512(long iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(1e-5f);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  float s = 0;
  for (int k = 0; k < 12; ++k) s += _mm512_reduce_add_ps(acc[k]);
  return s;
}
__attribute__((target("avx2,fma"))) double fmaLoop256(long iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(1e-5f);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 12; ++k) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  alignas(32) float lanes[8];
  float s = 0;
  for (int k = 0; k < 12; ++k) {
    _mm256_store_ps(lanes, acc[k]);
    for (float v : lanes) s += v;
  }
  return s;
}

double fmaPeakGflops(int threads) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const long iters = 50'000'000;
  const double flopsPerIter = 12.0 * (avx512 ? 16 : 8) * 2;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = Clock::now();
    std::vector<double> sink(static_cast<std::size_t>(threads));
    tbb::parallel_for(0, threads, [&](int t) { sink[static_cast<std::size_t>(t)] = avx512 ? fmaLoop512(iters) : fmaLoop256(iters); });
    const double s = since(t0);
    best = std::max(best, threads * iters * flopsPerIter / s / 1e9);
    if (sink[0] == 12345.0) std::puts("");  // keeps the loops
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_prefill MODEL [--tokens N] [--threads T] [--rounds R] [--all-logits] [--peak]\n");
    return 2;
  }
  const std::string path = argv[1];
  int tokens = 512, threads = 2, rounds = 1;
  bool allLogits = false, peak = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--tokens" && i + 1 < argc) tokens = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else if (a == "--all-logits") allLogits = true;
    else if (a == "--peak") peak = true;
    else {
      std::fprintf(stderr, "bench_prefill: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));

  const auto t0 = Clock::now();
  auto files = quench::model::openModel(path);
  if (!files) {
    std::fprintf(stderr, "%s\n", files.error().message.c_str());
    return 1;
  }
  auto model = quench::model::loadTransformer(*files);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  const double openSeconds = since(t0);
  const int first = files->tokenizer ? files->tokenizer->bosId() : 1;
  auto firstLogits = (*model)->prefill({&first, 1}, 0, false);
  if (!firstLogits) {
    std::fprintf(stderr, "%s\n", firstLogits.error().message.c_str());
    return 1;
  }
  const double firstSeconds = since(t0);

  const auto& c = files->config;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> id(0, c.vocabSize - 1);
  std::vector<int> prompt(static_cast<std::size_t>(tokens));
  for (int& t : prompt) t = id(rng);
  std::vector<double> rates;
  for (int r = 0; r < rounds; ++r) {
    const auto s = Clock::now();
    auto out = (*model)->prefill(prompt, 0, allLogits);
    const double dt = since(s);
    if (!out) {
      std::fprintf(stderr, "%s\n", out.error().message.c_str());
      return 1;
    }
    rates.push_back(tokens / dt);
  }
  std::printf("{\"model\": \"%s\", \"format\": \"%s\", \"threads\": %d, \"tokens\": %d, \"all_logits\": %s, "
              "\"open_s\": %.4f, \"open_to_first_logits_s\": %.4f, \"prompt_gflop\": %.4f, \"tokens_per_s\": [",
              path.c_str(), files->format.c_str(), threads, tokens, allLogits ? "true" : "false", openSeconds, firstSeconds,
              promptFlops(c, tokens, allLogits ? tokens : 1) / 1e9);
  for (std::size_t i = 0; i < rates.size(); ++i) std::printf("%s%.3f", i ? ", " : "", rates[i]);
  std::printf("]");
  if (peak) std::printf(", \"fma_peak_gflops\": %.2f", fmaPeakGflops(threads));
  std::printf("}\n");
  return 0;
}
