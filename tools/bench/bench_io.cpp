// Opening and listing a 1 GiB safetensors file (256 F32 tensors of 1024×1024) must not depend on the
// data size: only the JSON header is parsed, the data is mapped. The file is created sparse in /tmp
// (header written, data left as a hole), so creating it takes milliseconds.
//
// Baselines measured in the same run:
//   BM_JsonParseOnly       nlohmann::json::parse of the same header text: the floor for opening.
//   BM_Memcpy4MiB          memcpy of one tensor's 4 MiB: the floor for converting an F32 tensor.
// Run: build/tools/bench/bench_io   (optionally --benchmark_filter=Open)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/io/formats.h"

namespace {

constexpr int kTensors = 256;
constexpr std::int64_t kRows = 1024, kCols = 1024;  // 4 MiB of F32 each, 1 GiB in all
const std::string kPath = "/tmp/quench_bench_io_" + std::to_string(::getpid()) + ".safetensors";

std::string headerText() {
  nlohmann::ordered_json h;
  h["__metadata__"] = {{"format", "pt"}};
  std::uint64_t offset = 0;
  const std::uint64_t bytes = kRows * kCols * 4;
  for (int i = 0; i < kTensors; ++i) {
    h["model.layers." + std::to_string(i / 8) + ".proj" + std::to_string(i % 8) + ".weight"] = {
        {"dtype", "F32"}, {"shape", {kRows, kCols}}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = h.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// Writes the 8-byte length and the header, then extends the file to its full size as a hole.
bool createSparseFile() {
  const std::string text = headerText();
  const int fd = ::open(kPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
  const std::uint64_t total = 8 + text.size() + std::uint64_t{kTensors} * kRows * kCols * 4;
  const bool ok = ::write(fd, len, 8) == 8 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::ftruncate(fd, static_cast<off_t>(total)) == 0;
  ::close(fd);
  return ok;
}

void BM_OpenAndListSafetensors1GiB(benchmark::State& state) {
  std::size_t listed = 0;
  for (auto _ : state) {
    auto mapped = quench::MappedFile::open(kPath);
    auto reader = quench::openSafetensors(std::move(mapped).value());
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    for (const auto& t : (*reader)->tensors()) listed += t.name.size() + t.shape.size();
    benchmark::DoNotOptimize(listed);
  }
  state.counters["tensors"] = kTensors;
}
BENCHMARK(BM_OpenAndListSafetensors1GiB)->Unit(benchmark::kMillisecond);

void BM_OpenTensorFile1GiB(benchmark::State& state) {
  for (auto _ : state) {
    auto reader = quench::openTensorFile(kPath);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize((*reader)->tensors().size());
  }
}
BENCHMARK(BM_OpenTensorFile1GiB)->Unit(benchmark::kMillisecond);

void BM_JsonParseOnly(benchmark::State& state) {
  const std::string text = headerText();
  for (auto _ : state) {
    auto j = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(j.size());
  }
}
BENCHMARK(BM_JsonParseOnly)->Unit(benchmark::kMillisecond);

void BM_ReadFloatOneTensor4MiB(benchmark::State& state) {
  auto reader = quench::openSafetensors(quench::MappedFile::open(kPath).value());
  if (!reader) {
    state.SkipWithError(reader.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto t = (*reader)->readFloat(std::size_t{7});
    benchmark::DoNotOptimize(t->values.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK(BM_ReadFloatOneTensor4MiB)->Unit(benchmark::kMillisecond);

void BM_Memcpy4MiB(benchmark::State& state) {
  std::vector<float> src(kRows * kCols, 1.0f);
  for (auto _ : state) {
    std::vector<float> dst(src.size());  // allocation included, as readFloat allocates its result
    std::memcpy(dst.data(), src.data(), src.size() * 4);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK(BM_Memcpy4MiB)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (!createSparseFile()) {
    std::fprintf(stderr, "%s: cannot create the benchmark file\n", kPath.c_str());
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::remove(kPath.c_str());
  return 0;
}
