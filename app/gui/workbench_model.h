#pragma once
// The workbench's session model: what every view answers to. The selected tensor (its file, index,
// name and float32 values once read), the recipe and the rule of it that selects the tensor, the
// part the views are restricted to, and the activations of the Outliers tab's LLM.int8() view.
// It computes nothing and shows nothing: the window, the editor and the pages follow its signals,
// and a change of the selection or of the recipe is one call here instead of fields set in many
// places of the window.
#include <QObject>
#include <QString>
#include <memory>

#include "core/recipe/recipe.h"
#include "core/tensor/tensor.h"

namespace quench::app {

class WorkbenchModel : public QObject {
  Q_OBJECT
 public:
  /// Starts with the recipe every new window has: one rule "*" with the default method.
  explicit WorkbenchModel(QObject* parent = nullptr);

  // ---- The selection ----
  int fileId() const { return m_fileId; }
  int tensorIndex() const { return m_tensorIndex; }
  const QString& tensorName() const { return m_tensorName; }
  /// The selected tensor as float32 (null before one is read).
  const std::shared_ptr<const FloatTensor>& tensor() const { return m_tensor; }
  /// Tensor `index` (named `name`) of file `fileId` was read as `tensor`. The part goes back to the whole tensor
  /// when the tensor is another one, unless `keepPart` (a session restore set it first). Emits
  /// tensorChanged; selectCurrentRule follows once the views show the tensor.
  void setTensor(int fileId, int index, const QString& name, std::shared_ptr<const FloatTensor> tensor,
                 bool keepPart = false);
  /// Nothing selected (a session restore starts from an empty window).
  void clearTensor();

  // ---- The recipe ----
  const Recipe& recipe() const { return m_recipe; }
  /// The rule that selects the tensor (the first rule without one); -1 when no rule selects it.
  int currentRule() const { return m_currentRule; }
  /// Find the rule that selects the tensor again (after setTensor). Emits currentRuleChanged.
  void selectCurrentRule() { updateCurrentRule(false); }
  /// The current rule's parameters, or `fallback` when no rule selects the tensor.
  MethodParams currentParams(const MethodParams& fallback) const;
  /// Replace the whole recipe (import, session). Emits recipeChanged and currentRuleChanged with
  /// `reset` (the editor's history belonged to the old recipe).
  void setRecipe(const Recipe& recipe);
  /// A user edit: the current rule gets `params`; with no rule selecting the tensor, a rule for its
  /// exact name is added first. Returns false (nothing changed) when that is needed but no tensor is
  /// selected. Emits recipeChanged.
  bool applyParams(const MethodParams& params, bool* addedRule = nullptr);
  /// A rule for the tensor's exact name with its current parameters, first in the recipe. False
  /// when no tensor is selected or its rule already is that. Emits recipeChanged.
  bool giveTensorItsOwnRule(const MethodParams& fallback);

  // ---- What the views are restricted to ----
  int part() const { return m_part; }
  /// -1: the whole tensor. Emits partChanged when it changes.
  void setPart(int part);
  const std::shared_ptr<const FloatTensor>& activations() const { return m_activations; }
  void setActivations(std::shared_ptr<const FloatTensor> activations);

 signals:
  void tensorChanged();
  void recipeChanged();
  /// The rule that selects the tensor, after the tensor or the recipe changed (-1: none). `reset`:
  /// it is another rule than before, or the recipe was replaced.
  void currentRuleChanged(int rule, bool reset);
  void partChanged(int part);

 private:
  void updateCurrentRule(bool reset);

  int m_fileId = 0;
  int m_tensorIndex = -1;
  QString m_tensorName;
  std::shared_ptr<const FloatTensor> m_tensor;
  std::shared_ptr<const FloatTensor> m_activations;
  Recipe m_recipe;
  int m_currentRule = 0;
  int m_part = -1;
};

}  // namespace quench::app
