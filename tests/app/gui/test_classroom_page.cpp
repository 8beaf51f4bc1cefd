// The Classroom tab, used as a teacher would: presets, typed inputs, the numbers each tool shows
// (hand values, and the worked table against `quench-cli quantize --values ... --json`), input
// errors shown where they happen, presentation mode, figure and table export, and session state.
#include <QtTest/QtTest>

#include <QComboBox>
#include <QJsonArray>
#include <QLineEdit>
#include <QUndoStack>
#include <QJsonDocument>
#include <QTableWidget>
#include <QTemporaryDir>
#include <qcustomplot.h>

#include <cmath>

#include "app/gui/classroom_page.h"
#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "widgets/divergence_calculator_view.h"
#include "widgets/explicit_lm_editor.h"
#include "widgets/lm_divergence_view.h"
#include "widgets/worked_quantization_view.h"

using namespace quench;
using quench::app::ClassroomPage;
using WV = quench::widgets::WorkedQuantizationView;
using DV = quench::widgets::DivergenceCalculatorView;
using LV = quench::widgets::LmDivergenceView;

namespace {
double number(const QString& cell) {
  QString t = cell;
  t.replace(QChar(0x2212), QLatin1Char('-'));
  return t.toDouble();
}
int presetIndex(const ClassroomPage& page, const QString& start) {
  const QStringList names = page.presetNames();
  for (int i = 0; i < names.size(); ++i)
    if (names[i].startsWith(start)) return i;
  qFatal("no preset %s", qPrintable(start));
  return -1;
}
void screenshot(QWidget& w, const QString& name) {
  const QImage img = w.grab().toImage();
  QVERIFY(!img.isNull());
  if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
    QVERIFY(img.save(QStringLiteral(QUENCH_SOURCE_DIR "/resources/screenshots/tab-classroom-%1.png").arg(name)));
}
}  // namespace

class TestClassroomPage : public QObject {
  Q_OBJECT
 private slots:
  void workedTableEqualsCli() {
    ClassroomPage page;
    QVERIFY(page.applyPreset(presetIndex(page, "Two parts with saturation")));
    QCOMPARE(page.currentTool(), ClassroomPage::kWorked);
    WV* v = page.workedView();
    QCOMPARE(v->stepRows(), 4);
    // By hand in double, as MATH.md §2's textbook form prescribes (Python floats are the same
    // doubles): 1.2/0.01 = 120 → 120, x̃ = 0.01·120 = 1.2, error 0; −0.55/0.01 = −55 → x̃ −0.55;
    // 0.07/0.02 = 3.5000000000000004 → 4, x̃ = 0.02·4 = 0.08, error 0.009999999999999995;
    // 2.31/0.02 is 115.5 in double, although the exact quotient of the doubles 2.31 and 0.02 is
    // a hair above 115.5: a tie made by the division, marked; half-to-even gives 116 > 7 → code 7,
    // x̃ = 0.02·7 = 0.14, error −2.17, saturated.
    QCOMPARE(v->stepText(0, WV::kX), QStringLiteral("1.2"));
    QCOMPARE(v->stepText(0, WV::kXOverS), QStringLiteral("120"));
    QCOMPARE(v->stepText(0, WV::kCode), QStringLiteral("120"));
    QCOMPARE(v->stepText(0, WV::kDequantized), QStringLiteral("1.2"));
    QCOMPARE(v->stepText(0, WV::kError), QStringLiteral("0"));
    QCOMPARE(v->stepText(1, WV::kCode), QStringLiteral("−55"));
    QCOMPARE(v->stepText(1, WV::kDequantized), QStringLiteral("−0.55"));
    QCOMPARE(v->stepText(1, WV::kError), QStringLiteral("0"));
    QCOMPARE(v->stepText(2, WV::kXOverS), QStringLiteral("3.5000000000000004"));
    QCOMPARE(v->stepText(2, WV::kRounded), QStringLiteral("4"));
    QCOMPARE(v->stepText(2, WV::kDequantized), QStringLiteral("0.08"));
    QCOMPARE(v->stepText(2, WV::kError), QStringLiteral("0.009999999999999995"));
    QCOMPARE(v->stepText(3, WV::kXOverS), QStringLiteral("115.5"));
    QCOMPARE(v->stepText(3, WV::kRounded), QStringLiteral("116  (tie in double ↑)"));
    QCOMPARE(v->stepText(3, WV::kShifted), QStringLiteral("116"));
    QCOMPARE(v->stepText(3, WV::kCode), QStringLiteral("7"));
    QCOMPARE(v->stepText(3, WV::kDequantized), QStringLiteral("0.14"));
    QCOMPARE(v->stepText(3, WV::kError), QStringLiteral("−2.17"));
    QCOMPARE(v->stepText(3, WV::kSaturated), QStringLiteral("yes (> U)"));
    QCOMPARE(v->totalsText(0, 2), QStringLiteral("0.01"));  // s as typed, not 0.0099999998
    QCOMPARE(v->totalsText(2, 7), QStringLiteral("1 of 4"));
    // The same example through the CLI: codes, dequantized values and saturated flags agree.
    const QString cmd = page.workedCliCommand();
    QVERIFY2(cmd.contains(QStringLiteral("--scale 0.01,0.02")), qPrintable(cmd));
    QVERIFY2(cmd.contains(QStringLiteral("--clip=-127:127,-7:7")), qPrintable(cmd));
    auto run = test::runCli({"quantize", "--values", "1.2, -0.55, 0.07, 2.31", "--parts", "0,1;2,3", "--scale",
                             "0.01,0.02", "--clip=-127:127,-7:7", "--round", "even", "--json"});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(run.out).object();
    for (int i = 0; i < 4; ++i) {
      QCOMPARE(qint64(number(v->stepText(i, WV::kCode))), j["codes"].toArray()[i].toInteger());
      QCOMPARE(number(v->stepText(i, WV::kDequantized)), j["dequantized"].toArray()[i].toDouble());
      QCOMPARE(number(v->stepText(i, WV::kXOverS)), j["x_over_s"].toArray()[i].toDouble());
      QCOMPARE(v->stepText(i, WV::kSaturated).startsWith("yes"), j["saturated"].toArray()[i].toBool());
    }
    // Per-part MSE as the CLI reports it.
    QCOMPARE(number(v->totalsText(1, 5)), j["parts"].toArray()[1].toObject()["mse"].toDouble());
    page.resize(1400, 950);
    screenshot(page, "worked");
  }

  void roundingAndProposals() {
    ClassroomPage page;
    // Real ties, marked: 0.25/0.5 = 0.5 → 0 (even) or 1 (away); 1.25/0.5 = 2.5 → 2 or 3.
    page.setWorkedInputs("0.25, 1.25", "", Rounding::HalfEven, {{0.5, 0, -7, 7}});
    QCOMPARE(page.workedView()->stepText(0, WV::kRounded), QStringLiteral("0  (tie ↓)"));
    QCOMPARE(page.workedView()->stepText(1, WV::kRounded), QStringLiteral("2  (tie ↓)"));
    page.setWorkedInputs("0.25, 1.25", "", Rounding::HalfAwayFromZero, {{0.5, 0, -7, 7}});
    QCOMPARE(page.workedView()->stepText(0, WV::kRounded), QStringLiteral("1  (tie ↑)"));
    QCOMPARE(page.workedView()->stepText(1, WV::kRounded), QStringLiteral("3  (tie ↑)"));
    // What looked like a tie broken the wrong way (issue 13: 1.15/0.1 shown as 11.5 → 11) is no
    // tie: x/s is 11.499999999999998 in double, shown as such, and rounds to 11 without a marker.
    page.setWorkedInputs("1.15", "", Rounding::HalfEven, {{0.1, 0, -127, 127}});
    QCOMPARE(page.workedView()->stepText(0, WV::kXOverS), QStringLiteral("11.499999999999998"));
    QCOMPARE(page.workedView()->stepText(0, WV::kRounded), QStringLiteral("11"));
    QCOMPARE(page.workedView()->stepText(0, WV::kDequantized), QStringLiteral("1.1"));
    QCOMPARE(page.workedView()->stepText(0, WV::kError), QStringLiteral("−0.04999999999999982"));
    // absmax per part with M = 7: s = 1.2/7 and 2.31/7 in double; absmax never saturates and
    // the largest |x| of each part lands on ±M.
    page.setWorkedInputs("1.2, -0.55, 0.07, 2.31", "0,1;2,3", Rounding::HalfEven, {{1, 0, -7, 7}, {1, 0, -7, 7}});
    page.proposeAbsmax();
    QCOMPARE(page.workedView()->totalsText(0, 2), QStringLiteral("0.17142857142857143"));  // 1.2/7
    QCOMPARE(page.workedView()->totalsText(1, 2), QStringLiteral("0.33"));                 // 2.31/7
    QCOMPARE(page.workedView()->totalsText(2, 7), QStringLiteral("0 of 4"));
    QCOMPARE(page.workedView()->stepText(0, WV::kCode), QStringLiteral("7"));
    QCOMPARE(page.workedView()->stepText(3, WV::kCode), QStringLiteral("7"));
    // min-max on [0, 255] of (−0.3, 2.2): s = 2.5/255, b = round(0.3/s) = round(30.6) = 31.
    page.setWorkedInputs("-0.3, 2.2, 0.5", "", Rounding::HalfEven, {{1, 0, 0, 255}});
    page.proposeMinMax();
    QCOMPARE(number(page.workedView()->totalsText(0, 2)), 2.5 / 255);
    QCOMPARE(page.workedView()->totalsText(0, 3), QStringLiteral("31"));
    QCOMPARE(page.workedView()->stepText(0, WV::kCode), QStringLiteral("0"));    // −0.3 → min
    QCOMPARE(page.workedView()->stepText(1, WV::kCode), QStringLiteral("255"));  // 2.2 → max
  }

  void workedErrors() {
    ClassroomPage page;
    page.setWorkedInputs("1, x, 3", "", Rounding::HalfEven, {{0.1, 0, -7, 7}});
    QVERIFY2(page.inputError(ClassroomPage::kWorked).contains("'x' is not a number"),
             qPrintable(page.inputError(ClassroomPage::kWorked)));
    QCOMPARE(page.workedView()->stepRows(), 0);
    // Said once: the red note has the error, the view only points to it.
    QVERIFY2(!page.workedView()->message().contains("not a number"), qPrintable(page.workedView()->message()));
    QVERIFY(page.workedView()->message().contains("red note"));
    page.setWorkedInputs("1, 2, 3", "0,1", Rounding::HalfEven, {{0.1, 0, -7, 7}});
    QVERIFY(page.inputError(ClassroomPage::kWorked).startsWith("Parts:"));
    page.setWorkedInputs("1, 2, 3", "", Rounding::HalfEven, {{0, 0, -7, 7}});
    QVERIFY(page.inputError(ClassroomPage::kWorked).contains("s must be a positive number"));
    page.setWorkedInputs("1, 2, 3", "", Rounding::HalfEven, {{0.5, 0, 7, -7}});
    QVERIFY(page.inputError(ClassroomPage::kWorked).contains("L = 7 > U = -7"));
    page.setWorkedInputs("1, 2, 3", "", Rounding::HalfEven, {{0.5, 0, -7, 7}});
    QCOMPARE(page.inputError(ClassroomPage::kWorked), QString());
    QCOMPARE(page.workedView()->stepRows(), 3);
  }

  void klCalculator() {
    ClassroomPage page;
    QVERIFY(page.applyPreset(presetIndex(page, "Coin vs loaded coin (KL/JS)")));
    QCOMPARE(page.currentTool(), ClassroomPage::kDivergence);
    DV* v = page.divergenceView();
    // KL = ½ln2 + ½ln(2/3) nats.
    QUENCH_COMPARE_NEAR(number(v->cellText(2, DV::kKlTerm)), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-5, 0);
    page.setPmfInputs("1/2, 1/2", "1/4, 3/4", false, true);
    QCOMPARE(v->cellText(2, DV::kKlTerm), QStringLiteral("0.207519"));  // 1 − ½log2 3 bits
    QVERIFY(page.applyPreset(presetIndex(page, "q = 0 where p > 0")));
    QCOMPARE(v->cellText(2, DV::kKlTerm), QStringLiteral("∞"));
    QVERIFY(v->summary().contains("because q2 = 0 where p2 = 0.5 > 0"));
    QVERIFY(std::isfinite(number(v->cellText(2, DV::kPmTerm))));
    page.resize(1400, 900);
    screenshot(page, "kl-js");
    // In bits: H-source (½, ¼, ⅛, ⅛) against uniform on 4: KL = 2 − 1.75 = 0.25 bits.
    QVERIFY(page.applyPreset(presetIndex(page, "In bits")));
    QCOMPARE(v->cellText(4, DV::kKlTerm), QStringLiteral("0.25"));
    // Errors: lengths, negative entries, sums (and the normalise box that fixes them).
    page.setPmfInputs("0.5, 0.5", "0.2, 0.3, 0.5", false, false);
    QVERIFY(page.inputError(ClassroomPage::kDivergence).contains("p has 2 entries and q has 3"));
    QCOMPARE(v->rowCount(), 0);
    page.setPmfInputs("0.5, 0.5", "1.5, -0.5", false, false);
    QVERIFY(page.inputError(ClassroomPage::kDivergence).contains("q: entry 1"));
    page.setPmfInputs("1, 1", "1, 3", false, false);
    QVERIFY(page.inputError(ClassroomPage::kDivergence).contains("tick Normalise"));
    page.setPmfInputs("1, 1", "1, 3", true, false);
    QCOMPARE(page.inputError(ClassroomPage::kDivergence), QString());
    QCOMPARE(v->cellText(1, DV::kQ), QStringLiteral("0.75"));
  }

  void explicitLm() {
    ClassroomPage page;
    QVERIFY(page.applyPreset(presetIndex(page, "Coin vs loaded coin (explicit LM)")));
    QCOMPARE(page.currentTool(), ClassroomPage::kExplicitLm);
    page.setLmSettings(4, 2000, 3);
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    LV* v = page.lmView();
    // Fair coin P vs Q = (0.7, 0.3), i.i.d.: each position adds ½ln(0.5/0.7) + ½ln(0.5/0.3) =
    // ½ln(25/21); joint over n = 4 is 2 ln(25/21). Every sampled sequence has the same per-token
    // KL, so the running estimate is exact at every point.
    const double term = 0.5 * std::log(25.0 / 21.0);
    QCOMPARE(v->rowCount(), 6);
    for (int i = 0; i < 4; ++i) QUENCH_COMPARE_NEAR(number(v->cellText(i, LV::kKlTerm)), term, 1e-5, 0);
    QUENCH_COMPARE_NEAR(number(v->cellText(5, LV::kKlTerm)), 2 * std::log(25.0 / 21.0), 1e-9, 0);
    QCOMPARE(v->estimateGraph()->data()->size() > 10, true);
    QCOMPARE(v->estimateGraph()->data()->at(v->estimateGraph()->data()->size() - 1)->key, 2000.0);
    QUENCH_COMPARE_NEAR(v->estimateGraph()->data()->at(5)->value, term, 1e-12, 0);
    QUENCH_COMPARE_NEAR(v->exactGraph()->data()->at(0)->value, term, 1e-12, 0);

    // Bigram where Q changes only after A: positions 2..n each add ½·KL((½,½)‖(¾,¼)) = ¼ln(4/3).
    QVERIFY(page.applyPreset(presetIndex(page, "Bigram: Q changes after A")));
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    QCOMPARE(v->rowCount(), 5);  // n = 3
    QUENCH_COMPARE_NEAR(number(v->cellText(0, LV::kKlTerm)), 0.0, 0, 1e-12);
    QUENCH_COMPARE_NEAR(number(v->cellText(1, LV::kKlTerm)), 0.25 * std::log(4.0 / 3.0), 1e-5, 0);
    QUENCH_COMPARE_NEAR(number(v->cellText(4, LV::kKlTerm)), 0.5 * std::log(4.0 / 3.0), 1e-9, 0);
    QCOMPARE(v->cellText(3, LV::kKlTerm), v->cellText(4, LV::kKlTerm));  // chain Σ = joint
    page.resize(1500, 950);
    screenshot(page, "explicit-lm");

    // A row that does not sum to 1 is refused with the core's message, shown under the editor.
    page.lmEditor()->setProbability(widgets::ExplicitLmEditor::kP, "A", 0, 0.9);
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    QVERIFY2(page.inputError(ClassroomPage::kExplicitLm).contains("sum"),
             qPrintable(page.inputError(ClassroomPage::kExplicitLm)));
  }

  // The first-start explicit LM: P starts in B (P(A) = 0.1) and drifts into A (π_A(t+1) = 0.3 +
  // 0.6·π_A(t): 0.1, 0.36, 0.516, 0.6096, 0.66576); Q is fair after A and equals P elsewhere, so
  // position 1 adds KL((0.1, 0.9)‖(½, ½)) = c and position i ≥ 2 adds π_A(i−1)·c with
  // c = 0.9 ln 1.8 + 0.1 ln 0.2. The terms differ by position, and the sampled estimate moves.
  void defaultLmPresetTeaches() {
    ClassroomPage page;
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    LV* v = page.lmView();
    const double c = 0.9 * std::log(1.8) + 0.1 * std::log(0.2);
    const double weights[] = {1.0, 0.1, 0.36, 0.516, 0.6096, 0.66576};
    QCOMPARE(v->rowCount(), 8);  // n = 6 terms, Σ, joint
    double sum = 0;
    for (int i = 0; i < 6; ++i) {
      QUENCH_COMPARE_NEAR(number(v->cellText(i, LV::kKlTerm)), weights[i] * c, 1e-5, 0);
      if (i > 0) QVERIFY(std::fabs(number(v->cellText(i, LV::kKlTerm)) - number(v->cellText(i - 1, LV::kKlTerm))) > 0.02);
      sum += weights[i] * c;
    }
    QUENCH_COMPARE_NEAR(number(v->cellText(7, LV::kKlTerm)), sum, 1e-9, 0);
    // The running estimate is not a flat line: it moves by more than 1 % of the exact per-token
    // value between its points and ends within 5 % of it.
    const auto* est = v->estimateGraph()->data().data();
    QVERIFY(est->size() > 10);
    double lo = est->at(0)->value, hi = lo;
    for (int i = 0; i < est->size(); ++i) {
      lo = std::min(lo, est->at(i)->value);
      hi = std::max(hi, est->at(i)->value);
    }
    QVERIFY2(hi - lo > 0.01 * sum / 6, qPrintable(QStringLiteral("%1 .. %2").arg(lo).arg(hi)));
    QUENCH_COMPARE_NEAR(est->at(est->size() - 1)->value, sum / 6, 0.05, 0);
  }

  // Editing the Parts field keeps each part's own s, b, L, U: dropping part 1 and typing it back
  // gives part 1 its parameters, not a copy of part 0's.
  void partsEditKeepsParameters() {
    ClassroomPage page;
    page.setWorkedInputs("1.2, -0.55, 0.07, 2.31", "0,1;2,3", Rounding::HalfEven,
                         {{0.01, 0, -127, 127}, {0.02, 1, -7, 7}});
    auto* parts = page.findChild<QLineEdit*>(QStringLiteral("workedParts"));
    QVERIFY(parts);
    parts->setFocus();
    parts->setText(QStringLiteral("0,1,2,3"));  // one part
    QCOMPARE(page.workedView()->totalsRows(), 2);
    parts->setText(QStringLiteral("0,1;2,3"));
    QCOMPARE(page.workedView()->totalsText(1, 2), QStringLiteral("0.02"));
    QCOMPARE(page.workedView()->totalsText(1, 3), QStringLiteral("1"));
    QCOMPARE(page.workedView()->totalsText(1, 4), QStringLiteral("[−7, 7]"));
    QCOMPARE(page.workedView()->totalsText(0, 2), QStringLiteral("0.01"));
    // A third part never seen before copies the last row.
    parts->setText(QStringLiteral("0,1;2;3"));
    QCOMPARE(page.workedView()->totalsText(2, 2), QStringLiteral("0.02"));
  }

  // Undo/redo of the Classroom's inputs: each field is one step (typing merges), a preset is a
  // step, and the Example combo says "Custom" once the preset's inputs were changed.
  void undoRedo() {
    ClassroomPage page;
    QUndoStack* undo = page.undoStack();
    QCOMPARE(undo->count(), 0);
    QVERIFY(page.applyPreset(presetIndex(page, "Ties: round half to even")));
    QCOMPARE(undo->count(), 1);
    QCOMPARE(undo->text(0), QStringLiteral("Load example “Ties: round half to even”"));
    QVERIFY(page.applyPreset(presetIndex(page, "Two parts with saturation")));
    QCOMPARE(page.exampleText(), QStringLiteral("Two parts with saturation (s typed by hand)"));
    QCOMPARE(undo->count(), 2);
    auto* rounding = page.findChild<QComboBox*>(QStringLiteral("workedRounding"));
    auto* values = page.findChild<QLineEdit*>(QStringLiteral("workedValues"));
    auto* params = page.findChild<QTableWidget*>(QStringLiteral("workedParams"));
    QVERIFY(rounding && values && params);
    rounding->setCurrentIndex(1);  // half away from zero
    QCOMPARE(page.exampleText(), QStringLiteral("Custom (edited)"));
    values->setText(QStringLiteral("1.2, -0.55, 0.07, 2"));
    values->setText(QStringLiteral("1.2, -0.55, 0.07, 2.5"));  // same field, at once: one step
    params->item(1, 0)->setText(QStringLiteral("0.5"));          // part 1: s = 0.5
    QCOMPARE(undo->count(), 5);
    // 2.5/0.5 = 5 exactly, in [−7, 7]: code 5.
    QCOMPARE(page.workedView()->stepText(3, WV::kCode), QStringLiteral("5"));
    undo->undo();  // s back to 0.02: 2.5/0.02 = 125 → 7, saturated
    QCOMPARE(page.workedView()->totalsText(1, 2), QStringLiteral("0.02"));
    QCOMPARE(page.workedView()->stepText(3, WV::kCode), QStringLiteral("7"));
    undo->undo();  // the values
    QCOMPARE(values->text(), QStringLiteral("1.2, -0.55, 0.07, 2.31"));
    QCOMPARE(page.workedView()->stepText(3, WV::kX), QStringLiteral("2.31"));
    undo->undo();  // the rounding
    QCOMPARE(rounding->currentIndex(), 0);
    undo->redo();
    QCOMPARE(rounding->currentIndex(), 1);
    undo->redo();
    undo->redo();
    QCOMPARE(page.workedView()->stepText(3, WV::kCode), QStringLiteral("5"));
    QVERIFY(!undo->canRedo());
    // A new edit after an undo drops the redo branch.
    undo->undo();
    page.setPmfInputs("1/2, 1/2", "1/4, 3/4", false, false);  // programmatic: not a user edit
    QCOMPARE(undo->count(), 5);
    values->setText(QStringLiteral("1"));
    QCOMPARE(undo->count(), 5);  // the undone step was replaced
    QVERIFY(!undo->canRedo());
  }

  void newestRequestWins() {
    ClassroomPage page;
    QVERIFY(page.applyPreset(presetIndex(page, "Sticky Markov chain")));
    // Several quick changes: only the last settings' result is shown.
    page.setLmSettings(6, 200000, 1);
    page.setLmSettings(5, 100000, 2);
    page.setLmSettings(2, 500, 3);
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 60000);
    // n = 2, sticky P (0.9 stay) vs fair Q: position 1 adds 0, position 2 adds
    // KL((0.9, 0.1)‖(½, ½)) = 0.9ln1.8 + 0.1ln0.2.
    QCOMPARE(page.lmView()->rowCount(), 4);
    QUENCH_COMPARE_NEAR(number(page.lmView()->cellText(3, LV::kKlTerm)), 0.9 * std::log(1.8) + 0.1 * std::log(0.2),
                        1e-9, 0);
    QCOMPARE(page.lmView()->estimateGraph()->data()->at(page.lmView()->estimateGraph()->data()->size() - 1)->key,
             500.0);
  }

  void presentationMode() {
    ClassroomPage page;
    page.resize(1920, 1080);
    const double table = page.workedView()->stepWidget()->font().pointSizeF();
    const double axis = page.workedView()->plot()->xAxis->labelFont().pointSizeF();
    QSignalSpy spy(&page, &ClassroomPage::presentationRequested);
    page.setPresentation(true);
    QVERIFY(page.presentation());
    QVERIFY(qAbs(page.workedView()->stepWidget()->font().pointSizeF() / table - 1.6) < 0.01);
    QVERIFY(qAbs(page.workedView()->plot()->xAxis->labelFont().pointSizeF() / axis - 1.6) < 0.01);
    QVERIFY(page.divergenceView()->presentation());
    QVERIFY(page.lmView()->presentation());
    QCOMPARE(spy.count(), 0);  // programmatic, not a user toggle
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    for (auto [tool, name] : {std::pair{ClassroomPage::kWorked, "worked-presentation"},
                              std::pair{ClassroomPage::kDivergence, "kl-js-presentation"},
                              std::pair{ClassroomPage::kExplicitLm, "explicit-lm-presentation"}}) {
      page.setCurrentTool(tool);
      screenshot(page, name);
    }
    page.setPresentation(false);
    QVERIFY(qAbs(page.workedView()->stepWidget()->font().pointSizeF() - table) < 0.01);
  }

  void exports() {
    ClassroomPage page;
    QTemporaryDir dir;
    QVERIFY(page.applyPreset(presetIndex(page, "Two parts with saturation")));
    for (const char* f : {"w.png", "w.svg", "w.pdf"}) {
      QCOMPARE(page.exportFigure(dir.filePath(f)), QString());
      QVERIFY(QFileInfo(dir.filePath(f)).size() > 1000);
    }
    QVERIFY(page.exportFigure(dir.filePath("w.gif")).contains("unknown figure format"));
    QCOMPARE(page.exportTable(dir.filePath("w.csv")), QString());
    QFile csv(dir.filePath("w.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split("\r\n");
    QCOMPARE(lines.at(0), QStringLiteral("i,part,x,x / s,round(x / s),+ b,\"code n = clip[L, U]\",x̃ = s(n − b),"
                                         "error x̃ − x,saturated?"));
    QCOMPARE(lines.at(4), QStringLiteral("3,1,2.31,115.5,116  (tie in double ↑),116,7,0.14,−2.17,yes (> U)"));
    QVERIFY(lines.contains(QStringLiteral("part,elements,s,b,\"[L, U]\",MSE,max |error|,saturated")));
    QCOMPARE(page.exportTable(dir.filePath("w.tex")), QString());
    QFile tex(dir.filePath("w.tex"));
    QVERIFY(tex.open(QIODevice::ReadOnly));
    const QString t = QString::fromUtf8(tex.readAll());
    QVERIFY(t.startsWith("\\begin{tabular}{lrrrrrrrrr}"));
    QVERIFY(t.contains("$\\tilde{x}$ = s(n $-$ b)"));
    page.setCurrentTool(ClassroomPage::kDivergence);
    QCOMPARE(page.exportTable(dir.filePath("kl.md")), QString());
    QFile md(dir.filePath("kl.md"));
    QVERIFY(md.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(md.readAll()).startsWith("| i | p_i | q_i | p ln(p/q) |"));
    QVERIFY(page.exportTable(dir.filePath("kl.xls")).contains("unknown table format"));
  }

  void sessionState() {
    QJsonObject state;
    {
      ClassroomPage page;
      page.setWorkedInputs("0.5, -1, 2", "0;1,2", Rounding::TowardZero, {{0.25, 0, -7, 7}, {0.5, 1, 0, 15}});
      page.setPmfInputs("1, 3", "1, 1", true, true);
      QVERIFY(page.applyPreset(presetIndex(page, "Bigram: Q changes after A")));
      page.setLmSettings(3, 777, 9);
      page.setCurrentTool(ClassroomPage::kDivergence);
      state = page.saveState();
      QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    }
    // Through JSON text, as a session file would carry it.
    state = QJsonDocument::fromJson(QJsonDocument(state).toJson()).object();
    ClassroomPage page;
    page.restoreState(state);
    QTRY_VERIFY_WITH_TIMEOUT(!page.lmBusy(), 30000);
    QCOMPARE(page.currentTool(), ClassroomPage::kDivergence);
    QCOMPARE(page.workedView()->stepRows(), 3);
    QCOMPARE(page.workedView()->totalsText(1, 3), QStringLiteral("1"));
    QCOMPARE(page.workedView()->stepText(0, WV::kCode), QStringLiteral("2"));  // 0.5 / 0.25
    QCOMPARE(page.workedView()->stepText(2, WV::kRounded), QStringLiteral("4"));
    QCOMPARE(page.divergenceView()->cellText(0, DV::kP), QStringLiteral("0.25"));  // normalised (1, 3)
    QVERIFY(page.divergenceView()->summary().contains("bits"));
    QCOMPARE(page.lmEditor()->probability(widgets::ExplicitLmEditor::kQ, "A", 0), 0.75);
    QCOMPARE(page.lmView()->rowCount(), 5);
    QCOMPARE(page.lmView()->estimateGraph()->data()->at(page.lmView()->estimateGraph()->data()->size() - 1)->key, 777.0);
    QCOMPARE(page.saveState(), state);
  }
};

QTEST_MAIN(TestClassroomPage)
#include "test_classroom_page.moc"
