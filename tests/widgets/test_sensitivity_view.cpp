// SensitivityView on a real per-tensor sweep: stories260K, each of its 36 weight matrices alone
// at int3, the figures of each added as it arrives. Bars are the sweep's figures sorted largest
// first (checked against a sort done here), names on the axis, values beside the bars; many
// tensors scroll; the bars can show mean JS, KL p99 or top-1 disagreement instead of mean KL.
#include <qcustomplot.h>

#include <QComboBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QtTest/QtTest>
#include <algorithm>
#include <map>

#include "common/fuzzy.h"
#include "core/eval/sweep.h"
#include "widgets/sensitivity_view.h"

using namespace quench;
using quench::widgets::SensitivityView;

class TestSensitivityView : public QObject {
  Q_OBJECT
 private slots:
  void sortedBarsFromARealSweep() {
    auto m = model::openModel(test::sharedData("models/stories260K/stories260K.bin").toStdString());
    QVERIFY(m.ok());
    auto p = model::loadTransformer(*m);
    QVERIFY(p.ok());
    auto seqs = eval::sampleSequences(**p, 2, 48, m->tokenizer->bosId(), 8);
    QVERIFY(seqs.ok());
    auto base = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 3}]})");
    auto points = eval::perTensorPoints(*m, *base);
    QVERIFY(points.ok());

    SensitivityView v;
    v.setTitle("stories260K · int3, one tensor at a time");
    std::map<std::string, double> kl, top1;
    auto r = eval::runSweep(*m, eval::SweepData{p->get(), &*seqs, nullptr}, *points,
                             [&](std::size_t i, const eval::SweepPoint& pt, const eval::RecipeEvaluation& e) -> Status {
                               kl[pt.label] = e.summary.klMean;
                               top1[pt.label] = 1.0 - e.summary.top1Agreement;
                               const QString name = QString::fromStdString(pt.label);
                               v.addEntry(name, widgets::CurvePoint::fromEvaluation(name, e, int(i)));
                               return {};
                             });
    QVERIFY(r.ok());
    QCOMPARE(v.entries().size(), std::size_t{36});

    // Sorted here, largest first.
    std::vector<std::pair<double, std::string>> expect;
    for (const auto& [name, value] : kl) expect.emplace_back(value, name);
    std::sort(expect.begin(), expect.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < expect.size(); ++i) {
      QCOMPARE(v.entries()[i].tensor.toStdString(), expect[i].second);
      QCOMPARE(v.value(int(i)), expect[i].first);
    }
    QCOMPARE(v.valueLabel(0), QString::number(expect[0].first, 'g', 3));

    // Bar at key i has entry i's value (whatever group colours it), names as tick labels.
    std::map<double, double> bars;
    int total = 0;
    for (QCPBars* b : v.bars()) {
      total += b->dataCount();
      for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it) bars[it->key] = it->value;
    }
    QCOMPARE(total, 36);
    for (int i = 0; i < 36; ++i) QCOMPARE(bars.at(i), v.value(i));
    auto ticker = v.plot()->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    QVERIFY(ticker);
    QCOMPARE(ticker->ticks().value(0), v.entries()[0].tensor);
    QCOMPARE(ticker->ticks().value(35), v.entries()[35].tensor);
    QVERIFY(v.plot()->yAxis->rangeReversed());  // the largest on top
    // Attention and feed-forward matrices land in their groups.
    QCOMPARE(widgets::sensitivityGroup("blk.3.attn_k.weight"), 0);
    QCOMPARE(widgets::sensitivityGroup("model.layers.0.mlp.down_proj.weight"), 1);
    QCOMPARE(widgets::sensitivityGroup("token_embd.weight"), 2);

    // 36 readable rows do not fit in 500 pixels: the list scrolls.
    v.resize(900, 500);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QVERIFY(v.scrollArea()->verticalScrollBar()->maximum() > 0);
    QVERIFY(v.plot()->height() >= 36 * 20);

    v.setLogScale(true);
    QCOMPARE(v.plot()->xAxis->scaleType(), QCPAxis::stLogarithmic);
    v.setLogScale(false);

    // Top-1 disagreement instead: re-sorted by it (ties by name), bars and axis label follow.
    auto* box = v.quantitySelector();
    box->setCurrentIndex(box->findData(int(SensitivityView::Quantity::Top1Disagreement)));
    QCOMPARE(v.quantity(), SensitivityView::Quantity::Top1Disagreement);
    std::vector<std::pair<double, std::string>> byTop1;
    for (const auto& [name, value] : top1) byTop1.emplace_back(value, name);
    std::stable_sort(byTop1.begin(), byTop1.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < byTop1.size(); ++i) {
      QCOMPARE(v.value(int(i)), byTop1[i].first);
      QCOMPARE(v.entries()[i].tensor.toStdString(), byTop1[i].second);  // std::map order = name order
    }
    QVERIFY(v.plot()->xAxis->label().contains(QStringLiteral("top-1")));
    QVERIFY(byTop1.front().first > 0);
    v.setQuantity(SensitivityView::Quantity::KlMean);
    QCOMPARE(box->currentData().toInt(), int(SensitivityView::Quantity::KlMean));
    QCOMPARE(v.value(0), expect[0].first);

    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS")) {
      v.resize(900, 1000);
      QTest::qWait(50);
      v.plot()->replot();
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-sensitivity.png"));
    }
    v.clear();
    QVERIFY(v.entries().empty());
  }
};

QTEST_MAIN(TestSensitivityView)
#include "test_sensitivity_view.moc"
