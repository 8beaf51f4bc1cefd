// NF4 blockwise quantize + dequantize (block 64) on a 4096 × 4096 float32 tensor: the Highway
// kernel with TBB across blocks (codebookTransform) on 2 threads, 1 thread, and the scalar twin.
// tools/bench/torch_nf4.py runs this binary and the PyTorch torch.bucketize equivalent in the
// same run and prints the ratio.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <random>
#include <vector>

#include "core/quant/codebook.h"
#include "core/simd/codebook_kernels.h"

namespace {

constexpr std::size_t kRows = 4096, kCols = 4096, kBlock = 64;

struct Data {
  std::vector<float> x;
  std::vector<std::uint8_t> index;
  std::vector<float> absmax, recon;
  Data() : x(kRows * kCols), index(x.size()), absmax(x.size() / kBlock), recon(x.size()) {
    std::mt19937 rng(1);
    std::normal_distribution<float> g(0.0f, 0.02f);  // the scale of LLM weights
    for (float& v : x) v = g(rng);
  }
};

Data& data() {
  static Data d;
  return d;
}

void BM_Nf4Quench(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  Data& d = data();
  const quench::Codebook nf4 = quench::nf4Codebook();
  for (auto _ : state) {
    auto s = quench::codebookTransform(d.x, nf4, kBlock, d.index, d.absmax, d.recon);
    if (!s) state.SkipWithError(s.error().message.c_str());
    benchmark::DoNotOptimize(d.recon.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.x.size() * sizeof(float)));
}
BENCHMARK(BM_Nf4Quench)->Arg(2)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Nf4Ref(benchmark::State& state) {
  Data& d = data();
  const quench::Codebook nf4 = quench::nf4Codebook();
  const std::vector<float> mids = nf4.midpoints();
  for (auto _ : state) {
    quench::simd::codebookQuantizeBlocks_ref(d.x.data(), d.x.size(), kBlock, nf4.levels.data(), mids.data(), 16,
                                             nf4.zeroIndex(), d.index.data(), d.absmax.data(), d.recon.data());
    benchmark::DoNotOptimize(d.recon.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.x.size() * sizeof(float)));
}
BENCHMARK(BM_Nf4Ref)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
