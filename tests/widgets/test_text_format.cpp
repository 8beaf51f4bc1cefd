// widgets/text_format.h: counts in the locale's grouping (English grouping under the C locale,
// never bare digits), counted nouns that agree with their count, and message numbers as the
// shortest round-trip decimal.
#include <QtTest/QtTest>

#include <QLocale>

#include "widgets/text_format.h"

using namespace quench::widgets;

class TestTextFormat : public QObject {
  Q_OBJECT
 private slots:
  void cleanup() { QLocale::setDefault(QLocale::system()); }

  void counts() {
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(formatCount(262144), QStringLiteral("262,144"));
    QCOMPARE(formatCount(999), QStringLiteral("999"));
    QCOMPARE(formatCount(-1048576), QStringLiteral("-1,048,576"));
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QCOMPARE(formatCount(262144), QStringLiteral("262.144"));
    QLocale::setDefault(QLocale::c());  // no LANG: grouped anyway, the English way
    QCOMPARE(formatCount(262144), QStringLiteral("262,144"));
  }

  void nouns() {
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QCOMPARE(countedNoun(1, "part", "parts"), QStringLiteral("1 part"));
    QCOMPARE(countedNoun(0, "part", "parts"), QStringLiteral("0 parts"));
    QCOMPARE(countedNoun(2, "tensor", "tensors"), QStringLiteral("2 tensors"));
    QCOMPARE(countedNoun(4096, "outlier column", "outlier columns"), QStringLiteral("4,096 outlier columns"));
  }

  void messageNumbers() {
    QCOMPARE(formatMessageNumber(0.5 + 0.6), QStringLiteral("1.1"));
    QCOMPARE(formatMessageNumber(0.1 + 0.2), QStringLiteral("0.30000000000000004"));
    QCOMPARE(formatMessageNumber(-0.25), QStringLiteral("−0.25"));
    QCOMPARE(formatMessageNumber(-0.0), QStringLiteral("0"));
    QCOMPARE(formatMessageNumber(1e-9), QStringLiteral("1e-09"));
  }
};

QTEST_MAIN(TestTextFormat)
#include "test_text_format.moc"
