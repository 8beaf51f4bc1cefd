// What the workbench shows of a tensor before a recipe touches it (core/eval/tensor_view.h): its
// histogram bins by the bin formula of core/stats/histogram.h, its summary, the tensor shown first.
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "core/eval/tensor_view.h"
#include "core/io/writer.h"

using namespace quench;
using namespace quench::eval;

namespace {
std::unique_ptr<TensorReader> writeAndOpen(const QTemporaryDir& dir, const char* name, const std::vector<OutTensor>& ts) {
  const std::string path = dir.filePath(name).toStdString();
  if (Status s = writeSafetensors(path, ts); !s) qFatal("%s", s.error().message.c_str());
  auto r = openTensorFile(path);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}
}  // namespace

class TestTensorView : public QObject {
  Q_OBJECT
 private slots:
  void readSummarizedAndHistogrammed() {
    QTemporaryDir dir;
    const std::vector<float> v = {0, 1, 2, 3};
    auto reader = writeAndOpen(dir, "a.safetensors", {OutTensor::fromFloats("v", {4}, v)});
    const TensorView t = analyzeTensor(*reader, 0);
    QVERIFY2(t.error.empty(), t.error.c_str());
    QVERIFY(!t.cancelled);
    QVERIFY(t.tensor);
    QCOMPARE(t.tensor->values, v);
    QCOMPARE(t.summary.count, std::uint64_t{4});
    QCOMPARE(t.summary.min, 0.0);
    QCOMPARE(t.summary.max, 3.0);
    // 16 bins (the least) over [0, 3], width 3/16: 1 → bin 5 (5.33), 2 → bin 10 (10.67), 3 → the last.
    QCOMPARE(t.histogram.lo, 0.0);
    QCOMPARE(t.histogram.hi, 3.0);
    std::vector<std::uint64_t> counts(16, 0);
    counts[0] = counts[5] = counts[10] = counts[15] = 1;
    QCOMPARE(t.histogram.counts, counts);
    std::stop_source stop;
    stop.request_stop();
    QVERIFY(analyzeTensor(*reader, 0, Work{stop.get_token(), {}}).cancelled);
  }

  void theTensorShownFirst() {
    QTemporaryDir dir;
    const std::vector<float> four(4, 1.0f), nine(9, 1.0f), six(6, 1.0f);
    // An attention query weight wins over a larger matrix.
    auto a = writeAndOpen(dir, "a.safetensors",
                          {OutTensor::fromFloats("norm", {4}, four), OutTensor::fromFloats("big", {3, 3}, nine),
                           OutTensor::fromFloats("blk.0.attn_q.weight", {2, 3}, six)});
    QCOMPARE(*interestingTensor(*a), *a->find("blk.0.attn_q.weight"));
    // No known name: the largest 2-D tensor; no matrix at all: the first tensor.
    auto b = writeAndOpen(dir, "b.safetensors",
                          {OutTensor::fromFloats("x", {2, 2}, four), OutTensor::fromFloats("y", {3, 3}, nine)});
    QCOMPARE(*interestingTensor(*b), *b->find("y"));
    auto c = writeAndOpen(dir, "c.safetensors", {OutTensor::fromFloats("v", {4}, four)});
    QCOMPARE(*interestingTensor(*c), std::size_t{0});
  }
};

QTEST_MAIN(TestTensorView)
#include "test_tensor_view.moc"
