// WorkbenchModel (app/gui/workbench_model.h), the workbench's session model: which rule selects
// the tensor (MATH.md §7: "*" does not select a rank-1 tensor), what an edit does to the recipe
// (the current rule changes, or a rule for the tensor's exact name is added first), the part going
// back to the whole tensor on another tensor, and the signals each change emits.
#include <QSignalSpy>
#include <QtTest/QtTest>

#include "app/gui/workbench_model.h"

using namespace quench;
using namespace quench::app;

namespace {
std::shared_ptr<const FloatTensor> tensor(const char* name, Shape shape) {
  FloatTensor t;
  t.name = name;
  t.shape = shape;
  t.values.assign(std::size_t(checkedElementCount(shape).value_or(0)), 1.0f);
  return std::make_shared<const FloatTensor>(std::move(t));
}

MethodParams bits(int k) {
  MethodParams p = MethodParams::defaults("int");
  if (!p.set("bits", std::int64_t{k})) qFatal("bits %d", k);
  return p;
}
}  // namespace

class TestWorkbenchModel : public QObject {
  Q_OBJECT
 private slots:
  void startsWithOneRuleForEveryMatrix() {
    WorkbenchModel m;
    QCOMPARE(m.recipe().rules.size(), std::size_t{1});
    QCOMPARE(m.recipe().rules[0].tensors, std::string("*"));
    QVERIFY(!m.tensor());
    QCOMPARE(m.part(), -1);
  }

  void theRuleThatSelectsTheTensor() {
    WorkbenchModel m;
    Recipe r;
    r.rules = {{"blk.0.*", bits(4)}, {"*", bits(8)}};
    QSignalSpy recipe(&m, &WorkbenchModel::recipeChanged);
    QSignalSpy rule(&m, &WorkbenchModel::currentRuleChanged);
    m.setRecipe(r);
    QCOMPARE(recipe.count(), 1);
    QCOMPARE(rule.count(), 1);
    QCOMPARE(rule.at(0).at(1).toBool(), true);  // a new recipe: the editor's history goes
    QCOMPARE(m.currentRule(), 0);               // no tensor: the first rule
    // blk.1.w is a matrix: "*" (rule 1) selects it.
    m.setTensor(1, 3, "blk.1.w", tensor("blk.1.w", {2, 2}));
    m.selectCurrentRule();
    QCOMPARE(m.currentRule(), 1);
    QCOMPARE(rule.last().at(0).toInt(), 1);
    QCOMPARE(rule.last().at(1).toBool(), true);  // another rule than before
    QCOMPARE(m.currentParams(bits(2)), bits(8));
    // A norm (rank 1) is selected by no glob: no rule, the fallback parameters.
    m.setTensor(1, 4, "blk.1.norm", tensor("blk.1.norm", {2}));
    m.selectCurrentRule();
    QCOMPARE(m.currentRule(), -1);
    QCOMPARE(m.currentParams(bits(2)), bits(2));
    QCOMPARE(m.fileId(), 1);
    QCOMPARE(m.tensorIndex(), 4);
    QCOMPARE(m.tensorName(), QStringLiteral("blk.1.norm"));
  }

  void editsChangeTheCurrentRuleOrAddOne() {
    WorkbenchModel m;
    QSignalSpy recipe(&m, &WorkbenchModel::recipeChanged);
    bool added = true;
    // No tensor yet: the first rule is edited.
    QVERIFY(m.applyParams(bits(6), &added));
    QVERIFY(!added);
    QCOMPARE(m.recipe().rules[0].params, bits(6));
    // A norm no rule selects: the edit adds a rule for its exact name, first.
    m.setTensor(2, 0, "norm", tensor("norm", {4}));
    m.selectCurrentRule();
    QVERIFY(m.applyParams(bits(3), &added));
    QVERIFY(added);
    QCOMPARE(m.recipe().rules.size(), std::size_t{2});
    QCOMPARE(m.recipe().rules[0].tensors, std::string("norm"));
    QCOMPARE(m.recipe().rules[0].params, bits(3));
    QCOMPARE(m.currentRule(), 0);
    QCOMPARE(recipe.count(), 2);
    // "Apply to this tensor only" on a tensor that has its own rule already: nothing changes.
    QVERIFY(!m.giveTensorItsOwnRule(bits(8)));
    // On a matrix selected by "*": its own rule, first, with the parameters it had.
    m.setTensor(2, 1, "w", tensor("w", {2, 2}));
    m.selectCurrentRule();
    QCOMPARE(m.currentRule(), 1);
    QVERIFY(m.giveTensorItsOwnRule(bits(8)));
    QCOMPARE(m.recipe().rules.size(), std::size_t{3});
    QCOMPARE(m.recipe().rules[0].tensors, std::string("w"));
    QCOMPARE(m.recipe().rules[0].params, bits(6));
    QCOMPARE(m.currentRule(), 0);
    QCOMPARE(recipe.count(), 3);
  }

  void thePartFollowsTheTensor() {
    WorkbenchModel m;
    QSignalSpy part(&m, &WorkbenchModel::partChanged);
    m.setTensor(1, 0, "a", tensor("a", {4, 4}));
    m.setPart(2);
    m.setPart(2);  // unchanged: no signal
    QCOMPARE(part.count(), 1);
    m.setTensor(1, 0, "a", tensor("a", {4, 4}));  // the same tensor read again: the part stays
    QCOMPARE(m.part(), 2);
    m.setTensor(1, 1, "b", tensor("b", {4, 4}));  // another tensor: its parts differ
    QCOMPARE(m.part(), -1);
    m.setPart(3);
    m.setTensor(1, 0, "a", tensor("a", {4, 4}), /*keepPart=*/true);  // a session restore set it
    QCOMPARE(m.part(), 3);
    m.clearTensor();
    QVERIFY(!m.tensor());
    QCOMPARE(m.fileId(), 0);
  }
};

QTEST_MAIN(TestWorkbenchModel)
#include "test_workbench_model.moc"
