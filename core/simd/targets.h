#pragma once
// The Highway targets compiled into quench_simd, for the equivalence tests that run every kernel
// on every target this CPU supports (STYLE.md §7) and for benchmarks. One helper for every kernel
// file: forcing a target is global to the process (every Highway dispatch follows it), so the
// kernels cannot each keep their own copy. No Highway type appears here.
#include <string>
#include <vector>

namespace quench::simd {

/// Names of the Highway targets compiled into this binary and supported by this CPU, best first
/// (e.g. "AVX2", "SSE4", "SSSE3", "SSE2", "EMU128").
std::vector<std::string> compiledTargets();

/// Forces every Highway dispatch in the process to the named target (one of compiledTargets());
/// false, with the best target restored, when the name is not one of them.
bool forceTarget(const std::string& name);

/// Undoes forceTarget: dispatch to the best supported target again.
void resetTarget();

/// forceTarget for a scope (a test case): resets on destruction.
class ScopedTarget {
 public:
  explicit ScopedTarget(const std::string& name) : m_ok(forceTarget(name)) {}
  ~ScopedTarget() { resetTarget(); }
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;
  /// Whether the target was known and is now forced.
  bool ok() const { return m_ok; }

 private:
  bool m_ok;
};

}  // namespace quench::simd
