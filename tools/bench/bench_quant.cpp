// Quantization throughput on a 4096×4096 float32 tensor (64 MiB), against memcpy bandwidth in the
// same process; tools/bench/run_quant_bench.sh adds PyTorch (2 threads) on the same shapes and
// prints one table of ratios. The fused kernels (core/simd/quant_kernels.h) write into preallocated
// outputs; the Engine, Tensor and Workbench rows time the entry points the application runs on a
// recipe rule (quantizeModel's per-tensor step for quench-cli --recipe and the export,
// quantizeTensor for quench-cli --tensor, eval::computeQuantView for the workbench).
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <hwy/aligned_allocator.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <random>
#include <span>
#include <vector>

#include "core/eval/quant_view.h"
#include "core/quant/integer.h"
#include "core/quant/method.h"
#include "core/recipe/recipe.h"
#include "core/stats/error_figures.h"
#include "core/simd/quant_kernels.h"
#include "core/stats/histogram.h"

namespace {
constexpr std::size_t kRows = 4096, kCols = 4096, kN = kRows * kCols;

// The input: N(0, 0.02²) draws (seed 1), 64-byte aligned like the tensor PyTorch is timed on
// (the same distribution, its own draws).
std::span<const float> data() {
  static const hwy::AlignedFreeUniquePtr<float[]> x = [] {
    auto v = hwy::AllocateAligned<float>(kN);
    std::mt19937 gen(1);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    for (std::size_t i = 0; i < kN; ++i) v[i] = nd(gen);
    return v;
  }();
  return {x.get(), kN};
}

void BM_CopyMemcpy(benchmark::State& st) {
  const auto& x = data();
  std::vector<float> y(kN);
  for (auto _ : st) {
    std::memcpy(y.data(), x.data(), kN * sizeof(float));
    benchmark::DoNotOptimize(y.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * kN * sizeof(float));
}

// Copy split over TBB threads: the bandwidth the parallel kernels compete with.
void BM_CopyParallel(benchmark::State& st) {
  const auto& x = data();
  std::vector<float> y(kN);
  for (auto _ : st) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, kRows), [&](const tbb::blocked_range<std::size_t>& r) {
      std::memcpy(y.data() + r.begin() * kCols, x.data() + r.begin() * kCols, r.size() * kCols * sizeof(float));
    });
    benchmark::DoNotOptimize(y.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * kN * sizeof(float));
}

// Copy split over TBB threads with non-temporal stores into a 64-byte aligned destination: the
// fused kernels stream their large outputs, so this, not a cached copy, is the bandwidth they are
// measured against (run_quant_bench.sh takes the best of the three copies).
void BM_CopyStream(benchmark::State& st) {
  const auto& x = data();
  auto y = hwy::AllocateAligned<float>(kN);
  std::fill(y.get(), y.get() + kN, 0.0f);
  for (auto _ : st) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, kRows), [&](const tbb::blocked_range<std::size_t>& r) {
      const float* src = x.data() + r.begin() * kCols;
      float* dst = y.get() + r.begin() * kCols;
      const std::size_t n = r.size() * kCols;
#if defined(__SSE2__)
      for (std::size_t i = 0; i < n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));  // kCols % 4 == 0
      _mm_sfence();
#else
      std::memcpy(dst, src, n * sizeof(float));
#endif
    });
    benchmark::DoNotOptimize(y.get());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 2 * kN * sizeof(float));
}

// Outputs of the fused kernels, 64-byte aligned (hwy::AllocateAligned) like every buffer
// PyTorch's CPU allocator returns, and touched once so no page fault is timed.
template <class T>
hwy::AlignedFreeUniquePtr<T[]> output(std::size_t n) {
  auto p = hwy::AllocateAligned<T>(n);
  std::fill(p.get(), p.get() + n, T{});
  return p;
}

// int8 per-row absmax quantize + dequantize: reads x (4 B), writes codes (1 B) and x~ (4 B).
void BM_Int8RowAbsmax(benchmark::State& st) {
  const auto& x = data();
  auto codes = output<std::int8_t>(kN);
  auto recon = output<float>(kN);
  std::vector<float> scales(kRows);
  for (auto _ : st) {
    quench::simd::quantizeRowsInt8Absmax(x.data(), kRows, kCols, codes.get(), scales.data(), recon.get());
    benchmark::DoNotOptimize(recon.get());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * (4 + 1 + 4));
}

// int4 group-128 min-max quantize + dequantize (one code per byte).
void BM_Int4Group128MinMax(benchmark::State& st) {
  const auto& x = data();
  auto codes = output<std::uint8_t>(kN);
  auto recon = output<float>(kN);
  std::vector<float> scales(kN / 128);
  std::vector<std::int32_t> zeros(kN / 128);
  for (auto _ : st) {
    quench::simd::quantizeGroupsInt4MinMax(x.data(), kN, 128, codes.get(), scales.data(), zeros.data(), recon.get());
    benchmark::DoNotOptimize(recon.get());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * (4 + 1 + 4));
}

// The engine as the application runs it, on a recipe rule (the README's PyTorch ratios time these,
// not the fused kernels above, which no application path calls).
// The rule's parameters as a recipe file gives them (the recipe JSON is the stable spelling).
quench::MethodParams ruleParams(const char* rule) {
  auto r = quench::recipeFromJson(std::string(R"({"quench_recipe": 1, "rules": [)") + rule + "]}");
  if (!r) throw std::runtime_error(r.error().message);
  return r->rules.front().params;
}
constexpr const char* kInt8Row = R"({"tensors": "*", "method": "int", "bits": 8, "partition": "row", "calib": "absmax"})";
constexpr const char* kInt4Group =
    R"({"tensors": "*", "method": "int", "bits": 4, "symmetric": false, "partition": "group:128", "calib": "minmax"})";

// The same draws as data(), as the FloatTensor the readers hand the engine.
const std::shared_ptr<const quench::FloatTensor>& tensor() {
  static const auto t = [] {
    quench::FloatTensor f;
    f.name = "w";
    f.shape = {static_cast<std::int64_t>(kRows), static_cast<std::int64_t>(kCols)};
    f.values.assign(data().begin(), data().end());
    return std::make_shared<const quench::FloatTensor>(std::move(f));
  }();
  return t;
}

// quench-cli quantize --recipe and the workbench's export (core/recipe/quantize_model.h), per
// tensor: the rule's method quantizes into the result the previous tensor left (no codes unless
// --codes), then the tensor's error sums join the model's. Bytes: reads x (4 B), writes x~ (4 B)
// and the flag (1 B), reads x and x~ again for the sums (8 B) per element.
void modelStep(benchmark::State& st, const char* rule) {
  const auto params = ruleParams(rule);
  quench::QuantResult r;
  for (auto _ : st) {
    const quench::QuantizeContext ctx{*tensor(), {}, {}, false};
    if (quench::Status s = params.quantize(ctx, r); !s) st.SkipWithError(s.error().message.c_str());
    quench::ErrorAccumulator sums;
    sums.add(tensor()->values, r.reconstruction, r.saturated);
    benchmark::DoNotOptimize(sums.sumErr2);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * (4 + 4 + 1 + 8));
}
void BM_EngineInt8RowAbsmax(benchmark::State& st) { modelStep(st, kInt8Row); }
void BM_EngineInt4Group128MinMax(benchmark::State& st) { modelStep(st, kInt4Group); }

// quench-cli quantize FILE --tensor NAME: quantizeTensor, a fresh result (int32 codes, x~, flags,
// figures) per call. On this VM the first touch of ~144 MiB of new pages dominates (kernel page
// faults), which is why quantizeModel reuses its buffers from tensor to tensor.
void tensorRun(benchmark::State& st, const char* rule) {
  const auto params = ruleParams(rule);
  for (auto _ : st) {
    auto r = quench::quantizeTensor(*tensor(), params);
    if (!r) st.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r->reconstruction.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * (4 + 4 + 4 + 1));
}
void BM_TensorInt8RowAbsmax(benchmark::State& st) { tensorRun(st, kInt8Row); }

// The workbench after a recipe change: eval::computeQuantView with no derived view (the
// quantization and its figures only), into the buffers the previous request left (no codes).
// Bytes: reads x (4 B), writes x~ (4 B) and the flag (1 B) per element.
void workbenchRun(benchmark::State& st, const char* rule) {
  quench::eval::QuantViewRequest q;
  q.tensor = tensor();
  q.params = ruleParams(rule);
  q.views = 0;
  quench::eval::QuantViewScratch scratch;
  for (auto _ : st) {
    const auto v = quench::eval::computeQuantView(q, scratch);
    if (!v.error.empty()) st.SkipWithError(v.error.c_str());
    benchmark::DoNotOptimize(scratch.result.reconstruction.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * (4 + 4 + 1));
}
void BM_WorkbenchInt8RowAbsmax(benchmark::State& st) { workbenchRun(st, kInt8Row); }
void BM_WorkbenchInt4Group128MinMax(benchmark::State& st) { workbenchRun(st, kInt4Group); }

void BM_Histogram2048(benchmark::State& st) {
  const auto& x = data();
  const auto [lo, hi] = quench::simd::minMax(x.data(), kN);
  for (auto _ : st) {
    auto h = quench::computeHistogram(x, 2048, std::make_pair(static_cast<double>(lo), static_cast<double>(hi)));
    benchmark::DoNotOptimize(h.counts.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * kN * 4);
}

// What the GUI recomputes after a parameter change: finiteness check, calibration,
// reconstruction and saturation flags with per-part and total §7 figures (int8 per row, into the
// previous result's buffers; codes not kept, the view shows x~), then the reconstruction's
// 2048-bin histogram over its own range (known from the figures: no min/max pass over x~).
void BM_AfterParameterChange(benchmark::State& st) {
  const auto& x = data();
  const auto part = quench::Partition::rows(kRows, kCols);
  quench::IntegerParams p{8};
  quench::QuantResult r;
  int step = 0;
  for (auto _ : st) {
    p.bits = 8 - (step++ & 1);  // a real change each time: 8 and 7 bits alternate
    if (!quench::quantizeIntegerInto(r, x, part, p, {}, quench::IntegerOutputs{.codes = false}))
      st.SkipWithError("quantize failed");
    const auto range = quench::automaticHistogramRange(r.total.reconstructionMin, r.total.reconstructionMax);
    auto h = quench::computeHistogram(r.reconstruction, 2048, range);
    benchmark::DoNotOptimize(h.counts.data());
  }
}

// The same with every output kept (codes too) and the histogram finding its own range: the
// after-a-change path as it was before IntegerOutputs and reconstructionMin/Max.
void BM_AfterChangeAllOutputs(benchmark::State& st) {
  const auto& x = data();
  const auto part = quench::Partition::rows(kRows, kCols);
  quench::IntegerParams p{8};
  quench::QuantResult r;
  int step = 0;
  for (auto _ : st) {
    p.bits = 8 - (step++ & 1);
    if (!quench::quantizeIntegerInto(r, x, part, p)) st.SkipWithError("quantize failed");
    auto h = quench::computeHistogram(r.reconstruction, 2048);
    benchmark::DoNotOptimize(h.counts.data());
  }
}

// The two halves of BM_AfterParameterChange, to see where its time goes.
void BM_AfterChangeQuantizeOnly(benchmark::State& st) {
  const auto& x = data();
  const auto part = quench::Partition::rows(kRows, kCols);
  quench::IntegerParams p{8};
  quench::QuantResult r;
  int step = 0;
  for (auto _ : st) {
    p.bits = 8 - (step++ & 1);
    if (!quench::quantizeIntegerInto(r, x, part, p, {}, quench::IntegerOutputs{.codes = false}))
      st.SkipWithError("quantize failed");
    benchmark::DoNotOptimize(r.reconstruction.data());
  }
}

void BM_AfterChangeHistogramOnly(benchmark::State& st) {
  const auto& x = data();
  const auto part = quench::Partition::rows(kRows, kCols);
  auto r = quench::quantizeInteger(x, part, quench::IntegerParams{8});
  if (!r) st.SkipWithError("quantize failed");
  const auto range = quench::automaticHistogramRange(r->total.reconstructionMin, r->total.reconstructionMax);
  for (auto _ : st) {
    auto h = quench::computeHistogram(r->reconstruction, 2048, range);
    benchmark::DoNotOptimize(h.counts.data());
  }
}
}  // namespace

BENCHMARK(BM_CopyMemcpy)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_CopyParallel)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_CopyStream)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_Int8RowAbsmax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_Int4Group128MinMax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_EngineInt8RowAbsmax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_EngineInt4Group128MinMax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_TensorInt8RowAbsmax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_WorkbenchInt8RowAbsmax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_WorkbenchInt4Group128MinMax)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_Histogram2048)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_AfterParameterChange)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_AfterChangeAllOutputs)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_AfterChangeQuantizeOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK(BM_AfterChangeHistogramOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->Repetitions(7)->ReportAggregatesOnly(true);
BENCHMARK_MAIN();
