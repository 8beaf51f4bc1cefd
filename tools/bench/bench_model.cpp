// Tokens per second of the Llama runtime's forward pass (one token at a time with the KV cache, as
// in generation) on the published stories260K and TinyStories-656K. The PyTorch baseline on the
// same models and positions is tools/bench/bench_model_torch.py (torch.set_num_threads(2)); run
// both in the same session and compare items_per_second.
//
// Data: $QUENCH_SHARED_DATA, else ../shared/data relative to the repository root.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "core/model/model_loader.h"

namespace {
namespace fs = std::filesystem;

fs::path sharedData() {
  if (const char* env = std::getenv("QUENCH_SHARED_DATA")) return env;
  return fs::path(__FILE__).parent_path() / "../../../shared/data";
}

// Decode `positions` tokens from an empty cache (positions 0..n−1), the token at each step
// being a fixed pseudo-random id so that every run does the same work.
void forwardTokens(benchmark::State& state, const char* rel) {
  auto files = quench::model::openModel(sharedData() / rel);
  if (!files) {
    state.SkipWithError(files.error().message.c_str());
    return;
  }
  auto t = quench::model::loadTransformer(*files);
  if (!t) {
    state.SkipWithError(t.error().message.c_str());
    return;
  }
  const int positions = static_cast<int>(state.range(0));
  const int vocab = files->config.vocabSize;
  float sink = 0;
  for (auto _ : state) {
    for (int pos = 0; pos < positions; ++pos) sink += (*t)->forward((pos * 7919 + 1) % vocab, pos)[0];
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * positions);
}

void BM_ForwardStories260K(benchmark::State& state) { forwardTokens(state, "models/stories260K/stories260K.bin"); }
void BM_ForwardTinyStories656K(benchmark::State& state) { forwardTokens(state, "models/TinyStories-656K"); }
}  // namespace

BENCHMARK(BM_ForwardStories260K)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ForwardTinyStories656K)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
