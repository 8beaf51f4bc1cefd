#include "app/gui/progress_text.h"

#include <QObject>

#include <algorithm>
#include <cmath>

namespace quench::app {

QString progressText(double fraction, qint64 elapsedMs) {
  const double f = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  QString text = QObject::tr("%1 %").arg(int(std::floor(100.0 * f)));
  if (f < 0.02 || f >= 1.0 || elapsedMs < 500) return text;
  const double leftS = double(elapsedMs) * (1.0 - f) / f / 1000.0;
  if (leftS < 1.0) return text + QObject::tr(" · less than a second left");
  if (leftS < 90.0) return text + QObject::tr(" · about %1 s left").arg(int(std::lround(leftS)));
  return text + QObject::tr(" · about %1 min left").arg(int(std::lround(leftS / 60.0)));
}

}  // namespace quench::app
