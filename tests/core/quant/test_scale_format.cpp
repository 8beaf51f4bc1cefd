// Scale storage formats: nearest-even fp32/fp16/bf16 directly from double, E8M0 rounding up.
#include <QtTest/QtTest>

#include <cfloat>
#include <cmath>
#include <random>

#include "core/quant/scale_format.h"
#include "core/tensor/dtype.h"

using namespace quench;

class TestScaleFormat : public QObject {
  Q_OBJECT
 private slots:
  void knownValues() {
    QCOMPARE(storeScale(0.1, ScaleFormat::FP32), 0.100000001490116119384765625);
    QCOMPARE(storeScale(0.1, ScaleFormat::FP16), 0.0999755859375);  // 1638/16384
    QCOMPARE(storeScale(0.1, ScaleFormat::BF16), 0.10009765625);    // 205/2048
    QCOMPARE(storeScale(0.1, ScaleFormat::E8M0), 0.125);
    QCOMPARE(storeScale(0.125, ScaleFormat::E8M0), 0.125);  // a power of two stays
    QCOMPARE(storeScale(0.126, ScaleFormat::E8M0), 0.25);
    QCOMPARE(storeScale(1e-50, ScaleFormat::E8M0), std::ldexp(1.0, -127));
  }

  void tiesToEven() {
    // fp16 spacing at 1 is 2^−10: 1 + 2^−11 is a tie → 1 (even); 1 + 3·2^−11 → 1 + 2^−9.
    QCOMPARE(storeScale(1 + std::ldexp(1.0, -11), ScaleFormat::FP16), 1.0);
    QCOMPARE(storeScale(1 + 3 * std::ldexp(1.0, -11), ScaleFormat::FP16), 1 + std::ldexp(1.0, -9));
    // No double rounding: 1 + 2^−11 + 2^−40 is above the tie → rounds up in fp16, although the
    // float nearest to it is the tie itself.
    QCOMPARE(storeScale(1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40), ScaleFormat::FP16), 1 + std::ldexp(1.0, -10));
  }

  void saturatesAndStaysPositive() {
    QCOMPARE(storeScale(1e6, ScaleFormat::FP16), 65504.0);
    QCOMPARE(storeScale(1e-10, ScaleFormat::FP16), std::ldexp(1.0, -24));  // smallest subnormal
    QCOMPARE(storeScale(1e300, ScaleFormat::FP32), static_cast<double>(FLT_MAX));
    QCOMPARE(storeScale(1e-300, ScaleFormat::FP32), static_cast<double>(std::numeric_limits<float>::denorm_min()));
    QVERIFY(storeScale(1e-300, ScaleFormat::BF16) > 0);
  }

  void agreesWithDtypeConversions() {
    // For float inputs (no double rounding possible), the result must equal the independent
    // float → half / bf16 conversions of core/tensor/dtype.
    std::mt19937 gen(11);
    std::uniform_real_distribution<double> e(-20, 15);
    for (int i = 0; i < 20000; ++i) {
      const float f = static_cast<float>(std::exp2(e(gen)));
      QCOMPARE(storeScale(f, ScaleFormat::FP16), static_cast<double>(halfToFloat(floatToHalf(f))));
      QCOMPARE(storeScale(f, ScaleFormat::BF16), static_cast<double>(bf16ToFloat(floatToBf16(f))));
      QCOMPARE(storeScale(f, ScaleFormat::FP32), static_cast<double>(f));
      const double p2 = storeScale(f, ScaleFormat::E8M0);
      QVERIFY(p2 >= f && p2 < 2.0 * f);
    }
  }

  void names() {
    for (ScaleFormat f : {ScaleFormat::FP32, ScaleFormat::FP16, ScaleFormat::BF16, ScaleFormat::E8M0})
      QCOMPARE(parseScaleFormat(scaleFormatName(f)), std::optional<ScaleFormat>(f));
    QVERIFY(!parseScaleFormat("fp8"));
    QCOMPARE(scaleFormatBits(ScaleFormat::E8M0), 8);
  }
};

QTEST_APPLESS_MAIN(TestScaleFormat)
#include "test_scale_format.moc"
