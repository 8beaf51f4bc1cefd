// progressText: percentage and a linear estimate of the time left, by hand.
#include <QtTest/QtTest>

#include "app/gui/progress_text.h"

using quench::app::progressText;

class TestProgressText : public QObject {
  Q_OBJECT
 private slots:
  void text() {
    QCOMPARE(progressText(0.0, 0), QStringLiteral("0 %"));
    QCOMPARE(progressText(0.01, 5000), QStringLiteral("1 %"));       // too early to estimate
    QCOMPARE(progressText(0.5, 300), QStringLiteral("50 %"));        // under half a second
    QCOMPARE(progressText(0.25, 4000), QStringLiteral("25 % · about 12 s left"));  // 4 s · 3
    QCOMPARE(progressText(0.1, 60000), QStringLiteral("10 % · about 9 min left"));  // 60 s · 9
    QCOMPARE(progressText(0.999, 600), QStringLiteral("99 % · less than a second left"));
    QCOMPARE(progressText(1.0, 9000), QStringLiteral("100 %"));
    QCOMPARE(progressText(2.0, 9000), QStringLiteral("100 %"));
  }
};

QTEST_MAIN(TestProgressText)
#include "test_progress_text.moc"
