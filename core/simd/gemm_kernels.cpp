// Highway kernels for C = A·Bᵀ and C = A·B (see gemm_kernels.h for the scheme). Compiled once per
// target through foreach_target.h; the dispatch table, the threading and the scalar twins are
// emitted once under HWY_ONCE.
#include "core/simd/gemm_kernels.h"


#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/gemm_kernels.cpp"
#include "core/exec/parallel.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"

#ifndef QUENCH_GEMM_KERNELS_ONCE
#define QUENCH_GEMM_KERNELS_ONCE
namespace quench::simd::detail {

// One product of a call: B (as stored, or float32 k × n), where its C goes.
struct GemmProduct {
  int n = 0;
  GemmOperand b;              // NT: B (n × k) as stored
  const float* bnn = nullptr; // NN: B (k × n) float32, row stride ldbnn (then `b` is unused)
  std::size_t ldbnn = 0;
  float* c = nullptr;
  std::size_t ldc = 0;
  bool accumulate = false;
};

// The plan of one call, shared by every target: one A, one or more products that read it.
struct GemmJob {
  int m = 0, k = 0;
  const float* a = nullptr;
  std::size_t lda = 0;
  const GemmProduct* products = nullptr;
  std::size_t count = 0;
  bool parallel = true;  // false: run on the calling thread only
};

// Float buffers reused across products, one per nesting level of the calling thread: a thread
// waiting inside a parallel loop may run another task that multiplies too (oneTBB work stealing),
// and that product must not touch the buffer of the one it interrupted.
class ScratchPool {
 public:
  class Lease {
   public:
    explicit Lease(std::size_t n) : m_level(s_depth++) {
      if (s_buffers.size() <= m_level) s_buffers.resize(m_level + 1);
      Buffer& b = s_buffers[m_level];
      if (b.size < n) {
        b.data = hwy::AllocateAligned<float>(n);
        b.size = n;
      }
      m_data = b.data.get();
    }
    ~Lease() { --s_depth; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    float* get() const { return m_data; }

   private:
    std::size_t m_level;
    float* m_data = nullptr;
  };

 private:
  struct Buffer {
    hwy::AlignedFreeUniquePtr<float[]> data;
    std::size_t size = 0;
  };
  static thread_local std::vector<Buffer> s_buffers;
  static thread_local std::size_t s_depth;
};

inline void convertScalar(const GemmOperand& b, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  if (b.type == DType::F32 || b.type == DType::F16 || b.type == DType::BF16) {
    const std::size_t es = dtypeSize(b.type);
    convertToFloat(b.type, b.data + row * b.rowBytes + first * es, count, dst);
  } else {
    b.decode(b.decodeContext, row, first, count, dst);
  }
}

}  // namespace quench::simd::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace quench::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Rows of B per micro-tile: 12 × 2 accumulators fill AVX-512's 32 registers with room for the two
// A vectors and the broadcast; targets with 16 registers take 6 × 2.
#if HWY_TARGET <= HWY_AVX3
constexpr int kNrJ = 12;
#else
constexpr int kNrJ = 6;
#endif
// Rows of B per task: 8 micro-tiles. The task reads the packed A once per K block, so more rows
// per task mean less A traffic (measured: 4 → 8 tiles, ~150 → ~195 GFLOP/s on one core).
constexpr int kNc = 8 * kNrJ;
constexpr int kKc = kGemmKc;

HWY_INLINE std::size_t PanelRows() { return 2 * hn::Lanes(DF()); }

// Lanes(DF) stored elements of `type` at p, converted to float.
HWY_INLINE VF LoadConverted(DType type, const std::uint8_t* p) {
  const DF d;
  if (type == DType::BF16) {
    const hn::RebindToUnsigned<DF> du;
    const hn::Rebind<std::uint16_t, DF> du16;
    const auto bits = hn::PromoteTo(du, hn::LoadU(du16, reinterpret_cast<const std::uint16_t*>(p)));
    return hn::BitCast(d, hn::ShiftLeft<16>(bits));
  }
  if (type == DType::F16) {
    const hn::Rebind<hwy::float16_t, DF> dh;
    return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
  }
  return hn::LoadU(d, reinterpret_cast<const float*>(p));
}

void DecodeRow(const GemmOperand& b, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  if (b.type != DType::F32 && b.type != DType::F16 && b.type != DType::BF16) {
    b.decode(b.decodeContext, row, first, count, dst);
    return;
  }
  const DF d;
  const std::size_t N = hn::Lanes(d), es = dtypeSize(b.type);
  const std::uint8_t* src = b.data + row * b.rowBytes + first * es;
  std::size_t i = 0;
  for (; i + N <= count; i += N) hn::StoreU(LoadConverted(b.type, src + i * es), d, dst + i);
  if (i < count) convertToFloat(b.type, src + i * es, count - i, dst + i);
}

// A (m × k) → panels of PanelRows() rows, each stored k-major: pack[p][kk][r] = A[p·R + r][kk],
// zero past row m. One panel per call.
void PackPanel(const float* a, std::size_t lda, int m, int k, std::size_t panel, float* out) {
  const std::size_t R = PanelRows();
  const std::size_t i0 = panel * R;
  const std::size_t rows = std::min<std::size_t>(R, static_cast<std::size_t>(m) - i0);
  // Blocks of 64 columns keep the R source rows' current cache lines hot.
  for (int k0 = 0; k0 < k; k0 += 64) {
    const int k1 = std::min(k, k0 + 64);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* src = a + (i0 + r) * lda;
      for (int kk = k0; kk < k1; ++kk) out[static_cast<std::size_t>(kk) * R + r] = src[kk];
    }
    for (std::size_t r = rows; r < R; ++r)
      for (int kk = k0; kk < k1; ++kk) out[static_cast<std::size_t>(kk) * R + r] = 0.0f;
  }
}

// Cᵀ tile (NR rows of B) × (2 vectors of tokens) += B-panel rows · A-panel over kc steps. `pb` is
// the decoded B scratch (row stride kKc), `pa` the A panel at the block's first column, `ct` the
// tile's first element in the task's Cᵀ (row stride ldct). `first`: start from zero.
template <int NR>
HWY_INLINE void MicroTile(const float* HWY_RESTRICT pa, const float* HWY_RESTRICT pb, int kc, float* HWY_RESTRICT ct,
                          std::size_t ldct, bool first) {
  const DF d;
  const std::size_t N = hn::Lanes(d);
  VF c0[NR], c1[NR];
  for (int j = 0; j < NR; ++j) {
    c0[j] = first ? hn::Zero(d) : hn::Load(d, ct + j * ldct);
    c1[j] = first ? hn::Zero(d) : hn::Load(d, ct + j * ldct + N);
  }
  for (int kk = 0; kk < kc; ++kk) {
    const VF a0 = hn::Load(d, pa);
    const VF a1 = hn::Load(d, pa + N);
    pa += 2 * N;
    for (int j = 0; j < NR; ++j) {
      const VF b = hn::Set(d, pb[j * kKc + kk]);
      c0[j] = hn::MulAdd(a0, b, c0[j]);
      c1[j] = hn::MulAdd(a1, b, c1[j]);
    }
  }
  for (int j = 0; j < NR; ++j) {
    hn::Store(c0[j], d, ct + j * ldct);
    hn::Store(c1[j], d, ct + j * ldct + N);
  }
}

// Decoded scratch of B's rows [j0, j0 + rows) × columns [k0, k0 + kc), row stride kKc; rows past
// `rows` up to kNc are zero.
void FillScratch(const detail::GemmProduct& job, int j0, int rows, int k0, int kc, float* scratch) {
  for (int j = 0; j < rows; ++j) {
    float* dst = scratch + static_cast<std::size_t>(j) * kKc;
    if (job.bnn) {  // B (k × n): row j of Bᵀ is column j0 + j of B
      const float* src = job.bnn + static_cast<std::size_t>(k0) * job.ldbnn + j0 + j;
      for (int kk = 0; kk < kc; ++kk) dst[kk] = src[static_cast<std::size_t>(kk) * job.ldbnn];
    } else {
      DecodeRow(job.b, static_cast<std::size_t>(j0 + j), static_cast<std::size_t>(k0), static_cast<std::size_t>(kc), dst);
    }
  }
  for (int j = rows; j < kNc; ++j) std::memset(scratch + static_cast<std::size_t>(j) * kKc, 0, sizeof(float) * kKc);
}

// One task: rows [j0, j0 + rows) of B (rows ≤ kNc) against every packed panel of A; the block of
// Cᵀ is built in `ct` (kNc × mPad) and written transposed into C.
void GemmTask(const detail::GemmJob& plan, const detail::GemmProduct& job, const float* packed, int j0, int rows,
              float* scratch, float* ct) {
  const std::size_t R = PanelRows();
  const std::size_t panels = (static_cast<std::size_t>(plan.m) + R - 1) / R;
  const std::size_t mPad = panels * R;
  for (int k0 = 0; k0 < plan.k; k0 += kKc) {
    const int kc = std::min(kKc, plan.k - k0);
    FillScratch(job, j0, rows, k0, kc, scratch);
    for (std::size_t p = 0; p < panels; ++p) {
      const float* pa = packed + p * R * static_cast<std::size_t>(plan.k) + static_cast<std::size_t>(k0) * R;
      for (int jm = 0; jm < rows; jm += kNrJ)
        MicroTile<kNrJ>(pa, scratch + static_cast<std::size_t>(jm) * kKc, kc, ct + static_cast<std::size_t>(jm) * mPad + p * R,
                        mPad, k0 == 0);
    }
  }
  // Cᵀ → C in 16 × 16 blocks, so that both sides stay in cache.
  for (int i0 = 0; i0 < plan.m; i0 += 16) {
    const int i1 = std::min(plan.m, i0 + 16);
    for (int jb = 0; jb < rows; jb += 16) {
      const int jb1 = std::min(rows, jb + 16);
      for (int i = i0; i < i1; ++i) {
        float* dst = job.c + static_cast<std::size_t>(i) * job.ldc + j0;
        if (job.accumulate)
          for (int j = jb; j < jb1; ++j) dst[j] += ct[static_cast<std::size_t>(j) * mPad + i];
        else
          for (int j = jb; j < jb1; ++j) dst[j] = ct[static_cast<std::size_t>(j) * mPad + i];
      }
    }
  }
}

// Few rows of A (decoding, one token at a time): the lanes of a vector hold N consecutive rows of
// B (output features). A KC block of those rows is decoded (the same decoding as the tiled path)
// and transposed, and every element of C accumulates A[i][t]·B[j][t] one t after the other with
// fused multiply-adds, from zero, then is added to C when accumulating: the very order of the
// tiled kernel (MicroTile), so a token's result does not depend on how many rows its batch has.
void GemvRows(const detail::GemmJob& plan, const detail::GemmProduct& job, int j0, int j1) {
  const DF d;
  constexpr std::size_t kMaxN = HWY_MAX_BYTES / sizeof(float);
  const std::size_t N = hn::Lanes(d);
  const int m = plan.m;  // ≤ 4
  alignas(64) float rows[kMaxN * kKc];  // N decoded rows of B, row stride kKc
  alignas(64) float cols[kKc * kMaxN];  // the same transposed: cols[t·N + r]
  alignas(64) float lanes[kMaxN];
  for (int jb = j0; jb < j1; jb += static_cast<int>(N)) {
    const int count = std::min(static_cast<int>(N), j1 - jb);
    VF acc[4];
    for (int i = 0; i < m; ++i) acc[i] = hn::Zero(d);
    for (int k0 = 0; k0 < plan.k; k0 += kKc) {
      const int kc = std::min(kKc, plan.k - k0);
      if (job.bnn) {  // B (k × n): the N columns jb.. of B's rows are already lanes
        for (int t = 0; t < kc; ++t) {
          const float* src = job.bnn + static_cast<std::size_t>(k0 + t) * job.ldbnn + jb;
          float* dst = cols + static_cast<std::size_t>(t) * N;
          for (int r = 0; r < count; ++r) dst[r] = src[r];
          for (std::size_t r = static_cast<std::size_t>(count); r < N; ++r) dst[r] = 0.0f;
        }
      } else {
        for (int r = 0; r < count; ++r)
          DecodeRow(job.b, static_cast<std::size_t>(jb + r), static_cast<std::size_t>(k0), static_cast<std::size_t>(kc),
                    rows + static_cast<std::size_t>(r) * kKc);
        for (int t = 0; t < kc; ++t) {
          float* dst = cols + static_cast<std::size_t>(t) * N;
          for (int r = 0; r < count; ++r) dst[r] = rows[static_cast<std::size_t>(r) * kKc + t];
          for (std::size_t r = static_cast<std::size_t>(count); r < N; ++r) dst[r] = 0.0f;
        }
      }
      for (int t = 0; t < kc; ++t) {
        const VF b = hn::Load(d, cols + static_cast<std::size_t>(t) * N);
        for (int i = 0; i < m; ++i)
          acc[i] = hn::MulAdd(hn::Set(d, plan.a[static_cast<std::size_t>(i) * plan.lda + static_cast<std::size_t>(k0 + t)]), b,
                              acc[i]);
      }
    }
    for (int i = 0; i < m; ++i) {
      hn::Store(acc[i], d, lanes);
      float* out = job.c + static_cast<std::size_t>(i) * job.ldc + jb;
      if (job.accumulate)
        for (int r = 0; r < count; ++r) out[r] += lanes[r];
      else
        for (int r = 0; r < count; ++r) out[r] = lanes[r];
    }
  }
}

// Entry point of one target: pack A once, then tasks over the rows of every product's B.
void Gemm(const detail::GemmJob& plan) {
  if (plan.m <= 0) return;
  if (plan.k <= 0) {  // empty sums
    for (std::size_t q = 0; q < plan.count; ++q) {
      const detail::GemmProduct& job = plan.products[q];
      if (!job.accumulate)
        for (int i = 0; i < plan.m; ++i) std::fill_n(job.c + static_cast<std::size_t>(i) * job.ldc, job.n, 0.0f);
    }
    return;
  }
  // Up to 4 rows: B streamed once, no packing (same order of sums). Above: the tiled kernel.
  if (plan.m <= 4) {
    for (std::size_t q = 0; q < plan.count; ++q) {
      const detail::GemmProduct& job = plan.products[q];
      if (!plan.parallel) {
        GemvRows(plan, job, 0, job.n);
        continue;
      }
      exec::parallelFor(0, static_cast<std::size_t>(job.n), 32, [&](exec::Range r) { GemvRows(plan, job, static_cast<int>(r.begin), static_cast<int>(r.end)); });
    }
    return;
  }
  const std::size_t R = PanelRows();
  const std::size_t panels = (static_cast<std::size_t>(plan.m) + R - 1) / R;
  const std::size_t mPad = panels * R;
  // Packed A and, per task, the decoded B block and the task's Cᵀ block come from the pool.
  const detail::ScratchPool::Lease packedLease(mPad * static_cast<std::size_t>(plan.k));
  float* packed = packedLease.get();
  auto pack = [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p != p1; ++p)
      PackPanel(plan.a, plan.lda, plan.m, plan.k, p, packed + p * R * static_cast<std::size_t>(plan.k));
  };
  // Tasks: kNc rows of one product's B each, the products one after the other.
  std::vector<std::pair<std::size_t, int>> tasks;  // (product, first row)
  for (std::size_t q = 0; q < plan.count; ++q)
    for (int j0 = 0; j0 < plan.products[q].n; j0 += kNc) tasks.emplace_back(q, j0);
  auto run = [&](std::size_t t0, std::size_t t1) {
    const detail::ScratchPool::Lease scratch(static_cast<std::size_t>(kNc) * kKc);
    const detail::ScratchPool::Lease ct(static_cast<std::size_t>(kNc) * mPad);
    for (std::size_t t = t0; t != t1; ++t) {
      const detail::GemmProduct& job = plan.products[tasks[t].first];
      const int j0 = tasks[t].second;
      GemmTask(plan, job, packed, j0, std::min(kNc, job.n - j0), scratch.get(), ct.get());
    }
  };
  if (!plan.parallel) {
    pack(0, panels);
    run(0, tasks.size());
    return;
  }
  exec::parallelFor(0, panels, 1, [&](exec::Range r) { pack(r.begin, r.end); });
  exec::parallelFor(0, tasks.size(), 1, [&](exec::Range r) { run(r.begin, r.end); });
}

void DecodeOperandRow(const GemmOperand& b, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  DecodeRow(b, row, first, count, dst);
}

}  // namespace HWY_NAMESPACE
}  // namespace quench::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quench::simd {

thread_local std::vector<detail::ScratchPool::Buffer> detail::ScratchPool::s_buffers;
thread_local std::size_t detail::ScratchPool::s_depth = 0;

HWY_EXPORT(Gemm);
HWY_EXPORT(DecodeOperandRow);

void gemmNT(int m, int n, int k, const float* a, std::size_t lda, const GemmOperand& b, float* c, std::size_t ldc,
            bool accumulate, bool parallel) {
  const GemmTarget t{b, n, c, ldc, accumulate};
  gemmNTShared(m, k, a, lda, {&t, 1}, parallel);
}

void gemmNTShared(int m, int k, const float* a, std::size_t lda, std::span<const GemmTarget> targets, bool parallel) {
  std::vector<detail::GemmProduct> products(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    products[i].n = targets[i].n;
    products[i].b = targets[i].b;
    products[i].c = targets[i].c;
    products[i].ldc = targets[i].ldc;
    products[i].accumulate = targets[i].accumulate;
  }
  detail::GemmJob job;
  job.m = m;
  job.k = k;
  job.a = a;
  job.lda = lda;
  job.products = products.data();
  job.count = products.size();
  job.parallel = parallel;
  HWY_DYNAMIC_DISPATCH(Gemm)(job);
}

void gemmNN(int m, int n, int k, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
            std::size_t ldc, bool accumulate, bool parallel) {
  detail::GemmProduct product;
  product.n = n;
  product.bnn = b;
  product.ldbnn = ldb;
  product.c = c;
  product.ldc = ldc;
  product.accumulate = accumulate;
  detail::GemmJob job;
  job.m = m;
  job.k = k;
  job.a = a;
  job.lda = lda;
  job.products = &product;
  job.count = 1;
  job.parallel = parallel;
  HWY_DYNAMIC_DISPATCH(Gemm)(job);
}

void decodeOperandRow(const GemmOperand& b, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  HWY_DYNAMIC_DISPATCH(DecodeOperandRow)(b, row, first, count, dst);
}

void gemmNT_ref(int m, int n, int k, const float* a, std::size_t lda, const GemmOperand& b, float* c, std::size_t ldc,
                bool accumulate) {
  std::vector<float> row(static_cast<std::size_t>(std::max(k, 0)));
  for (int j = 0; j < n; ++j) {
    if (k > 0) detail::convertScalar(b, static_cast<std::size_t>(j), 0, static_cast<std::size_t>(k), row.data());
    for (int i = 0; i < m; ++i) {
      double s = 0;
      for (int kk = 0; kk < k; ++kk) s += static_cast<double>(a[static_cast<std::size_t>(i) * lda + kk]) * row[kk];
      float& out = c[static_cast<std::size_t>(i) * ldc + j];
      out = accumulate ? static_cast<float>(out + s) : static_cast<float>(s);
    }
  }
}

void gemmNN_ref(int m, int n, int k, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
                std::size_t ldc, bool accumulate) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int kk = 0; kk < k; ++kk)
        s += static_cast<double>(a[static_cast<std::size_t>(i) * lda + kk]) * b[static_cast<std::size_t>(kk) * ldb + j];
      float& out = c[static_cast<std::size_t>(i) * ldc + j];
      out = accumulate ? static_cast<float>(out + s) : static_cast<float>(s);
    }
}

std::vector<std::string> gemmKernelTargets() {
  std::vector<std::string> names;
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

bool forceGemmKernelTarget(const std::string& name) {
  hwy::SetSupportedTargetsForTest(0);
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets())
    if (name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      hwy::GetChosenTarget().Update(hwy::SupportedTargets());
      return true;
    }
  return false;
}

void resetGemmKernelTarget() {
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace quench::simd
#endif  // HWY_ONCE
