// The Highway codebook kernel against its scalar twin on every compiled target: sizes 1..1023,
// misaligned inputs and outputs, block sizes 64 (NF4's default), 32 and an odd 7, NF4 and a
// 15-level codebook. Indices, absmax and reconstructions must match exactly (the same IEEE
// division and multiplication on every target).
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/simd/codebook_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

namespace {

const std::vector<float> kNf4{-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                              -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                              0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
                              0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                              0.7229568362236023f, 1.0f};

std::vector<float> midpointsOf(const std::vector<float>& l) {
  std::vector<float> m;
  for (std::size_t i = 0; i + 1 < l.size(); ++i) m.push_back(static_cast<float>((double(l[i]) + l[i + 1]) / 2));
  return m;
}

// Checks kernel == _ref for every size 1..maxN at input/output offsets 0..3 floats.
bool compareAll(const std::vector<float>& levels, std::size_t blockSize, std::size_t maxN, QString* why) {
  const std::vector<float> mids = midpointsOf(levels);
  std::mt19937 rng(99);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> src(maxN + 8);
  for (std::size_t i = 0; i < src.size(); ++i) {
    src[i] = g(rng) * (i % 97 == 0 ? 20.0f : 1.0f);
    if (i % 131 < 70 && i % 131 >= 6) src[i] = i % 131 == 6 ? 0.0f : src[i];
  }
  // an all-zero block and exact midpoints (x / a = m_i with a = 1) inside the data
  for (std::size_t i = 128; i < 192 && i < src.size(); ++i) src[i] = 0.0f;
  for (std::size_t i = 0; i < mids.size() && 256 + i + 1 < src.size(); ++i) src[256 + i + 1] = mids[i];
  if (src.size() > 256) src[256] = 1.0f;
  for (std::size_t n = 1; n <= maxN; ++n)
    for (std::size_t off = 0; off < 4; ++off) {
      const std::size_t nb = (n + blockSize - 1) / blockSize;
      std::vector<std::uint8_t> i1(n + 4), i2(n + 4);
      std::vector<float> a1(nb + 4), a2(nb + 4), r1(n + 4), r2(n + 4);
      const float* x = src.data() + off;
      codebookQuantizeBlocks(x, n, blockSize, levels.data(), mids.data(), levels.size(), 7, i1.data() + off,
                             a1.data() + off, r1.data() + off);
      codebookQuantizeBlocks_ref(x, n, blockSize, levels.data(), mids.data(), levels.size(), 7, i2.data() + off,
                                 a2.data() + off, r2.data() + off);
      for (std::size_t i = 0; i < n; ++i)
        if (i1[i + off] != i2[i + off] || std::memcmp(&r1[i + off], &r2[i + off], 4) != 0) {
          *why = QStringLiteral("n=%1 off=%2 B=%3 i=%4: index %5 vs %6, recon %7 vs %8")
                     .arg(n).arg(off).arg(blockSize).arg(i).arg(i1[i + off]).arg(i2[i + off])
                     .arg(r1[i + off]).arg(r2[i + off]);
          return false;
        }
      for (std::size_t b = 0; b < nb; ++b)
        if (a1[b + off] != a2[b + off]) {
          *why = QStringLiteral("n=%1 off=%2 block %3: absmax %4 vs %5").arg(n).arg(off).arg(b).arg(a1[b + off]).arg(a2[b + off]);
          return false;
        }
    }
  return true;
}

}  // namespace

class TestCodebookKernels : public QObject {
  Q_OBJECT
 private slots:
  void referenceByHand() {
    // the twin itself: a = 4, xn = 0.5 → index 12 (0.5 < midpoint 0.5017), −1 → 0, 0 → 7
    const std::vector<float> mids = midpointsOf(kNf4);
    const float x[3] = {2.0f, -4.0f, 0.0f};
    std::uint8_t idx[3];
    float a, rec[3];
    codebookQuantizeBlocks_ref(x, 3, 64, kNf4.data(), mids.data(), 16, 7, idx, &a, rec);
    QCOMPARE(a, 4.0f);
    QCOMPARE(idx[0], std::uint8_t{12});
    QCOMPARE(idx[1], std::uint8_t{0});
    QCOMPARE(idx[2], std::uint8_t{7});
    QCOMPARE(rec[0], 4.0f * 0.44070982933044434f);
    const float z[2] = {0.0f, -0.0f};
    codebookQuantizeBlocks_ref(z, 2, 64, kNf4.data(), mids.data(), 16, 7, idx, &a, rec);
    QCOMPARE(idx[1], std::uint8_t{7});
    QCOMPARE(rec[1], 0.0f);
  }

  void everyTarget() {
    const std::vector<std::string> targets = compiledTargets();
    QVERIFY(!targets.empty());
    std::vector<float> fifteen;  // a 15-level (bitsandbytes FP4-like) codebook
    for (int k = -7; k <= 7; ++k) fifteen.push_back(static_cast<float>(k) / 7.0f);
    for (const std::string& t : targets) {
      QVERIFY(forceTarget(t));
      QString why;
      QVERIFY2(compareAll(kNf4, 64, 1023, &why), qPrintable(QString::fromStdString(t) + ": " + why));
      QVERIFY2(compareAll(kNf4, 32, 300, &why), qPrintable(QString::fromStdString(t) + ": " + why));
      QVERIFY2(compareAll(kNf4, 7, 100, &why), qPrintable(QString::fromStdString(t) + ": " + why));
      QVERIFY2(compareAll(fifteen, 64, 300, &why), qPrintable(QString::fromStdString(t) + ": " + why));
      qInfo("target %s: kernel == _ref", t.c_str());
    }
    resetTarget();
    QVERIFY(!forceTarget("NO_SUCH_TARGET"));
  }
};

QTEST_APPLESS_MAIN(TestCodebookKernels)
#include "test_codebook_kernels.moc"
