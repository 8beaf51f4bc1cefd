// Calibrators against golden values computed independently by tools/golden_quant.py (NumPy).
#include <QtTest/QtTest>

#include <cmath>

#include "common/fuzzy.h"
#include "core/quant/calibrate.h"
#include "core/quant/integer.h"
#include "core/quant/scale_format.h"
#include "core/quant/golden_array.h"

using namespace quench;

namespace {
struct Golden {
  const char* name;
  double scale;
  std::int64_t zero, low, high;
  std::uint64_t saturated;
  double mse;
  std::int32_t code7, code123;
};
// Pasted from `/usr/bin/python3 tools/golden_quant.py`.
const Golden kGolden[] = {
    {"absmax8", 0.005905511789023876, 0, -127, 127, 0, 3.037295603664153e-06, 127, -85},
    {"minmax8", 0.0049019609577953815, 102, 0, 255, 0, 1.976242096763972e-06, 255, 0},
    {"pct99sym8", 0.0011877380311489105, 0, -127, 127, 10, 0.0007064699337988823, 127, -127},
    {"pct99asym8", 0.001089018420316279, 130, 0, 255, 20, 0.0007474767584084683, 255, 0},
    {"msesym4", 0.056785713881254196, 0, -7, 7, 3, 0.0004520821728189751, 7, -7},
    {"mseasym4", 0.054999999701976776, 6, 0, 15, 3, 0.0003596996334646977, 15, 0},
    {"entropy8", 0.0013466181699186563, 0, -127, 127, 3, 0.0006496911665022882, 127, -127},
};

IntegerParams paramsFor(const QString& name) {
  IntegerParams p;
  p.bits = name.endsWith('4') ? 4 : 8;
  p.symmetric = !(name.contains("asym") || name.startsWith("minmax"));
  if (name.startsWith("absmax")) p.calibration = *parseCalibration("absmax");
  if (name.startsWith("minmax")) p.calibration = *parseCalibration("minmax");
  if (name.startsWith("pct99")) p.calibration = *parseCalibration("percentile:99");
  if (name.startsWith("mse")) p.calibration = *parseCalibration("mse");
  if (name.startsWith("entropy")) p.calibration = *parseCalibration("entropy");
  return p;
}
}  // namespace

class TestCalibrate : public QObject {
  Q_OBJECT
 private slots:
  void arrayMatchesNumpy() {
    const auto x = test::goldenArray();
    // golden_quant.py: x[0..3] = -0.014344692, -0.02657795, 0.08162701, -0.046854258
    QCOMPARE(x[0], -0.014344692f);
    QCOMPARE(x[1], -0.02657795f);
    QCOMPARE(x[2], 0.08162701f);
    QCOMPARE(x[3], -0.046854258f);
    double sum = 0;
    for (float v : x) sum += v;
    QCOMPARE(sum, -0.9852496981620789);  // exact: every x is a multiple of 2^-24
  }

  void percentileIsNumpyLinear() {
    auto x = test::goldenArray();
    std::vector<float> a(x);
    for (float& v : a) v = std::abs(v);
    QCOMPARE(percentileLinear(a, 99.0), 0.15084272682666777);  // np.percentile(np.abs(x), 99)
    a = x;
    QCOMPARE(percentileLinear(a, 1.0), -0.14211348652839662);
    a = x;
    QCOMPARE(percentileLinear(a, 99.0), 0.13558622062206266);
    // Hand example: [1, 2, 3, 4], p = 33: h = 0.99, 1 + 0.99·1 = 1.99 (np.percentile gives 1.99).
    std::vector<float> small{4, 1, 3, 2};
    QCOMPARE(percentileLinear(small, 33.0), 1.99);
    small = {4, 1, 3, 2};
    QCOMPARE(percentileLinear(small, 100.0), 4.0);
  }

  void goldenCalibrators_data() {
    QTest::addColumn<int>("index");
    for (int i = 0; i < static_cast<int>(std::size(kGolden)); ++i) QTest::newRow(kGolden[i].name) << i;
  }
  void goldenCalibrators() {
    QFETCH(int, index);
    const Golden& g = kGolden[index];
    const auto x = test::goldenArray();
    const IntegerParams p = paramsFor(g.name);
    auto r = quantizeInteger(x, Partition::tensor(static_cast<std::int64_t>(x.size())), p);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(r->parts.size(), std::size_t{1});
    const PartParams& pp = r->parts[0].params;
    QCOMPARE(pp.scale, g.scale);  // both are the float32 of the same double: exact
    QCOMPARE(pp.zeroPoint, g.zero);
    QCOMPARE(pp.clipLow, g.low);
    QCOMPARE(pp.clipHigh, g.high);
    QCOMPARE(r->total.saturated, g.saturated);
    QCOMPARE(r->parts[0].saturated, g.saturated);
    QUENCH_COMPARE_NEAR(r->total.mse, g.mse, 1e-12, 0);
    QCOMPARE(r->codes[7], g.code7);
    QCOMPARE(r->codes[123], g.code123);
  }

  void entropyCurve() {
    const auto x = test::goldenArray();
    auto c = calibrate(x, *parseCalibration("entropy"), 8, true, ScaleFormat::FP32);
    QVERIFY(c.ok());
    QCOMPARE(c->klCurve.size(), std::size_t{2048 - 128 + 1});
    // golden_quant.py: threshold 0.1710205078125 (cut 467 of 2048 bins over [0, 0.75]);
    // KL at cut 128 = 1.4330241716987977, at cut 1000 = inf (a level with no in-range mass
    // under a tail-carrying bin), at cut 2048 = 0.10365880366066443.
    QCOMPARE(c->rangeHigh, 0.1710205078125);
    QCOMPARE(c->klCurve.front().first, 128 * 0.75 / 2048);
    QUENCH_COMPARE_NEAR(c->klCurve.front().second, 1.4330241716987977, 1e-12, 0);
    QVERIFY(std::isinf(c->klCurve[1000 - 128].second));
    QUENCH_COMPARE_NEAR(c->klCurve.back().second, 0.10365880366066443, 1e-12, 0);
    QCOMPARE(c->klCurve.back().first, 0.75);
  }

  void specRoundTrip() {
    for (const char* s : {"absmax", "minmax", "mse", "entropy", "percentile:99.9", "percentile:99", "signed-max"}) {
      auto c = parseCalibration(s);
      QVERIFY(c.ok());
      QCOMPARE(QString::fromStdString(calibrationSpec(*c)), QString(s));
    }
    QVERIFY(!parseCalibration("percentile:0").ok());
    QVERIFY(!parseCalibration("percentile:101").ok());
    QVERIFY(!parseCalibration("percentile:").ok());
    QVERIFY(!parseCalibration("kl").ok());
  }

  void degenerateParts() {
    // All-zero part: s = 1 (any scale reconstructs zeros exactly), b = 0.
    std::vector<float> z(5, 0.0f);
    auto c = calibrate(z, *parseCalibration("absmax"), 8, true, ScaleFormat::FP32);
    QCOMPARE(c->params.scale, 1.0);
    // Constant 3 asymmetric: s = |3|, b = round(−3/3) = −1; code = round(1) − 1 = 0, x~ = 3·(0 + 1).
    std::vector<float> k(4, 3.0f);
    auto r = quantizeInteger(k, Partition::tensor(4), IntegerParams{4, false, *parseCalibration("minmax")});
    QVERIFY(r.ok());
    QCOMPARE(r->parts[0].params.scale, 3.0);
    QCOMPARE(r->parts[0].params.zeroPoint, std::int64_t{-1});
    QCOMPARE(r->reconstruction[2], 3.0f);
  }

  // llama.cpp's Q4_0 calibrator (by hand): m = the FIRST value of largest |x|, s = |m|/2^(k−1),
  // the extra code of the full 2^k grid on m's side.
  void signedMax() {
    const Calibration sm = *parseCalibration("signed-max");
    QCOMPARE(QString::fromStdString(calibrationSpec(sm)), QString("signed-max"));
    const std::vector<float> neg{1.0f, -3.0f, 2.0f, 3.0f};  // −3 comes first
    auto c = calibrate(neg, sm, 4, true, ScaleFormat::FP32);
    QVERIFY(c.ok());
    QCOMPARE(c->params.scale, 0.375);
    QCOMPARE(c->params.clipLow, std::int64_t{-8});
    QCOMPARE(c->params.clipHigh, std::int64_t{7});
    QCOMPARE(c->rangeLow, -3.0);
    QCOMPARE(c->rangeHigh, 2.625);
    const std::vector<float> pos{3.0f, -3.0f};  // +3 first: grid [−7, 8]
    c = calibrate(pos, sm, 4, true, ScaleFormat::FP32);
    QCOMPARE(c->params.clipLow, std::int64_t{-7});
    QCOMPARE(c->params.clipHigh, std::int64_t{8});
    // 8 bits: s = 3/128, grid [−128, 127]; the double scale before storage is kept in codeScale.
    c = calibrate(neg, sm, 8, true, ScaleFormat::FP16);
    QCOMPARE(c->params.codeScale, 3.0 / 128);
    QCOMPARE(c->params.scale, storeScale(3.0 / 128, ScaleFormat::FP16));
    QCOMPARE(c->params.clipLow, std::int64_t{-128});
    // All zeros (signed or not): s = 1 and the m ≥ 0 grid (llama.cpp's d = −0).
    const std::vector<float> zeros{0.0f, -0.0f};
    c = calibrate(zeros, sm, 4, true, ScaleFormat::FP32);
    QCOMPARE(c->params.scale, 1.0);
    QCOMPARE(c->params.clipHigh, std::int64_t{8});
    QVERIFY(!calibrate(neg, sm, 4, false, ScaleFormat::FP32).ok());
    // Through the quantizer: −3 → code −8 exactly (no saturation), 3 → 8 clipped to 7 (saturated).
    auto r = quantizeInteger(neg, Partition::tensor(4), IntegerParams{4, true, sm});
    QVERIFY(r.ok());
    QCOMPARE(r->codes, (std::vector<std::int32_t>{3, -8, 5, 7}));  // 1/0.375 = 2.67 → 3, 2/0.375 = 5.33 → 5
    QCOMPARE(r->parts[0].saturated, std::uint64_t{1});
    QVERIFY(!quantizeInteger(neg, Partition::tensor(4), IntegerParams{4, false, sm}).ok());
  }

  void gridBounds() {
    QCOMPARE(integerGrid(8, true), std::make_pair(std::int64_t{-127}, std::int64_t{127}));
    QCOMPARE(integerGrid(4, true), std::make_pair(std::int64_t{-7}, std::int64_t{7}));
    QCOMPARE(integerGrid(4, false), std::make_pair(std::int64_t{0}, std::int64_t{15}));
    QCOMPARE(integerGrid(16, false), std::make_pair(std::int64_t{0}, std::int64_t{65535}));
    QCOMPARE(integerGrid(2, true), std::make_pair(std::int64_t{-1}, std::int64_t{1}));
  }
};

QTEST_APPLESS_MAIN(TestCalibrate)
#include "test_calibrate.moc"
