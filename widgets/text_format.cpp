#include "widgets/text_format.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

#include "core/tensor/number_text.h"

namespace quench::widgets {

QString formatCount(qint64 n) {
  // The C/POSIX locale (no LANG) would print digits without grouping: use English grouping there.
  QLocale loc;
  if (loc.language() == QLocale::C) loc = QLocale(QLocale::English, QLocale::UnitedStates);
  loc.setNumberOptions(loc.numberOptions() & ~QLocale::OmitGroupSeparator);
  return loc.toString(n);
}

QString countedNoun(qint64 n, const QString& singular, const QString& plural) {
  return QStringLiteral("%1 %2").arg(formatCount(n), n == 1 ? singular : plural);
}

QString formatMessageNumber(double v) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  QString s = QString::fromStdString(shortestDecimal(v));
  if (s.startsWith(QLatin1Char('-'))) s.replace(0, 1, QChar(0x2212));
  return s;
}

QString formatPercent(double p) {
  if (p <= 0) return QStringLiteral("0");
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(p))), 0, 12);
  return QString::number(p, 'f', decimals);
}

}  // namespace quench::widgets
