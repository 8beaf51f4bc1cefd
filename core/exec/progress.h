#pragma once
// Progress and cancellation cross the library boundary as plain C++ (STYLE.md §2).
#include <functional>
#include <stop_token>

namespace quench {

/// Called with (done, total) in arbitrary units; may be called from worker threads, so it must be
/// thread-safe. Never called on the GUI thread by core itself.
using ProgressFn = std::function<void(double done, double total)>;

/// Bundles the two things long-running work takes: where to report and when to stop.
struct Work {
  std::stop_token stop;
  ProgressFn progress;

  bool cancelled() const { return stop.stop_requested(); }
  void report(double done, double total) const {
    if (progress) progress(done, total);
  }
};

}  // namespace quench
