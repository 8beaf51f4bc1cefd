#include "widgets/recipe_editor.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSlider>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

#include "widgets/method_panel.h"
#include "widgets/param_field.h"
#include "widgets/parts_editor.h"
#include "widgets/parts_table_model.h"

namespace quench::widgets {

// One user edit: the whole MethodParams before and after, so undo restores exactly what was
// there. Slider edits carry a merge id (field) and the part; consecutive ones with the same id,
// part and slider serial (bumped on release) merge into one step.
class RecipeEditCommand : public QUndoCommand {
 public:
  RecipeEditCommand(RecipeEditor* editor, MethodParams before, MethodParams after, const QString& text, int mergeId,
                    int part, int serial)
      : QUndoCommand(text),
        m_editor(editor),
        m_before(std::move(before)),
        m_after(std::move(after)),
        m_mergeId(mergeId),
        m_part(part),
        m_serial(serial) {}

  void undo() override { m_editor->applyFromCommand(m_before); }
  void redo() override { m_editor->applyFromCommand(m_after); }
  int id() const override { return m_mergeId; }
  bool mergeWith(const QUndoCommand* other) override {
    const auto* o = static_cast<const RecipeEditCommand*>(other);
    if (o->m_part != m_part || o->m_serial != m_serial) return false;
    m_after = o->m_after;
    setText(o->text());  // "bits 5" for a drag that ended on 5, not the first value it passed
    setObsolete(m_after == m_before);  // dragged back to where it started: no step at all
    return true;
  }

 private:
  RecipeEditor* m_editor;
  MethodParams m_before, m_after;
  int m_mergeId, m_part, m_serial;
};

namespace {

const QString kNoteStyle = QStringLiteral("color: #D55E00;");  // Okabe–Ito vermilion

QString qs(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

QLabel* noteLabel() {
  auto* l = new QLabel;
  l->setStyleSheet(kNoteStyle);
  l->setWordWrap(true);
  l->setVisible(false);
  return l;
}

// The first key of an error path: "overrides[17].scale" → "overrides".
QString pathKey(const QString& path) { return path.section(QLatin1Char('.'), 0, 0).section(QLatin1Char('['), 0, 0); }

}  // namespace

RecipeEditor::RecipeEditor(QWidget* parent) : QWidget(parent), m_undo(new QUndoStack(this)) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(4, 4, 4, 4);
  m_tensorLabel = new QLabel;
  m_tensorLabel->setStyleSheet(QStringLiteral("color: #555;"));
  m_tensorLabel->setVisible(false);
  outer->addWidget(m_tensorLabel);
  m_generalNote = noteLabel();
  outer->addWidget(m_generalNote);

  // One form: the method box, then the rows of every method's panel (only the chosen one shown).
  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->setVerticalSpacing(4);
  outer->addLayout(form);
  m_method = new QComboBox;
  QStringList formulas;
  for (const MethodDescriptor* m : registeredMethods()) {
    m_method->addItem(qs(m->info().title), qs(m->name()));
    formulas << qs(m->name()) + QStringLiteral(": ") + qs(m->info().formula);
  }
  m_method->setToolTip(formulas.join(QLatin1Char('\n')));
  auto* methodRow = new QWidget;
  auto* mv = new QVBoxLayout(methodRow);
  mv->setContentsMargins(0, 0, 0, 0);
  mv->setSpacing(1);
  mv->addWidget(m_method);
  m_methodNote = noteLabel();
  mv->addWidget(m_methodNote);
  auto* methodLabel = new QLabel(tr("method"));
  methodLabel->setToolTip(m_method->toolTip());
  form->addRow(methodLabel, methodRow);
  connect(m_method, &QComboBox::activated, this, &RecipeEditor::onMethodChanged);
  for (const MethodDescriptor* m : registeredMethods()) {
    auto* panel = new MethodPanel(*m, form, this);
    m_panels.push_back(panel);
    connect(panel, &MethodPanel::edited, this, &RecipeEditor::onValueEdited);
    connect(panel, &MethodPanel::rejected, this, [this](const QString& key, const QString& message) {
      showError(key, message);
    });
    connect(panel, &MethodPanel::sliderReleased, this, [this] { ++m_sliderSerial; });
  }

  m_parts = new PartsEditor;
  outer->addWidget(m_parts, 1);
  connect(m_parts, &PartsEditor::overridesEdited, this, &RecipeEditor::onOverridesEdited);
  connect(m_parts, &PartsEditor::partSelected, this, &RecipeEditor::partSelected);
  connect(m_parts, &PartsEditor::runEnded, this, [this] { ++m_sliderSerial; });
  connect(m_parts->proxy(), &QAbstractItemModel::modelReset, this, [this] { updateHints(); });

  setParams(MethodParams());
}

RecipeEditor::~RecipeEditor() = default;

// ---- showing ---------------------------------------------------------------------------------

MethodPanel* RecipeEditor::currentPanel() const {
  for (MethodPanel* p : m_panels)
    if (&p->method() == &m_params.method()) return p;
  return nullptr;
}

void RecipeEditor::setParams(const MethodParams& p) {
  m_params = p;
  m_lastByMethod.insert_or_assign(&p.method(), p);
  showParamsInFields();
}

void RecipeEditor::applyFromCommand(const MethodParams& p) {
  m_params = p;
  m_lastByMethod.insert_or_assign(&p.method(), p);
  showParamsInFields();
  emit paramsChanged(m_params);
}

void RecipeEditor::showParamsInFields() {
  const bool was = m_updating;
  m_updating = true;
  const int i = m_method->findData(qs(m_params.name()));
  if (i >= 0) m_method->setCurrentIndex(i);
  const std::vector<std::int64_t> shape(m_shape.begin(), m_shape.end());
  for (MethodPanel* panel : m_panels) {
    const bool current = &panel->method() == &m_params.method();
    if (current) panel->setParams(m_params, shape);
    panel->setShown(current);
  }
  m_parts->setMethod(m_params.partLayout(), m_params.overrides());
  updateHints();
  m_updating = was;
}

void RecipeEditor::updateHints() {
  if (m_shape.empty() && m_tensorName.isEmpty()) {
    m_tensorLabel->setVisible(false);
  } else {
    QStringList dims;
    for (std::size_t d : m_shape) dims << QString::number(d);
    m_tensorLabel->setText(m_tensorName + (dims.isEmpty() ? QString() : QStringLiteral("  ") + dims.join(QStringLiteral("×"))));
    m_tensorLabel->setVisible(true);
  }
  // Overrides are per part index of one tensor: on a tensor with fewer parts the core would
  // refuse the recipe, so say so where the overrides are edited.
  const PartOverrides* overrides = m_params.overrides();
  const PartLayout layout = m_params.partLayout();
  if (overrides && !overrides->empty() && !m_shape.empty() && layout.partition) {
    const std::vector<std::int64_t> shape(m_shape.begin(), m_shape.end());
    if (auto part = layout.partition->on(shape); part && overrides->rbegin()->first >= part->partCount())
      m_parts->setNote(QStringLiteral("overrides"),
                       tr("typed values exist for part %1 but %2 has %3 parts: reset them (Reset all overrides)")
                           .arg(overrides->rbegin()->first)
                           .arg(m_tensorName)
                           .arg(part->partCount()));
  }
}

// ---- parts -------------------------------------------------------------------------------------

void RecipeEditor::setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed) {
  m_parts->setParts(used, proposed);
  updateHints();
}

int RecipeEditor::selectedPart() const { return m_parts->selectedPart(); }
void RecipeEditor::selectPart(int part) { m_parts->selectPart(part); }
QString RecipeEditor::setPartsFilter(const QString& text) { return m_parts->setFilter(text); }
void RecipeEditor::resetSelectedPart() { m_parts->resetSelectedPart(); }
void RecipeEditor::resetAllOverrides() { m_parts->resetAllOverrides(); }
PartsTableModel* RecipeEditor::partsModel() const { return m_parts->model(); }
PartsFilterProxy* RecipeEditor::partsProxy() const { return m_parts->proxy(); }
QTableView* RecipeEditor::partsView() const { return m_parts->view(); }
QSlider* RecipeEditor::scaleSlider() const { return m_parts->scaleSlider(); }
QSlider* RecipeEditor::zeroSlider() const { return m_parts->zeroSlider(); }
QSlider* RecipeEditor::clipSlider() const { return m_parts->clipSlider(); }

QSlider* RecipeEditor::slider(const QString& key) const {
  if (MethodPanel* p = currentPanel())
    if (ParamField* f = p->field(key); f && f->slider()) return f->slider();
  for (MethodPanel* p : m_panels)
    if (ParamField* f = p->field(key); f && f->slider()) return f->slider();
  return nullptr;
}

void RecipeEditor::onOverridesEdited(const PartOverrides& next, const QString& text, int merge, int part) {
  MethodParams p = m_params;
  PartOverrides* o = p.overrides();
  if (!o) return;
  *o = next;
  commit(p, text, merge, part);
}

// ---- edits of the fields -------------------------------------------------------------------------

void RecipeEditor::commit(const MethodParams& next, const QString& text, int merge, int part) {
  if (next == m_params) return;
  m_undo->push(new RecipeEditCommand(this, m_params, next, text, merge, part, m_sliderSerial));
}

void RecipeEditor::onMethodChanged() {
  if (m_updating) return;
  const MethodDescriptor* m = findMethod(m_method->currentData().toString().toStdString());
  if (!m || m == &m_params.method()) return;
  m_lastByMethod.insert_or_assign(&m_params.method(), m_params);
  auto it = m_lastByMethod.find(m);
  const MethodParams next = it != m_lastByMethod.end() ? it->second : m->defaults();
  clearErrors();
  commit(next, tr("method %1").arg(m_method->currentData().toString()));
}

int RecipeEditor::mergeIdOf(const QString& key) {
  auto [it, inserted] = m_mergeIds.try_emplace(key, 100 + int(m_mergeIds.size()));
  return it->second;
}

// A field produced a value: the core checks it alone (set), adjusts what the change makes
// meaningless (reconcile) and checks the rules between keys (validate); the first refusal is a
// note under the field its path names, and nothing is committed.
void RecipeEditor::onValueEdited(const QString& key, const ParamValue& value, bool fromSlider) {
  if (m_updating) return;
  MethodParams next = m_params;
  const std::string k = key.toStdString();
  if (Status s = next.set(k, value); !s) return showError(key, QString::fromStdString(s.error().message));
  next.reconcile(m_params, k);
  if (Status s = next.validate(); !s) {
    const QString at = pathKey(QString::fromStdString(s.error().path));
    return showError(at.isEmpty() ? key : at, QString::fromStdString(s.error().message));
  }
  showError(key, {});
  const QString text = key + QStringLiteral(" ") + QString::fromStdString(paramValueText(value));
  commit(next, text, fromSlider ? mergeIdOf(key) : -1, -1);
}

// ---- notes, tensor, fields -----------------------------------------------------------------------

void RecipeEditor::showError(const QString& field, const QString& message) {
  if (field == QLatin1String("filter") || field == QLatin1String("overrides")) return m_parts->setNote(field, message);
  if (field == QLatin1String("method")) {
    m_methodNote->setText(message);
    m_methodNote->setVisible(!message.isEmpty());
    return;
  }
  if (MethodPanel* p = currentPanel(); p && p->setNote(field, message)) return;
  m_generalNote->setText(message);
  m_generalNote->setVisible(!message.isEmpty());
}

QString RecipeEditor::errorText(const QString& field) const {
  if (field == QLatin1String("filter") || field == QLatin1String("overrides")) return m_parts->note(field);
  if (field == QLatin1String("method")) return m_methodNote->text();
  if (MethodPanel* p = currentPanel())
    if (auto n = p->note(field)) return *n;
  return m_generalNote->text();
}

void RecipeEditor::clearErrors() {
  for (MethodPanel* p : m_panels) p->clearNotes();
  m_parts->clearNotes();
  for (QLabel* l : {m_methodNote, m_generalNote}) {
    l->clear();
    l->setVisible(false);
  }
}

void RecipeEditor::setTensorInfo(const QString& name, std::vector<std::size_t> shape) {
  m_tensorName = name;
  m_shape = std::move(shape);
  if (MethodPanel* p = currentPanel()) {
    const std::vector<std::int64_t> s(m_shape.begin(), m_shape.end());
    const bool was = m_updating;
    m_updating = true;
    p->setParams(m_params, s);
    m_updating = was;
  }
  updateHints();
}

QWidget* RecipeEditor::fieldWidget(const QString& id) const {
  if (id == QLatin1String("method")) return m_method;
  if (id == QLatin1String("parts")) return m_parts;
  MethodPanel* current = currentPanel();
  if (current)
    if (QWidget* w = current->widgetById(id)) return w;
  for (MethodPanel* p : m_panels)
    if (QWidget* w = p->widgetById(id)) return w;
  return current ? current->widgetByKey(id) : nullptr;
}

bool RecipeEditor::isFieldVisible(const QString& id) const {
  QWidget* w = fieldWidget(id);
  if (!w) return false;
  // Visible to the user: the widget and its rows are shown (works before the editor is shown).
  for (QWidget* p = w; p && p != this; p = p->parentWidget())
    if (p->isHidden()) return false;
  return true;
}

}  // namespace quench::widgets
