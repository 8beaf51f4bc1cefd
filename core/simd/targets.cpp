// SupportedAndGeneratedTargets() is the compile-time HWY_TARGETS of this file (the same flags as
// every kernel file of quench_simd) intersected with what the CPU supports.
#include "core/simd/targets.h"

#include <cstdint>

#include "hwy/targets.h"

namespace quench::simd {

std::vector<std::string> compiledTargets() {
  // A forced target narrows SupportedTargets(): list them all, then restore what was forced.
  const std::int64_t forced = hwy::SupportedTargets();
  hwy::SetSupportedTargetsForTest(0);
  std::vector<std::string> names;
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(t));
  if (forced != hwy::SupportedTargets()) hwy::SetSupportedTargetsForTest(forced);
  return names;
}

bool forceTarget(const std::string& name) {
  hwy::SetSupportedTargetsForTest(0);  // a previous force narrows SupportedAndGeneratedTargets
  for (std::int64_t t : hwy::SupportedAndGeneratedTargets())
    if (name == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      hwy::GetChosenTarget().Update(hwy::SupportedTargets());
      return true;
    }
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  return false;
}

void resetTarget() {
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace quench::simd
