// The §2 integer quantizer: the textbook example by hand, rounding modes, grids, saturation,
// storage cost, overrides, scale formats, and the SIMD path against the scalar element map.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "common/fuzzy.h"
#include "core/quant/integer.h"
#include "core/quant/scale_format.h"

using namespace quench;

class TestInteger : public QObject {
  Q_OBJECT
 private slots:
  void textbook() {
    // Values 1.2, −0.55, 0.07, 2.31 (float32), parts {0,1} and {2,3}, scales 0.01 and 0.1
    // stored as fp32, zero points 0 and 1, clip M = 127 and 7.
    const std::vector<float> x{1.2f, -0.55f, 0.07f, 2.31f};
    auto part = Partition::custom(4, {{0, 1}, {2, 3}});
    QVERIFY(part.ok());
    const std::vector<PartParams> params{{storeScale(0.01, ScaleFormat::FP32), 0, -127, 127},
                                         {storeScale(0.1, ScaleFormat::FP32), 1, -7, 7}};
    auto r = quantizeWithParams(x, *part, params, Rounding::HalfEven, ScaleFormat::FP32, true);
    QVERIFY(r.ok());
    // By hand, with fp32(0.01) = 0.0099999997764825820923 and fp32(0.1) = 0.1000000014901161194:
    //  x0 = 1.2000000477 / 0.0099999998 = 120.0000075 → 120 (+0), in [−127, 127]
    //  x1 = −0.5500000119 / 0.0099999998 = −55.0000024 → −55
    //  x2 = 0.0700000003 / 0.1000000015 = 0.6999999925 → 1, + 1 = 2, in [−7, 7]
    //  x3 = 2.3099999428 / 0.1000000015 = 23.0999991 → 23, + 1 = 24 > 7 → 7, saturated
    QCOMPARE(r->codes, (std::vector<std::int32_t>{120, -55, 2, 7}));
    QCOMPARE(r->saturated, (std::vector<std::uint8_t>{0, 0, 0, 1}));
    // x~ = float(s·(n − b)): 0.0099999998·120 = 1.1999999732 → nearest float 1.1999999285;
    // 0.0099999998·(−55) = −0.5499999877 → −0.5500000119; 0.1000000015·1 → 0.1f; 0.1000000015·6 =
    // 0.6000000089 → 0.6000000238 (= 0.6f).
    QCOMPARE(r->reconstruction[0], 1.1999999284744263f);
    QCOMPARE(r->reconstruction[1], -0.55f);
    QCOMPARE(r->reconstruction[2], 0.1f);
    QCOMPARE(r->reconstruction[3], 0.6f);
    QCOMPARE(r->parts[0].saturated, std::uint64_t{0});
    QCOMPARE(r->parts[1].saturated, std::uint64_t{1});
    QCOMPARE(r->total.saturated, std::uint64_t{1});
    QCOMPARE(r->total.saturatedFraction, 0.25);
    // Storage: part 0 has 255 levels → 8 bits, part 1 has 15 → 4 bits; one fp32 scale each and a
    // zero point of as many bits: 2·8 + 32 + 8 + 2·4 + 32 + 4 = 100 bits → 25 bits/param, 13 bytes.
    QCOMPARE(r->total.bitsPerParam, 25.0);
    QCOMPARE(r->total.compressedBytes, std::uint64_t{13});
    QCOMPARE(r->parts[1].figures.bitsPerParam, (2 * 4 + 32 + 4) / 2.0);
    // Part 1 error: x3 − 0.6 dominates: max |x − x~| = 2.31f − 0.6f.
    QCOMPARE(r->parts[1].figures.maxAbsError, static_cast<double>(2.31f) - static_cast<double>(0.6f));
  }

  void textbookWithExactDoubleScale() {
    // With the scale used unrounded (0.01 in double), 1.2f/0.01 = 120.0000048 → 120 and the
    // reconstruction 0.01·120 = 1.2 → 1.2f: the stored-scale rule is what changes the last bit.
    const std::vector<float> x{1.2f};
    const std::vector<PartParams> p{{0.01, 0, -127, 127}};
    auto r = quantizeWithParams(x, Partition::tensor(1), p, Rounding::HalfEven, ScaleFormat::FP32, false);
    QCOMPARE(r->codes[0], 120);
    QCOMPARE(r->reconstruction[0], 1.2f);
  }

  void roundingModes() {
    const std::vector<float> x{0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 2.4f, -2.6f};
    const std::vector<PartParams> p{{1.0, 0, -127, 127}};
    auto even = quantizeWithParams(x, Partition::tensor(7), p, Rounding::HalfEven, ScaleFormat::FP32, false);
    auto away = quantizeWithParams(x, Partition::tensor(7), p, Rounding::HalfAwayFromZero, ScaleFormat::FP32, false);
    auto zero = quantizeWithParams(x, Partition::tensor(7), p, Rounding::TowardZero, ScaleFormat::FP32, false);
    QCOMPARE(even->codes, (std::vector<std::int32_t>{0, 2, 2, 0, -2, 2, -3}));
    QCOMPARE(away->codes, (std::vector<std::int32_t>{1, 2, 3, -1, -3, 2, -3}));
    QCOMPARE(zero->codes, (std::vector<std::int32_t>{0, 1, 2, 0, -2, 2, -2}));
  }

  // Ties toward +∞, exactly (floor(v + 0.5) in double would round 0.49999999999999994 up).
  void halfUp() {
    QCOMPARE(roundWith(2.5, Rounding::HalfUp), 3.0);
    QCOMPARE(roundWith(-2.5, Rounding::HalfUp), -2.0);
    QCOMPARE(roundWith(-2.6, Rounding::HalfUp), -3.0);
    QCOMPARE(roundWith(0.49999999999999994, Rounding::HalfUp), 0.0);
    QCOMPARE(parseRounding("up"), std::optional<Rounding>(Rounding::HalfUp));
  }

  // llama.cpp's fp32 arithmetic, element by element (hand calculation from ggml's reference
  // quantizers, MATH.md §11): Q8_0 uses the fp32 reciprocal of the UNROUNDED scale.
  void ggmlElementQ8_0() {
    // amax = 1 → d = fp32(1/127), id = fp32(1/d) = 127.00000762939453 (not 127): x = 0.5/127·(2k+1)
    // style ties move. x = 0.003937008 (≈ 0.5·d): t = fl32(x·id) decides, half away from zero.
    PartParams p{storeScale(1.0 / 127, ScaleFormat::FP16), 0, -127, 127, 1.0 / 127};
    const float d = static_cast<float>(1.0 / 127), id = 1.0f / d;
    for (float x : {0.5f, -0.25f, 0.003937008f, 1.0f, -1.0f, 0.0f}) {
      const GgmlElement e = quantizeElementGgml(x, p, Rounding::HalfAwayFromZero);
      QCOMPARE(e.code, static_cast<std::int64_t>(std::round(static_cast<double>(x * id))));
      QCOMPARE(e.reconstruction, static_cast<float>(p.scale) * static_cast<float>(e.code));
      QVERIFY(!e.saturated);
    }
  }

  void ggmlElementQ4_0() {
    // Extreme −8 (grid [−8, 7], d = 1): code = (int)(fl32(t + 8.5)) − 8.
    PartParams p{1.0, 0, -8, 7, 1.0};
    QCOMPARE(quantizeElementGgml(2.5f, p, Rounding::HalfUp).code, std::int64_t{3});    // tie up
    QCOMPARE(quantizeElementGgml(-2.5f, p, Rounding::HalfUp).code, std::int64_t{-2});  // tie up
    // 0.5 − 2^−25 + 8.5 rounds to 9 in fp32: code 1 where exact half-up gives 0.
    const float below = 0.5f - 0x1.0p-25f;
    QCOMPARE(quantizeElementGgml(below, p, Rounding::HalfUp).code, std::int64_t{1});
    QCOMPARE(roundWith(static_cast<double>(below), Rounding::HalfUp), 0.0);
    // 8 → min(15, 16) = 15: code 7, saturated.
    const GgmlElement top = quantizeElementGgml(8.0f, p, Rounding::HalfUp);
    QCOMPARE(top.code, std::int64_t{7});
    QVERIFY(top.saturated);
    // Extreme +2 (grid [−7, 8], s = 0.25; llama.cpp's d = −0.25, codes mirrored).
    PartParams m{0.25, 0, -7, 8, 0.25};
    QCOMPARE(ggmlMirror(m), -1);
    QCOMPARE(quantizeElementGgml(2.0f, m, Rounding::HalfUp).code, std::int64_t{8});
    // x = −0.125: llama.cpp t = x/d = 0.5 → (int)(9.0) = 9 → n' = 1 → x~ = −0.25; Quench code −1.
    GgmlElement e = quantizeElementGgml(-0.125f, m, Rounding::HalfUp);
    QCOMPARE(e.code, std::int64_t{-1});
    QCOMPARE(e.reconstruction, -0.25f);
    // x = 0.125: t = −0.5 → (int)(8.0) = 8 → n' = 0 → x~ = d·0 = −0.0 (sign bit set, as llama.cpp).
    e = quantizeElementGgml(0.125f, m, Rounding::HalfUp);
    QCOMPARE(e.code, std::int64_t{0});
    QCOMPARE(e.reconstruction, 0.0f);
    QVERIFY(std::signbit(e.reconstruction));
  }

  void ggmlNeedsSymmetric() {
    IntegerParams ip{4, false, *parseCalibration("minmax")};
    ip.arithmetic = CodeArithmetic::Ggml;
    const std::vector<float> x{1, 2, 3};
    auto r = quantizeInteger(x, Partition::tensor(3), ip);
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("symmetric") != std::string::npos);
  }

  void stochasticRounding() {
    // x/s = 0.25 everywhere: each code is 0 or 1, about a quarter are 1, and a seed reproduces it.
    const std::vector<float> x(20000, 0.25f);
    const std::vector<PartParams> p{{1.0, 0, -127, 127}};
    auto a = quantizeWithParams(x, Partition::tensor(20000), p, Rounding::Stochastic, ScaleFormat::FP32, false, 7);
    auto b = quantizeWithParams(x, Partition::tensor(20000), p, Rounding::Stochastic, ScaleFormat::FP32, false, 7);
    auto c = quantizeWithParams(x, Partition::tensor(20000), p, Rounding::Stochastic, ScaleFormat::FP32, false, 8);
    QCOMPARE(a->codes, b->codes);
    QVERIFY(a->codes != c->codes);
    double ones = 0;
    for (auto k : a->codes) {
      QVERIFY(k == 0 || k == 1);
      ones += k;
    }
    QVERIFY(std::abs(ones / 20000 - 0.25) < 0.02);  // binomial sd 0.003
  }

  void bitsAndGrids() {
    const std::vector<float> x{-1.0f, -0.3f, 0.2f, 1.0f};
    for (int bits : {2, 3, 4, 5, 6, 7, 8, 16}) {
      IntegerParams p;
      p.bits = bits;
      auto r = quantizeInteger(x, Partition::tensor(4), p);
      QVERIFY(r.ok());
      const std::int64_t m = (std::int64_t{1} << (bits - 1)) - 1;
      QCOMPARE(r->parts[0].params.clipHigh, m);
      QCOMPARE(r->codes[3], static_cast<std::int32_t>(m));  // absmax maps max|x| to M exactly
      QCOMPARE(r->total.bitsPerParam, bits + 32.0 / 4);
    }
    for (int bits : {0, 1, 9, 12, 17, 32}) {
      IntegerParams p;
      p.bits = bits;
      QVERIFY(!quantizeInteger(x, Partition::tensor(4), p).ok());
    }
  }

  void asymmetricBitsPerParam() {
    // 8×256 tensor, group:128 along rows, 4-bit min-max: per part 128·4 + 32 (scale) + 4 (zero)
    // = 548 bits → 4.28125 bits/param.
    std::vector<float> x(8 * 256);
    std::mt19937 gen(1);
    std::normal_distribution<float> nd;
    for (float& v : x) v = nd(gen);
    auto part = Partition::groups(8, 256, 128);
    IntegerParams p{4, false, *parseCalibration("minmax")};
    auto r = quantizeInteger(x, *part, p);
    QVERIFY(r.ok());
    QCOMPARE(r->parts.size(), std::size_t{16});
    QCOMPARE(r->total.bitsPerParam, 548.0 / 128);
    // (min-max can clip one code: round(max/s) + round(−min/s) may reach U + 1, as in §2.)
    // bf16 scales cost 16 bits: 128·4 + 16 + 4 = 532 bits per part.
    p.scaleFormat = ScaleFormat::BF16;
    QCOMPARE(quantizeInteger(x, *part, p)->total.bitsPerParam, 532.0 / 128);
  }

  void overridesBeatCalibration() {
    const std::vector<float> x{0.5f, -1.0f, 2.0f, 4.0f};
    IntegerParams p;
    p.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{-3}, std::int64_t{3}};
    auto r = quantizeInteger(x, *Partition::custom(4, {{0, 1}, {2, 3}}), p);
    QVERIFY(r.ok());
    QCOMPARE(r->parts[0].params.scale, storeScale(1.0 / 127, ScaleFormat::FP32));  // calibrated
    QCOMPARE(r->parts[1].params.scale, 0.5);
    QCOMPARE(r->parts[1].params.clipHigh, std::int64_t{3});
    // 2/0.5 = 4 > 3 and 4/0.5 = 8 > 3: both clip to 3, x~ = 1.5.
    QCOMPARE(r->codes[2], 3);
    QCOMPARE(r->codes[3], 3);
    QCOMPARE(r->reconstruction[3], 1.5f);
    QCOMPARE(r->parts[1].saturated, std::uint64_t{2});
    p.overrides[5] = PartOverride{1.0};
    QVERIFY(!quantizeInteger(x, *Partition::custom(4, {{0, 1}, {2, 3}}), p).ok());
    p.overrides.clear();
    p.overrides[0] = PartOverride{-1.0};
    QVERIFY(!quantizeInteger(x, *Partition::custom(4, {{0, 1}, {2, 3}}), p).ok());
    // A typed clip must be storable in k-bit codes: at most 2^k levels (4 bits: 16), anywhere.
    const auto two = *Partition::custom(4, {{0, 1}, {2, 3}});
    IntegerParams q{4};
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{-8}, std::int64_t{7}};
    QVERIFY(quantizeInteger(x, two, q).ok());
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{0}, std::int64_t{15}};
    QVERIFY(quantizeInteger(x, two, q).ok());
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{-127}, std::int64_t{127}};
    auto bad = quantizeInteger(x, two, q);
    QVERIFY(!bad.ok());
    QCOMPARE(QString::fromStdString(bad.error().message),
             QStringLiteral("quantize: part 1: clip [-127, 127] has 255 levels, more than a 4-bit code holds (16)"));
    // Low from the grid (−7): [−7, 8] is Q4_0's mirrored 4-bit grid, 16 levels.
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::nullopt, std::int64_t{8}};
    QVERIFY(quantizeInteger(x, two, q).ok());
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{-8}, std::int64_t{8}};  // 17 levels
    QVERIFY(!quantizeInteger(x, two, q).ok());
    q.symmetric = false;  // high from the unsigned grid: [3, 15] fits, [−1, 15] does not
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{3}, std::nullopt};
    QVERIFY(quantizeInteger(x, two, q).ok());
    q.overrides[1] = PartOverride{0.5, std::nullopt, std::int64_t{-1}, std::nullopt};
    QVERIFY(!quantizeInteger(x, two, q).ok());
  }

  void badInput() {
    const std::vector<float> x{1.0f, NAN, 2.0f};
    auto r = quantizeInteger(x, Partition::tensor(3), IntegerParams{});
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("element 1 is NaN") != std::string::npos);
    const std::vector<PartParams> zeroScale{{0.0, 0, -7, 7}};
    QVERIFY(!quantizeWithParams(std::vector<float>{1, 2, 3}, Partition::tensor(3), zeroScale, Rounding::HalfEven,
                                ScaleFormat::FP32, false).ok());
    QVERIFY(!quantizeInteger(std::vector<float>{1, 2}, Partition::tensor(3), IntegerParams{}).ok());
  }

  void e8m0ScaleIsStoredValue() {
    // absmax 0.75, 8 bits: s = 0.75/127 = 0.005906 → E8M0 rounds up to 2^−7 = 0.0078125;
    // 0.75/2^−7 = 96 (nothing saturates), x~ = 0.75 exactly.
    const std::vector<float> x{0.75f, -0.1f};
    IntegerParams p;
    p.scaleFormat = ScaleFormat::E8M0;
    auto r = quantizeInteger(x, Partition::tensor(2), p);
    QCOMPARE(r->parts[0].params.scale, 0.0078125);
    QCOMPARE(r->codes[0], 96);
    QCOMPARE(r->codes[1], -13);  // −0.1/0.0078125 = −12.8 → −13
    QCOMPARE(r->reconstruction[1], -0.1015625f);
    QCOMPARE(r->total.bitsPerParam, 8 + 8.0 / 2);
  }

  void simdPathMatchesElementMap() {
    // Row parts are contiguous and use the SIMD kernel; column parts use the scalar map. Both must
    // equal the §2 element map applied by hand.
    const std::int64_t rows = 37, cols = 129;
    std::vector<float> x(rows * cols);
    std::mt19937 gen(3);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    for (float& v : x) v = nd(gen);
    for (const Partition& part : {Partition::rows(rows, cols), Partition::columns(rows, cols)}) {
      IntegerParams p{4, false, *parseCalibration("minmax")};
      auto r = quantizeInteger(x, part, p);
      QVERIFY(r.ok());
      for (std::size_t j = 0; j < part.partCount(); ++j) {
        const PartParams& pp = r->parts[j].params;
        part.forEachIndex(j, [&](std::int64_t i) {
          const ElementCode c = quantizeElement(x[i], pp, Rounding::HalfEven);
          QCOMPARE(r->codes[i], static_cast<std::int32_t>(c.code));
          QCOMPARE(r->reconstruction[i], dequantizeElement(c.code, pp));
        });
      }
    }
  }

  void partFiguresAddUp() {
    std::vector<float> x(64 * 64);
    std::mt19937 gen(5);
    std::normal_distribution<float> nd;
    for (float& v : x) v = nd(gen);
    auto r = quantizeInteger(x, Partition::rows(64, 64), IntegerParams{4, true, *parseCalibration("percentile:99")});
    double sse = 0;
    std::uint64_t sat = 0;
    for (const auto& pr : r->parts) {
      sse += pr.figures.mse * static_cast<double>(pr.size);
      sat += pr.saturated;
      QCOMPARE(pr.figures.saturated, pr.saturated);
    }
    QUENCH_COMPARE_NEAR(sse / 4096, r->total.mse, 1e-12, 0);
    QCOMPARE(sat, r->total.saturated);
    QVERIFY(sat > 0);
  }
};

QTEST_APPLESS_MAIN(TestInteger)
#include "test_integer.moc"
