// Activation-aware steps (MATH.md §13) on a 4096 × 4096 layer with 4096 calibration tokens
// (issue 15: GPTQ in at most 5 s on this machine). "gptq" is the method itself: H = (2/N)·XᵀX,
// its inverse factor and the batched column updates; "gptq+errors" is what `quench-cli quantize
// --aware gptq` computes besides reading the files: also ‖XWᵀ − XŴᵀ‖²_F / N for GPTQ and RTN.
//   build/tools/bench/bench_aware [--benchmark_filter=gptq]
#include <benchmark/benchmark.h>

#include <random>

#include "core/quant/gptq.h"
#include "core/quant/integer_method.h"

namespace {

using namespace quench;

struct Layer {
  FloatTensor w, x;
};

const Layer& layer() {
  static const Layer l = [] {
    constexpr std::int64_t n = 4096, tokens = 4096;
    Layer out;
    std::mt19937 rng(15);
    std::normal_distribution<float> g;
    out.w.name = "w";
    out.w.shape = {n, n};
    out.w.values.resize(n * n);
    for (float& v : out.w.values) v = 0.02f * g(rng);
    out.x.name = "x";
    out.x.shape = {tokens, n};
    out.x.values.resize(tokens * n);
    for (float& v : out.x.values) v = g(rng);
    for (std::int64_t t = 0; t < tokens; ++t)
      for (std::int64_t c : {7, 300, 1999}) out.x.values[t * n + c] *= 20.0f;  // outlier channels
    return out;
  }();
  return l;
}

MethodParams gptqParams(const char* partition) {
  MethodParams p = MethodParams::defaults("int");
  (void)p.set("bits", ParamValue(std::int64_t{4}));
  (void)p.set("partition", ParamValue(std::string(partition)));
  (void)p.set("aware", ParamValue(std::string("gptq")));
  return p;
}

// GPTQ alone: Hessian, factor, batched updates.
void BM_Gptq(benchmark::State& state, const char* partition) {
  const Layer& l = layer();
  const MethodParams p = gptqParams(partition);
  const IntSettings& s = p.as<IntSettings>();
  const auto part = s.partition.on(l.w.shape);
  QuantResult r;
  for (auto _ : state) {
    std::vector<std::uint8_t> dead;
    std::vector<double> h = gptqHessian({l.x.values.data(), 4096, 4096}, s.damp, dead);
    GptqOptions o;
    if (!gptqQuantize(l.w.values, 4096, 4096, std::move(h), dead, *part, s, o, r)) state.SkipWithError("gptq failed");
    benchmark::DoNotOptimize(r.reconstruction.data());
  }
}
BENCHMARK_CAPTURE(BM_Gptq, int4_group128, "group:128")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Gptq, int4_row, "row")->Unit(benchmark::kSecond)->Iterations(1);

// Through the int method: GPTQ plus the layer-output errors of GPTQ and RTN.
void BM_GptqWithErrors(benchmark::State& state) {
  const Layer& l = layer();
  const MethodParams p = gptqParams("group:128");
  QuantResult r;
  for (auto _ : state) {
    if (!p.quantize({l.w, {}, {&l.x, {}}, true}, r)) state.SkipWithError("gptq failed");
    benchmark::DoNotOptimize(r.reconstruction.data());
  }
}
BENCHMARK(BM_GptqWithErrors)->Name("gptq+errors/int4_group128")->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
