// Decode throughput of llama.cpp's block formats (core/io/ggml_blocks.h): the runtime and the
// statistics dequantize weights one layer's rows at a time, so single-thread decodeToFloat speed
// over a 4096×4096 matrix (too large for the caches: 9–18 MB stored, 64 MiB of float out) is what
// bounds them. Bytes/s counts the stored bytes read; the "floats/s" counter the elements written.
//
// The blocks are random bytes with the scales set to ordinary fp16 values (0.01, and 0.002 for
// minima), so that the arithmetic runs on normal floats as in a real model; the cost of a block
// does not depend on its codes.
//
// Baseline measured in the same run:
//   BM_DecodeF16           the same matrix stored as F16 (convertToFloat): an element type's cost.
//   BM_Memcpy64MiB         memcpy of the 64 MiB float32 output: the floor for writing the result.
// Run: build/tools/bench/bench_ggml_blocks   (optionally --benchmark_filter=Q4_K)
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/io/ggml_blocks.h"

namespace {

constexpr std::size_t kRows = 4096, kCols = 4096, kCount = kRows * kCols;
constexpr std::uint16_t kScale = 0x211F;  // fp16 ≈ 0.01
constexpr std::uint16_t kMin = 0x1819;    // fp16 ≈ 0.002

/// Random blocks of `t` with their fp16 scale fields (at the given byte offsets) set to `kScale`.
std::vector<std::uint8_t> randomBlocks(quench::DType t, std::initializer_list<std::size_t> scaleAt,
                                       std::initializer_list<std::size_t> minAt = {}) {
  const std::size_t bytes = *quench::storedByteCount(t, kCount);
  std::vector<std::uint8_t> v(bytes);
  std::mt19937 rng(42);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  for (std::size_t at = 0; at < bytes; at += quench::blockBytes(t)) {
    for (std::size_t s : scaleAt) std::memcpy(&v[at + s], &kScale, 2);
    for (std::size_t m : minAt) std::memcpy(&v[at + m], &kMin, 2);
  }
  return v;
}

void runDecode(benchmark::State& state, quench::DType t, const std::vector<std::uint8_t>& src) {
  std::vector<float> out(kCount);
  for (auto _ : state) {
    // One row at a time, as the runtime does.
    const std::size_t rowBytes = src.size() / kRows;
    for (std::size_t r = 0; r < kRows; ++r)
      quench::decodeToFloat(t, src.data() + r * rowBytes, kCols, out.data() + r * kCols);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * src.size()));
  state.counters["floats/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kCount),
                                                  benchmark::Counter::kIsRate);
}

void BM_DecodeQ8_0(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::Q8_0, {0});
  runDecode(state, quench::DType::Q8_0, src);
}
void BM_DecodeQ4_0(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::Q4_0, {0});
  runDecode(state, quench::DType::Q4_0, src);
}
void BM_DecodeQ4_K(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::Q4_K, {0}, {2});
  runDecode(state, quench::DType::Q4_K, src);
}
void BM_DecodeQ5_K(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::Q5_K, {0}, {2});
  runDecode(state, quench::DType::Q5_K, src);
}
void BM_DecodeQ6_K(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::Q6_K, {208});
  runDecode(state, quench::DType::Q6_K, src);
}
void BM_DecodeIQ4_XS(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::IQ4_XS, {0});
  runDecode(state, quench::DType::IQ4_XS, src);
}
void BM_DecodeIQ2_XXS(benchmark::State& state) {
  static const auto src = randomBlocks(quench::DType::IQ2_XXS, {0});
  runDecode(state, quench::DType::IQ2_XXS, src);
}
void BM_DecodeF16(benchmark::State& state) {
  std::vector<std::uint8_t> src(kCount * 2);
  for (std::size_t i = 0; i < kCount; ++i) std::memcpy(&src[2 * i], &kScale, 2);
  runDecode(state, quench::DType::F16, src);
}
void BM_Memcpy64MiB(benchmark::State& state) {
  std::vector<float> a(kCount, 1.0f), b(kCount);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), kCount * 4);
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kCount * 4));
}

}  // namespace

BENCHMARK(BM_DecodeQ8_0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeQ4_0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeQ4_K)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeQ5_K)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeQ6_K)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeIQ4_XS)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeIQ2_XXS)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeF16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memcpy64MiB)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
