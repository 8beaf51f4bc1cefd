// FiguresPanel: the live figures of a hand-made int4 result (MSE, max error, saturation and bits
// per parameter computed by hand), pinning under the recipe's name, renaming in the table, the
// comparison table's cells, CSV text exactly, JSON, pins through a session and back, bad session
// JSON rejected, the overlay plot (one density curve per row, each integrating to 1), and a
// screenshot of three recipes on a demo tensor.
#include <qcustomplot.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <cmath>

#include "common/fuzzy.h"
#include "core/io/demo.h"
#include "core/quant/integer.h"
#include "core/stats/histogram.h"
#include "widgets/figures_panel.h"
#include "widgets/plot_export_menu.h"

using namespace quench;
using quench::widgets::FiguresPanel;

namespace {

// Legend entries (QCPLegend::itemCount counts the cells of its wrapped grid, empty ones too).
int legendEntries(const QCustomPlot& plot) {
  int n = 0;
  for (int i = 0; i < plot.legend->itemCount(); ++i) n += plot.legend->item(i) != nullptr;
  return n;
}


Histogram errorHistogram(std::span<const float> x, std::span<const float> xr, std::size_t bins = 64) {
  std::vector<float> e(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) e[i] = xr[i] - x[i];
  return computeHistogram(e, bins);
}

// Two rows with simple binary values, so every cell and CSV field is known exactly.
ErrorFigures pinnedFigures() {
  ErrorFigures f;
  f.numel = 10;
  f.mse = 0.25;
  f.rmse = 0.5;
  f.sqnrDb = 12.5;
  f.maxAbsError = 1.125;
  f.cosine = 0.96875;
  f.saturated = 3;
  f.saturatedFraction = 0.3;
  f.bitsPerParam = 7.2;
  return f;
}

ErrorFigures exactFigures() {
  ErrorFigures f;
  f.numel = 10;
  f.sqnrDb = std::numeric_limits<double>::infinity();  // exact reconstruction
  f.cosine = 1;
  f.bitsPerParam = 11.2;
  return f;
}

}  // namespace

class TestFiguresPanel : public QObject {
  Q_OBJECT
 private slots:
  void liveFiguresOfHandMadeInt4() {
    // int4 symmetric, s = 1/8 by hand: codes by hand {−7, −4, −2, 0, 1, 2, 6, 7, 7, −7}.
    const std::vector<float> x{-1.5f, -0.5f, -0.25f, 0.0f, 0.1f, 0.3f, 0.7f, 2.0f, 0.95f, -0.93f};
    const int codes[] = {-7, -4, -2, 0, 1, 2, 6, 7, 7, -7};
    double sumErr2 = 0, maxErr = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = codes[i] / 8.0 - double(x[i]);
      sumErr2 += e * e;
      maxErr = std::max(maxErr, std::fabs(e));
    }
    IntegerParams params;
    params.bits = 4;
    params.overrides[0].scale = 0.125;
    auto r = quantizeInteger(x, Partition::tensor(10), params);
    QVERIFY(r);
    QUENCH_COMPARE_NEAR(r->total.mse, sumErr2 / 10, 1e-12, 0.0);
    QCOMPARE(r->total.maxAbsError, 1.125);     // x = 2.0 reconstructed as 7/8
    QCOMPARE(r->total.saturated, std::uint64_t(3));
    QCOMPARE(r->total.bitsPerParam, 7.2);      // (4·10 + one fp32 scale) / 10

    FiguresPanel panel;
    QVERIFY(!panel.findChild<QPushButton*>("pinButton")->isEnabled());
    panel.setCurrent(r->total, "int4 sym s=1/8", "hand", errorHistogram(x, r->reconstruction));
    QVERIFY(panel.findChild<QPushButton*>("pinButton")->isEnabled());
    QTableWidget* t = panel.table();
    QCOMPARE(t->rowCount(), 1);
    QCOMPARE(t->item(0, FiguresPanel::Name)->text(), QStringLiteral("live"));
    QCOMPARE(t->item(0, FiguresPanel::MaxAbsError)->text(), QStringLiteral("1.125"));
    QCOMPARE(t->item(0, FiguresPanel::SaturatedPercent)->text(), QStringLiteral("30"));
    QCOMPARE(t->item(0, FiguresPanel::BitsPerParam)->text(), QStringLiteral("7.2"));
    QCOMPARE(t->item(0, FiguresPanel::Mse)->text(), QString::number(sumErr2 / 10, 'g', 4));
    QVERIFY(panel.summaryText().contains("saturated 30 %"));
    QVERIFY(panel.summaryText().contains("7.2 bits/param"));

    QSignalSpy spy(&panel, &FiguresPanel::pinsChanged);
    panel.findChild<QPushButton*>("pinButton")->click();
    QCOMPARE(spy.size(), 1);
    QCOMPARE(panel.pins().size(), std::size_t(1));
    QCOMPARE(panel.pins()[0].name, QStringLiteral("int4 sym s=1/8"));  // default: the recipe label
    QCOMPARE(t->rowCount(), 2);
    QCOMPARE(t->item(0, FiguresPanel::Name)->text(), QStringLiteral("int4 sym s=1/8"));
    QCOMPARE(t->item(1, FiguresPanel::Name)->text(), QStringLiteral("live"));
    // The name cell of a pin is editable; the live row's is not.
    QVERIFY(t->item(0, FiguresPanel::Name)->flags() & Qt::ItemIsEditable);
    QVERIFY(!(t->item(1, FiguresPanel::Name)->flags() & Qt::ItemIsEditable));
    t->item(0, FiguresPanel::Name)->setText("baseline");
    QCOMPARE(panel.pins()[0].name, QStringLiteral("baseline"));
    QCOMPARE(spy.size(), 2);

    // Plot: one curve per row, a density integrating to 1 (Σ value · bin width).
    QCOMPARE(panel.plot()->graphCount(), 2);
    for (int g = 0; g < 2; ++g) {
      const auto data = panel.plot()->graph(g)->data();
      const double width = data->at(1)->key - data->at(0)->key;
      double integral = 0;
      for (int i = 0; i < data->size(); ++i) integral += data->at(i)->value * width;
      QUENCH_COMPARE_NEAR(integral, 1.0, 1e-9, 0.0);
    }
    QCOMPARE(panel.plot()->graph(0)->name(), QStringLiteral("baseline"));
    QCOMPARE(panel.plot()->graph(1)->name(), QStringLiteral("live: int4 sym s=1/8"));
    QVERIFY(quench::widgets::exportAction(panel.plot()));

    panel.clearCurrent();
    QCOMPARE(t->rowCount(), 1);
    QVERIFY(!panel.pinCurrent());
    panel.clearPins();
    QCOMPARE(t->rowCount(), 0);
    QCOMPARE(spy.size(), 3);
  }

  void tableCsvAndJsonExactly() {
    FiguresPanel panel;
    panel.setCurrent(pinnedFigures(), "int4 sym absmax tensor", "hand");
    QVERIFY(panel.pinCurrent(QStringLiteral("int4, \"sym\"")));  // a name that needs CSV quoting
    panel.setCurrent(exactFigures(), "int8", "hand");
    QTableWidget* t = panel.table();
    QCOMPARE(t->rowCount(), 2);
    const QStringList row0{"int4, \"sym\"", "int4 sym absmax tensor", "0.25", "0.5", "12.50", "1.125", "0.968750", "30", "7.2"};
    const QStringList row1{"live", "int8", "0", "0", "∞", "0", "1.000000", "0", "11.2"};
    for (int c = 0; c < FiguresPanel::ColumnCount; ++c) {
      QCOMPARE(t->item(0, c)->text(), row0[c]);
      QCOMPARE(t->item(1, c)->text(), row1[c]);
    }
    const QString csv = panel.toCsv();
    QCOMPARE(csv, QStringLiteral(
                      "name,recipe,tensor,live,mse,rmse,sqnr_db,max_abs_error,cosine,saturated,saturated_fraction,bits_per_param,numel\n"
                      "\"int4, \"\"sym\"\"\",int4 sym absmax tensor,hand,0,0.25,0.5,12.5,1.125,0.96875,3,0.3,7.2,10\n"
                      "live,int8,hand,1,0,0,inf,0,1,0,0,11.2,10\n"));

    const QJsonDocument doc = QJsonDocument::fromJson(panel.toJson());
    QVERIFY(doc.isObject());
    const QJsonArray rows = doc.object().value("rows").toArray();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0].toObject().value("name").toString(), QStringLiteral("int4, \"sym\""));
    QCOMPARE(rows[0].toObject().value("mse").toDouble(), 0.25);
    QCOMPARE(rows[0].toObject().value("saturated").toDouble(), 3.0);
    QCOMPARE(rows[1].toObject().value("live").toBool(), true);
    QCOMPARE(rows[1].toObject().value("sqnr_db").toString(), QStringLiteral("inf"));

    QTemporaryDir dir;
    QCOMPARE(panel.saveCsv(dir.filePath("figures.csv")), QString());
    QFile f(dir.filePath("figures.csv"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()), csv);
    QCOMPARE(panel.saveJson(dir.filePath("figures.json")), QString());
    QVERIFY(QFileInfo(dir.filePath("figures.json")).size() > 0);
    // A file that cannot be written: a message naming it, nothing thrown.
    const QString bad = panel.saveCsv(dir.filePath("missing/dir/figures.csv"));
    QVERIFY(bad.contains("figures.csv"));
  }

  void pinsRoundTripThroughSession() {
    const std::vector<float> x{-1.5f, -0.5f, 0.25f, 2.0f};
    const std::vector<float> xr{-1.0f, -0.5f, 0.5f, 1.0f};
    FiguresPanel a;
    a.setCurrent(pinnedFigures(), "int4", "t", errorHistogram(x, xr, 8));
    a.pinCurrent("first");
    a.setCurrent(exactFigures(), "int8", "t");
    a.pinCurrent();
    const QJsonArray json = a.pinsToJson();
    // Through text, as in a session file.
    const QJsonArray reread = QJsonDocument::fromJson(QJsonDocument(json).toJson()).array();

    FiguresPanel b;
    QSignalSpy spy(&b, &FiguresPanel::pinsChanged);
    QCOMPARE(b.pinsFromJson(reread), QString());
    QCOMPARE(spy.size(), 1);
    QCOMPARE(b.pins().size(), std::size_t(2));
    QCOMPARE(b.pins()[0].name, QStringLiteral("first"));
    QCOMPARE(b.pins()[1].name, QStringLiteral("int8"));
    QCOMPARE(b.pins()[0].figures.mse, 0.25);
    QCOMPARE(b.pins()[0].figures.bitsPerParam, 7.2);
    QCOMPARE(b.pins()[0].figures.saturated, std::uint64_t(3));
    QVERIFY(std::isinf(b.pins()[1].figures.sqnrDb) && b.pins()[1].figures.sqnrDb > 0);
    QCOMPARE(b.pins()[0].error.counts, a.pins()[0].error.counts);
    QCOMPARE(b.pins()[0].error.lo, a.pins()[0].error.lo);
    QVERIFY(b.pins()[1].error.counts.empty());
    QCOMPARE(b.plot()->graphCount(), 1);  // only the first pin has an error histogram

    // Bad session content: a clear message, pins unchanged.
    QJsonArray bad = reread;
    bad.append(QJsonValue(42));
    QVERIFY(b.pinsFromJson(bad).contains("pin 3"));
    QJsonObject noFigures;
    noFigures["name"] = "x";
    QVERIFY(b.pinsFromJson(QJsonArray{noFigures}).contains("no figures"));
    QJsonObject negative = reread[0].toObject();
    QJsonObject figs = negative["figures"].toObject();
    figs["saturated"] = -1;
    negative["figures"] = figs;
    QVERIFY(b.pinsFromJson(QJsonArray{negative}).contains("saturated"));
    QCOMPARE(b.pins().size(), std::size_t(2));
    QCOMPARE(spy.size(), 1);
  }

  void screenshotOfThreeRecipes() {
    auto reader = makeDemoReader();
    auto t = reader->readFloat(std::string_view("blk.0.ffn_down.weight"));
    QVERIFY(t);
    const Partition rows = Partition::rows(t->rows(), t->cols());
    FiguresPanel panel;
    panel.resize(900, 700);
    struct Recipe {
      const char* label;
      int bits;
      CalibrationMethod method;
    } recipes[] = {{"int4 sym absmax row", 4, CalibrationMethod::AbsMax},
                   {"int4 sym mse row", 4, CalibrationMethod::Mse},
                   {"int8 sym absmax row", 8, CalibrationMethod::AbsMax}};
    // One common error range (that of the widest recipe) so the curves share bins.
    for (const Recipe& rc : recipes) {
      IntegerParams p;
      p.bits = rc.bits;
      p.calibration.method = rc.method;
      auto r = quantizeInteger(t->values, rows, p);
      QVERIFY(r);
      panel.setCurrent(r->total, rc.label, "blk.0.ffn_down.weight", errorHistogram(t->values, r->reconstruction, 160));
      if (rc.bits == 4) QVERIFY(panel.pinCurrent());
    }
    QCOMPARE(panel.table()->rowCount(), 3);
    QCOMPARE(panel.plot()->graphCount(), 3);
    QCOMPARE(legendEntries(*panel.plot()), 3);
    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(panel.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-figures.png"));
    if (qEnvironmentVariableIsSet("QUENCH_SCREENSHOT_DIR"))
      QVERIFY(panel.grab().save(qEnvironmentVariable("QUENCH_SCREENSHOT_DIR") + "/figures.png"));
  }
};

QTEST_MAIN(TestFiguresPanel)
#include "test_figures_panel.moc"
