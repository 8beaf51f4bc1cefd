// The real MainWindow, driven as a user would: open the demo, select tensors (newest request wins),
// cancel, toggle log counts, open a truncated file (an error dialog, the window keeps working)
// and a published model.
#include <qcustomplot.h>

#include <QCheckBox>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "app/gui/main_window.h"
#include "app/gui/model_page.h"
#include "app/gui/startup.h"
#include "app/gui/tensor_job.h"
#include "common/fuzzy.h"
#include "common/isolated_settings.h"
#include "core/io/demo.h"
#include "core/stats/histogram.h"
#include "core/stats/summary.h"
#include "widgets/histogram_view.h"
#include "widgets/metadata_view.h"
#include "widgets/stats_panel.h"
#include "widgets/tensor_browser.h"

using namespace quench;
using quench::app::MainWindow;
using quench::widgets::StatsPanel;

namespace {
constexpr int kTimeoutMs = 30000;

// Full names of every tensor row in the browser's model, depth first.
QStringList listedTensors(const QAbstractItemModel* m, const QModelIndex& parent = {}) {
  QStringList out;
  for (int r = 0; r < m->rowCount(parent); ++r) {
    const QModelIndex i = m->index(r, 0, parent);
    if (i.data(widgets::TensorBrowser::kTensorIndexRole).toInt() >= 0)
      out << i.data(widgets::TensorBrowser::kFullNameRole).toString();
    out << listedTensors(m, i);
  }
  return out;
}
}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    test::isolateSettings(m_dir, QStringLiteral("QuenchTest"));
  }

  void demoShowsSummaryOfSelectedTensor() {
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openDemo("blk.0.ffn_down.weight");
    QVERIFY(shown.wait(kTimeoutMs));
    QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("blk.0.ffn_down.weight"));

    // The same tensor, read and summarized here, independently of the window's worker.
    auto reader = makeDemoReader();
    auto t = reader->readFloat(std::string_view("blk.0.ffn_down.weight"));
    QVERIFY(t.ok());
    const Summary s = summarize(t->values);
    const StatsPanel* p = w.statsPanel();
    QCOMPARE(p->text(StatsPanel::kCount), StatsPanel::formatCount(512 * 1376));
    QCOMPARE(p->text(StatsPanel::kMin), StatsPanel::formatValue(s.min));
    QCOMPARE(p->text(StatsPanel::kMax), StatsPanel::formatValue(s.max));
    QCOMPARE(p->text(StatsPanel::kMean), StatsPanel::formatValue(s.mean));
    QCOMPARE(p->text(StatsPanel::kStd), StatsPanel::formatValue(s.std));
    QCOMPARE(p->text(StatsPanel::kAbsMax), StatsPanel::formatValue(s.absmax));
    QCOMPARE(p->text(StatsPanel::kNaN), QStringLiteral("0"));
    QVERIFY(p->heading().startsWith("blk.0.ffn_down.weight\n512×1376"));
    // The scalar twin agrees with what is shown to display precision.
    const Summary ref = summarize_ref(t->values);
    QUENCH_COMPARE_NEAR(p->text(StatsPanel::kStd).toDouble(), ref.std, 1e-5, 0);
    QUENCH_COMPARE_NEAR(p->text(StatsPanel::kAbsMax).toDouble(), ref.absmax, 1e-5, 0);

    // The histogram shows the counts of the same data over [min, max].
    const Histogram h =
        computeHistogram(t->values, app::histogramBins(t->values.size()), std::pair{s.min, s.max});
    const auto bars = w.histogramView()->bars()->data();
    QCOMPARE(std::size_t(bars->size()), h.counts.size());
    for (int i = 0; i < bars->size(); ++i) QCOMPARE(bars->at(i)->value, double(h.counts[i]));
    QCOMPARE(w.histogramView()->title(), QStringLiteral("blk.0.ffn_down.weight"));

    // The metadata dock shows the demo's key/values (seed 0x5eed = 24301).
    const QTableWidget* meta = w.metadataView()->table();
    QCOMPARE(w.metadataView()->title(), QStringLiteral("Quench demo — 3 keys"));
    QStringList keys;
    for (int r = 0; r < meta->rowCount(); ++r) keys << meta->item(r, 0)->text();
    QCOMPARE(keys, (QStringList{"generator", "seed", "outlier_columns"}));
    QCOMPARE(meta->item(1, widgets::MetadataView::kValue)->text(), QStringLiteral("24301"));

    // Log counts from the histogram's own toggle.
    auto* log = w.findChild<QCheckBox*>("logCounts");
    QVERIFY(log);
    // The demo's heavy-tailed ffn_down starts on log counts (HistogramView::heavyTailed).
    QCOMPARE(w.histogramView()->logScale(), widgets::HistogramView::heavyTailed(w.histogramView()->overlay().original));
    if (log->isChecked()) log->click();
    QVERIFY(!w.histogramView()->logScale());
    log->click();
    QCOMPARE(w.histogramView()->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(w.histogramView()->plot()->yAxis->label(), QStringLiteral("count (log)"));
  }

  void newestSelectionWins() {
    MainWindow w;
    w.show();
    QSignalSpy opened(&w, &MainWindow::fileOpened);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openDemo("output_norm.weight");
    QVERIFY(shown.wait(kTimeoutMs));
    const int id = opened.at(0).at(0).toInt();
    shown.clear();
    // Three requests in a row: only the last one's result may reach the screen.
    QVERIFY(w.selectTensor(id, "token_embd.weight"));
    QVERIFY(w.selectTensor(id, "blk.1.ffn_up.weight"));
    QVERIFY(w.selectTensor(id, "blk.1.attn_v.weight"));
    QVERIFY(shown.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeoutMs);
    QTest::qWait(100);  // let any stale result arrive; it must be dropped
    QCOMPARE(shown.size(), 1);
    QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("blk.1.attn_v.weight"));
    QVERIFY(w.statsPanel()->heading().startsWith("blk.1.attn_v.weight"));
    QCOMPARE(w.statsPanel()->text(StatsPanel::kCount), StatsPanel::formatCount(256 * 512));
  }

  void cancelStopsTheWorker() {
    MainWindow w;
    w.show();
    QSignalSpy opened(&w, &MainWindow::fileOpened);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openDemo("output_norm.weight");
    QVERIFY(shown.wait(kTimeoutMs));
    shown.clear();
    QVERIFY(w.selectTensor(opened.at(0).at(0).toInt(), "token_embd.weight"));
    QVERIFY(w.isBusy());
    auto* cancel = w.findChild<QPushButton*>("cancelButton");
    QVERIFY(cancel && cancel->isVisible() && cancel->isEnabled());
    cancel->click();
    QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeoutMs);
    QCOMPARE(shown.size(), 0);
    QVERIFY(!cancel->isVisible());
    QVERIFY(w.statsPanel()->heading().startsWith("output_norm.weight"));  // the previous result stays
  }

  void closingWhileBusyWaitsForTheWorkers() {
    // The workers capture the window: its destructor must stop and join them (a use-after-free
    // here is what the sanitizer build would report).
    auto w = std::make_unique<MainWindow>();
    w->openDemo("token_embd.weight");
    w->openFile(test::sharedData("models/TinyStories-656K/model.safetensors"));
    QVERIFY(w->isBusy());
    w.reset();
    QTest::qWait(50);  // any event posted by a worker before the join must be harmless
  }

  void truncatedFileShowsErrorAndWindowKeepsWorking() {
    const QString source = test::sharedData("models/TinyStories-656K/model.safetensors");
    QFile in(source);
    QVERIFY2(in.open(QIODevice::ReadOnly), qPrintable(source));
    const QString bad = m_dir.filePath("truncated.safetensors");
    QFile out(bad);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(in.read(4096));  // the header promises ~2.6 MB of data; 4 KiB remain
    out.close();

    MainWindow w;
    w.show();
    QSignalSpy errors(&w, &MainWindow::errorShown);
    QSignalSpy opened(&w, &MainWindow::fileOpened);
    w.openFile(bad);
    QVERIFY(errors.wait(kTimeoutMs));
    const QString message = errors.at(0).at(0).toString();
    QVERIFY2(message.contains("truncated.safetensors"), qPrintable(message));
    QCOMPARE(opened.size(), 0);
    auto* box = w.findChild<QMessageBox*>("errorBox");
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QCOMPARE(box->text(), message);
    QCOMPARE(box->icon(), QMessageBox::Critical);
    box->accept();
    QTRY_VERIFY(!w.findChild<QMessageBox*>("errorBox"));  // deleted on close

    // Still alive: the demo opens and shows a tensor.
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openDemo();
    QVERIFY(shown.wait(kTimeoutMs));
    QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("blk.0.attn_q.weight"));
    QVERIFY(!MainWindow::recentFiles().contains(bad));  // failures are not remembered
  }

  void unknownTensorNameIsReported() {
    MainWindow w;
    QSignalSpy errors(&w, &MainWindow::errorShown);
    w.openDemo("no.such.tensor");
    QCOMPARE(errors.size(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains("no.such.tensor"));
    w.openDemo("still.not.there");  // the demo is open now: selecting in it reports the same way
    QCOMPARE(errors.size(), 2);
    QVERIFY(errors.at(1).at(0).toString().contains("still.not.there"));
  }

  void firstStartOpensTheDemo() {
    QSettings().remove("hasRunBefore");
    {
      MainWindow w;
      QSignalSpy opened(&w, &MainWindow::fileOpened);
      QSignalSpy shown(&w, &MainWindow::tensorShown);
      QVERIFY(app::startSession(w, {}));  // no record of a previous run
      QCOMPARE(opened.size(), 1);
      QCOMPARE(opened.at(0).at(1).toString(), QStringLiteral("Quench demo"));
      QVERIFY(shown.wait(kTimeoutMs));
      QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("blk.0.attn_q.weight"));
    }
    {
      MainWindow w;
      QSignalSpy opened(&w, &MainWindow::fileOpened);
      QVERIFY(!app::startSession(w, {}));  // second start: an empty window
      QCOMPARE(opened.size(), 0);
    }
    {
      MainWindow w;  // --demo --select NAME
      QSignalSpy shown(&w, &MainWindow::tensorShown);
      QVERIFY(!app::startSession(w, {true, {}, "blk.1.ffn_norm.weight"}));
      QVERIFY(shown.wait(kTimeoutMs));
      QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("blk.1.ffn_norm.weight"));
    }
  }

  void dropOpensFiles() {
    const QString path = test::sharedData("models/TinyStories-656K/model.safetensors");
    MainWindow w;
    w.show();
    QSignalSpy opened(&w, &MainWindow::fileOpened);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(opened.wait(kTimeoutMs));
    QCOMPARE(opened.at(0).at(1).toString(), path);
    // Remote URLs are refused at the door.
    QMimeData remote;
    remote.setUrls({QUrl("https://example.org/model.safetensors")});
    QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &remote, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(&w, &refused);
    QVERIFY(!refused.isAccepted());
  }

  void aboutNamesLibraryVersions() {
    const QString text = MainWindow::aboutText();
    QVERIFY2(text.contains(QString::fromLatin1(qVersion())), qPrintable(text));
    QVERIFY(text.contains("QCustomPlot 2.1.0"));  // Debian's libqcustomplot-dev
    QVERIFY(text.contains("HDF5 1.10."));
    QVERIFY(text.contains("oneTBB 2021."));
  }

  void opensPublishedModel() {
    const QString path = test::sharedData("models/TinyStories-656K/model.safetensors");
    MainWindow w;
    w.show();
    QSignalSpy opened(&w, &MainWindow::fileOpened);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    w.openFile(path);
    QVERIFY(opened.wait(kTimeoutMs));
    const QStringList names = listedTensors(w.browser()->proxyModel());
    QCOMPARE(names.size(), 20);
    for (const char* n :
         {"lm_head.weight", "model.norm.weight", "model.layers.0.self_attn.q_proj.weight",
          "model.layers.1.mlp.down_proj.weight", "model.layers.1.post_attention_layernorm.weight"})
      QVERIFY2(names.contains(n), n);
    // The file row says what it is.
    const QModelIndex file = w.browser()->proxyModel()->index(0, 0);
    QCOMPARE(file.data().toString(), QStringLiteral("model.safetensors"));
    QCOMPARE(file.data(widgets::TensorBrowser::kFormatRole).toString(), QStringLiteral("safetensors"));
    QCOMPARE(file.siblingAtColumn(widgets::TensorBrowser::kShape).data().toString(),
             QStringLiteral("20 tensors"));
    // Opening selects an interesting tensor (the first attention query weight) and shows it.
    QVERIFY(shown.wait(kTimeoutMs));
    QCOMPARE(shown.at(0).at(0).toString(), QStringLiteral("model.layers.0.self_attn.q_proj.weight"));
    QCOMPARE(w.statsPanel()->text(StatsPanel::kCount), StatsPanel::formatCount(128 * 128));
    QCOMPARE(MainWindow::recentFiles().value(0), QFileInfo(path).absoluteFilePath());
    // Open Recent lists it, in this window and in a new one.
    MainWindow second;
    QMenu* recent = nullptr;
    for (QMenu* menu : second.menuBar()->findChildren<QMenu*>())
      if (menu->title().remove('&') == "Open Recent") recent = menu;
    QVERIFY(recent && recent->isEnabled());
    QCOMPARE(recent->actions().value(0)->text(), QStringLiteral("model.safetensors"));
    QSignalSpy reopened(&second, &MainWindow::fileOpened);
    recent->actions().value(0)->trigger();
    QVERIFY(reopened.wait(kTimeoutMs));
    QCOMPARE(reopened.at(0).at(1).toString(), QFileInfo(path).absoluteFilePath());
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
