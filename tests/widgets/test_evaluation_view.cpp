// EvaluationView on a real evaluation: stories260K with every matrix at int4, against the
// original on 4 sequences of 96 tokens sampled from it. The table shows the summary's figures,
// the histogram counts every finite position once, the position plot is the chosen sequence's
// KL with the next tokens (decoded here with the tokenizer) as labels, and the "moved most" list
// is the ten largest KL in decreasing order.
#include <qcustomplot.h>

#include <QComboBox>
#include <QTableWidget>
#include <QtTest/QtTest>
#include <algorithm>
#include <cmath>

#include "common/fuzzy.h"
#include "core/eval/evaluate.h"
#include "widgets/evaluation_view.h"

using namespace quench;
using quench::widgets::EvaluationView;

namespace {
struct Fixture {
  model::ModelFiles files;
  std::vector<std::vector<int>> sequences;
  quench::eval::RecipeEvaluation eval;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    auto m = model::openModel(test::sharedData("models/stories260K/stories260K.bin").toStdString());
    if (!m) qFatal("%s", m.error().message.c_str());
    x.files = std::move(m).value();
    auto p = model::loadTransformer(x.files);
    if (!p) qFatal("%s", p.error().message.c_str());
    auto s = eval::sampleSequences(**p, 4, 96, x.files.tokenizer->bosId(), 42);
    if (!s) qFatal("%s", s.error().message.c_str());
    x.sequences = std::move(s).value();
    auto r = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4}]})");
    eval::EvaluateOptions o;
    o.keepPositions = true;
    auto e = eval::evaluateRecipe(x.files, *r, p->get(), x.sequences, nullptr, o);
    if (!e) qFatal("%s", e.error().message.c_str());
    x.eval = std::move(e).value();
    return x;
  }();
  return f;
}

// What the evaluation job hands the view with the evaluation.
eval::PositionFigures figuresOf(const eval::RecipeEvaluation& e) {
  return eval::positionFigures(e.positions, widgets::EvaluationView::kHistogramBins, widgets::EvaluationView::kMovedRows);
}

// The first number of a cell's text ("0.1234 ± 0.005" → 0.1234).
double firstNumber(const QString& text) { return text.section(QLatin1Char(' '), 0, 0).toDouble(); }
}  // namespace

class TestEvaluationView : public QObject {
  Q_OBJECT
 private slots:
  void summaryTable() {
    const auto& f = fixture();
    const TokenSummary& s = f.eval.summary;
    EvaluationView v;
    v.setEvaluation(f.eval, figuresOf(f.eval), f.files.tokenizer.get(), "stories260K · int4 row-wise");
    QCOMPARE(v.title(), QStringLiteral("stories260K · int4 row-wise"));
    QCOMPARE(v.figureText("positions"), QString::number(4 * 96));
    QCOMPARE(v.figureText("scored positions"), QString::number(4 * 95));
    // Six significant digits of each figure (percentages ×100).
    const QString mean = v.figureText("mean KL(P‖Q)");
    QUENCH_COMPARE_NEAR(firstNumber(mean), s.klMean, 1e-5, 0);
    QUENCH_COMPARE_NEAR(mean.section(QStringLiteral(" ± "), 1).toDouble(), s.klStderr, 1e-2, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("median KL")), s.klMedian, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("p90 KL")), s.klP90, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("p95 KL")), s.klP95, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("p99 KL")), s.klP99, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("p99.9 KL")), s.klP999, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("min KL")), s.klMin, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("max KL")), s.klMax, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("mean JS")), s.jsMean, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("top-1 agreement")), 100 * s.top1Agreement, 1e-4, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("PPL(P)")), s.pplP, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("PPL(Q)")), s.pplQ, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("PPL(Q)/PPL(P)")), s.pplRatio, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("ln(PPL(Q)/PPL(P))")), s.lnPplRatio, 1e-5, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("mean Δp")), 100 * s.deltaPMean, 1e-4, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("RMS Δp")), 100 * s.deltaPRms, 1e-4, 0);
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("bits per parameter")), f.eval.bitsPerParam, 1e-4, 0);
    QCOMPARE(v.figureText("tensors transformed"), QStringLiteral("36"));
    // The perplexity ratio is the ratio of the two shown perplexities.
    QUENCH_COMPARE_NEAR(firstNumber(v.figureText("PPL(Q)")) / firstNumber(v.figureText("PPL(P)")), s.pplRatio, 1e-5, 0);
  }

  void histogramAndTopMoved() {
    const auto& f = fixture();
    EvaluationView v;
    v.setEvaluation(f.eval, figuresOf(f.eval), f.files.tokenizer.get(), "t");
    // Every finite position in exactly one bar, bars inside [0, max KL].
    double counted = 0;
    for (auto it = v.histogramBars()->data()->constBegin(); it != v.histogramBars()->data()->constEnd(); ++it) {
      counted += it->value;
      QVERIFY(it->key >= 0 && it->key <= f.eval.summary.klMax);
    }
    QCOMPARE(counted, double(f.eval.summary.tokens - f.eval.summary.klInfinite));
    QCOMPARE(v.histogramPlot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(v.histogramPlot()->xAxis->label(), QStringLiteral("KL (nats/token)"));

    // The ten largest KL, largest first; the first is the summary's max.
    std::vector<double> all;
    for (const auto& r : f.eval.positions) all.push_back(r.kl);
    std::sort(all.begin(), all.end(), std::greater<>());
    QTableWidget* moved = v.movedTable();
    QCOMPARE(moved->rowCount(), 10);
    for (int row = 0; row < 10; ++row)
      QUENCH_COMPARE_NEAR(moved->item(row, 3)->text().toDouble(), all[std::size_t(row)], 1e-3, 0);
    QUENCH_COMPARE_NEAR(moved->item(0, 3)->text().toDouble(), f.eval.summary.klMax, 1e-3, 0);
    // Issue 13: a narrow column drops the start of the context, not the "→ next" words.
    QCOMPARE(moved->textElideMode(), Qt::ElideLeft);
    QVERIFY(moved->item(0, 2)->text().contains(QStringLiteral(" → ")));
    QVERIFY(moved->columnWidth(2) >= moved->fontMetrics().horizontalAdvance(moved->item(0, 2)->text()));
  }

  // Issue 13: the legend of "KL along the sequence" sits in its own row above the axes, so it
  // cannot cover the highest point (the position that moved most).
  void positionLegendOutsideTheAxes() {
    const auto& f = fixture();
    EvaluationView v;
    v.resize(900, 700);
    v.setEvaluation(f.eval, figuresOf(f.eval), f.files.tokenizer.get(), "t");
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QCustomPlot* plot = v.positionPlot();
    plot->replot();
    QCOMPARE(plot->legend->layout(), static_cast<QCPLayout*>(plot->plotLayout()));
    QVERIFY(!plot->legend->outerRect().intersects(plot->axisRect()->rect()));
  }

  void positionsOfASequence() {
    const auto& f = fixture();
    EvaluationView v;
    v.resize(1200, 800);
    v.setEvaluation(f.eval, figuresOf(f.eval), f.files.tokenizer.get(),
                    "stories260K · int4 row-wise (absmax) against fp32 · 4 sampled sequences of 96 tokens");
    QCOMPARE(v.sequenceCount(), 4);
    QCOMPARE(v.sequenceSelector()->count(), 4);
    // It opens on the sequence holding the largest KL.
    const auto worst = *std::max_element(f.eval.positions.begin(), f.eval.positions.end(),
                                         [](const auto& a, const auto& b) { return a.kl < b.kl; });
    QCOMPARE(std::size_t(v.sequence()), worst.sequence);

    for (int s : {2, 0}) {
      v.setSequence(s);
      const auto& seq = f.sequences[std::size_t(s)];
      QCPGraph* g = v.positionGraph();
      QCOMPARE(g->dataCount(), 96);
      const QStringList labels = v.positionLabels();
      QCOMPARE(labels.size(), 96);
      for (int i = 0; i < 96; ++i) {
        QCOMPARE(g->data()->at(i)->key, double(i));
        QCOMPARE(g->data()->at(i)->value, f.eval.positions[std::size_t(s * 96 + i)].kl);
        // The label under position i is the token it predicts, decoded after token i.
        const QString expect =
            i + 1 < 96 ? widgets::visibleTokenText(f.files.tokenizer->decodePiece(seq[std::size_t(i)], seq[std::size_t(i + 1)]),
                                                   seq[std::size_t(i + 1)])
                       : QStringLiteral("(end)");
        QCOMPARE(labels[i], expect);
      }
      QVERIFY(v.positionToolTip(5).contains(QStringLiteral("position 5")));
      QVERIFY(v.positionToolTip(5).contains(labels[5]));
    }
    QCOMPARE(v.positionPlot()->yAxis->label(), QStringLiteral("KL (nats/token)"));
    QVERIFY(v.positionPlot()->xAxis->label().startsWith(QStringLiteral("position")));

    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS")) {
      v.setSequence(int(worst.sequence));
      v.resize(1400, 860);
      v.show();
      QVERIFY(QTest::qWaitForWindowExposed(&v));
      v.positionPlot()->replot();
      v.histogramPlot()->replot();
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-evaluation.png"));
    }
  }

  void tokenText() {
    QCOMPARE(widgets::visibleTokenText(" the\n", 5), QStringLiteral("·the⏎"));
    QCOMPARE(widgets::visibleTokenText("", 7), QStringLiteral("#7"));
    QCOMPARE(widgets::visibleTokenText("a\x01", 9), QStringLiteral("a\\x01"));
  }

  void withoutPositionsAndClear() {
    auto e = fixture().eval;
    e.positions.clear();
    EvaluationView v;
    v.setEvaluation(e, figuresOf(e), nullptr, "no positions");
    QVERIFY(!v.figureText("mean KL(P‖Q)").isEmpty());
    QCOMPARE(v.sequenceCount(), 0);
    QCOMPARE(v.histogramBars()->dataCount(), 0);
    v.clear("nothing yet");
    QCOMPARE(v.title(), QStringLiteral("nothing yet"));
    QCOMPARE(v.summaryTable()->rowCount(), 0);
  }
};

QTEST_MAIN(TestEvaluationView)
#include "test_evaluation_view.moc"
