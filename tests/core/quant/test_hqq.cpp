// HQQ (MATH.md §13) by hand: a part already on its grid is HQQ's fixed point (b stays), and a
// round that does not strictly lower the mean |w − w_r| ends the search with the best b kept.
// The golden comparisons with tools/reference_aware.py are in test_aware.cpp.
#include <QtTest/QtTest>

#include <cmath>

#include "core/quant/hqq.h"

using namespace quench;

class TestHqq : public QObject {
  Q_OBJECT
 private slots:
  // w = [0, 1, 2, 3], 2 bits: min-max s = 1, b = 0 reconstructs exactly; shrink(0) = 0 gives
  // b = mean(n − w) = 0 again, and the next round (error 0, not below 0) stops: b = 0.
  void fixedPoint() {
    const std::vector<float> w{0, 1, 2, 3};
    QCOMPARE(hqqZeroPoint(w, 1.0, 0.0, 2, Rounding::HalfEven), 0.0);
  }

  // w = [0, 1.4, 2, 3], s = 1, b = 0: n = [0, 1, 2, 3], error 0.4/4 = 0.1; shrink(0.4) =
  // 0.4 − 0.4^(−0.3)/10 = 0.26836…, b = (1 − (1.4 − 0.26836))/4 = −0.03291…; the next round has
  // n unchanged and error (3·0.03291 + 0.36709)/4 = 0.11645 > 0.1: stop, keep b = 0.
  void keepsBest() {
    const std::vector<float> w{0, 1.4f, 2, 3};
    QCOMPARE(hqqZeroPoint(w, 1.0, 0.0, 2, Rounding::HalfEven), 0.0);
  }

  // HQQ never ends worse than its min-max start (in mean |w − w_r|), and b is fractional.
  void neverWorse() {
    std::vector<float> w(64);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(0.37 * double(i)) * std::exp(0.02 * double(i)));
    Calibration mm;
    mm.method = CalibrationMethod::MinMax;
    const PartParams p = calibrate(w, mm, 3, false, ScaleFormat::FP32)->params;
    const double b = hqqZeroPoint(w, p.scale, double(p.zeroPoint), 3, Rounding::HalfEven);
    auto meanAbs = [&](double zero) {
      double s = 0;
      for (float x : w) {
        const double n = std::clamp(std::nearbyint(double(x) / p.scale + zero), 0.0, 7.0);
        s += std::abs(double(x) - p.scale * (n - zero));
      }
      return s / double(w.size());
    };
    QVERIFY(meanAbs(b) <= meanAbs(double(p.zeroPoint)));
    QVERIFY(b != std::nearbyint(b));
  }
};

QTEST_GUILESS_MAIN(TestHqq)
#include "test_hqq.moc"
