// Per-token KL + JS + top-1 over 2048 positions × 32000 vocabulary float32 logits (double sums):
// TokenAccumulator::addRows (SIMD kernel, TBB over rows, 2 threads to match the PyTorch
// baseline), the same kernel on one thread, and the scalar double reference on one thread.
// Data: the .npy files named by QUENCH_DIV_BENCH_P / QUENCH_DIV_BENCH_Q (written by
// tools/bench/run_divergence_bench.sh, which runs tools/bench/torch_divergence.py on the same
// files), else generated in memory.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/divergence/token_summary.h"
#include "core/io/reader.h"
#include "core/simd/divergence_kernels.h"

namespace {
constexpr std::size_t kRows = 2048, kVocab = 32000;

struct Data {
  std::vector<float> p, q;
  std::size_t vocab = kVocab;
};

std::vector<float> load(const char* env) {
  const char* path = std::getenv(env);
  if (!path) return {};
  auto r = quench::openTensorFile(path);
  if (!r) return {};
  auto t = (*r)->readFloat(std::size_t{0});
  return t ? std::move(t->values) : std::vector<float>{};
}

const Data& data() {
  static const Data d = [] {
    Data d;
    d.p = load("QUENCH_DIV_BENCH_P");
    d.q = load("QUENCH_DIV_BENCH_Q");
    if (d.p.size() == kRows * kVocab && d.q.size() == d.p.size()) return d;
    std::mt19937_64 rng(1);
    std::normal_distribution<float> g(0.0f, 1.0f);
    d.p.resize(kRows * kVocab);
    d.q.resize(kRows * kVocab);
    for (std::size_t i = 0; i < d.p.size(); ++i) {
      d.p[i] = 3.0f * g(rng);
      d.q[i] = d.p[i] + 0.1f * g(rng);
    }
    return d;
  }();
  return d;
}

void BM_AddRows2Threads(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
  const Data& d = data();
  double kl = 0;
  for (auto _ : state) {
    quench::TokenAccumulator acc;
    if (!acc.addRows(d.p, d.q, d.vocab, quench::RowKind::Logits).ok()) state.SkipWithError("addRows failed");
    // Keep the summary in memory: benchmark::DoNotOptimize on a double ("+m,r") is miscompiled
    // by GCC 12 with this benchmark version (the value came back as garbage).
    const quench::TokenSummary sum = acc.summary();
    benchmark::DoNotOptimize(&sum);
    benchmark::ClobberMemory();
    kl = sum.klMean;
  }
  state.SetLabel("kl_mean " + std::to_string(kl));  // same figure torch_divergence.py prints
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.p.size()));
}
BENCHMARK(BM_AddRows2Threads)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_RowKernel1Thread(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    quench::simd::RowDivergenceFigures f;
    for (std::size_t r = 0; r < kRows; ++r) {
      f = quench::simd::rowDivergence(&d.p[r * d.vocab], &d.q[r * d.vocab], d.vocab);
      benchmark::DoNotOptimize(&f);
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.p.size()));
}
BENCHMARK(BM_RowKernel1Thread)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RowKernelRef1Thread(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    quench::simd::RowDivergenceFigures f;
    for (std::size_t r = 0; r < kRows; ++r) {
      f = quench::simd::rowDivergence_ref(&d.p[r * d.vocab], &d.q[r * d.vocab], d.vocab);
      benchmark::DoNotOptimize(&f);
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.p.size()));
}
BENCHMARK(BM_RowKernelRef1Thread)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
}  // namespace

BENCHMARK_MAIN();
