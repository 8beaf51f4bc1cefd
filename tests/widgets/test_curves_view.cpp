// CurvesView on a real sweep: stories260K, three recipe families swept over their block (group)
// size 16, 32, 64 (int4 asymmetric group-wise, NF4, FP4), points appended one at a time from
// runSweep's callback as they arrive. Each curve's points are the sweep's evaluations, at the
// block size or at bits per parameter; y switches between mean KL, JS, p99 KL and top-1
// disagreement; log y.
#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QtTest/QtTest>

#include "common/fuzzy.h"
#include "core/eval/sweep.h"
#include "widgets/curves_view.h"

using namespace quench;
using quench::widgets::CurvePoint;
using quench::widgets::CurvesView;

namespace {
struct Family {
  const char* name;
  const char* recipe;
  const char* setting;
};
const Family kFamilies[] = {
    {"int4 group-wise", R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4, "symmetric": false, "calib": "minmax"}]})", "group"},
    {"NF4", R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4"}]})", "block"},
    {"FP4", R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "fp4"}]})", "block"},
};

struct Fixture {
  std::vector<std::vector<eval::RecipeEvaluation>> evals;  // per family, per block size
};

// Runs the three sweeps into `view` (when given) as the points arrive.
Fixture sweep(CurvesView* view) {
  Fixture x;
  auto m = model::openModel(test::sharedData("models/stories260K/stories260K.bin").toStdString());
  if (!m) qFatal("%s", m.error().message.c_str());
  auto p = model::loadTransformer(*m);
  auto seqs = eval::sampleSequences(**p, 2, 64, m->tokenizer->bosId(), 4);
  if (!p || !seqs) qFatal("setup failed");
  for (const Family& f : kFamilies) {
    auto base = recipeFromJson(f.recipe);
    auto points = eval::sweepPoints(*base, {f.setting, {"16", "32", "64"}});
    if (!points) qFatal("%s", points.error().message.c_str());
    const int series = view ? view->addSeries(QString::fromUtf8(f.name)) : -1;
    auto r = eval::runSweep(*m, eval::SweepData{p->get(), &*seqs, nullptr}, *points,
                             [&](std::size_t i, const eval::SweepPoint& pt, const eval::RecipeEvaluation& e) -> Status {
                               if (view) {
                                 view->appendPoint(series, CurvePoint::fromEvaluation(QString::fromStdString(pt.label), e, int(i)));
                                 // One more point on the curve per evaluation, as it arrives.
                                 if (view->graph(series)->dataCount() != int(i) + 1) return makeError("not appended");
                               }
                               return {};
                             });
    if (!r) qFatal("%s", r.error().message.c_str());
    x.evals.push_back(std::move(r).value());
  }
  return x;
}
}  // namespace

class TestCurvesView : public QObject {
  Q_OBJECT
 private slots:
  void pointsArriveAndSwitch() {
    CurvesView v;
    v.setSetting("block / group size (values)", "stories260K · 4-bit families against block size");
    const Fixture f = sweep(&v);
    QCOMPARE(v.seriesCount(), 3);
    const double sizes[] = {16, 32, 64};
    for (int s = 0; s < 3; ++s) {
      QCOMPARE(v.graph(s)->name(), QString::fromUtf8(kFamilies[s].name));
      QCOMPARE(v.graph(s)->dataCount(), 3);
      for (int i = 0; i < 3; ++i) {
        QCOMPARE(v.graph(s)->data()->at(i)->key, sizes[i]);
        QCOMPARE(v.graph(s)->data()->at(i)->value, f.evals[std::size_t(s)][std::size_t(i)].summary.klMean);
      }
      // Smaller blocks store more constants: bits per parameter falls as the block grows.
      QVERIFY(v.points(s)[0].bitsPerParam > v.points(s)[2].bitsPerParam);
    }
    // NF4/FP4 with an fp32 absmax per block of B over the matrices: bits = 4 + 32/B there, so
    // halving the block from 32 to 16 adds exactly 1 bit per matrix parameter. The model-wide
    // figure also counts the 1-D norms at 32 bits: (b16 − b32) = 1 · (matrix share).
    const double share = (f.evals[1][0].bitsPerParam - f.evals[1][1].bitsPerParam);
    QVERIFY2(share > 0.99 && share < 1.0, qPrintable(QString::number(share, 'g', 10)));

    // Against bits per parameter: keys are the storage figures, in increasing order.
    v.setXAxis(CurvesView::XAxis::BitsPerParam);
    QCOMPARE(v.xSelector()->currentIndex(), 1);
    QCOMPARE(v.plot()->xAxis->label(), QStringLiteral("bits per parameter"));
    for (int s = 0; s < 3; ++s)
      for (int i = 0; i < 3; ++i) {
        const auto& e = f.evals[std::size_t(s)][std::size_t(2 - i)];  // 64 has the fewest bits
        QCOMPARE(v.graph(s)->data()->at(i)->key, e.bitsPerParam);
        QCOMPARE(v.graph(s)->data()->at(i)->value, e.summary.klMean);
      }

    // The other quantities.
    v.setXAxis(CurvesView::XAxis::Setting);
    v.setQuantity(CurvesView::Quantity::KlP99);
    QCOMPARE(v.graph(1)->data()->at(0)->value, f.evals[1][0].summary.klP99);
    v.setQuantity(CurvesView::Quantity::JsMean);
    QCOMPARE(v.graph(2)->data()->at(1)->value, f.evals[2][1].summary.jsMean);
    v.quantitySelector()->setCurrentIndex(3);  // the combo drives the view too
    QCOMPARE(v.quantity(), CurvesView::Quantity::Top1Disagreement);
    QCOMPARE(v.graph(0)->data()->at(2)->value, 1.0 - f.evals[0][2].summary.top1Agreement);
    QVERIFY(v.plot()->yAxis->label().startsWith(QStringLiteral("top-1 disagreement")));

    v.setQuantity(CurvesView::Quantity::KlMean);
    QCOMPARE(v.plot()->yAxis->label(), QStringLiteral("mean KL(P‖Q) (nats/token)"));
    v.logYCheck()->setChecked(true);
    QVERIFY(v.logY());
    QCOMPARE(v.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(v.plot()->yAxis->range().lower > 0);
    QVERIFY(v.plot()->legend->visible());
    v.setLogX(true);
    QCOMPARE(v.plot()->xAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(v.plot()->xAxis->range().contains(16) && v.plot()->xAxis->range().contains(64));
    QCOMPARE(v.title(), QStringLiteral("stories260K · 4-bit families against block size"));

    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS")) {
      v.resize(1000, 640);
      v.show();
      QVERIFY(QTest::qWaitForWindowExposed(&v));
      v.plot()->replot();
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-curves.png"));
    }
  }

  void categoricalSettingAndClear() {
    CurvesView v;
    v.setSetting("float format", "formats");
    const int s = v.addSeries("float");
    eval::RecipeEvaluation e;
    e.summary.klMean = 0.5;
    v.appendPoint(s, CurvePoint::fromEvaluation("e2m1", e, 0));
    e.summary.klMean = 0.1;
    v.appendPoint(s, CurvePoint::fromEvaluation("e4m3", e, 1));
    QCOMPARE(v.graph(s)->dataCount(), 2);
    QCOMPARE(v.graph(s)->data()->at(1)->key, 1.0);  // placed at its index, named by its tick
    auto ticker = v.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
    QVERIFY(ticker);
    QCOMPARE(ticker->ticks().value(1.0), QStringLiteral("e4m3"));
    v.appendPoint(7, CurvePoint{});  // no such series: ignored
    v.clear();
    QCOMPARE(v.seriesCount(), 0);
  }
};

QTEST_MAIN(TestCurvesView)
#include "test_curves_view.moc"
