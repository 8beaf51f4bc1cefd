// Every quantization kernel against its scalar *_ref twin, on every compiled Highway target the
// CPU supports, sizes 1..1023, misaligned inputs: codes and reconstructions bit-identical.
#include <QtTest/QtTest>

#include <hwy/aligned_allocator.h>

#include <cmath>
#include <random>

#include "common/fuzzy.h"
#include "common/quant_twins.h"
#include "core/simd/quant_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

namespace {
// Values that hit exact ties x/s = k + ½ (where fp32 division would differ from the spec), values
// next to ties, and values far outside the clip range.
std::vector<float> trickyValues(std::size_t n, double scale, std::mt19937& gen) {
  std::vector<float> x(n);
  std::uniform_int_distribution<int> k(-300, 300), kind(0, 3);
  std::normal_distribution<float> nd(0.0f, 60.0f * static_cast<float>(scale));
  for (float& v : x) {
    const double tie = (k(gen) + 0.5) * scale;
    switch (kind(gen)) {
      case 0: v = static_cast<float>(tie); break;
      case 1: v = std::nextafter(static_cast<float>(tie), 1e30f); break;
      case 2: v = std::nextafter(static_cast<float>(tie), -1e30f); break;
      default: v = nd(gen);
    }
  }
  return x;
}
}  // namespace

class TestQuantKernels : public QObject {
  Q_OBJECT
 private slots:
  void init() { resetTarget(); }
  void cleanup() { resetTarget(); }

  void targets_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : compiledTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void targets() {
    QFETCH(QString, target);
    QVERIFY(forceTarget(target.toStdString()));
    std::mt19937 gen(42);
    for (std::size_t n = 1; n <= 1023; ++n) {
      const std::size_t off = n % 4;  // misaligned starts
      const AffineParams p{n % 3 == 0 ? 0.1 : 0.0078125, static_cast<std::int64_t>(n % 5) - 2, n % 2 ? -127 : 0,
                           n % 2 ? 127 : 15};
      const auto buf = trickyValues(n + off, p.scale, gen);
      const float* x = buf.data() + off;
      std::vector<std::int32_t> c1(n), c2(n);
      std::vector<float> r1(n), r2(n);
      std::vector<std::uint8_t> s1(n), s2(n);
      const auto sat1 = quantizeAffine(x, n, p, c1.data(), r1.data(), s1.data());
      const auto sat2 = quantizeAffine_ref(x, n, p, c2.data(), r2.data(), s2.data());
      QCOMPARE(sat1, sat2);
      QCOMPARE(c1, c2);
      QCOMPARE(r1, r2);
      QCOMPARE(s1, s2);
      // Without codes (null): the same reconstruction, flags and count.
      std::vector<float> r3(n);
      std::vector<std::uint8_t> s3(n);
      QCOMPARE(quantizeAffine(x, n, p, nullptr, r3.data(), s3.data()), sat1);
      QCOMPARE(r3, r1);
      QCOMPARE(s3, s1);
      QCOMPARE(minMax(x, n), minMax_ref(x, n));
      const ErrorSums e1 = errorSums(x, r1.data(), n), e2 = errorSums_ref(x, r1.data(), n);
      // The range of xr is exact, and is minMax of xr.
      QCOMPARE(e1.minXr, e2.minXr);
      QCOMPARE(e1.maxXr, e2.maxXr);
      QCOMPARE(std::make_pair(e1.minXr, e1.maxXr), minMax_ref(r1.data(), n));
      QUENCH_COMPARE_NEAR(e1.sumErr2, e2.sumErr2, 1e-12, 0);
      QUENCH_COMPARE_NEAR(e1.dot, e2.dot, 1e-12, 1e-300);
      QCOMPARE(e1.maxAbsErr, e2.maxAbsErr);
      QCOMPARE(e1.allFinite, e2.allFinite);
    }
    // Non-finite counting, finite min/max and histogram indices, with NaN/±Inf sprinkled in.
    for (std::size_t n = 1; n <= 1023; n += 7) {
      std::vector<float> x(n + 1);
      std::normal_distribution<float> nd;
      for (float& v : x) v = nd(gen);
      if (n > 5) {
        x[n / 2] = NAN;
        x[n / 3] = INFINITY;
        x[n - 1] = -INFINITY;
        x[n / 4] = 2.0f;   // exactly hi: last bin
        x[n / 5] = -2.0f;  // exactly lo: first bin
      }
      const float* xp = x.data() + 1;
      QCOMPARE(countNonFinite(xp, n), countNonFinite_ref(xp, n));
      float l1 = 0, h1 = 0, l2 = 0, h2 = 0;
      QCOMPARE(finiteMinMax(xp, n, l1, h1), finiteMinMax_ref(xp, n, l2, h2));
      QCOMPARE(l1, l2);
      QCOMPARE(h1, h2);
      std::vector<std::uint64_t> c1(37, 0), c2(37, 0);
      std::uint64_t o1[4] = {0, 0, 0, 0}, o2[4] = {0, 0, 0, 0};
      histogramAccumulate(xp, n, -2.0, 1.5, c1.data(), 37, o1);
      histogramAccumulate_ref(xp, n, -2.0, 1.5, c2.data(), 37, o2);
      QCOMPARE(c1, c2);
      QCOMPARE(std::vector<std::uint64_t>(o1, o1 + 4), std::vector<std::uint64_t>(o2, o2 + 4));
    }
    // Fused kernels: int8 per-row absmax and int4 group min-max, odd shapes and a short last group.
    for (auto [rows, cols] : {std::pair<std::size_t, std::size_t>{1, 1}, {3, 17}, {7, 130}, {16, 1023}}) {
      std::vector<float> x(rows * cols + 1);
      std::normal_distribution<float> nd;
      for (float& v : x) v = nd(gen);
      const float* xp = x.data() + 1;
      quench::test::sameInt8RowsAsTwin(xp, rows, cols);
      if (QTest::currentTestFailed()) return;
      quench::test::sameInt4GroupsAsTwin(xp, rows * cols, 128);
      if (QTest::currentTestFailed()) return;
    }
  }

  // Outputs of 16 MiB and more are streamed (non-temporal stores, masked head and tail): the
  // same values as the twins, for a reconstruction that is vector-aligned and one that is not.
  void streamedOutputs_data() { targets_data(); }
  void streamedOutputs() {
    QFETCH(QString, target);
    QVERIFY(forceTarget(target.toStdString()));
    const std::size_t rows = 1025, cols = 4099, n = rows * cols, groups = (n + 127) / 128;
    QVERIFY(n * sizeof(float) >= std::size_t{16} << 20);
    std::vector<float> x(n);
    std::mt19937 gen(7);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    for (float& v : x) v = nd(gen);
    std::vector<std::int8_t> c2(n);
    std::vector<float> s2(rows), r2(n);
    quantizeRowsInt8Absmax_ref(x.data(), rows, cols, c2.data(), s2.data(), r2.data());
    std::vector<std::uint8_t> q2(n);
    std::vector<float> g2(groups), t2(n);
    std::vector<std::int32_t> z2(groups);
    quantizeGroupsInt4MinMax_ref(x.data(), n, 128, q2.data(), g2.data(), z2.data(), t2.data());
    auto buffer = hwy::AllocateAligned<float>(n + 1);
    for (std::size_t offset : {0, 1}) {
      float* recon = buffer.get() + offset;
      std::vector<std::int8_t> c1(n);
      std::vector<float> s1(rows);
      std::fill(recon, recon + n, -1.0f);
      quantizeRowsInt8Absmax(x.data(), rows, cols, c1.data(), s1.data(), recon);
      QCOMPARE(c1, c2);
      QCOMPARE(s1, s2);
      QVERIFY(std::equal(r2.begin(), r2.end(), recon));
      std::vector<std::uint8_t> q1(n);
      std::vector<float> g1(groups);
      std::vector<std::int32_t> z1(groups);
      std::fill(recon, recon + n, -1.0f);
      quantizeGroupsInt4MinMax(x.data(), n, 128, q1.data(), g1.data(), z1.data(), recon);
      QCOMPARE(q1, q2);
      QCOMPARE(g1, g2);
      QCOMPARE(z1, z2);
      QVERIFY(std::equal(t2.begin(), t2.end(), recon));
    }
  }

  // int4 groups whose parameters take every branch of the scale rule: constant (positive,
  // negative, zero), a width whose scale rounds to 0 in fp32 (the smallest subnormal instead),
  // ±1e38 (width 2e38), subnormal values, one-sided data; a short last group.
  void int4SpecialGroups_data() { targets_data(); }
  void int4SpecialGroups() {
    QFETCH(QString, target);
    QVERIFY(forceTarget(target.toStdString()));
    const std::size_t group = 16;
    const std::vector<std::vector<float>> specials = {
        {2.5f},  {-3.0f}, {0.0f}, {0.0f, 1.0e-45f}, {-1.0e38f, 1.0e38f}, {1.0e-40f, 3.0e-40f, -2.0e-41f},
        {5.0f, 5.5f, 6.0f}, {-7.0f, -6.25f}, {1.0f, 1.0f + 1.0e-7f}};
    std::vector<float> x;
    std::mt19937 gen(5);
    for (int rep = 0; rep < 7; ++rep)  // the specials land in different lanes of a parameter batch
      for (const auto& sp : specials)
        for (std::size_t i = 0; i < group; ++i) x.push_back(sp[(i + rep) % sp.size()]);
    x.resize(x.size() - 3);
    std::vector<float> g1;
    quench::test::sameInt4GroupsAsTwin(x.data(), x.size(), group, &g1);
    if (QTest::currentTestFailed()) return;
    QCOMPARE(g1[3], std::numeric_limits<float>::denorm_min());  // {0, 1e-45}: 1e-45/15 rounds to 0
    QCOMPARE(g1[0], 2.5f);                                      // constant 2.5: s = |lo|
    QCOMPARE(g1[2], 1.0f);                                      // all zero: s = 1
  }

  void refIsTheSpecification() {
    // By hand: s = 0.5, b = 0, [−7, 7]: 0.25/0.5 = 0.5 → 0 (even), 0.75/0.5 = 1.5 → 2,
    // −1.25/0.5 = −2.5 → −2, 9/0.5 = 18 → 7 saturated.
    const float x[] = {0.25f, 0.75f, -1.25f, 9.0f};
    std::int32_t c[4];
    float r[4];
    std::uint8_t s[4];
    QCOMPARE(quantizeAffine(x, 4, AffineParams{0.5, 0, -7, 7}, c, r, s), std::uint64_t{1});
    QCOMPARE(std::vector<std::int32_t>(c, c + 4), (std::vector<std::int32_t>{0, 2, -2, 7}));
    QCOMPARE(r[3], 3.5f);
    // int8 row absmax: row [−2, 1]: s = fp32(2/127), codes −127 and round(63.5) = 64 (even).
    const float row[] = {-2.0f, 1.0f};
    std::int8_t c8[2];
    float sc, r8[2];
    quantizeRowsInt8Absmax(row, 1, 2, c8, &sc, r8);
    QCOMPARE(sc, static_cast<float>(2.0 / 127));
    QCOMPARE(int(c8[0]), -127);
    QCOMPARE(int(c8[1]), static_cast<int>(std::nearbyint(1.0 / static_cast<double>(sc))));
  }
};

QTEST_APPLESS_MAIN(TestQuantKernels)
#include "test_quant_kernels.moc"
