#pragma once
// Summary statistics of the selected tensor (count, min, max, mean, std, absmax, NaN, Inf), as
// core's summarize() computed them.
#include <QWidget>
#include <array>

#include "core/stats/summary.h"

class QLabel;

namespace quench::widgets {

class StatsPanel : public QWidget {
  Q_OBJECT
 public:
  enum Field { kCount = 0, kMin, kMax, kMean, kStd, kAbsMax, kNaN, kInf, kFieldCount };

  explicit StatsPanel(QWidget* parent = nullptr);

  /// Show `summary` for `heading` (the tensor's name, shape and dtype).
  void setSummary(const Summary& summary, const QString& heading);
  void clear();

  /// The text shown for `field` (what a user reads; "–" when empty).
  QString text(Field field) const;
  QString heading() const;
  /// The display format of real-valued figures: 6 significant digits, exponent when needed.
  static QString formatValue(double v);
  /// Counts as everywhere in the application (widgets::formatCount: the locale's grouping).
  static QString formatCount(std::uint64_t n);

 private:
  QLabel* m_heading;
  std::array<QLabel*, kFieldCount> m_values{};
};

}  // namespace quench::widgets
