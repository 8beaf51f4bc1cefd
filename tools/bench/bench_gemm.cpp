// The GEMM behind the decoder's prefill, measured against the alternatives it was chosen over:
// C (m × n) = A (m × k) · Wᵀ, A float32 activations, W (n × k) a weight stored as float32 or
// bfloat16, with 2 threads, on TinyLlama-1.1B's shapes (q/o: 2048 × 2048, k/v: 256 × 2048,
// gate/up: 5632 × 2048, down: 2048 × 5632) and m = 512 tokens.
//   Quench   core/simd/gemm_kernels (Highway, bf16 converted while packing)
//   Eigen    Eigen 3.4's product (the build's default flags, as the old runtime used it), split
//            over B's rows by TBB; bf16 converted to float32 tile by tile (256 rows)
//   OpenBLAS cblas_sgemm of Debian's libopenblas (pthreads, 2 threads); bf16 as above
//   BLIS     cblas_sgemm of Debian's libblis (2 threads); bf16 as above
// The two BLAS libraries are opened with dlopen (RTLD_LOCAL | RTLD_DEEPBIND), so that both can
// be measured in one process and neither is a dependency of Quench; a missing one is skipped.
// Items per second are multiply-adds ×2 (FLOP/s).
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <Eigen/Core>
#include <dlfcn.h>

#include <random>
#include <vector>

#include "core/simd/gemm_kernels.h"
#include "core/tensor/dtype.h"

namespace {

using quench::DType;
using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr int kThreads = 2;
constexpr int kTile = 256;  // rows of W converted at a time for the bf16 runs of Eigen and BLAS

struct Problem {
  int m, n, k;
  std::vector<float> a, w, c;
  std::vector<std::uint16_t> wbf;
  Problem(int m_, int n_, int k_) : m(m_), n(n_), k(k_) {
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    a.resize(static_cast<std::size_t>(m) * k);
    w.resize(static_cast<std::size_t>(n) * k);
    wbf.resize(w.size());
    c.resize(static_cast<std::size_t>(m) * n);
    for (auto& x : a) x = nd(rng);
    for (std::size_t i = 0; i < w.size(); ++i) {
      wbf[i] = quench::floatToBf16(nd(rng));
      w[i] = quench::bf16ToFloat(wbf[i]);
    }
  }
};

Problem& problem(const benchmark::State& s) {
  static std::vector<std::unique_ptr<Problem>> cache;
  for (auto& p : cache)
    if (p->m == s.range(0) && p->n == s.range(1) && p->k == s.range(2)) return *p;
  cache.push_back(std::make_unique<Problem>(static_cast<int>(s.range(0)), static_cast<int>(s.range(1)),
                                            static_cast<int>(s.range(2))));
  return *cache.back();
}

void setFlops(benchmark::State& s, const Problem& p) {
  s.SetItemsProcessed(s.iterations() * 2LL * p.m * p.n * p.k);
}

// ---- Quench
void BM_Quench(benchmark::State& s, bool bf16) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, kThreads);
  Problem& p = problem(s);
  quench::simd::GemmOperand op;
  op.type = bf16 ? DType::BF16 : DType::F32;
  op.data = bf16 ? reinterpret_cast<const std::uint8_t*>(p.wbf.data()) : reinterpret_cast<const std::uint8_t*>(p.w.data());
  op.rowBytes = static_cast<std::size_t>(p.k) * (bf16 ? 2 : 4);
  for (auto _ : s) quench::simd::gemmNT(p.m, p.n, p.k, p.a.data(), p.k, op, p.c.data(), p.n);
  setFlops(s, p);
}

// Runs `product(rows first..first+count of W as float, C column offset)` over tiles of W, the bf16
// tiles converted first.
template <class Product>
void tiled(Problem& p, bool bf16, std::vector<float>& scratch, Product&& product) {
  for (int j0 = 0; j0 < p.n; j0 += kTile) {
    const int rows = std::min(kTile, p.n - j0);
    const float* w = p.w.data() + static_cast<std::size_t>(j0) * p.k;
    if (bf16) {
      scratch.resize(static_cast<std::size_t>(rows) * p.k);
      quench::convertToFloat(DType::BF16, p.wbf.data() + static_cast<std::size_t>(j0) * p.k, scratch.size(), scratch.data());
      w = scratch.data();
    }
    product(w, j0, rows);
  }
}

// ---- Eigen
void BM_Eigen(benchmark::State& s, bool bf16) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, kThreads);
  Problem& p = problem(s);
  const Eigen::Map<const RowMajor> a(p.a.data(), p.m, p.k);
  for (auto _ : s) {
    // Each TBB task takes whole tiles of W (the same split Quench's kernel uses).
    const int tiles = (p.n + kTile - 1) / kTile;
    tbb::parallel_for(0, tiles, [&](int t) {
      thread_local std::vector<float> scratch;
      const int j0 = t * kTile, rows = std::min(kTile, p.n - j0);
      const float* w = p.w.data() + static_cast<std::size_t>(j0) * p.k;
      if (bf16) {
        scratch.resize(static_cast<std::size_t>(rows) * p.k);
        quench::convertToFloat(DType::BF16, p.wbf.data() + static_cast<std::size_t>(j0) * p.k, scratch.size(), scratch.data());
        w = scratch.data();
      }
      const Eigen::Map<const RowMajor> wt(w, rows, p.k);
      Eigen::Map<RowMajor, 0, Eigen::OuterStride<>> c(p.c.data() + j0, p.m, rows, Eigen::OuterStride<>(p.n));
      c.noalias() = a * wt.transpose();
    });
  }
  setFlops(s, p);
}

// ---- BLAS through dlopen
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Blas {
  Sgemm sgemm = nullptr;
  explicit Blas(const char* lib, const char* setThreads) {
    void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) return;
    sgemm = reinterpret_cast<Sgemm>(dlsym(h, "cblas_sgemm"));
    if (auto set = reinterpret_cast<void (*)(int)>(dlsym(h, setThreads))) set(kThreads);
  }
};

void BM_Blas(benchmark::State& s, const Blas& blas, bool bf16) {
  if (!blas.sgemm) {
    s.SkipWithError("library not found");
    return;
  }
  Problem& p = problem(s);
  std::vector<float> scratch;
  for (auto _ : s) {
    if (!bf16) {
      blas.sgemm(kRowMajor, kNoTrans, kTrans, p.m, p.n, p.k, 1.0f, p.a.data(), p.k, p.w.data(), p.k, 0.0f, p.c.data(), p.n);
      continue;
    }
    tiled(p, true, scratch, [&](const float* w, int j0, int rows) {
      blas.sgemm(kRowMajor, kNoTrans, kTrans, p.m, rows, p.k, 1.0f, p.a.data(), p.k, w, p.k, 0.0f, p.c.data() + j0, p.n);
    });
  }
  setFlops(s, p);
}

const Blas& openblas() {
  static const Blas b("libopenblas.so.0", "openblas_set_num_threads");
  return b;
}
const Blas& blis() {
  static const Blas b("libblis.so.4", "bli_thread_set_num_threads");
  return b;
}

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [n, k] : {std::pair{2048, 2048}, {256, 2048}, {5632, 2048}, {2048, 5632}}) b->Args({512, n, k});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Quench, f32, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Quench, bf16, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Eigen, f32, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Eigen, bf16, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Blas, openblas_f32, openblas(), false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Blas, openblas_bf16, openblas(), true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Blas, blis_f32, blis(), false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Blas, blis_bf16, blis(), true)->Apply(shapes);
BENCHMARK_MAIN();
