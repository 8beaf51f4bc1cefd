// The seeded block-Hadamard rotation of MATH.md §13: the SplitMix64 test vectors and the in = 4,
// seed 7 matrix the spec gives, the block size, orthogonality, the fast transforms against the
// dense R, and x·Wᵀ = (x·R)·(W·R)ᵀ.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/quant/rotation.h"

using namespace quench;

class TestRotation : public QObject {
  Q_OBJECT
 private slots:
  void splitMixVectors() {
    QCOMPARE(splitMix64(0, 0), std::uint64_t{0xE220A8397B1DCDAFull});
    QCOMPARE(splitMix64(0, 1), std::uint64_t{0x6E789E6AA1B965F4ull});
    QCOMPARE(splitMix64(7, 0), std::uint64_t{0x63CBE1E459320DD7ull});
    QCOMPARE(splitMix64(7, 1), std::uint64_t{0x044C3CD7F43C661Cull});
  }

  void fourBySeven() {
    const std::vector<double> r = rotationMatrix(4, 7);
    const std::vector<double> twice{1, 1, -1, -1, 1, -1, -1, 1, 1, 1, 1, 1, 1, -1, 1, -1};
    for (std::size_t i = 0; i < 16; ++i) QCOMPARE(2 * r[i], twice[i]);
  }

  void block() {
    QCOMPARE(rotationBlock(4096), std::size_t{4096});
    QCOMPARE(rotationBlock(8192), std::size_t{4096});
    QCOMPARE(rotationBlock(12288), std::size_t{4096});
    QCOMPARE(rotationBlock(11008), std::size_t{256});
    QCOMPARE(rotationBlock(96), std::size_t{32});
    QCOMPARE(rotationBlock(7), std::size_t{1});
  }

  void orthogonal_data() {
    QTest::addColumn<int>("in");
    for (int in : {1, 4, 7, 12, 64, 96}) QTest::newRow(std::to_string(in).c_str()) << in;
  }
  void orthogonal() {
    QFETCH(int, in);
    const auto n = static_cast<std::size_t>(in);
    const std::vector<double> r = rotationMatrix(n, 42);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        double s = 0;
        for (std::size_t k = 0; k < n; ++k) s += r[i * n + k] * r[j * n + k];
        QVERIFY(std::abs(s - (i == j ? 1.0 : 0.0)) < 1e-14);
      }
  }

  // rotateRows (fast Walsh–Hadamard per block) equals W·R and W·Rᵀ with the dense R; and the layer
  // output is unchanged: x·Wᵀ = (x·R)·(W·R)ᵀ.
  void fastEqualsDense() {
    const std::size_t rows = 5, n = 96, tokens = 3;
    std::mt19937_64 rng(9);
    std::normal_distribution<double> g;
    std::vector<double> w(rows * n), x(tokens * n);
    for (double& v : w) v = g(rng);
    for (double& v : x) v = g(rng);
    const std::vector<double> r = rotationMatrix(n, 5);
    std::vector<double> fw = w, bw = w;
    rotateRows(fw, n, 5, false);
    rotateRows(bw, n, 5, true);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        double a = 0, b = 0;
        for (std::size_t k = 0; k < n; ++k) {
          a += w[i * n + k] * r[k * n + j];
          b += w[i * n + k] * r[j * n + k];
        }
        QVERIFY(std::abs(fw[i * n + j] - a) < 1e-12);
        QVERIFY(std::abs(bw[i * n + j] - b) < 1e-12);
      }
    std::vector<double> xr = x;
    rotateRows(xr, n, 5, false);
    for (std::size_t t = 0; t < tokens; ++t)
      for (std::size_t o = 0; o < rows; ++o) {
        double y = 0, yr = 0;
        for (std::size_t k = 0; k < n; ++k) {
          y += x[t * n + k] * w[o * n + k];
          yr += xr[t * n + k] * fw[o * n + k];
        }
        QVERIFY(std::abs(y - yr) < 1e-12 * std::max(1.0, std::abs(y)));
      }
    // Back and forth is the identity.
    rotateRows(fw, n, 5, true);
    for (std::size_t k = 0; k < w.size(); ++k) QVERIFY(std::abs(fw[k] - w[k]) < 1e-13);
  }

  // An outlier column is spread over its block: W·R's largest |value| drops by about √m.
  void spreadsOutliers() {
    const std::size_t n = 64;
    std::vector<double> w(n, 0.01);
    w[5] = 10;
    rotateRows(w, n, 1, false);
    double mx = 0;
    for (double v : w) mx = std::max(mx, std::abs(v));
    QVERIFY(mx < 10.0 / 8 + 0.1);
  }
};

QTEST_GUILESS_MAIN(TestRotation)
#include "test_rotation.moc"
