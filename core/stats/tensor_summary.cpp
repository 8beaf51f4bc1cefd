#include "core/stats/tensor_summary.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/exec/parallel.h"
#include "core/io/mapped_file.h"
#include "core/simd/summary_kernels.h"

namespace quench {
namespace {
using simd::SummaryMoments;

// Elements per chunk: 64 Ki (128 KiB of bf16, 512 KiB of f64), enough to amortize a task and small
// enough that a cancel is seen within a millisecond and released pages follow the sweep closely.
constexpr std::size_t kChunk = std::size_t{1} << 16;

Summary toSummary(const SummaryMoments& m) {
  Summary s;
  s.count = m.count;
  s.nan = m.nan;
  s.inf = m.inf;
  if (m.count) {
    s.min = m.min;
    s.max = m.max;
    s.mean = m.mean;
    s.std = std::sqrt(m.m2 / static_cast<double>(m.count));
    s.absmax = std::max(std::fabs(m.min), std::fabs(m.max));
  }
  return s;
}

// Two passes in double over one chunk (sum, then squared deviations about the chunk's mean): the
// double counterpart of simd::summaryMoments_ref.
SummaryMoments doubleMoments(const double* x, std::size_t n) {
  SummaryMoments m;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = x[i];
    if (std::isnan(v)) { ++m.nan; continue; }
    if (std::isinf(v)) { ++m.inf; continue; }
    sum += v;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
    ++m.count;
  }
  if (m.count == 0) return m;
  m.mean = sum / static_cast<double>(m.count);
  double m2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    const double d = x[i] - m.mean;
    m2 += d * d;
  }
  m.m2 = m2;
  return m;
}

template <class T>
void widen(const std::uint8_t* src, std::size_t n, double* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));  // little-endian host (static_assert in writer.cpp)
    dst[i] = static_cast<double>(v);
  }
}

// One chunk of stored elements → moments: the double path for types float32 cannot hold exactly.
SummaryMoments chunkMoments(DType t, const std::uint8_t* src, std::size_t n) {
  if (floatHoldsExactly(t)) {
    std::vector<float> f(n);
    convertToFloat(t, src, n, f.data());
    return simd::summaryMoments(f.data(), n);
  }
  std::vector<double> d(n);
  switch (t) {
    case DType::F64: std::memcpy(d.data(), src, n * sizeof(double)); break;
    case DType::I32: widen<std::int32_t>(src, n, d.data()); break;
    case DType::U32: widen<std::uint32_t>(src, n, d.data()); break;
    case DType::I64: widen<std::int64_t>(src, n, d.data()); break;
    case DType::U64: widen<std::uint64_t>(src, n, d.data()); break;
    default: return {};  // block types never reach here (dtypeSize 0)
  }
  return doubleMoments(d.data(), n);
}

}  // namespace

bool floatHoldsExactly(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::U64:
      return false;
    default:
      return true;  // f32, f16, bf16, fp8, 8/16-bit integers, bool, ggml blocks (dequantized to float)
  }
}

Summary summarizeElements(DType t, const std::uint8_t* bytes, std::size_t count, const Work& work) {
  const std::size_t size = dtypeSize(t);
  if (size == 0 || count == 0) return {};
  const std::size_t chunks = (count + kChunk - 1) / kChunk;
  std::atomic<std::size_t> done{0};
  const SummaryMoments m = exec::parallelReduce(
      0, chunks, 1, SummaryMoments{},
      [&](exec::Range r, SummaryMoments acc) {
        for (std::size_t c = r.begin; c < r.end; ++c) {
          if (work.cancelled()) return acc;
          const std::size_t first = c * kChunk;
          const std::size_t n = std::min(kChunk, count - first);
          const std::uint8_t* src = bytes + first * size;
          acc = simd::mergeSummaryMoments(acc, chunkMoments(t, src, n));
          // A no-op unless `bytes` is a file mapping: then the pages just read leave the RSS.
          MappedFile::dropResidentPages({src, n * size});
          work.report(static_cast<double>(done.fetch_add(n) + n), static_cast<double>(count));
        }
        return acc;
      },
      simd::mergeSummaryMoments);
  return toSummary(m);
}

Result<Summary> summarizeStored(const TensorReader& reader, std::size_t index, const Work& work,
                                const FloatTensor* decoded) {
  if (index >= reader.tensors().size())
    return makeError(reader.path() + ": tensor index " + std::to_string(index) + " out of range");
  const TensorInfo& info = reader.tensors()[index];
  const auto cancelled = [&] {
    return makeError(reader.path() + ": statistics of '" + info.name + "' cancelled");
  };
  const std::size_t size = dtypeSize(info.dtype);
  auto finish = [&](const Summary& s) -> Result<Summary> {
    if (work.cancelled()) return cancelled();
    return s;
  };

  if (size > 0) {
    const std::size_t count = static_cast<std::size_t>(info.bytes / size);
    if (const auto raw = reader.storedBytes(index); raw.size() == info.bytes && info.bytes > 0) {
      const Summary s = summarizeElements(info.dtype, raw.data(), count, work);
      MappedFile::dropResidentPages(raw);  // the pages chunk boundaries shared
      return finish(s);
    }
    if (decoded && floatHoldsExactly(info.dtype) && decoded->values.size() == count)
      return finish(summarize(decoded->values, work));
    auto stored = reader.readStored(index, work);
    if (!stored) return stored.error();
    if (stored->size() != info.bytes)
      return makeError(reader.path() + ": tensor '" + info.name + "': read " + std::to_string(stored->size()) +
                       " bytes, the catalog says " + std::to_string(info.bytes));
    return finish(summarizeElements(info.dtype, stored->data(), count, work));
  }
  // ggml blocks: their dequantized float32 values are the values they stand for.
  if (decoded) return finish(summarize(decoded->values, work));
  auto values = reader.readFloat(index, work);
  if (!values) return values.error();
  return finish(summarize(values->values, work));
}

}  // namespace quench
