#pragma once
// Shared comparison helpers for the Qt Test suites.
#include <QtTest/QtTest>

#include <cmath>
#include <span>

namespace quench::test {

/// |a − b| ≤ abs + rel·max(|a|, |b|); QVERIFY2-friendly with a message.
inline bool near(double a, double b, double rel = 1e-12, double abs = 0.0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= abs + rel * std::max(std::fabs(a), std::fabs(b));
}

#define QUENCH_COMPARE_NEAR(actual, expected, rel, abs)                                        \
  do {                                                                                         \
    const double quench_a_ = (actual), quench_e_ = (expected);                                 \
    QVERIFY2(::quench::test::near(quench_a_, quench_e_, (rel), (abs)),                         \
             qPrintable(QStringLiteral("%1 = %2, expected %3").arg(#actual).arg(quench_a_, 0, 'g', 17) \
                            .arg(quench_e_, 0, 'g', 17)));                                      \
  } while (0)

/// Path of a file in ../shared/data (published models and corpora, never copied into the tree).
inline QString sharedData(const QString& rel) { return QStringLiteral(QUENCH_SHARED_DATA "/") + rel; }
/// Path of a committed test file under tests/data.
inline QString testData(const QString& rel) { return QStringLiteral(QUENCH_TEST_DATA "/") + rel; }

}  // namespace quench::test
