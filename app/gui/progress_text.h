#pragma once
// The status text of a long action: the percentage done and, once it can be estimated, the time
// left ("42 % · about 12 s left"), instead of a bare "computing…".
#include <QString>

namespace quench::app {

/// `fraction` in [0, 1] done after `elapsedMs`: "42 %", and " · about N s left" (or "N min")
/// once at least 2 % and half a second have passed, estimated linearly.
QString progressText(double fraction, qint64 elapsedMs);

}  // namespace quench::app
