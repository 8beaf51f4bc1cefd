// summarize() throughput against memcpy bandwidth, measured in the same run.
//
// BM_MemcpyCopy: 2 threads, each copying its own 64 MiB buffer; bytes = read + written.
// BM_Summarize: summarize() (TBB + Highway kernel) over a 4096×4096 float32 tensor; bytes = read.
// After both, the ratio summarize / memcpy is printed; the target is ≥ 0.5 (a single streaming
// read pass cannot beat copy bandwidth, and the kernel's second pass runs from cache).
//
// Run: build-<name>/tools/bench/bench_stats  (Release build)
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/stats/summary.h"

namespace {

constexpr std::size_t kCopyBytes = std::size_t{64} << 20;  // per thread
constexpr std::size_t kSide = 4096;

struct CopyBuffers {
  std::vector<char> src, dst;
};

CopyBuffers& buffersFor(int thread) {
  // One pair per thread, allocated and touched before timing (no page faults in the loop).
  static CopyBuffers buffers[2];
  CopyBuffers& b = buffers[thread];
  if (b.src.empty()) {
    b.src.assign(kCopyBytes, static_cast<char>(thread + 1));
    b.dst.assign(kCopyBytes, 0);
  }
  return b;
}

void BM_MemcpyCopy(benchmark::State& state) {
  CopyBuffers& b = buffersFor(state.thread_index());
  for (auto _ : state) {
    std::memcpy(b.dst.data(), b.src.data(), kCopyBytes);
    benchmark::DoNotOptimize(b.dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 * static_cast<std::int64_t>(kCopyBytes));
}
BENCHMARK(BM_MemcpyCopy)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

const std::vector<float>& tensor() {
  static const std::vector<float> x = [] {
    std::vector<float> v(kSide * kSide);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (auto& f : v) f = normal(rng);
    return v;
  }();
  return x;
}

void BM_Summarize(benchmark::State& state) {
  const auto& x = tensor();
  for (auto _ : state) {
    const quench::Summary s = quench::summarize(x);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(x.size() * 4));
}
BENCHMARK(BM_Summarize)->UseRealTime()->Unit(benchmark::kMillisecond);

/// Console output plus a record of each benchmark's bytes/s for the ratio printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) m_rates[r.benchmark_name()] = it->second.value;
    }
  }
  double rate(const std::string& prefix) const {
    for (const auto& [name, v] : m_rates)
      if (name.rfind(prefix, 0) == 0) return v;
    return NAN;
  }

 private:
  std::map<std::string, double> m_rates;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const double copy = reporter.rate("BM_MemcpyCopy"), sum = reporter.rate("BM_Summarize");
  std::printf("memcpy copy bandwidth (2 threads, read+written): %.2f GB/s\n", copy / 1e9);
  std::printf("summarize() read bandwidth (4096x4096 f32):      %.2f GB/s\n", sum / 1e9);
  std::printf("ratio summarize / memcpy: %.2f (target >= 0.50)\n", sum / copy);
  return 0;
}
