// The quantization workbench (issue 5), driven as a user would through the real MainWindow and
// its RecipeEditor: open TinyStories-656K, pick a tensor, change bits and partition, type a scale
// for a part, undo, export figures (PNG/SVG/PDF), the recipe and the quantized tensors, save a
// session and restore it in a new window, open a bad file, and get a bad parameter rejected next
// to its field. Expected figures come from a hand-written quantizer in this file (MATH.md §2:
// s = float(max|x| / M), code = clip(round-half-even(x / s), −M, M), x~ = float(s·code)), not
// from the window's own code path.
#include <qcustomplot.h>

#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QMessageBox>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest/QtTest>
#include <cmath>

#include "app/gui/demo_assets.h"
#include "app/gui/main_window.h"
#include "app/gui/model_page.h"
#include "app/gui/session.h"
#include "common/fuzzy.h"
#include "common/isolated_settings.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/quant/integer_method.h"
#include "core/recipe/recipe.h"
#include "core/stats/histogram.h"
#include "widgets/error_view.h"
#include "widgets/figures_panel.h"
#include "widgets/histogram_view.h"
#include "widgets/outlier_view.h"
#include "widgets/parts_table_model.h"
#include "widgets/recipe_editor.h"

using namespace quench;
using quench::app::MainWindow;

namespace {
constexpr int kTimeoutMs = 30000;
const char* const kTensor = "model.layers.0.self_attn.q_proj.weight";  // 128 × 128 f32

QString modelPath() { return quench::test::sharedData("models/TinyStories-656K/model.safetensors"); }

// MATH.md §2 by hand: symmetric k-bit absmax per row (rows = number of parts over a row-major
// (rows, cols) matrix; rows = 1 is per tensor). `scale0`, when given, replaces part 0's scale.
struct Hand {
  std::vector<float> recon;
  std::vector<double> scales;
  double mse = 0, sqnrDb = 0;
  std::uint64_t saturated = 0;
};
Hand handQuantize(const std::vector<float>& x, std::size_t parts, int bits, std::optional<double> scale0 = {}) {
  Hand h;
  const double m = std::ldexp(1.0, bits - 1) - 1;
  const std::size_t n = x.size() / parts;
  h.recon.resize(x.size());
  double e2 = 0, x2 = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    double amax = 0;
    for (std::size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(double(x[p * n + i])));
    double s = double(float(amax / m));
    if (p == 0 && scale0) s = double(float(*scale0));
    h.scales.push_back(s);
    for (std::size_t i = 0; i < n; ++i) {
      double c = std::nearbyint(double(x[p * n + i]) / s);
      if (c > m || c < -m) ++h.saturated;
      c = std::clamp(c, -m, m);
      const float r = float(s * c);
      h.recon[p * n + i] = r;
      const double e = double(r) - double(x[p * n + i]);
      e2 += e * e;
      x2 += double(x[p * n + i]) * double(x[p * n + i]);
    }
  }
  h.mse = e2 / double(x.size());
  h.sqnrDb = 10 * std::log10(x2 / e2);
  return h;
}

FloatTensor readTensor() {
  auto reader = openTensorFile(modelPath().toStdString());
  if (!reader) qFatal("cannot open %s", reader.error().message.c_str());
  auto t = (*reader)->readFloat(std::string_view(kTensor));
  if (!t) qFatal("cannot read %s", t.error().message.c_str());
  return std::move(*t);
}

// Opens the model in `w`, selects kTensor and waits for its quantized views.
bool openModel(MainWindow& w) {
  QSignalSpy updated(&w, &MainWindow::plotsUpdated);
  w.openFile(modelPath(), QString::fromLatin1(kTensor));
  return updated.wait(kTimeoutMs) && updated.last().at(0).toString() == QLatin1String(kTensor);
}

// Waits for the next plotsUpdated after `action`.
template <class F>
bool afterUpdate(MainWindow& w, F&& action) {
  QSignalSpy updated(&w, &MainWindow::plotsUpdated);
  action();
  return updated.wait(kTimeoutMs);
}

void selectCombo(QComboBox* box, const QString& data) {
  const int i = box->findData(data);
  QVERIFY2(i >= 0, qPrintable(data));
  box->setCurrentIndex(i);
  emit box->activated(i);  // what a user's pick emits
}
}  // namespace

class TestWorkbench : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    test::isolateSettings(m_dir, QStringLiteral("QuenchWorkbench"));
    QVERIFY2(QFile::exists(modelPath()), qPrintable(modelPath()));
  }

  // The default recipe ("*": int8 symmetric per row, absmax) and then 4 bits, then per tensor.
  void bitsAndPartitionChangeHistogramAndFigures() {
    MainWindow w;
    w.show();
    QVERIFY(openModel(w));
    const FloatTensor t = readTensor();
    QCOMPARE(w.recipe().rules.size(), std::size_t(1));
    QCOMPARE(w.currentRule(), 0);

    // int8 per row (128 parts).
    Hand h = handQuantize(t.values, 128, 8);
    const auto* fig = w.figuresPanel();
    QVERIFY(fig->hasCurrent());
    QUENCH_COMPARE_NEAR(fig->current().figures.mse, h.mse, 1e-9, 0);
    QUENCH_COMPARE_NEAR(fig->current().figures.sqnrDb, h.sqnrDb, 1e-9, 0);
    QCOMPARE(w.lastOutcome().parts.size(), std::size_t(128));
    QCOMPARE(w.lastOutcome().parts[5].params.scale, h.scales[5]);
    // The whole tensor spans 128 grids: the histogram draws none.
    QVERIFY(w.histogramView()->overlay().levels.empty());

    // The user types 4 into the bits field.
    auto* bits = qobject_cast<QSpinBox*>(w.recipeEditor()->fieldWidget("bits"));
    QVERIFY(bits);
    QVERIFY(afterUpdate(w, [&] { bits->setValue(4); }));
    QCOMPARE(w.recipe().rules[0].params.as<IntSettings>().bits, 4);
    h = handQuantize(t.values, 128, 4);
    QUENCH_COMPARE_NEAR(fig->current().figures.mse, h.mse, 1e-9, 0);
    QUENCH_COMPARE_NEAR(fig->current().figures.sqnrDb, h.sqnrDb, 1e-9, 0);
    QVERIFY(fig->current().recipeLabel.startsWith("int4"));

    // ... and picks the per-tensor partition: one grid of 15 levels s·n, n = −7..7.
    auto* partition = qobject_cast<QComboBox*>(w.recipeEditor()->fieldWidget("partition"));
    QVERIFY(partition);
    QVERIFY(afterUpdate(w, [&] { selectCombo(partition, "tensor"); }));
    QCOMPARE(w.recipe().rules[0].params.as<IntSettings>().partition.text, std::string("tensor"));
    h = handQuantize(t.values, 1, 4);
    QUENCH_COMPARE_NEAR(fig->current().figures.mse, h.mse, 1e-9, 0);
    const auto& d = w.histogramView()->overlay();
    QCOMPARE(d.levels.size(), std::size_t(15));
    for (int n = -7; n <= 7; ++n) QUENCH_COMPARE_NEAR(d.levels[std::size_t(n + 7)], h.scales[0] * n, 1e-7, 0);
    QUENCH_COMPARE_NEAR(d.clipLow, -7 * h.scales[0], 1e-7, 0);
    QUENCH_COMPARE_NEAR(d.clipHigh, 7 * h.scales[0], 1e-7, 0);
    QCOMPARE(d.total, std::uint64_t(128 * 128));
    QCOMPARE(d.saturated, std::uint64_t(0));  // absmax never clips

    // Shared bins: the reconstruction's counts are the hand reconstruction's on the same bins.
    QCOMPARE(d.reconstruction.lo, d.original.lo);
    QCOMPARE(d.reconstruction.hi, d.original.hi);
    const Histogram ho = computeHistogram_ref(t.values, d.original.counts.size(), std::pair{d.original.lo, d.original.hi});
    const Histogram hr = computeHistogram_ref(h.recon, d.original.counts.size(), std::pair{d.original.lo, d.original.hi});
    QVERIFY(d.original.counts == ho.counts);
    QVERIFY(d.reconstruction.counts == hr.counts);
    // 15 levels: at most 15 non-empty reconstruction bins.
    QVERIFY(std::count_if(hr.counts.begin(), hr.counts.end(), [](auto c) { return c > 0; }) <= 15);
    // The plot shows the original bars.
    QCOMPARE(w.histogramView()->bars()->data()->size(), int(ho.counts.size()));
  }

  // A scale typed for part 0, then Ctrl+Z / Ctrl+Shift+Z.
  void typedScaleUndoRedo() {
    MainWindow w;
    w.show();
    QVERIFY(openModel(w));
    const FloatTensor t = readTensor();
    const double before = w.figuresPanel()->current().figures.mse;
    QCOMPARE(w.recipeEditor()->partsModel()->partCount(), 128);

    // The user types s = 0.001 into row 0's scale cell: that row's large weights now saturate.
    auto* model = w.recipeEditor()->partsModel();
    QVERIFY(afterUpdate(w, [&] {
      QVERIFY(model->setData(model->index(0, widgets::PartsTableModel::kScale), QStringLiteral("0.001"), Qt::EditRole));
    }));
    const auto& ov = w.recipe().rules[0].params.as<IntSettings>().overrides;
    QCOMPARE(ov.size(), std::size_t(1));
    QCOMPARE(*ov.at(0).scale, 0.001);
    const Hand h = handQuantize(t.values, 128, 8, 0.001);
    QUENCH_COMPARE_NEAR(w.figuresPanel()->current().figures.mse, h.mse, 1e-9, 0);
    QCOMPARE(w.lastOutcome().parts[0].params.scale, double(float(0.001)));
    QCOMPARE(w.lastOutcome().parts[0].saturated, h.saturated);
    QVERIFY(h.saturated > 0);
    QCOMPARE(w.lastOutcome().total.saturated, h.saturated);
    // The calibrator's proposal is still known for the overridden part.
    QCOMPARE(w.lastOutcome().proposed.size(), std::size_t(128));
    QCOMPARE(w.lastOutcome().proposed[0].scale, handQuantize(t.values, 128, 8).scales[0]);

    // Restricting the histogram to part 0 shows its grid and its saturated count.
    QVERIFY(afterUpdate(w, [&] { w.setSelectedPart(0); }));
    QCOMPARE(w.histogramView()->overlay().part, 0);
    QCOMPARE(w.histogramView()->overlay().total, std::uint64_t(128));
    QCOMPARE(w.histogramView()->overlay().saturated, h.saturated);
    QCOMPARE(w.histogramView()->overlay().levels.size(), std::size_t(255));
    QUENCH_COMPARE_NEAR(w.histogramView()->overlay().clipHigh, double(float(0.001)) * 127.0, 1e-7, 0);

    // Undo (the Edit menu's action, Ctrl+Z): back to the calibrated scale and the first figures.
    QAction* undo = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
      if (a->shortcut() == QKeySequence(QKeySequence::Undo)) undo = a;
    QVERIFY(undo);
    QVERIFY(undo->isEnabled());
    QVERIFY(afterUpdate(w, [&] { undo->trigger(); }));
    QVERIFY(w.recipe().rules[0].params.as<IntSettings>().overrides.empty());
    QCOMPARE(w.figuresPanel()->current().figures.mse, before);
    QVERIFY(afterUpdate(w, [&] { w.recipeEditor()->undoStack()->redo(); }));
    QCOMPARE(w.recipe().rules[0].params.as<IntSettings>().overrides.size(), std::size_t(1));
    QUENCH_COMPARE_NEAR(w.figuresPanel()->current().figures.mse, h.mse, 1e-9, 0);
  }

  // A rejected parameter gets its message next to the field; the views keep the last result.
  void badParameterShowsMessageAtField() {
    MainWindow w;
    w.show();
    QVERIFY(openModel(w));
    const double mse = w.figuresPanel()->current().figures.mse;
    MethodParams p = w.currentParams();
    p.as<IntSettings>().overrides[5000].scale = 0.5;  // there are 128 parts
    QSignalSpy failed(&w, &MainWindow::quantFailed);
    w.applyParams(p);
    QVERIFY(failed.wait(kTimeoutMs));
    const QString message = failed.at(0).at(0).toString();
    QVERIFY2(message.contains("5000"), qPrintable(message));
    QCOMPARE(w.recipeEditor()->errorText("overrides"), message);
    QCOMPARE(w.figuresPanel()->current().figures.mse, mse);
  }

  void exportFiguresRecipeAndTensors() {
    MainWindow w;
    w.show();
    QVERIFY(openModel(w));
    // Figures: the single-column preset, 3.5 in at 300 dpi.
    for (const char* ext : {"png", "svg", "pdf"}) {
      const QString f = m_dir.filePath(QStringLiteral("hist.%1").arg(ext));
      QCOMPARE(w.exportCurrentFigure(f), QString());
      QFile file(f);
      QVERIFY(file.open(QIODevice::ReadOnly));
      const QByteArray head = file.read(512);
      if (QByteArray(ext) == "png") {
        const QImage img(f);
        QCOMPARE(img.width(), 1050);
        QCOMPARE(img.height(), 700);
      } else if (QByteArray(ext) == "svg") {
        QVERIFY(head.contains("<svg"));
      } else {
        QVERIFY(head.startsWith("%PDF"));
      }
    }
    QVERIFY(!w.exportCurrentFigure(m_dir.filePath("hist.txt")).isEmpty());
    w.setCurrentTab(MainWindow::kErrorTab);
    QCOMPARE(w.currentPlot(), w.errorView()->partsPlot());
    QCOMPARE(w.exportCurrentFigure(m_dir.filePath("error.png")), QString());
    w.setCurrentTab(MainWindow::kHistogramTab);

    // The recipe, with a rule of its own for this tensor at 4 bits.
    w.applyToThisTensorOnly();
    QCOMPARE(w.recipe().rules.size(), std::size_t(2));
    QCOMPARE(w.recipe().rules[0].tensors, std::string(kTensor));
    QCOMPARE(w.currentRule(), 0);
    auto* bits = qobject_cast<QSpinBox*>(w.recipeEditor()->fieldWidget("bits"));
    QVERIFY(afterUpdate(w, [&] { bits->setValue(4); }));
    QCOMPARE(w.recipe().rules[0].params.as<IntSettings>().bits, 4);
    QCOMPARE(w.recipe().rules[1].params.as<IntSettings>().bits, 8);
    const QString recipeFile = m_dir.filePath("recipe.json");
    QCOMPARE(w.exportRecipe(recipeFile), QString());
    auto loaded = loadRecipe(recipeFile.toStdString());
    QVERIFY(loaded.ok());
    QVERIFY(*loaded == w.recipe());

    // Quantized tensors: q_proj at 4 bits per row, other matrices at 8 bits, norms unchanged.
    const QString out = m_dir.filePath("quantized.safetensors");
    QSignalSpy exported(&w, &MainWindow::quantizedExported);
    w.exportQuantized(out);
    QVERIFY(exported.wait(kTimeoutMs));
    QCOMPARE(exported.at(0).at(1).toString(), QString());
    auto reader = openTensorFile(out.toStdString());
    QVERIFY(reader.ok());
    auto original = openTensorFile(modelPath().toStdString());
    QCOMPARE((*reader)->tensors().size(), (*original)->tensors().size());
    auto q = (*reader)->readFloat(std::string_view(kTensor));
    QVERIFY(q.ok());
    QVERIFY(q->values == handQuantize(readTensor().values, 128, 4).recon);
    auto k = (*reader)->readFloat(std::string_view("model.layers.0.self_attn.k_proj.weight"));
    auto k0 = (*original)->readFloat(std::string_view("model.layers.0.self_attn.k_proj.weight"));
    QVERIFY(k->values == handQuantize(k0->values, 64, 8).recon);
    auto norm = (*reader)->readFloat(std::string_view("model.norm.weight"));
    auto norm0 = (*original)->readFloat(std::string_view("model.norm.weight"));
    QVERIFY(norm->values == norm0->values);
    const auto& meta = (*reader)->metadata();
    QVERIFY(std::any_of(meta.begin(), meta.end(), [](const auto& kv) { return kv.first == "quench_recipe"; }));
  }

  void sessionSaveAndRestore() {
    const QString file = m_dir.filePath("work.quench");
    double mse = 0;
    Recipe recipe;
    {
      MainWindow w;
      w.show();
      QVERIFY(openModel(w));
      auto* bits = qobject_cast<QSpinBox*>(w.recipeEditor()->fieldWidget("bits"));
      QVERIFY(afterUpdate(w, [&] { bits->setValue(6); }));
      QVERIFY(w.figuresPanel()->pinCurrent("six bits"));
      QVERIFY(afterUpdate(w, [&] { w.setSelectedPart(3); }));
      w.histogramView()->setLogScale(true);
      QVERIFY(afterUpdate(w, [&] { w.setCurrentTab(MainWindow::kSaturationTab); }));
      mse = w.figuresPanel()->current().figures.mse;
      recipe = w.recipe();
      QCOMPARE(w.saveSessionTo(file), QString());
    }
    MainWindow w2;
    w2.show();
    QSignalSpy restored(&w2, &MainWindow::sessionRestored);
    QCOMPARE(w2.openSession(file), QString());
    QVERIFY(restored.wait(kTimeoutMs));
    QCOMPARE(w2.selectedTensorName(), QString::fromLatin1(kTensor));
    QVERIFY(w2.recipe() == recipe);
    QCOMPARE(w2.recipeEditor()->params().as<IntSettings>().bits, 6);
    QCOMPARE(w2.tabs()->currentIndex(), int(MainWindow::kSaturationTab));
    QVERIFY(w2.histogramView()->logScale());
    QCOMPARE(w2.selectedPart(), 3);
    QCOMPARE(w2.figuresPanel()->pins().size(), std::size_t(1));
    QCOMPARE(w2.figuresPanel()->pins()[0].name, QStringLiteral("six bits"));
    QCOMPARE(w2.figuresPanel()->current().figures.mse, mse);
    QVERIFY(w2.lastOutcome().saturationMap.has_value());

    // A damaged session is refused with a message naming the file; nothing changes.
    const QString bad = m_dir.filePath("bad.quench");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"quench_session\": 1, \"files\": 3}");
    f.close();
    QSignalSpy errors(&w2, &MainWindow::errorShown);
    const QString e = w2.openSession(bad);
    QVERIFY(e.contains("bad.quench") && e.contains("files"));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(w2.selectedTensorName(), QString::fromLatin1(kTensor));
  }

  // The demo with its language model evaluated: a session saved and opened again lists the model's
  // file once (not once for the session and again for the Divergence tab), and the evaluation
  // the session showed is run again.
  void demoSessionKeepsDivergence() {
    if (app::demoModelDir().isEmpty()) QSKIP("the demo language model is not built");
    const QString file = m_dir.filePath("demo.quench");
    {
      MainWindow w;
      w.show();
      w.openDemo();
      QTRY_VERIFY_WITH_TIMEOUT(w.modelPage()->saveState().value("evaluated").toBool(), kTimeoutMs);
      QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && !w.modelPage()->isBusy(), kTimeoutMs);
      QCOMPARE(w.currentSession().files.size(), 2);  // the demo tensors and the demo model's file
      QCOMPARE(w.saveSessionTo(file), QString());
    }
    MainWindow w2;
    w2.show();
    QSignalSpy restored(&w2, &MainWindow::sessionRestored);
    QCOMPARE(w2.openSession(file), QString());
    QVERIFY(restored.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(w2.modelPage()->saveState().value("evaluated").toBool(), kTimeoutMs);
    QCOMPARE(w2.currentSession().files.size(), 2);
  }

  void sessionJsonRoundTrip() {
    app::Session s;
    s.files = {{QStringLiteral("/a/b.safetensors"), false}, {QString(), true}};
    s.selectedFile = 1;
    s.selectedTensor = QStringLiteral("blk.0.attn_q.weight");
    s.recipe.rules = {{"*", MethodParams::defaults("nf4")}};
    s.tab = QStringLiteral("nf4");
    s.histogramMode = QStringLiteral("error");
    s.part = 7;
    app::Session back;
    QCOMPARE(app::sessionFromJson(app::sessionToJson(s), &back), QString());
    QCOMPARE(back.files, s.files);
    QCOMPARE(back.selectedFile, 1);
    QCOMPARE(back.selectedTensor, s.selectedTensor);
    QVERIFY(back.recipe == s.recipe);
    QCOMPARE(back.tab, s.tab);
    QCOMPARE(back.histogramMode, s.histogramMode);
    QCOMPARE(back.part, 7);
    QVERIFY(app::sessionFromJson("{\"quench_session\": 2}", &back).contains("version 2"));
    QVERIFY(app::sessionFromJson("[]", &back).contains("object"));
    QVERIFY(app::sessionFromJson("{\"quench_session\": 1, \"recipe\": {\"quench_recipe\": 1, \"rules\": [{\"tensors\": \"*\", \"method\": \"int\", \"bits\": 1}]}}", &back)
                .contains("bits"));
  }

  void badFileShowsDialog() {
    MainWindow w;
    w.show();
    const QString f = m_dir.filePath("garbage.safetensors");
    QFile file(f);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("\xff\xff\xff\xff\xff\xff\xff\x7f this is not a tensor file");
    file.close();
    QSignalSpy errors(&w, &MainWindow::errorShown);
    w.openFile(f);
    QVERIFY(errors.wait(kTimeoutMs));
    QVERIFY(errors.at(0).at(0).toString().contains("garbage.safetensors"));
    QTRY_VERIFY(w.findChild<QMessageBox*>("errorBox"));
    // The window still works afterwards.
    QVERIFY(openModel(w));
  }

  // The demo, every tab: each view receives its data (shortcuts Ctrl+1..5 switch).
  void everyTabAnswers() {
    MainWindow w;
    w.show();
    QSignalSpy updated(&w, &MainWindow::plotsUpdated);
    w.openDemo("blk.0.attn_q.weight");
    QVERIFY(updated.wait(kTimeoutMs));
    QCOMPARE(w.tabs()->count(), int(MainWindow::kTabCount));
    QCOMPARE(w.tabs()->tabText(MainWindow::kDivergenceTab), QStringLiteral("Divergence"));
    QCOMPARE(w.tabs()->tabText(MainWindow::kClassroomTab), QStringLiteral("Classroom"));
    QVERIFY(afterUpdate(w, [&] { QTest::keyClick(&w, Qt::Key_2, Qt::ControlModifier); }));
    QCOMPARE(w.tabs()->currentIndex(), int(MainWindow::kSaturationTab));
    QVERIFY(w.lastOutcome().saturationMap);
    QCOMPARE(w.lastOutcome().saturationMap->inputRows, std::size_t(512));
    QVERIFY(afterUpdate(w, [&] { QTest::keyClick(&w, Qt::Key_3, Qt::ControlModifier); }));
    QVERIFY(w.lastOutcome().outliers);
    // The demo's attn_q has ×20 outlier input columns: they are found at τ = 6.
    QVERIFY(!w.lastOutcome().outliers->outlierColumns.empty());
    QVERIFY(afterUpdate(w, [&] { QTest::keyClick(&w, Qt::Key_4, Qt::ControlModifier); }));
    QVERIFY(w.lastOutcome().nf4);
    QCOMPARE(w.lastOutcome().nf4->values, std::uint64_t(512 * 512));
    QTest::keyClick(&w, Qt::Key_5, Qt::ControlModifier);
    QCOMPARE(w.tabs()->currentIndex(), int(MainWindow::kErrorTab));
    QCOMPARE(w.errorView()->metricGraph()->data()->size(), 512);
    QTest::keyClick(&w, Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(w.tabs()->currentIndex(), int(MainWindow::kHistogramTab));
  }

  // Edit ▸ Use Selected Tensor as Activations: the demo's ffn_gate (1376 × 512, ×20 input columns
  // 17, 90, 211, 302, 388, 469) plays X, attn_output (512 × 512) plays W, multiplied as X·Wᵀ.
  void outliersWithActivations() {
    MainWindow w;
    w.show();
    QSignalSpy updated(&w, &MainWindow::plotsUpdated);
    w.openDemo("blk.0.ffn_gate.weight");
    QVERIFY(updated.wait(kTimeoutMs));
    const auto x = w.tensor();
    QVERIFY(x && x->name == "blk.0.ffn_gate.weight");
    w.useAsActivations(x);
    // τ between the ordinary columns' max |x| and the ×20 columns' (read off the data here).
    const std::vector<std::size_t> known{17, 90, 211, 302, 388, 469};
    double normalMax = 0, outlierMin = 1e300;
    for (std::size_t c = 0; c < 512; ++c) {
      double m = 0;
      for (std::size_t r = 0; r < 1376; ++r) m = std::max(m, std::fabs(double(x->values[r * 512 + c])));
      if (std::find(known.begin(), known.end(), c) != known.end())
        outlierMin = std::min(outlierMin, m);
      else
        normalMax = std::max(normalMax, m);
    }
    // (4.58 against 3.57: the rows' Student-t tails come close, but every ×20 column is above.)
    QVERIFY2(outlierMin > normalMax, "the demo's outlier columns stand out");
    const double tau = 0.5 * (outlierMin + normalMax);
    QVERIFY(afterUpdate(w, [&] { w.openDemo("blk.0.attn_output.weight"); }));
    QVERIFY(afterUpdate(w, [&] { QTest::keyClick(&w, Qt::Key_3, Qt::ControlModifier); }));
    QVERIFY(afterUpdate(w, [&] { emit w.outlierView()->thresholdChanged(tau); }));
    const auto& rep = w.lastOutcome().llmInt8;
    QVERIFY2(rep, qPrintable(w.lastOutcome().llmInt8Error));
    QCOMPARE(rep->tokens, std::size_t(1376));
    QCOMPARE(rep->features, std::size_t(512));
    QCOMPARE(rep->outputs, std::size_t(512));
    QCOMPARE(rep->outliers.outlierColumns, known);
    // Y[t, o] = Σ_j X[t, j]·W[o, j]: W's rows are its outputs (the transposition is right).
    const auto wgt = w.tensor();
    QVERIFY(wgt && wgt->name == "blk.0.attn_output.weight");
    for (auto [t, o] : {std::pair<std::size_t, std::size_t>{0, 0}, {5, 300}, {1375, 511}}) {
      double y = 0;
      for (std::size_t j = 0; j < 512; ++j) y += double(x->values[t * 512 + j]) * double(wgt->values[o * 512 + j]);
      QUENCH_COMPARE_NEAR(rep->exact[t * 512 + o], y, 1e-9, 1e-12);
    }
    // Keeping the outlier features in full precision is the point of LLM.int8().
    QVERIFY(rep->decomposedError.relFrobenius < 0.5 * rep->plainError.relFrobenius);
    QVERIFY(!w.outlierView()->errorText().isEmpty());
    // An activation matrix whose width does not fit the weight is reported, not multiplied.
    QVERIFY(afterUpdate(w, [&] { w.openDemo("blk.0.ffn_down.weight"); }));
    QVERIFY(!w.lastOutcome().llmInt8);
    QVERIFY(w.lastOutcome().llmInt8Error.contains("1376 input columns"));
  }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"
