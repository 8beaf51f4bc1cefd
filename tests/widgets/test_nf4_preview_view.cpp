// Nf4PreviewView: core's codebookPreview of a seeded normal tensor; the plotted histogram bars,
// the 16 level lines and 15 boundary lines, the occupancy bars and ideal lines for NF4, INT4 and
// FP4, and the storage text equal the core values.
#include <qcustomplot.h>

#include <QtTest/QtTest>
#include <random>

#include "core/quant/codebook.h"
#include "widgets/figure_export.h"
#include "widgets/nf4_preview_view.h"

using namespace quench;
using quench::widgets::Nf4PreviewView;

class TestNf4PreviewView : public QObject {
  Q_OBJECT
 private slots:
  void showsCorePreview() {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> x(64 * 256);
    for (float& v : x) v = normal(rng);
    auto preview = codebookPreview(x, 64, 128);
    QVERIFY(preview);
    const Nf4PreviewView::Storage storage{64, codebookBitsPerParam(4, 64, false), codebookBitsPerParam(4, 64, true)};
    QCOMPARE(storage.bitsPerParam, 4.5);  // MATH.md §4: 4 + 32/64

    Nf4PreviewView v;
    v.resize(1000, 800);
    v.setPreview(*preview, storage, "layers.0.q_proj · nf4 B=64");
    QCOMPARE(v.title(), QStringLiteral("layers.0.q_proj · nf4 B=64"));

    const auto bars = v.histogramBars()->data();
    QCOMPARE(bars->size(), 128);
    for (int i = 0; i < 128; ++i) {
      QCOMPARE(bars->at(i)->key, preview->normalized.binCenter(std::size_t(i)));
      QCOMPARE(bars->at(i)->value, double(preview->normalized.counts[std::size_t(i)]));
    }
    const Codebook nf4 = nf4Codebook();
    const auto mid = nf4.midpoints();
    QCOMPARE(v.levelLines().size(), std::size_t(16));
    QCOMPARE(v.boundaryLines().size(), std::size_t(15));
    for (std::size_t i = 0; i < 16; ++i) {
      QCOMPARE(v.levelLines()[i]->point1->coords().x(), double(nf4.levels[i]));
      QCOMPARE(v.levelLines()[i]->point2->coords().x(), double(nf4.levels[i]));
    }
    for (std::size_t i = 0; i < 15; ++i) QCOMPARE(v.boundaryLines()[i]->point1->coords().x(), double(mid[i]));
    QCOMPARE(v.levelLines().front()->point1->coords().x(), -1.0);
    QCOMPARE(v.levelLines().back()->point1->coords().x(), 1.0);

    const LevelOccupancy* occ[3] = {&preview->codebook, &preview->int4, &preview->fp4};
    const int levels[3] = {16, 15, 15};  // INT4 n/7 for n = −7..7; FP4 has ±0 merged
    for (int k = 0; k < 3; ++k) {
      QCOMPARE(v.occupancyBars(k)->data()->size(), levels[k]);
      double sum = 0;
      for (int i = 0; i < levels[k]; ++i) {
        QCOMPARE(v.occupancyBars(k)->data()->at(i)->key, double(occ[k]->levels[std::size_t(i)]));
        QCOMPARE(v.occupancyBars(k)->data()->at(i)->value, occ[k]->fraction[std::size_t(i)]);
        sum += v.occupancyBars(k)->data()->at(i)->value;
      }
      QVERIFY(std::fabs(sum - 1.0) < 1e-9);
      QCOMPARE(v.idealLine(k)->point1->coords().y(), 1.0 / levels[k]);
    }
    QVERIFY(v.storageText().contains("B = 64"));
    QVERIFY(v.storageText().contains("4.5 bits/param"));
    QVERIFY(v.storageText().contains(QString::number(storage.doubleQuantBitsPerParam, 'g', 4)));
    QVERIFY(v.storageText().contains(QString::number(16384) + " values"));

    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
    {
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-nf4-preview.png"));
      // The same plot as a paper figure (single column, 3.5 in at 200 dpi) through FigureExport.
      QCOMPARE(quench::widgets::exportFigure(*v.histogramPlot(),
                                             QUENCH_SOURCE_DIR "/resources/screenshots/view-nf4-export-single-column.png",
                                             quench::widgets::FigureFormat::Png,
                                             quench::widgets::presetSize(quench::widgets::FigurePreset::SingleColumn, 200)),
               QString());
    }

    // A second preview replaces the lines instead of adding to them.
    v.setPreview(*preview, storage, "again");
    QCOMPARE(v.levelLines().size(), std::size_t(16));
    QCOMPARE(v.histogramPlot()->itemCount(), 31);
    v.clear();
    QCOMPARE(v.histogramPlot()->itemCount(), 0);
  }
};

QTEST_MAIN(TestNf4PreviewView)
#include "test_nf4_preview_view.moc"
