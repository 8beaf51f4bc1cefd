// The embedded demo tensors: catalog shapes, determinism, and the statistical features the
// workbench's views are meant to show (outlier columns, heavy tails, varying row scales).
#include <QtTest/QtTest>
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/io/demo.h"

using namespace quench;

namespace {
const FloatTensor& checkedRead(const TensorReader& r, std::size_t index, FloatTensor& storage) {
  auto t = r.readFloat(index, Work{});
  if (!t) qFatal("%s", t.error().message.c_str());
  storage = std::move(t).value();
  return storage;
}

std::size_t indexOf(const TensorReader& r, const std::string& name) {
  const auto& ts = r.tensors();
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].name == name) return i;
  qFatal("no tensor %s", name.c_str());
}

// Pearson kurtosis E[(x−μ)⁴]/σ⁴ (3 for a Gaussian), in double.
double kurtosis(const std::vector<float>& x) {
  double mean = 0;
  for (float v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double m2 = 0, m4 = 0;
  for (float v : x) {
    const double d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= static_cast<double>(x.size());
  m4 /= static_cast<double>(x.size());
  return m4 / (m2 * m2);
}
}  // namespace

class TestDemo : public QObject {
  Q_OBJECT
 private slots:
  void catalog() {
    auto r = makeDemoReader();
    QCOMPARE(QString::fromStdString(std::string(r->format())), QStringLiteral("demo"));
    QCOMPARE(QString::fromStdString(r->path()), QStringLiteral("Quench demo"));
    const auto& ts = r->tensors();
    QCOMPARE(ts.size(), std::size_t{1 + 2 * 9 + 1});
    struct Expect {
      const char* name;
      Shape shape;
    };
    const std::vector<Expect> expected = {
        {"token_embd.weight", {2048, 512}},     {"blk.0.attn_norm.weight", {512}},
        {"blk.0.attn_q.weight", {512, 512}},    {"blk.0.attn_k.weight", {256, 512}},
        {"blk.0.attn_v.weight", {256, 512}},    {"blk.0.attn_output.weight", {512, 512}},
        {"blk.0.ffn_norm.weight", {512}},       {"blk.0.ffn_gate.weight", {1376, 512}},
        {"blk.0.ffn_up.weight", {1376, 512}},   {"blk.0.ffn_down.weight", {512, 1376}},
        {"blk.1.ffn_down.weight", {512, 1376}}, {"output_norm.weight", {512}},
    };
    for (const auto& e : expected) {
      const auto i = indexOf(*r, e.name);
      QCOMPARE(ts[i].shape, e.shape);
      QCOMPARE(ts[i].dtype, DType::F32);
      QCOMPARE(ts[i].bytes, *checkedElementCount(e.shape) * 4);
      FloatTensor t;
      QCOMPARE(checkedRead(*r, i, t).values.size(), *checkedElementCount(e.shape));
      QCOMPARE(t.shape, e.shape);
      QCOMPARE(QString::fromStdString(t.name), QString::fromLatin1(e.name));
    }
    QVERIFY(!r->readFloat(ts.size(), Work{}).ok());
  }

  void deterministic() {
    auto a = makeDemoReader(), b = makeDemoReader(), c = makeDemoReader(7);
    const auto i = indexOf(*a, "blk.1.ffn_gate.weight");
    FloatTensor ta, tb, tc;
    checkedRead(*a, i, ta);
    checkedRead(*b, i, tb);
    checkedRead(*c, i, tc);
    QVERIFY(ta.values == tb.values);  // bitwise identical
    QVERIFY(ta.values != tc.values);  // the seed matters
    // Reading another tensor first changes nothing (generation is per tensor and per row).
    FloatTensor other, again;
    checkedRead(*b, indexOf(*b, "token_embd.weight"), other);
    checkedRead(*b, i, again);
    QVERIFY(again.values == ta.values);
    // Pinned values: the same on every compiler and standard library (own Box–Muller, no
    // std::normal_distribution); recorded with gcc 12 -O0/-O2 and clang 14 -O2, which agree bitwise.
    FloatTensor q, norm;
    checkedRead(*a, indexOf(*a, "blk.0.attn_q.weight"), q);
    QCOMPARE(q.values[0], -0.00819738396f);
    QCOMPARE(q.values[17], -0.468123198f);  // column 17 is an outlier column (×20)
    QCOMPARE(q.values.back(), 0.005908994f);
    checkedRead(*a, indexOf(*a, "output_norm.weight"), norm);
    QCOMPARE(norm.values[0], 1.02663422f);
    QCOMPARE(norm.values.back(), 1.15685546f);
    // Tensors differ from each other.
    FloatTensor up;
    checkedRead(*a, indexOf(*a, "blk.1.ffn_up.weight"), up);
    QVERIFY(up.values != ta.values);
  }

  void outlierColumns() {
    auto r = makeDemoReader();
    FloatTensor t;
    checkedRead(*r, indexOf(*r, "blk.0.attn_q.weight"), t);
    const auto rows = t.rows(), cols = t.cols();
    std::vector<double> colMax(static_cast<std::size_t>(cols), 0.0);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        colMax[j] = std::max(colMax[j], std::fabs(double(t.values[i * cols + j])));
    const auto outliers = demoOutlierColumns();
    QCOMPARE(outliers.size(), std::size_t{6});
    std::vector<double> normal;
    for (std::int64_t j = 0; j < cols; ++j)
      if (std::find(outliers.begin(), outliers.end(), j) == outliers.end()) normal.push_back(colMax[j]);
    std::sort(normal.begin(), normal.end());
    const double median = normal[normal.size() / 2], largestNormal = normal.back();
    for (std::int64_t j : outliers) {
      QVERIFY2(colMax[j] > 5 * median,
               qPrintable(QString("column %1: %2 vs median %3").arg(j).arg(colMax[j]).arg(median)));
      QVERIFY(colMax[j] > largestNormal);
    }
    // A tensor without outliers has no column standing out that far.
    FloatTensor o;
    checkedRead(*r, indexOf(*r, "blk.0.attn_output.weight"), o);
    std::vector<double> oMax(512, 0.0);
    for (std::int64_t i = 0; i < o.rows(); ++i)
      for (std::int64_t j = 0; j < 512; ++j)
        oMax[j] = std::max(oMax[j], std::fabs(double(o.values[i * 512 + j])));
    std::sort(oMax.begin(), oMax.end());
    QVERIFY(oMax.back() < 5 * oMax[256]);
  }

  void heavyTailAndRowScales() {
    auto r = makeDemoReader();
    FloatTensor t;
    checkedRead(*r, indexOf(*r, "blk.0.ffn_down.weight"), t);
    const double k = kurtosis(t.values);
    QVERIFY2(k > 3.5, qPrintable(QString("kurtosis %1").arg(k)));
    // Per-row std varies (log-normal factor): the widest row is well over twice the narrowest.
    double lo = INFINITY, hi = 0;
    for (std::int64_t i = 0; i < t.rows(); ++i) {
      double s = 0;
      for (std::int64_t j = 0; j < t.cols(); ++j)
        s += double(t.values[i * t.cols() + j]) * t.values[i * t.cols() + j];
      const double rms = std::sqrt(s / double(t.cols()));
      lo = std::min(lo, rms);
      hi = std::max(hi, rms);
    }
    QVERIFY2(hi > 2.5 * lo, qPrintable(QString("row rms %1..%2").arg(lo).arg(hi)));
    // Overall scale is that of an initialised matrix: about 1/√fan_in.
    double s = 0;
    for (float v : t.values) s += double(v) * v;
    const double rms = std::sqrt(s / double(t.values.size()));
    QVERIFY2(rms > 0.5 / std::sqrt(1376.0) && rms < 2.0 / std::sqrt(1376.0),
             qPrintable(QString::number(rms)));
  }

  void normsNearOne() {
    auto r = makeDemoReader();
    FloatTensor t;
    checkedRead(*r, indexOf(*r, "output_norm.weight"), t);
    double mean = 0;
    for (float v : t.values) {
      QVERIFY(v > 0.5f && v < 1.5f);
      mean += v;
    }
    mean /= double(t.values.size());
    QVERIFY(std::fabs(mean - 1.0) < 0.05);
  }

  void cancellation() {
    auto r = makeDemoReader();
    std::stop_source stop;
    stop.request_stop();
    auto t = r->readFloat(indexOf(*r, "token_embd.weight"), Work{stop.get_token(), {}});
    QVERIFY(!t.ok());
    QVERIFY(t.error().message.find("cancelled") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(TestDemo)
#include "test_demo.moc"
