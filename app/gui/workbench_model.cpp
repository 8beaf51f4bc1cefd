#include "app/gui/workbench_model.h"

namespace quench::app {

WorkbenchModel::WorkbenchModel(QObject* parent) : QObject(parent) { m_recipe.rules.push_back({"*", MethodParams{}}); }

void WorkbenchModel::setTensor(int fileId, int index, const QString& name, std::shared_ptr<const FloatTensor> tensor,
                               bool keepPart) {
  const bool same = m_tensor && m_tensorName == name;
  m_fileId = fileId;
  m_tensorIndex = index;
  m_tensorName = name;
  m_tensor = std::move(tensor);
  if (!same && !keepPart) m_part = -1;  // parts differ between tensors
  emit tensorChanged();
}

void WorkbenchModel::clearTensor() {
  m_fileId = 0;
  m_tensorIndex = -1;
  m_tensorName.clear();
  m_tensor.reset();
  emit tensorChanged();
}

MethodParams WorkbenchModel::currentParams(const MethodParams& fallback) const {
  if (m_currentRule >= 0 && std::size_t(m_currentRule) < m_recipe.rules.size())
    return m_recipe.rules[std::size_t(m_currentRule)].params;
  return fallback;
}

void WorkbenchModel::setRecipe(const Recipe& recipe) {
  m_recipe = recipe;
  emit recipeChanged();
  updateCurrentRule(true);
}

bool WorkbenchModel::applyParams(const MethodParams& params, bool* addedRule) {
  if (addedRule) *addedRule = false;
  if (m_currentRule < 0) {
    if (!m_tensor) return false;
    m_recipe.rules.insert(m_recipe.rules.begin(), RecipeRule{m_tensorName.toStdString(), params});
    m_currentRule = 0;
    if (addedRule) *addedRule = true;
  } else {
    m_recipe.rules[std::size_t(m_currentRule)].params = params;
  }
  emit recipeChanged();
  return true;
}

bool WorkbenchModel::giveTensorItsOwnRule(const MethodParams& fallback) {
  if (!m_tensor) return false;
  const std::string name = m_tensorName.toStdString();
  if (m_currentRule >= 0 && m_recipe.rules[std::size_t(m_currentRule)].tensors == name) return false;  // already
  m_recipe.rules.insert(m_recipe.rules.begin(), RecipeRule{name, currentParams(fallback)});
  m_currentRule = 0;
  emit recipeChanged();
  return true;
}

void WorkbenchModel::setPart(int part) {
  if (part == m_part) return;
  m_part = part;
  emit partChanged(part);
}

void WorkbenchModel::setActivations(std::shared_ptr<const FloatTensor> activations) {
  m_activations = std::move(activations);
}

void WorkbenchModel::updateCurrentRule(bool reset) {
  int rule = -1;
  if (m_tensor) {
    if (auto r = matchRule(m_recipe, m_tensorName.toStdString(), m_tensor->shape.size())) rule = int(*r);
  } else if (!m_recipe.rules.empty()) {
    rule = 0;
  }
  reset = reset || rule != m_currentRule;
  m_currentRule = rule;
  emit currentRuleChanged(rule, reset);
}

}  // namespace quench::app
