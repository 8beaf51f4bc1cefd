#include "core/exec/parallel.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/version.h>

namespace quench::exec {

void parallelFor(std::size_t begin, std::size_t end, std::size_t grain, const std::function<void(Range)>& body) {
  if (end <= begin) return;
  grain = std::max<std::size_t>(grain, 1);
  if (end - begin <= grain) {  // one task: no trip through the scheduler
    body(Range{begin, end});
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, end, grain),
                    [&body](const tbb::blocked_range<std::size_t>& r) { body(Range{r.begin(), r.end()}); });
}

std::size_t concurrency() {
  return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
}

struct ThreadLimit::Impl {
  explicit Impl(std::size_t threads) : control(tbb::global_control::max_allowed_parallelism, threads) {}
  tbb::global_control control;
};

ThreadLimit::ThreadLimit(std::size_t threads) : m_impl(std::make_unique<Impl>(std::max<std::size_t>(threads, 1))) {}

ThreadLimit::~ThreadLimit() = default;

std::string threadLibraryVersion() { return TBB_VERSION_STRING; }
std::string threadLibraryRuntimeVersion() { return TBB_runtime_version(); }

}  // namespace quench::exec
