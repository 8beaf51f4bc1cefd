// StatsPanel: shows a core Summary's figures, formatted, and dashes where a figure is undefined.
#include <QtTest/QtTest>

#include "widgets/text_format.h"
#include "core/stats/summary.h"
#include "widgets/stats_panel.h"

using quench::Summary;
using quench::widgets::StatsPanel;

class TestStatsPanel : public QObject {
  Q_OBJECT
 private slots:
  void showsSummary() {
    // x = {1, 2, 3, 4, NaN, −Inf}: by hand count 4, mean 2.5, population std √1.25.
    const std::vector<float> x{1, 2, 3, 4, NAN, -INFINITY};
    const Summary s = quench::summarize_ref(x);
    StatsPanel p;
    p.setSummary(s, "w\n2×3 · F32");
    QCOMPARE(p.heading(), QStringLiteral("w\n2×3 · F32"));
    QCOMPARE(p.text(StatsPanel::kCount), QStringLiteral("4"));
    QCOMPARE(p.text(StatsPanel::kMin), QStringLiteral("1"));
    QCOMPARE(p.text(StatsPanel::kMax), QStringLiteral("4"));
    QCOMPARE(p.text(StatsPanel::kMean), QStringLiteral("2.5"));
    QCOMPARE(p.text(StatsPanel::kStd), QStringLiteral("1.11803"));  // √1.25 = 1.118033…
    QCOMPARE(p.text(StatsPanel::kAbsMax), QStringLiteral("4"));
    QCOMPARE(p.text(StatsPanel::kNaN), QStringLiteral("1"));
    QCOMPARE(p.text(StatsPanel::kInf), QStringLiteral("1"));
  }

  void noFiniteValues() {
    Summary s;
    s.nan = 3;
    StatsPanel p;
    p.setSummary(s, "all NaN");
    QCOMPARE(p.text(StatsPanel::kCount), QStringLiteral("0"));
    QCOMPARE(p.text(StatsPanel::kMean), QStringLiteral("–"));
    QCOMPARE(p.text(StatsPanel::kNaN), QStringLiteral("3"));
    p.clear();
    QCOMPARE(p.text(StatsPanel::kNaN), QStringLiteral("–"));
  }

  void formats() {
    QCOMPARE(StatsPanel::formatCount(1048576), quench::widgets::formatCount(1048576));
    QCOMPARE(StatsPanel::formatCount(999), QStringLiteral("999"));
    QCOMPARE(StatsPanel::formatValue(-0.000156472123), QStringLiteral("-0.000156472"));
    QCOMPARE(StatsPanel::formatValue(3.0e-9), QStringLiteral("3e-09"));
  }
};

QTEST_MAIN(TestStatsPanel)
#include "test_stats_panel.moc"
