// gemmNT / gemmNN (Highway, every compiled target) against their scalar twins gemmNT_ref /
// gemmNN_ref (double sums): odd sizes around the tile edges (12 or 6 rows of B, 2 vectors of A,
// K blocks of 256), strided operands, float32 / float16 / bfloat16 B, accumulation, a decoder
// callback; each element within 8·k·ε32·Σ|a·b| of the twin. Plus a product by hand, the
// batch-invariance the decoder relies on, and thread-count independence.
#include <QtTest/QtTest>

#include <tbb/global_control.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/simd/gemm_kernels.h"

using namespace quench;
using namespace quench::simd;

namespace {

struct Stored {
  std::vector<std::uint8_t> bytes;
  GemmOperand op;
  std::vector<float> values;  // the stored values as float, (n, ld)
};

// B (n × k) stored with row stride ld ≥ k elements of `type`, random normal values.
Stored makeB(int n, int k, int ld, DType type, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Stored s;
  const std::size_t es = dtypeSize(type);
  s.bytes.assign(static_cast<std::size_t>(n) * ld * es, 0);
  s.values.assign(static_cast<std::size_t>(n) * ld, 0.0f);
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) {
      const float v = normal(rng);
      std::uint8_t* dst = s.bytes.data() + (static_cast<std::size_t>(j) * ld + kk) * es;
      float back = v;
      if (type == DType::BF16) {
        const std::uint16_t b = floatToBf16(v);
        std::memcpy(dst, &b, 2);
        back = bf16ToFloat(b);
      } else if (type == DType::F16) {
        const std::uint16_t h = floatToHalf(v);
        std::memcpy(dst, &h, 2);
        back = halfToFloat(h);
      } else {
        std::memcpy(dst, &v, 4);
      }
      s.values[static_cast<std::size_t>(j) * ld + kk] = back;
    }
  s.op.type = type;
  s.op.data = s.bytes.data();
  s.op.rowBytes = static_cast<std::size_t>(ld) * es;
  return s;
}

std::vector<float> randomVec(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

// Element (i, j) within 8·k·ε·Σ_k |a·b| (+ |c₀| ε when accumulating) of the twin.
bool close(const std::vector<float>& got, const std::vector<float>& want, const std::vector<double>& scale, QString& why) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tol = scale[i] * std::numeric_limits<float>::epsilon() + 1e-30;
    if (!(std::fabs(got[i] - want[i]) <= tol)) {
      why = QStringLiteral("element %1: %2 vs %3 (tol %4)").arg(i).arg(got[i], 0, 'g', 9).arg(want[i], 0, 'g', 9).arg(tol);
      return false;
    }
  }
  return true;
}

// A decoder callback over a float32 matrix, so that the callback path is tested against the
// native one.
struct FloatRows {
  const float* data;
  std::size_t ld;
};
void decodeFloatRows(const void* ctx, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  const auto* m = static_cast<const FloatRows*>(ctx);
  std::copy_n(m->data + row * m->ld + first, count, dst);
}

}  // namespace

class TestGemmKernels : public QObject {
  Q_OBJECT
 private slots:
  void byHand() {
    // A (2 × 3) · Bᵀ, B (2 × 3): [[1,2,3],[4,5,6]] · [[1,0,−1],[2,1,0]]ᵀ = [[−2, 4], [−2, 13]].
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, -1, 2, 1, 0};
    GemmOperand op;
    op.type = DType::F32;
    op.data = reinterpret_cast<const std::uint8_t*>(b);
    op.rowBytes = 12;
    float c[4];
    gemmNT(2, 2, 3, a, 3, op, c, 2);
    QCOMPARE(c[0], -2.0f);
    QCOMPARE(c[1], 4.0f);
    QCOMPARE(c[2], -2.0f);
    QCOMPARE(c[3], 13.0f);
    // A (2 × 3) · B (3 × 2) with B = [[1,2],[0,1],[−1,0]]: same numbers.
    const float bn[6] = {1, 2, 0, 1, -1, 0};
    gemmNN(2, 2, 3, a, 3, bn, 2, c, 2);
    QCOMPARE(c[0], -2.0f);
    QCOMPARE(c[3], 13.0f);
  }

  void matchesTwin_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : gemmKernelTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void matchesTwin() {
    QFETCH(QString, target);
    QVERIFY(forceGemmKernelTarget(target.toStdString()));
    std::mt19937 rng(7);
    const int ms[] = {1, 3, 4, 5, 17, 33, 64};
    const int ns[] = {1, 7, 12, 13, 49, 100};
    const int ks[] = {1, 5, 64, 255, 256, 257, 600};
    QString why;
    for (int m : ms)
      for (int n : ns)
        for (int k : ks)
          for (DType type : {DType::F32, DType::F16, DType::BF16}) {
            if ((m * n * k) % 3 != 0 && type != DType::F32) continue;  // thin the grid for the 16-bit types
            const int lda = k + 3, ld = k + 1, ldc = n + 2;
            const auto a = randomVec(static_cast<std::size_t>(m) * lda, rng);
            const Stored b = makeB(n, k, ld, type, rng);
            for (bool acc : {false, true}) {
              std::vector<float> c0 = randomVec(static_cast<std::size_t>(m) * ldc, rng);
              std::vector<float> got = c0, want = c0;
              gemmNT(m, n, k, a.data(), lda, b.op, got.data(), ldc, acc);
              gemmNT_ref(m, n, k, a.data(), lda, b.op, want.data(), ldc, acc);
              std::vector<double> scale(got.size(), 0.0);
              for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                  double s = 0;
                  for (int kk = 0; kk < k; ++kk)
                    s += std::fabs(a[static_cast<std::size_t>(i) * lda + kk] * b.values[static_cast<std::size_t>(j) * ld + kk]);
                  const std::size_t at = static_cast<std::size_t>(i) * ldc + j;
                  scale[at] = 8.0 * k * s + (acc ? 2 * std::fabs(c0[at]) : 0.0);
                }
              QVERIFY2(close(got, want, scale, why),
                       qPrintable(QStringLiteral("%1 m=%2 n=%3 k=%4 %5 acc=%6: ").arg(target).arg(m).arg(n).arg(k)
                                      .arg(QString::fromLatin1(dtypeName(type).data())).arg(acc) + why));
            }
          }
    // gemmNN: B (k × n) with stride.
    for (int m : {1, 5, 33})
      for (int n : {1, 16, 65})
        for (int k : {1, 19, 300}) {
          const int lda = k + 1, ldb = n + 5;
          const auto a = randomVec(static_cast<std::size_t>(m) * lda, rng);
          const auto b = randomVec(static_cast<std::size_t>(k) * ldb, rng);
          std::vector<float> got(static_cast<std::size_t>(m) * n), want(got.size());
          gemmNN(m, n, k, a.data(), lda, b.data(), ldb, got.data(), n);
          gemmNN_ref(m, n, k, a.data(), lda, b.data(), ldb, want.data(), n);
          std::vector<double> scale(got.size());
          for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
              double s = 0;
              for (int kk = 0; kk < k; ++kk)
                s += std::fabs(a[static_cast<std::size_t>(i) * lda + kk] * b[static_cast<std::size_t>(kk) * ldb + j]);
              scale[static_cast<std::size_t>(i) * n + j] = 8.0 * k * s;
            }
          QVERIFY2(close(got, want, scale, why), qPrintable(QStringLiteral("NN m=%1 n=%2 k=%3: ").arg(m).arg(n).arg(k) + why));
        }
    resetGemmKernelTarget();
  }

  void decoderCallbackMatchesNative() {
    std::mt19937 rng(3);
    const int m = 21, n = 30, k = 520;
    const auto a = randomVec(static_cast<std::size_t>(m) * k, rng);
    const Stored b = makeB(n, k, k, DType::F32, rng);
    FloatRows rows{b.values.data(), static_cast<std::size_t>(k)};
    GemmOperand viaCallback;
    viaCallback.type = DType::Q8_0;  // any type the kernels do not decode themselves
    viaCallback.decode = decodeFloatRows;
    viaCallback.decodeContext = &rows;
    for (int mm : {1, m}) {
      std::vector<float> native(static_cast<std::size_t>(mm) * n), callback(native.size());
      gemmNT(mm, n, k, a.data(), k, b.op, native.data(), n);
      gemmNT(mm, n, k, a.data(), k, viaCallback, callback.data(), n);
      QVERIFY(native == callback);  // same values, same order of sums
    }
  }

  void sharedAMatchesSeparateProducts() {
    // gemmNTShared packs A once for several products (q, k, v of one input; gate and up): each C
    // is bit for bit what gemmNT gives alone, for the dot-product path (m ≤ 4) and the tiled one,
    // with different widths, stored types, strides and accumulation per product.
    std::mt19937 rng(5);
    const int k = 300;
    const Stored b0 = makeB(40, k, k, DType::BF16, rng), b1 = makeB(13, k, k + 7, DType::F16, rng),
                 b2 = makeB(29, k, k, DType::F32, rng);
    for (int m : {3, 37}) {
      const auto a = randomVec(static_cast<std::size_t>(m) * (k + 2), rng);
      const std::size_t lda = k + 2;
      const auto start = randomVec(static_cast<std::size_t>(m) * 16, rng);  // c1's prior content
      std::vector<float> s0(static_cast<std::size_t>(m) * 40), s1(start), s2(static_cast<std::size_t>(m) * 29);
      std::vector<float> g0(s0.size()), g1(start), g2(s2.size());
      const GemmTarget targets[3] = {{b0.op, 40, s0.data(), 40, false},
                                     {b1.op, 13, s1.data(), 16, true},
                                     {b2.op, 29, s2.data(), 29, false}};
      gemmNTShared(m, k, a.data(), lda, targets);
      gemmNT(m, 40, k, a.data(), lda, b0.op, g0.data(), 40);
      gemmNT(m, 13, k, a.data(), lda, b1.op, g1.data(), 16, true);
      gemmNT(m, 29, k, a.data(), lda, b2.op, g2.data(), 29);
      QVERIFY(s0 == g0);
      QVERIFY(s1 == g1);
      QVERIFY(s2 == g2);
      QVERIFY(s1 != start);  // the accumulating product did write
    }
  }

  void batchInvariantAndThreadIndependent() {
    // Row i of C does not depend on the other rows of A (its place in a panel, how many rows the
    // batch has) nor on the number of threads: the decoder's logits of a sequence are the same
    // alone or in a batch.
    std::mt19937 rng(11);
    const int n = 77, k = 300;
    const Stored b = makeB(n, k, k, DType::BF16, rng);
    const auto a = randomVec(static_cast<std::size_t>(70) * k, rng);
    std::vector<float> all(static_cast<std::size_t>(70) * n);
    gemmNT(70, n, k, a.data(), k, b.op, all.data(), n);
    // A different panel alignment for the same rows, and 1–4 rows (a token at a time: B
    // streamed without packing) — the same sums in the same order.
    for (const auto [first, rows] : {std::pair{0, 37}, {5, 37}, {33, 37}, {0, 1}, {9, 1}, {40, 2}, {66, 4}, {17, 3}}) {
      std::vector<float> part(static_cast<std::size_t>(rows) * n);
      gemmNT(rows, n, k, a.data() + static_cast<std::size_t>(first) * k, k, b.op, part.data(), n);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < n; ++j)
          QCOMPARE(part[static_cast<std::size_t>(i) * n + j], all[static_cast<std::size_t>(first + i) * n + j]);
      // gemmNN (attention weights · values) likewise, with B = the float values of W as k × n.
      std::vector<float> bnn(static_cast<std::size_t>(k) * n), nnAll(static_cast<std::size_t>(70) * n),
          nnPart(part.size());
      for (int j = 0; j < n; ++j)
        for (int kk = 0; kk < k; ++kk) bnn[static_cast<std::size_t>(kk) * n + j] = b.values[static_cast<std::size_t>(j) * k + kk];
      gemmNN(70, n, k, a.data(), k, bnn.data(), n, nnAll.data(), n);
      gemmNN(rows, n, k, a.data() + static_cast<std::size_t>(first) * k, k, bnn.data(), n, nnPart.data(), n);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < n; ++j)
          QCOMPARE(nnPart[static_cast<std::size_t>(i) * n + j], nnAll[static_cast<std::size_t>(first + i) * n + j]);
    }
    std::vector<float> one(all.size());
    {
      tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
      gemmNT(70, n, k, a.data(), k, b.op, one.data(), n);
    }
    QVERIFY(one == all);
  }
};

QTEST_APPLESS_MAIN(TestGemmKernels)
#include "test_gemm_kernels.moc"
