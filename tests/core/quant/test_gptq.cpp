// GPTQ (MATH.md §13): a 2×4 case worked by hand, the inverse factor U (UᵀU = H⁻¹), the batched
// algorithm against the unbatched OBS update (a different algorithm that must give the same Ŵ),
// dead columns. The golden comparisons with tools/reference_aware.py are in test_aware.cpp.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/quant/gptq.h"

using namespace quench;

namespace {

// Gauss–Jordan inverse of a small SPD matrix (n × n, row-major), for the test's own references.
std::vector<double> inverse(std::vector<double> a, std::size_t n) {
  std::vector<double> inv(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) inv[i * n + i] = 1;
  for (std::size_t c = 0; c < n; ++c) {
    const double p = a[c * n + c];
    for (std::size_t k = 0; k < n; ++k) {
      a[c * n + k] /= p;
      inv[c * n + k] /= p;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r * n + c];
      for (std::size_t k = 0; k < n; ++k) {
        a[r * n + k] -= f * a[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

IntegerParams grid(int bits, bool symmetric = true) {
  IntegerParams ip;
  ip.bits = bits;
  ip.symmetric = symmetric;
  if (!symmetric) ip.calibration.method = CalibrationMethod::MinMax;
  return ip;
}

}  // namespace

class TestGptq : public QObject {
  Q_OBJECT
 private slots:
  // H⁻¹ = UᵀU with U = I + ½·superdiagonal; grid s = 0.25 (typed), 3 bits (codes −3..3).
  // Row 0 = [0.3, −0.2, 0.55, 0.1]: 1.2 → 1, e = 0.05, w1 = −0.225 → −0.9 → −1, e = 0.025,
  //   w2 = 0.5375 → 2.15 → 2, e = 0.0375, w3 = 0.08125 → 0.325 → 0.      codes [1, −1, 2, 0]
  // Row 1 = [0.1, 0.4, −0.35, 0.2]: 0.4 → 0, e = 0.1, w1 = 0.35 → 1.4 → 1, e = 0.1,
  //   w2 = −0.4 → −1.6 → −2, e = 0.1, w3 = 0.15 → 0.6 → 1.             codes [0, 1, −2, 1]
  // (round to nearest alone gives row 1 = [0, 2, −1, 1]).
  void byHand() {
    const std::size_t n = 4;
    std::vector<double> u0(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      u0[i * n + i] = 1;
      if (i + 1 < n) u0[i * n + i + 1] = 0.5;
    }
    std::vector<double> hinv(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) hinv[i * n + j] += u0[k * n + i] * u0[k * n + j];
    const std::vector<double> h = inverse(hinv, n);
    auto u = gptqInverseFactor(h, n);
    QVERIFY(u);
    for (std::size_t i = 0; i < n * n; ++i) QVERIFY2(std::abs((*u)[i] - u0[i]) < 1e-12, qPrintable(QString::number(i)));

    const std::vector<float> w{0.3f, -0.2f, 0.55f, 0.1f, 0.1f, 0.4f, -0.35f, 0.2f};
    IntegerParams ip = grid(3);
    ip.overrides[0].scale = 0.25;
    const std::vector<std::uint8_t> dead(n, 0);
    QuantResult r;
    QVERIFY(gptqQuantize(w, 2, n, h, dead, Partition::tensor(8), ip, {}, r));
    QCOMPARE(r.codes, (std::vector<std::int32_t>{1, -1, 2, 0, 0, 1, -2, 1}));
    QCOMPARE(r.reconstruction, (std::vector<float>{0.25f, -0.25f, 0.5f, 0.0f, 0.0f, 0.25f, -0.5f, 0.25f}));
    // Figures compare Ŵ with the original W: row 1's errors 0.1, 0.15, 0.15, 0.05.
    QVERIFY(std::abs(r.parts[0].figures.maxAbsError - 0.15) < 1e-7);
  }

  // U is the upper Cholesky factor of H⁻¹ (positive diagonal) for a random SPD H.
  void inverseFactor() {
    const std::size_t n = 9;
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g;
    std::vector<double> x(20 * n);
    for (double& v : x) v = g(rng);
    std::vector<double> h(n * n, 0.0);
    for (std::size_t t = 0; t < 20; ++t)
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) h[i * n + j] += x[t * n + i] * x[t * n + j];
    auto u = gptqInverseFactor(h, n);
    QVERIFY(u);
    const std::vector<double> hinv = inverse(h, n);
    for (std::size_t i = 0; i < n; ++i) {
      QVERIFY((*u)[i * n + i] > 0);
      for (std::size_t j = 0; j < n; ++j) {
        if (j < i) QCOMPARE((*u)[i * n + j], 0.0);
        double s = 0;
        for (std::size_t k = 0; k < n; ++k) s += (*u)[k * n + i] * (*u)[k * n + j];
        QVERIFY2(std::abs(s - hinv[i * n + j]) < 1e-12 * std::abs(hinv[i * n + i]), qPrintable(QString("%1 %2").arg(i).arg(j)));
      }
    }
    // Not positive definite: a clear error naming the dampening.
    std::vector<double> bad(n * n, 0.0);
    bad[0] = -1;
    auto e = gptqInverseFactor(bad, n);
    QVERIFY(!e);
    QVERIFY(e.error().message.find("not positive definite") != std::string::npos);
    QCOMPARE(e.error().path, std::string("damp"));
  }

  // The OBS update of the GPTQ paper, column by column without batches or Cholesky:
  // w_F −= e·Hinv_F[j, F] / Hinv_F[j, j], then Hinv_F loses row and column j. It must give the same
  // Ŵ as the batched algorithm, for every batch size.
  void againstObs_data() {
    QTest::addColumn<int>("batch");
    QTest::newRow("batch 128") << 128;
    QTest::newRow("batch 4") << 4;
    QTest::newRow("batch 3") << 3;
    QTest::newRow("batch 1") << 1;
  }
  void againstObs() {
    QFETCH(int, batch);
    const std::size_t rows = 6, n = 10, tokens = 24;
    std::mt19937_64 rng(11);
    std::normal_distribution<float> g;
    std::vector<float> w(rows * n), x(tokens * n);
    for (float& v : w) v = g(rng) * 0.1f;
    for (float& v : x) v = g(rng);
    for (std::size_t t = 0; t < tokens; ++t) x[t * n + 2] *= 8.0f;  // an outlier column
    const aware::Activations acts{x.data(), tokens, n};
    std::vector<std::uint8_t> dead;
    std::vector<double> h = gptqHessian(acts, 0.01, dead);
    for (std::size_t i = 0; i < n; ++i)  // gptqHessian fills the upper triangle; the OBS reference needs both
      for (std::size_t j = 0; j < i; ++j) h[i * n + j] = h[j * n + i];
    const IntegerParams ip = grid(3);
    GptqOptions o;
    o.batch = static_cast<std::size_t>(batch);
    QuantResult r;
    QVERIFY(gptqQuantize(w, rows, n, h, dead, Partition::rows(rows, n), ip, o, r));

    // OBS, parameters per row from W (row partition: its first column is reached before any update).
    std::vector<double> hinv = inverse(h, n);
    std::vector<double> wd(w.begin(), w.end());
    std::vector<PartParams> params;
    for (std::size_t i = 0; i < rows; ++i) params.push_back(calibrate(std::span(w).subspan(i * n, n), ip.calibration, 3, true, ScaleFormat::FP32)->params);
    std::vector<float> ref(rows * n);
    for (std::size_t j = 0; j < n; ++j) {
      std::vector<double> e(rows);
      for (std::size_t i = 0; i < rows; ++i) {
        ref[i * n + j] = dequantizeElement(static_cast<std::int64_t>(std::clamp(std::nearbyint(wd[i * n + j] / params[i].scale), -3.0, 3.0)), params[i]);
        e[i] = (wd[i * n + j] - ref[i * n + j]) / hinv[j * n + j];
      }
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = j + 1; k < n; ++k) wd[i * n + k] -= e[i] * hinv[j * n + k];
      std::vector<double> next(hinv);
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b) next[a * n + b] -= hinv[a * n + j] * hinv[j * n + b] / hinv[j * n + j];
      hinv.swap(next);
    }
    QCOMPARE(r.reconstruction, ref);
    // GPTQ lowers the layer-output error below round-to-nearest on the same X.
    QuantResult rtn;
    QVERIFY(quantizeIntegerInto(rtn, w, Partition::rows(rows, n), ip));
    QVERIFY(aware::layerOutputError(acts, w, r.reconstruction, rows) < aware::layerOutputError(acts, w, rtn.reconstruction, rows));
  }

  // A column no token touches (H_jj = 0) is reconstructed as 0 and passes no error on.
  void deadColumn() {
    const std::size_t rows = 3, n = 5, tokens = 8;
    std::mt19937_64 rng(5);
    std::normal_distribution<float> g;
    std::vector<float> w(rows * n), x(tokens * n);
    for (float& v : w) v = g(rng);
    for (float& v : x) v = g(rng);
    for (std::size_t t = 0; t < tokens; ++t) x[t * n + 1] = 0;
    std::vector<std::uint8_t> dead;
    std::vector<double> h = gptqHessian({x.data(), tokens, n}, 0.0, dead);
    QCOMPARE(dead, (std::vector<std::uint8_t>{0, 1, 0, 0, 0}));
    QCOMPARE(h[1 * n + 1], 1.0);
    QuantResult r;
    QVERIFY(gptqQuantize(w, rows, n, h, dead, Partition::rows(rows, n), grid(4), {}, r));
    for (std::size_t i = 0; i < rows; ++i) QCOMPARE(r.reconstruction[i * n + 1], 0.0f);
    // Figures are against the original W (its dead column is not zero).
    double e2 = 0;
    for (std::size_t k = 0; k < w.size(); ++k) e2 += (double(w[k]) - r.reconstruction[k]) * (double(w[k]) - r.reconstruction[k]);
    QVERIFY(std::abs(r.total.mse - e2 / double(w.size())) < 1e-12);
  }
};

QTEST_GUILESS_MAIN(TestGptq)
#include "test_gptq.moc"
