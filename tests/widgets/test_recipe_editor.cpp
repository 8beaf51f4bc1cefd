// RecipeEditor: the Recipe dock driven as a user would (offscreen): the fields each method shows,
// typing s/b/M into the parts table (through the real delegate), red notes for invalid input with
// nothing emitted, undo/redo restoring the exact MethodParams, slider runs merging into one undo
// step, and a 4096-part table that stays fast and filters "sat>0" to exactly the saturated parts.
// The parts come from the real integer quantizer (core), never from the editor.
#include <QtTest/QtTest>

#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <QUndoStack>
#include <algorithm>
#include <cmath>
#include <random>

#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/quant/float_format.h"
#include "core/quant/float_method.h"
#include "core/quant/integer.h"
#include "core/quant/integer_method.h"
#include "core/quant/partition.h"
#include "core/quant/prune_method.h"
#include "core/recipe/recipe.h"
#include "widgets/parts_table_model.h"
#include "widgets/recipe_editor.h"

using quench::IntSettings;
using quench::MethodParams;
using quench::PartOverride;
using quench::PartParams;
using quench::PartReport;
using quench::widgets::PartsTableModel;
using quench::widgets::RecipeEditor;

Q_DECLARE_METATYPE(quench::MethodParams)

namespace {

// 3 rows × 4: per-row absmax 1.27, 2.54, 0.127 → 8-bit symmetric s = absmax / 127 = 0.01, 0.02,
// 0.001 (by hand).
const std::vector<float> kSmall{1.27f, -0.5f, 0.25f, 0.0f, -2.54f, 1.0f, 2.0f, 0.5f, 0.127f, -0.1f, 0.05f, 0.0f};

struct Quantized {
  std::vector<PartReport> used;
  std::vector<PartParams> proposed;
};

// What the window does: quantize with the editor's parameters, and calibrate once more without
// the overrides for the proposal column.
Quantized quantize(const std::vector<float>& x, std::vector<std::int64_t> shape, const MethodParams& params) {
  const IntSettings& p = params.as<IntSettings>();
  auto part = quench::Partition::fromSpec(p.partition.text, shape);
  if (!part) qFatal("%s", part.error().message.c_str());
  quench::IntegerParams ip;
  ip.bits = p.bits;
  ip.symmetric = p.symmetric;
  ip.calibration = p.calibration;
  ip.rounding = p.rounding;
  ip.scaleFormat = p.scaleFormat;
  ip.overrides = p.overrides;
  auto r = quench::quantizeInteger(x, *part, ip);
  if (!r) qFatal("%s", r.error().message.c_str());
  ip.overrides.clear();
  auto prop = quench::integerPartParams(x, *part, ip);
  if (!prop) qFatal("%s", prop.error().message.c_str());
  return {std::move(r->parts), std::move(*prop)};
}

void activate(QComboBox* c, const QString& key) {
  const int i = c->findData(key);
  QVERIFY2(i >= 0, qPrintable(key));
  c->setCurrentIndex(i);
  emit c->activated(i);
}

// Types `text` into cell (part, column) through the view's delegate and presses Return.
void typeInto(RecipeEditor& ed, int part, int column, const QString& text) {
  QTableView* v = ed.partsView();
  const QModelIndex idx = ed.partsProxy()->mapFromSource(ed.partsModel()->index(part, column));
  QVERIFY(idx.isValid());
  v->setCurrentIndex(idx);
  v->edit(idx);
  auto* le = qobject_cast<QLineEdit*>(v->indexWidget(idx));  // the open editor of this cell
  QVERIFY(le);
  le->setText(text);
  QTest::keyClick(le, Qt::Key_Return);
  QCoreApplication::processEvents();
  QVERIFY(!v->indexWidget(idx));  // Return committed and closed it
}

MethodParams lastEmitted(const QSignalSpy& spy) { return spy.back().at(0).value<MethodParams>(); }

}  // namespace

class TestRecipeEditor : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { qRegisterMetaType<MethodParams>(); }

  void fieldsOfEachMethod_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<QStringList>("shown");
    QTest::newRow("int") << "int"
                         << QStringList{"method", "bits", "symmetric", "partition", "calib", "round", "scale_format",
                                        "arithmetic", "aware", "parts"};
    QTest::newRow("float") << "float" << QStringList{"method", "format", "round", "block", "mx_block"};
    QTest::newRow("nf4") << "nf4" << QStringList{"method", "block", "codebook_block", "double_quant"};
    QTest::newRow("fp4") << "fp4" << QStringList{"method", "block", "codebook_block", "double_quant"};
    QTest::newRow("prune") << "prune" << QStringList{"method", "sparsity", "prune_partition"};
    QTest::newRow("llm-int8") << "llm-int8" << QStringList{"method", "threshold"};
  }
  void fieldsOfEachMethod() {
    QFETCH(QString, method);
    QFETCH(QStringList, shown);
    const QStringList all{"method",   "bits",       "symmetric",      "partition",    "calib",
                          "round",    "scale_format", "format",       "mx_block",     "codebook_block",
                          "block",    "double_quant", "sparsity",     "prune_partition", "threshold",
                          "arithmetic", "aware",        "damp",       "act_order",    "alpha",           "seed"};
    RecipeEditor ed;
    ed.show();
    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);
    if (method != QLatin1String("int")) {
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), method);
      QCOMPARE(changed.size(), 1);
      // Switching method gives that method's defaults (MATH.md / recipe.h), which the core accepts.
      QCOMPARE(ed.params(), MethodParams::defaults(method.toStdString()));
    }
    for (const QString& f : all) {
      QVERIFY2(ed.isFieldVisible(f) == shown.contains(f), qPrintable(method + ": " + f));
      if (shown.contains(f)) QVERIFY2(!ed.fieldWidget(f)->toolTip().isEmpty() || f == "parts", qPrintable(f));
    }
    // Sub-fields appear only with their choice: G with group, P with percentile, E/M with custom.
    if (method == QLatin1String("int")) {
      QVERIFY(!ed.isFieldVisible("group"));
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("partition")), "group");
      QVERIFY(ed.isFieldVisible("group"));
      QVERIFY(ed.isFieldVisible("group_axis"));
      QCOMPARE(ed.params().as<IntSettings>().partition.text, std::string("group:128"));
      QVERIFY(!ed.isFieldVisible("percentile"));
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("calib")), "percentile");
      QVERIFY(ed.isFieldVisible("percentile"));
      QCOMPARE(quench::calibrationSpec(ed.params().as<IntSettings>().calibration), std::string("percentile:99.9"));
      // The aware step's own keys appear with it (MATH.md §13): damp and act-order with gptq, α with awq.
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("aware")), "gptq");
      QCOMPARE(ed.params().as<IntSettings>().aware, quench::AwareMethod::Gptq);
      QVERIFY(ed.isFieldVisible("damp") && ed.isFieldVisible("act_order") && !ed.isFieldVisible("alpha"));
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("aware")), "awq");
      QVERIFY(!ed.isFieldVisible("damp") && ed.isFieldVisible("alpha"));
    }
    if (method == QLatin1String("float")) {
      QVERIFY(!ed.isFieldVisible("format_custom"));
      activate(qobject_cast<QComboBox*>(ed.fieldWidget("format")), "custom");
      QVERIFY(ed.isFieldVisible("format_custom"));
    }
  }

  void methodSwitchRemembersSettings() {
    RecipeEditor ed;
    ed.show();
    auto* bits = qobject_cast<QSpinBox*>(ed.fieldWidget("bits"));
    bits->setValue(4);
    QCOMPARE(ed.params().as<IntSettings>().bits, 4);
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "nf4");
    QCOMPARE(std::string(ed.params().name()), std::string("nf4"));
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "int");
    QCOMPARE(ed.params().as<IntSettings>().bits, 4);
  }

  void typedOverridesReachParams() {
    RecipeEditor ed;
    ed.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ed));
    MethodParams p = MethodParams::defaults("int");  // 8-bit symmetric absmax, per row
    ed.setParams(p);
    ed.setTensorInfo("small", {3, 4});
    const Quantized q = quantize(kSmall, {3, 4}, p);
    ed.setParts(q.used, q.proposed);
    // The calibrator's proposal is shown: s = absmax / 127 per row.
    const PartsTableModel* m = ed.partsModel();
    QCOMPARE(m->index(0, PartsTableModel::kScaleCal).data().toString(), QStringLiteral("0.01"));
    QCOMPARE(m->index(1, PartsTableModel::kScaleCal).data().toString(), QStringLiteral("0.02"));
    QCOMPARE(m->index(2, PartsTableModel::kScaleCal).data().toString(), QStringLiteral("0.001"));
    QCOMPARE(m->index(1, PartsTableModel::kClipCal).data().toString(), QStringLiteral("127"));

    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);
    typeInto(ed, 1, PartsTableModel::kScale, "0.05");
    QCOMPARE(changed.size(), 1);
    PartOverride want;
    want.scale = 0.05;
    QCOMPARE(lastEmitted(changed).as<IntSettings>().overrides, (std::map<std::size_t, PartOverride>{{1, want}}));
    typeInto(ed, 1, PartsTableModel::kZero, "-2");
    want.zeroPoint = -2;
    QCOMPARE(lastEmitted(changed).as<IntSettings>().overrides, (std::map<std::size_t, PartOverride>{{1, want}}));
    typeInto(ed, 1, PartsTableModel::kClip, "100");
    want.clipLow = -100;
    want.clipHigh = 100;
    QCOMPARE(changed.size(), 3);
    QCOMPARE(lastEmitted(changed).as<IntSettings>().overrides, (std::map<std::size_t, PartOverride>{{1, want}}));
    QCOMPARE(ed.params(), lastEmitted(changed));
    QCOMPARE(ed.errorText("overrides"), QString());

    // The core accepts what the editor produced, and uses it: part 1 gets s = 0.05, b = −2,
    // [L, U] = [−100, 100]; −2.54/0.05 = −50.8 → −51 − 2 = −53 (not saturated). The others keep
    // the calibrator's proposal.
    const Quantized after = quantize(kSmall, {3, 4}, ed.params());
    QCOMPARE(after.used[1].params.scale, static_cast<double>(0.05f));  // stored as fp32
    QCOMPARE(after.used[1].params.zeroPoint, std::int64_t{-2});
    QCOMPARE(after.used[1].params.clipHigh, std::int64_t{100});
    QCOMPARE(after.used[0].params, q.used[0].params);
    ed.setParts(after.used, after.proposed);
    QVERIFY(m->index(1, PartsTableModel::kScale).data(PartsTableModel::kOverriddenRole).toBool());
    QCOMPARE(m->index(1, PartsTableModel::kScaleCal).data().toString(), QStringLiteral("0.02"));  // proposal kept

    // The same recipe on a tensor with only 1 row: part 1 does not exist there; the note says so.
    ed.setTensorInfo("one row", {1, 4});
    QVERIFY(ed.errorText("overrides").contains(QStringLiteral("part 1")));
    ed.setTensorInfo("small", {3, 4});

    // Opening a cell and leaving it unchanged is not an edit.
    typeInto(ed, 0, PartsTableModel::kScale, m->index(0, PartsTableModel::kScale).data(Qt::EditRole).toString());
    QCOMPARE(changed.size(), 3);
  }

  void invalidInputShowsNoteAndEmitsNothing() {
    RecipeEditor ed;
    ed.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ed));
    const MethodParams p = MethodParams::defaults("int");
    ed.setParams(p);
    const Quantized q = quantize(kSmall, {3, 4}, p);
    ed.setParts(q.used, q.proposed);
    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);
    for (const QString& bad : {QStringLiteral("0"), QStringLiteral("-1"), QStringLiteral("abc")}) {
      typeInto(ed, 2, PartsTableModel::kScale, bad);
      QVERIFY2(ed.errorText("overrides").contains(QStringLiteral("s must be a positive finite number")),
               qPrintable(ed.errorText("overrides")));
      QVERIFY(ed.errorText("overrides").contains(bad));
    }
    typeInto(ed, 2, PartsTableModel::kClip, "128");  // 8 bits: M ≤ 127
    QVERIFY(ed.errorText("overrides").contains(QStringLiteral("[1, 127]")));
    typeInto(ed, 2, PartsTableModel::kZero, "0.5");
    QVERIFY(ed.errorText("overrides").contains(QStringLiteral("b must be an integer")));
    QCOMPARE(changed.size(), 0);
    QCOMPARE(ed.params(), p);
    QCOMPARE(ed.undoStack()->count(), 0);
    // A valid edit clears the note.
    typeInto(ed, 2, PartsTableModel::kScale, "0.002");
    QCOMPARE(changed.size(), 1);
    QCOMPARE(ed.errorText("overrides"), QString());

    // Fields: bits 12, percentile 0 and 101, E9M2, N:M 5:4, fraction 1.5 → notes, nothing emitted.
    changed.clear();
    const MethodParams before = ed.params();
    qobject_cast<QSpinBox*>(ed.fieldWidget("bits"))->setValue(12);
    QVERIFY(ed.errorText("bits").contains(QStringLiteral("2..8 or 16")));
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("calib")), "percentile");
    QCOMPARE(changed.size(), 1);  // percentile:99.9 is valid
    auto* pct = qobject_cast<QLineEdit*>(ed.fieldWidget("percentile"));
    for (const QString& bad : {QStringLiteral("0"), QStringLiteral("101"), QStringLiteral("x")}) {
      pct->setText(bad);
      emit pct->editingFinished();
      QVERIFY(ed.errorText("calib").contains(QStringLiteral("(0, 100]")));
    }
    QCOMPARE(changed.size(), 1);
    pct->setText("99.5");
    emit pct->editingFinished();
    QCOMPARE(changed.size(), 2);
    QCOMPARE(ed.params().as<IntSettings>().calibration.percentile, 99.5);
    QCOMPARE(ed.errorText("calib"), QString());
    ed.undoStack()->undo();
    ed.undoStack()->undo();
    QCOMPARE(ed.params(), before);

    changed.clear();
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "float");
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("format")), "custom");
    auto* e = qobject_cast<QSpinBox*>(ed.fieldWidget("format_custom"));
    const int emitted = static_cast<int>(changed.size());
    e->setValue(9);
    QVERIFY(!ed.errorText("format").isEmpty());
    QCOMPARE(changed.size(), emitted);
    QVERIFY(static_cast<bool>(quench::parseFloatFormat(ed.params().as<quench::FloatSettings>().format.text)));

    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "prune");
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("sparsity")), "nm");
    QCOMPARE(ed.params().as<quench::PruneSettings>().sparsity.spec(), std::string("2:4"));
    const int emitted2 = static_cast<int>(changed.size());
    const auto n = ed.findChildren<QSpinBox*>();
    QSpinBox* nSpin = nullptr;
    for (QSpinBox* s : n)
      if (s->prefix() == QLatin1String("N ")) nSpin = s;
    QVERIFY(nSpin);
    nSpin->setValue(5);
    QVERIFY(ed.errorText("sparsity").contains(QStringLiteral("1 ≤ N ≤ M")));
    QCOMPARE(changed.size(), emitted2);
    QCOMPARE(ed.params().as<quench::PruneSettings>().sparsity.spec(), std::string("2:4"));
  }

  // llama.cpp's code arithmetic: editable, one undo step, refused on the asymmetric grid and
  // reset to exact when the grid becomes asymmetric.
  void arithmeticField() {
    RecipeEditor ed;
    ed.show();
    auto* arith = qobject_cast<QComboBox*>(ed.fieldWidget("arithmetic"));
    QVERIFY(arith);
    QCOMPARE(arith->currentData().toString(), QStringLiteral("exact"));
    activate(arith, "ggml");
    QCOMPARE(ed.params().as<IntSettings>().arithmetic, quench::CodeArithmetic::Ggml);
    // The recipe JSON carries it (and reads back the same).
    const std::string json = quench::recipeToJson(quench::Recipe{{quench::RecipeRule{"*", ed.params()}}});
    QVERIFY(json.find("\"arithmetic\": \"ggml\"") != std::string::npos);
    QCOMPARE(quench::recipeFromJson(json)->rules.at(0).params, ed.params());
    ed.undoStack()->undo();
    QCOMPARE(ed.params().as<IntSettings>().arithmetic, quench::CodeArithmetic::Exact);
    QCOMPARE(arith->currentData().toString(), QStringLiteral("exact"));
    ed.undoStack()->redo();
    QCOMPARE(ed.params().as<IntSettings>().arithmetic, quench::CodeArithmetic::Ggml);
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("symmetric")), "asym");
    QVERIFY(!ed.params().as<IntSettings>().symmetric);
    QCOMPARE(ed.params().as<IntSettings>().arithmetic, quench::CodeArithmetic::Exact);
    QCOMPARE(arith->currentData().toString(), QStringLiteral("exact"));
    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);
    activate(arith, "ggml");
    QCOMPARE(changed.size(), 0);
    QVERIFY(ed.errorText("arithmetic").contains(QStringLiteral("symmetric grid")));
    QCOMPARE(ed.params().as<IntSettings>().arithmetic, quench::CodeArithmetic::Exact);
  }

  void undoRedoRoundTrip() {
    RecipeEditor ed;
    ed.show();
    const MethodParams p0 = MethodParams::defaults("int");
    ed.setParams(p0);
    ed.setTensorInfo("small", {3, 4});
    ed.setParts(quantize(kSmall, {3, 4}, p0).used, {});
    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);

    std::vector<MethodParams> states{ed.params()};
    typeInto(ed, 0, PartsTableModel::kScale, "0.011");
    states.push_back(ed.params());
    qobject_cast<QSpinBox*>(ed.fieldWidget("bits"))->setValue(6);
    states.push_back(ed.params());
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("round")), "away");
    states.push_back(ed.params());
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("partition")), "column");  // clears the overrides
    states.push_back(ed.params());
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("symmetric")), "asym");
    states.push_back(ed.params());
    QCOMPARE(ed.undoStack()->count(), 5);
    QCOMPARE(states[1].as<IntSettings>().overrides.size(), std::size_t{1});
    QCOMPARE(states[2].as<IntSettings>().bits, 6);
    QCOMPARE(states[2].as<IntSettings>().overrides, states[1].as<IntSettings>().overrides);  // a scale survives a bits change
    QCOMPARE(states[3].as<IntSettings>().rounding, quench::Rounding::HalfAwayFromZero);
    QVERIFY(states[4].as<IntSettings>().overrides.empty());
    QCOMPARE(states[4].as<IntSettings>().partition.text, std::string("column"));
    QVERIFY(!states[5].as<IntSettings>().symmetric);
    QCOMPARE(changed.size(), 5);

    for (int i = 4; i >= 0; --i) {
      ed.undoStack()->undo();
      QCOMPARE(ed.params(), states[static_cast<std::size_t>(i)]);
      QCOMPARE(lastEmitted(changed), states[static_cast<std::size_t>(i)]);
    }
    // The fields show the restored state too.
    QCOMPARE(qobject_cast<QSpinBox*>(ed.fieldWidget("bits"))->value(), 8);
    QCOMPARE(qobject_cast<QComboBox*>(ed.fieldWidget("partition"))->currentData().toString(), QStringLiteral("row"));
    for (std::size_t i = 1; i <= 5; ++i) {
      ed.undoStack()->redo();
      QCOMPARE(ed.params(), states[i]);
      QCOMPARE(lastEmitted(changed), states[i]);
    }
    QCOMPARE(changed.size(), 15);
  }

  // A value typed outside the spin box's range is not reverted silently: the core's refusal is
  // the red note under the field, and the recipe keeps its value.
  void outOfRangeTypedValueShowsNote() {
    RecipeEditor ed;
    ed.show();
    auto* bits = qobject_cast<QSpinBox*>(ed.fieldWidget("bits"));
    QVERIFY(bits);
    const int before = ed.params().as<IntSettings>().bits;
    bits->setFocus();
    bits->selectAll();
    QTest::keyClicks(bits, "0");
    QTest::keyClick(bits, Qt::Key_Return);
    QVERIFY2(!ed.errorText("bits").isEmpty(), "no note for bits 0");
    QVERIFY2(ed.errorText("bits").contains("bits"), qPrintable(ed.errorText("bits")));
    QCOMPARE(ed.params().as<IntSettings>().bits, before);
    QCOMPARE(ed.undoStack()->count(), 0);
    // A valid value clears the note.
    bits->selectAll();
    QTest::keyClicks(bits, "6");
    QTest::keyClick(bits, Qt::Key_Return);
    QCOMPARE(ed.errorText("bits"), QString());
    QCOMPARE(ed.params().as<IntSettings>().bits, 6);
  }

  void sliderRunIsOneUndoStep() {
    RecipeEditor ed;
    ed.show();
    const MethodParams p0 = MethodParams::defaults("int");
    ed.setParams(p0);
    const Quantized q = quantize(kSmall, {3, 4}, p0);
    ed.setParts(q.used, q.proposed);
    QSignalSpy selected(&ed, &RecipeEditor::partSelected);
    ed.selectPart(1);
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.back().at(0).toInt(), 1);
    QSlider* s = ed.scaleSlider();
    QCOMPARE(s->value(), 200);  // the middle is the proposal, s = 0.02
    QSignalSpy changed(&ed, &RecipeEditor::paramsChanged);
    s->setSliderDown(true);
    for (int v : {210, 230, 250, 270}) s->setValue(v);
    s->setSliderDown(false);
    QCOMPARE(changed.size(), 4);  // every move is shown live
    QCOMPARE(ed.undoStack()->count(), 1);
    // 100 steps per decade: 70 steps above the middle is s = 0.02·10^0.7.
    QUENCH_COMPARE_NEAR(*ed.params().as<IntSettings>().overrides.at(1).scale, static_cast<double>(q.proposed[1].scale) * std::pow(10.0, 0.7),
                        1e-12, 0);
    // A second drag is a second step; undo takes back one drag at a time.
    const MethodParams afterFirst = ed.params();
    s->setSliderDown(true);
    for (int v : {260, 240}) s->setValue(v);
    s->setSliderDown(false);
    QCOMPARE(ed.undoStack()->count(), 2);
    ed.undoStack()->undo();
    QCOMPARE(ed.params(), afterFirst);
    ed.undoStack()->undo();
    QCOMPARE(ed.params(), p0);
    QVERIFY(ed.params().as<IntSettings>().overrides.empty());

    // The M slider on the same part: one step; and the bits slider merges too.
    QSlider* c = ed.clipSlider();
    c->setSliderDown(true);
    for (int v : {120, 110, 100}) c->setValue(v);
    c->setSliderDown(false);
    QCOMPARE(ed.undoStack()->count(), 1);  // redo history of the s drags was discarded
    QCOMPARE(ed.params().as<IntSettings>().overrides.at(1).clipHigh, std::optional<std::int64_t>(100));
    QCOMPARE(ed.params().as<IntSettings>().overrides.at(1).clipLow, std::optional<std::int64_t>(-100));
    QSlider* b = ed.bitsSlider();
    b->setSliderDown(true);
    for (int v : {5, 4, 3}) b->setValue(v);  // positions of 7, 6, 5 bits
    b->setSliderDown(false);
    QCOMPARE(ed.undoStack()->count(), 2);
    QCOMPARE(ed.params().as<IntSettings>().bits, 5);
    QVERIFY(ed.params().as<IntSettings>().overrides.empty());  // the typed clip belonged to the 8-bit grid
    // The step is named after where the drag ended (issue 13: "Undo bits 7" for a drag to 5).
    QCOMPARE(ed.undoStack()->undoText(), QStringLiteral("bits 5"));
    ed.undoStack()->undo();
    QCOMPARE(ed.params().as<IntSettings>().bits, 8);
    QCOMPARE(ed.params().as<IntSettings>().overrides.at(1).clipHigh, std::optional<std::int64_t>(100));

    // Reset part / reset all: one step each.
    ed.resetSelectedPart();
    QVERIFY(ed.params().as<IntSettings>().overrides.empty());
    QCOMPARE(ed.undoStack()->count(), 2);
    ed.undoStack()->undo();
    QCOMPARE(ed.params().as<IntSettings>().overrides.size(), std::size_t{1});
    ed.resetAllOverrides();
    QVERIFY(ed.params().as<IntSettings>().overrides.empty());
  }

  // 4096 parts (a 4096 × 64 tensor, per row) from the real quantizer. Values are within ±3, so
  // absmax saturates nothing; rows j ≡ 5 (mod 13) get a typed scale of 0.01 (clip ±1.27), so they
  // saturate. The expected set is counted from the quantizer's per-element flags, not from the
  // per-part counts the table filters on. Measures setParts and the filter.
  void largeTableFilter() {
    const std::int64_t rows = 4096, cols = 64;
    std::vector<float> x(static_cast<std::size_t>(rows * cols));
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : x) v = std::clamp(normal(rng), -3.0f, 3.0f);
    MethodParams p = MethodParams::defaults("int");
    PartOverride o;
    o.scale = 0.01;
    for (std::size_t j = 5; j < static_cast<std::size_t>(rows); j += 13) p.as<IntSettings>().overrides[j] = o;
    auto part = quench::Partition::rows(rows, cols);
    quench::IntegerParams ip;
    ip.calibration = p.as<IntSettings>().calibration;
    ip.overrides = p.as<IntSettings>().overrides;
    auto r = quench::quantizeInteger(x, part, ip);
    QVERIFY(r);
    std::vector<int> expected;
    for (std::int64_t j = 0; j < rows; ++j) {
      int count = 0;
      for (std::int64_t c = 0; c < cols; ++c) count += r->saturated[static_cast<std::size_t>(j * cols + c)];
      if (count > 0) expected.push_back(static_cast<int>(j));
    }
    QCOMPARE(expected.size(), p.as<IntSettings>().overrides.size());  // 316 rows: 5, 18, ..., 4090
    ip.overrides.clear();
    RecipeEditor ed;
    ed.resize(520, 800);
    ed.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ed));
    ed.setParams(p);
    auto prop = quench::integerPartParams(x, part, ip);  // the proposal: without the overrides
    QVERIFY(prop);

    QElapsedTimer t;
    t.start();
    ed.setParts(r->parts, *prop);  // first time: a model reset
    QCoreApplication::processEvents();
    const double firstMs = static_cast<double>(t.nsecsElapsed()) / 1e6;
    std::vector<double> againMs, filterMs, clearMs;
    for (int i = 0; i < 5; ++i) {
      t.restart();
      ed.setParts(r->parts, *prop);  // same parts again, as after every parameter change
      QCoreApplication::processEvents();
      againMs.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
      t.restart();
      QCOMPARE(ed.setPartsFilter("sat>0"), QString());
      QCoreApplication::processEvents();
      filterMs.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
      t.restart();
      ed.setPartsFilter("");
      QCoreApplication::processEvents();
      clearMs.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    qInfo("4096 parts: first setParts %.2f ms; again (same count) median %.2f ms; filter sat>0 median %.2f ms; "
          "clear filter median %.2f ms",
          firstMs, median(againMs), median(filterMs), median(clearMs));
    QVERIFY2(firstMs < 2000 && median(againMs) < 2000 && median(filterMs) < 2000, "4096 rows must not take seconds");

    QCOMPARE(ed.setPartsFilter("sat>0"), QString());
    auto* proxy = ed.partsProxy();
    QCOMPARE(proxy->rowCount(), static_cast<int>(expected.size()));
    std::vector<int> shown;
    for (int i = 0; i < proxy->rowCount(); ++i) shown.push_back(proxy->mapToSource(proxy->index(i, 0)).row());
    std::sort(shown.begin(), shown.end());
    QCOMPARE(shown, expected);

    // Sorting by saturation keeps the filter; selection survives a re-quantization.
    ed.partsView()->sortByColumn(PartsTableModel::kSaturated, Qt::DescendingOrder);
    QCOMPARE(proxy->rowCount(), static_cast<int>(expected.size()));
    ed.setPartsFilter("");
    t.restart();
    ed.setParts(r->parts, *prop);  // sorted by a value column: the proxy re-sorts every row
    QCoreApplication::processEvents();
    qInfo("4096 parts sorted by saturation: setParts %.2f ms", static_cast<double>(t.nsecsElapsed()) / 1e6);
    QCOMPARE(ed.setPartsFilter("sat>0"), QString());
    QCOMPARE(proxy->rowCount(), static_cast<int>(expected.size()));
    ed.selectPart(expected.front());
    ed.setParts(r->parts, *prop);
    QCOMPARE(ed.selectedPart(), expected.front());
    QVERIFY(!ed.partsView()->selectionModel()->selectedRows().isEmpty());
  }

  // The screenshot of the README: int, per row, parts from a real model tensor.
  void screenshot() {
    const QString file = quench::test::sharedData("models/TinyStories-656K/model.safetensors");
    if (!QFileInfo::exists(file)) QSKIP("shared data not available");
    auto reader = quench::openTensorFile(file.toStdString());
    QVERIFY(reader);
    auto t = (*reader)->readFloat(std::string_view("model.layers.0.self_attn.q_proj.weight"));
    QVERIFY2(t, t ? "" : t.error().message.c_str());
    MethodParams p = MethodParams::defaults("int");
    p.as<IntSettings>().bits = 4;
    p.as<IntSettings>().calibration.method = quench::CalibrationMethod::Percentile;
    p.as<IntSettings>().calibration.percentile = 99.5;
    PartOverride o;
    o.scale = 0.05;
    p.as<IntSettings>().overrides[3] = o;  // a scale typed too small: part 3 saturates
    PartOverride m;
    m.clipLow = -5;
    m.clipHigh = 5;
    p.as<IntSettings>().overrides[6] = m;
    const Quantized q = quantize(t->values, t->shape, p);
    RecipeEditor ed;
    ed.resize(560, 860);
    ed.setParams(p);
    ed.setTensorInfo(QString::fromStdString(t->name),
                     std::vector<std::size_t>(t->shape.begin(), t->shape.end()));
    ed.setParts(q.used, q.proposed);
    ed.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ed));
    ed.selectPart(3);
    QCOMPARE(ed.selectedPart(), 3);
    QCoreApplication::processEvents();
    const QPixmap shot = ed.grab();
    QVERIFY(!shot.isNull());
    // tools/screenshots.sh sets QUENCH_WRITE_SCREENSHOTS (README images); QUENCH_SCREENSHOT_DIR
    // writes there instead, for a look without touching the tree.
    const bool readme = qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS");
    const QString dir = readme ? QStringLiteral(QUENCH_SOURCE_DIR "/resources/screenshots")
                               : qEnvironmentVariable("QUENCH_SCREENSHOT_DIR");
    const QString prefix = readme ? QStringLiteral("view-recipe-editor") : QStringLiteral("recipe_editor");
    if (dir.isEmpty()) return;
    QVERIFY(shot.save(QDir(dir).filePath(prefix + ".png")));
    // The other methods' fields (what a user sees after switching), with an invalid custom format.
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "float");
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("format")), "custom");
    qobject_cast<QSpinBox*>(ed.fieldWidget("format_custom"))->setValue(9);
    QCoreApplication::processEvents();
    QVERIFY(ed.grab().save(QDir(dir).filePath(prefix + "-float.png")));
    activate(qobject_cast<QComboBox*>(ed.fieldWidget("method")), "nf4");
    QCoreApplication::processEvents();
    QVERIFY(ed.grab().save(QDir(dir).filePath(prefix + "-nf4.png")));
  }
};

QTEST_MAIN(TestRecipeEditor)
#include "test_recipe_editor.moc"
