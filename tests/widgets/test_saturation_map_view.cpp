// SaturationMapView: a seeded 48 × 200 tensor quantized to int4 per row with a 99th-percentile
// clip (so elements saturate), pooled to at most 16 × 32 cells by core; the view's cells, overlay
// points, part bars and summary equal the core values.
#include <qcustomplot.h>

#include <QLabel>
#include <QtTest/QtTest>
#include <random>

#include "core/quant/integer.h"
#include "core/quant/partition.h"
#include "core/stats/saturation_map.h"
#include "widgets/saturation_map_view.h"

using namespace quench;
using quench::widgets::SaturationMapView;

class TestSaturationMapView : public QObject {
  Q_OBJECT
 private slots:
  void showsCoreValues() {
    constexpr std::size_t kRows = 48, kCols = 200;
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> x(kRows * kCols);
    for (float& v : x) v = normal(rng);
    x[5 * kCols + 17] = 0.4f;  // one outlier
    IntegerParams params;
    params.bits = 4;
    params.calibration.method = CalibrationMethod::Percentile;
    params.calibration.percentile = 99.0;
    auto q = quantizeInteger(x, Partition::rows(kRows, kCols), params);
    QVERIFY2(q, q ? "" : q.error().message.c_str());
    auto map = poolSaturationMap(x, q->saturated, kRows, kCols, 16, 32);
    QVERIFY(map);
    QCOMPARE(map->rows, std::size_t(16));  // strides 3 and 7: 16 × 29 cells
    QCOMPARE(map->cols, std::size_t(29));

    SaturationMapView v;
    v.resize(900, 700);
    v.setData(*map, SaturationMapView::Quantity::Value, q->parts, "layers.0.q_proj · int4 row percentile:99");
    QCOMPARE(v.title(), QStringLiteral("layers.0.q_proj · int4 row percentile:99"));
    auto* data = v.colorMap()->data();
    QCOMPARE(data->keySize(), 29);
    QCOMPARE(data->valueSize(), 16);
    for (int r = 0; r < 16; ++r)
      for (int c = 0; c < 29; ++c) QCOMPARE(data->cell(c, r), double(map->value[r * 29 + c]));
    // The outlier's cell (row 5 / 3 = 1, column 17 / 7 = 2) keeps it.
    QCOMPARE(data->cell(2, 1), double(0.4f));

    std::uint64_t saturated = 0;
    int markedCells = 0;
    for (std::size_t i = 0; i < map->saturated.size(); ++i) {
      saturated += map->saturated[i];
      markedCells += map->saturated[i] > 0;
    }
    std::uint64_t fromParts = 0;
    for (const auto& p : q->parts) fromParts += p.saturated;
    QCOMPARE(saturated, fromParts);
    QVERIFY(saturated > 0);
    QCOMPARE(v.saturationOverlay()->data()->size(), markedCells);
    // The outlier row saturates; its overlay point sits at the cell centre (column 2·7 + 3 = 17).
    bool found = false;
    for (auto it = v.saturationOverlay()->data()->constBegin(); it != v.saturationOverlay()->data()->constEnd(); ++it)
      found |= it->key == 17.0 && it->value == 4.0;
    QVERIFY(found);

    QCOMPARE(v.partBars()->data()->size(), int(kRows));
    for (std::size_t i = 0; i < kRows; ++i)
      QCOMPARE(v.partBars()->data()->at(int(i))->value,
               100.0 * double(q->parts[i].saturated) / double(q->parts[i].size));
    QCOMPARE(v.summaryText(), QStringLiteral("%1 saturated of 9600 elements (%2 %)")
                                  .arg(saturated)
                                  .arg(100.0 * double(saturated) / 9600.0, 0, 'g', 3));
    QVERIFY(v.mapPlot()->xAxis->label().contains("7 per cell"));
    QCOMPARE(v.colorMap()->dataRange().lower, -v.colorMap()->dataRange().upper);

    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-saturation-map.png"));
  }

  void absErrorUsesSequentialScale() {
    const std::vector<float> err{0.0f, 0.5f, 0.25f, 1.0f};
    auto map = poolSaturationMap(err, {}, 2, 2, 8, 8);
    QVERIFY(map);
    SaturationMapView v;
    v.setData(*map, SaturationMapView::Quantity::AbsError, {}, "t");
    QCOMPARE(v.colorMap()->dataRange().lower, 0.0);
    QCOMPARE(v.colorMap()->dataRange().upper, 1.0);
    QCOMPARE(v.saturationOverlay()->data()->size(), 0);
    QCOMPARE(v.partBars()->data()->size(), 0);
    QVERIFY(v.mapPlot()->xAxis->label() == "column (input element)");
    v.clear();
    QCOMPARE(v.colorMap()->data()->keySize(), 0);
  }
};

QTEST_MAIN(TestSaturationMapView)
#include "test_saturation_map_view.moc"
