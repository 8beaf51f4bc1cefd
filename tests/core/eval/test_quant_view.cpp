// What the quantization views show (core/eval/quant_view.h), checked by hand on tensors small
// enough to follow: per-row int8 grids of exactly representable scales, the histogram bins of one
// part (the range snapped to 1/256 of the data's span, counts by the bin formula of
// core/stats/histogram.h), an NF4 block's levels × absmax, the outlier columns, and the errors.
#include <QtTest/QtTest>

#include <cmath>
#include <memory>

#include "common/fuzzy.h"
#include "core/eval/quant_view.h"
#include "core/quant/integer_method.h"

using namespace quench;
using namespace quench::eval;

namespace {

std::shared_ptr<const FloatTensor> tensor(std::string name, Shape shape, std::vector<float> values) {
  FloatTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.values = std::move(values);
  return std::make_shared<const FloatTensor>(std::move(t));
}

// int8, symmetric, per row, absmax: the default rule.
MethodParams int8Rows() {
  MethodParams p = MethodParams::defaults("int");
  if (!p.set("bits", std::int64_t{8}) || !p.set("partition", std::string("row"))) qFatal("int8 per row");
  return p;
}

// Row 0 has absmax 127 (s = 1), row 1 absmax 63.5 (s = 0.5): every level is exact in float.
// Codes by round-half-even of x/s: row 0 → 127, −64 (−63.5 ties to even), 2, 0; row 1 → 127,
// −20, 40 (40.5 ties to even), 2. Reconstructions: 127, −64, 2, 0 | 63.5, −10, 20, 1.
const std::vector<float> kTwoRows = {127.0f, -63.5f, 2.0f, 0.4f, 63.5f, -10.0f, 20.25f, 1.0f};

// The bin of v in [lo, hi] with `bins` bins (the last one holds hi), as histogram.h defines it.
std::size_t binOf(double v, double lo, double hi, std::size_t bins) {
  const auto b = static_cast<std::size_t>(std::floor((v - lo) / ((hi - lo) / double(bins))));
  return std::min(b, bins - 1);
}

std::vector<std::uint64_t> countsOf(const std::vector<double>& values, double lo, double hi, std::size_t bins) {
  std::vector<std::uint64_t> c(bins, 0);
  for (double v : values) ++c[binOf(v, lo, hi, bins)];
  return c;
}

}  // namespace

class TestQuantView : public QObject {
  Q_OBJECT
 private slots:
  void binsAndSnapping() {
    QCOMPARE(histogramBins(4), std::size_t{16});     // at least 16
    QCOMPARE(histogramBins(1600), std::size_t{100});  // n / 16
    QCOMPARE(histogramBins(1 << 20), std::size_t{256});
    // Data [0, 1], hull [−0.3, 1]: step 1/256, lo = floor(−0.3·256)/256 = −77/256, hi stays 1.
    auto r = snappedRange(0.0, 1.0, -0.3, 1.0);
    QVERIFY(r);
    QCOMPARE(r->first, -77.0 / 256.0);
    QCOMPARE(r->second, 1.0);
    // A constant tensor (span 0) is not snapped; an empty or non-finite hull has no range.
    QCOMPARE(*snappedRange(2.0, 2.0, 1.0, 3.0), (std::pair{1.0, 3.0}));
    QVERIFY(!snappedRange(0.0, 1.0, 1.0, 1.0));
    QVERIFY(!snappedRange(0.0, 1.0, -INFINITY, 1.0));
  }

  void onePartOfPerRowInt8() {
    QuantViewScratch scratch;
    QuantViewRequest q;
    q.tensor = tensor("w", {2, 4}, kTwoRows);
    q.params = int8Rows();
    q.part = 1;
    q.views = kViewOverlay | kViewErrorHist;
    const QuantView v = computeQuantView(q, scratch);
    QVERIFY2(v.error.empty(), v.error.c_str());
    QCOMPARE(v.parts.size(), std::size_t{2});
    QCOMPARE(v.parts[0].params.scale, 1.0);
    QCOMPARE(v.parts[1].params.scale, 0.5);
    QCOMPARE(v.part, 1);
    QCOMPARE(v.shownCount, std::uint64_t{4});
    QCOMPARE(v.saturated, std::uint64_t{0});
    QVERIFY(v.partFigures);
    // Part 1's MSE: the only error is 20 − 20.25 → 0.0625 / 4.
    QCOMPARE(v.partFigures->mse, 0.0625 / 4.0);
    // The grid of part 1: 0.5·n for n = −127..127, clip lines ±63.5.
    QCOMPARE(v.grid.size(), std::size_t{255});
    QCOMPARE(v.grid.front(), -63.5);
    QCOMPARE(v.grid[127], 0.0);
    QCOMPARE(v.grid.back(), 63.5);
    QCOMPARE(*v.clip, (std::pair{-63.5, 63.5}));
    // Range: data [−10, 63.5] (span 73.5, step 73.5/256 = 0.287109375, exact), hull with the grid
    // [−63.5, 63.5]; lo = −10 + floor(−53.5/step)·step = −10 − 187·step, hi = −10 + 256·step.
    const double step = 73.5 / 256.0;
    const double lo = -10.0 - 187.0 * step, hi = 63.5;
    QCOMPARE(v.original.lo, lo);
    QCOMPARE(v.original.hi, hi);
    QCOMPARE(v.original.counts.size(), std::size_t{16});
    QCOMPARE(v.original.counts, countsOf({63.5, -10.0, 20.25, 1.0}, lo, hi, 16));
    QCOMPARE(v.reconstruction.lo, lo);
    QCOMPARE(v.reconstruction.hi, hi);
    QCOMPARE(v.reconstruction.counts, countsOf({63.5, -10.0, 20.0, 1.0}, lo, hi, 16));
    // Errors of part 1: 0, 0, −0.25, 0 over their own range [−0.25, 0].
    QCOMPARE(v.errorHistogram.lo, -0.25);
    QCOMPARE(v.errorHistogram.hi, 0.0);
    QCOMPARE(v.errorHistogram.counts.front(), std::uint64_t{1});
    QCOMPARE(v.errorHistogram.counts.back(), std::uint64_t{3});
  }

  void wholeTensorHasNoSingleGrid() {
    QuantViewScratch scratch;
    QuantViewRequest q;
    q.tensor = tensor("w", {2, 4}, kTwoRows);
    q.params = int8Rows();
    q.views = kViewOverlay;
    const QuantView v = computeQuantView(q, scratch);
    QCOMPARE(v.part, -1);
    QCOMPARE(v.shownCount, std::uint64_t{8});
    QVERIFY(v.grid.empty());  // two parts, two grids
    QVERIFY(!v.clip);
    QVERIFY(!v.partFigures);
    // Total MSE over 8 elements: (0.4² + 0.5² + 0.25²) / 8 (0.4 is float32, as stored).
    const double e0 = double(0.4f);
    QUENCH_COMPARE_NEAR(v.total.mse, (e0 * e0 + 0.25 + 0.0625) / 8.0, 1e-15, 0);
    // A part number out of range shows the whole tensor.
    q.part = 7;
    QCOMPARE(computeQuantView(q, scratch).part, -1);
  }

  void nf4BlockLevelsTimesAbsmax() {
    // 128 values in two NF4 blocks of 64; block 1 has absmax 3.
    std::vector<float> x(128);
    for (std::size_t i = 0; i < 128; ++i) x[i] = float(int(i % 7) - 3) * (i < 64 ? 0.25f : 1.0f);
    QuantViewScratch scratch;
    QuantViewRequest q;
    q.tensor = tensor("b", {128}, x);
    q.params = MethodParams::defaults("nf4");
    QVERIFY(q.params.set("block", std::int64_t{64}));
    q.part = 1;
    q.views = kViewOverlay | kViewNf4;
    const QuantView v = computeQuantView(q, scratch);
    QVERIFY2(v.error.empty(), v.error.c_str());
    QCOMPARE(v.parts.size(), std::size_t{2});
    QCOMPARE(v.part, 1);
    QCOMPARE(v.shownCount, std::uint64_t{64});
    // NF4's 16 levels run from −1 to 1 with an exact 0 at index 7 (QLoRA, Dettmers et al. 2023).
    QCOMPARE(v.grid.size(), std::size_t{16});
    QCOMPARE(v.grid.front(), -3.0);
    QCOMPARE(v.grid[7], 0.0);
    QCOMPARE(v.grid.back(), 3.0);
    QCOMPARE(*v.clip, (std::pair{-3.0, 3.0}));
    QVERIFY(v.nf4);
    QCOMPARE(v.nf4Block, std::size_t{64});
  }

  void outlierColumnsAndActivations() {
    QuantViewScratch scratch;
    QuantViewRequest q;
    q.tensor = tensor("w", {2, 4}, kTwoRows);
    q.params = int8Rows();
    q.views = kViewOutliers | kViewSaturation;
    q.outlierThreshold = 50.0;
    QuantView v = computeQuantView(q, scratch);
    QVERIFY(v.outliers);
    // Column max |x|: 127, 63.5, 20.25, 1 → columns 0 and 1 reach τ = 50.
    QCOMPARE(v.outliers->outlierColumns, (std::vector<std::size_t>{0, 1}));
    QCOMPARE(v.outliers->columnMaxAbs, (std::vector<float>{127.0f, 63.5f, 20.25f, 1.0f}));
    QVERIFY(v.saturationMap);
    QCOMPARE(v.saturationMap->inputRows, std::size_t{2});
    // Activations whose width is not the weight's input width are named with both widths.
    q.activations = tensor("acts", {3, 5}, std::vector<float>(15, 1.0f));
    v = computeQuantView(q, scratch);
    QVERIFY(!v.llmInt8);
    QCOMPARE(v.activationsError, std::string("the activations acts have 5 features, w has 4 input columns"));
  }

  void rejectedParametersAndCancel() {
    QuantViewScratch scratch;
    QuantViewRequest q;
    q.tensor = tensor("w", {2, 4}, kTwoRows);
    q.params = int8Rows();
    q.params.as<IntSettings>().bits = 12;  // past set()'s check: the quantizer must refuse it too
    QuantView v = computeQuantView(q, scratch);
    QVERIFY(v.error.starts_with("w: "));  // named by the tensor
    QCOMPARE(v.errorPath, std::string("bits"));
    QVERIFY(v.parts.empty());
    QVERIFY(!v.cancelled);
    std::stop_source stop;
    stop.request_stop();
    q.params.as<IntSettings>().bits = 8;
    v = computeQuantView(q, scratch, Work{stop.get_token(), {}});
    QVERIFY(v.cancelled);
    QVERIFY(computeQuantView(QuantViewRequest{}, scratch).error == "no tensor");
  }
};

QTEST_MAIN(TestQuantView)
#include "test_quant_view.moc"
