#pragma once
// Parallel loops for core. The one place that names the thread library: the rooms call these and
// core/exec/parallel.cpp calls oneTBB, so TBB stays a private dependency of quench_exec and no
// public header of core includes it.
//
// parallelFor hands out disjoint subranges that cover [begin, end) exactly once, on the shared
// oneTBB pool (the calling thread takes part). parallelReduce is deterministic: the range is cut
// into consecutive chunks of a fixed size, each reduced on its own, and the partial results joined
// left to right in chunk order, so a floating-point sum does not depend on the thread count or on
// scheduling (oneTBB's own parallel_reduce joins in whatever order its splitting took).
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace quench::exec {

/// Indices [begin, end).
struct Range {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
};

/// Calls body on disjoint subranges covering [begin, end), in parallel. `grain` ≥ 1 is the length
/// below which a subrange is not split further (about the work worth one task).
void parallelFor(std::size_t begin, std::size_t end, std::size_t grain, const std::function<void(Range)>& body);

/// parallelFor with grain 1 over [0, n): one index may be one task (rows, heads, blocks).
inline void parallelFor(std::size_t n, const std::function<void(Range)>& body) { parallelFor(0, n, 1, body); }

/// f(i) for every i in [0, n), in parallel, one index per task at the finest (sequences, windows).
inline void parallelForEach(std::size_t n, const std::function<void(std::size_t)>& f) {
  parallelFor(0, n, 1, [&f](Range r) {
    for (std::size_t i = r.begin; i < r.end; ++i) f(i);
  });
}

/// Reduces [begin, end) cut into chunks of `chunk` ≥ 1 elements (the last may be shorter):
/// partial_i = body(chunk_i, identity) in parallel, then join(…join(join(identity, partial_0),
/// partial_1)…) in chunk order. One partial result is kept per chunk: choose `chunk` so that
/// (end − begin)/chunk partials fit comfortably in memory.
template <class T, class Body, class Join>
T parallelReduce(std::size_t begin, std::size_t end, std::size_t chunk, const T& identity, Body body, Join join) {
  if (end <= begin) return identity;
  chunk = std::max<std::size_t>(chunk, 1);
  const std::size_t chunks = (end - begin - 1) / chunk + 1;
  std::vector<T> partial(chunks, identity);
  parallelFor(0, chunks, 1, [&](Range r) {
    for (std::size_t i = r.begin; i < r.end; ++i) {
      const std::size_t lo = begin + i * chunk;
      partial[i] = body(Range{lo, std::min(end, lo + chunk)}, identity);
    }
  });
  T acc = identity;
  for (T& p : partial) acc = join(std::move(acc), p);
  return acc;
}

/// One T per thread that touches it (created on first use by `make`), for accumulations that
/// would be too large to keep per chunk (a histogram's counts). Visit them with forEach once the
/// parallel loop is over; combine them order-independently (integer sums, min/max).
template <class T>
class PerThread {
 public:
  explicit PerThread(std::function<T()> make) : m_make(std::move(make)) {}
  /// This thread's T.
  T& local() {
    const std::thread::id me = std::this_thread::get_id();
    std::lock_guard lock(m_mutex);
    for (auto& [id, value] : m_values)
      if (id == me) return *value;
    m_values.emplace_back(me, std::make_unique<T>(m_make()));
    return *m_values.back().second;
  }
  template <class F>
  void forEach(F f) const {
    for (const auto& [id, value] : m_values) f(*value);
  }

 private:
  std::function<T()> m_make;
  std::mutex m_mutex;
  std::vector<std::pair<std::thread::id, std::unique_ptr<T>>> m_values;
};

/// The number of threads parallel loops use (oneTBB's concurrency, under any ThreadLimit).
std::size_t concurrency();

/// While alive, parallel loops use at most `threads` threads (a test that must run on one thread,
/// a benchmark of the single-thread speed).
class ThreadLimit {
 public:
  explicit ThreadLimit(std::size_t threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The thread library's version Quench was built with ("2021.8") and the one running
/// ("2021.8.0"), for the About box; the library is oneTBB.
std::string threadLibraryVersion();
std::string threadLibraryRuntimeVersion();

}  // namespace quench::exec
