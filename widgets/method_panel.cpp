#include "widgets/method_panel.h"

#include <QFormLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "widgets/param_field.h"

namespace quench::widgets {

namespace {
const QString kNoteStyle = QStringLiteral("color: #D55E00;");  // Okabe–Ito vermilion
QString qs(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

MethodPanel::MethodPanel(const MethodDescriptor& method, QFormLayout* form, QObject* parent)
    : QObject(parent), m_method(method), m_form(form) {
  for (const ParamDescriptor& p : method.params()) {
    if (p.type == ParamType::PartOverrides) continue;
    const QString key = qs(p.key);
    auto* field = new ParamField(p);
    auto* row = new QWidget;
    auto* v = new QVBoxLayout(row);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    v->addWidget(field);
    auto* note = new QLabel;
    note->setStyleSheet(kNoteStyle);
    note->setWordWrap(true);
    note->setVisible(false);
    v->addWidget(note);
    auto* label = new QLabel(qs(p.label));
    label->setToolTip(qs(p.tooltip()));
    m_form->addRow(label, row);
    m_fields[key] = field;
    m_rows[key] = row;
    m_notes[key] = note;
    m_relevant[key] = true;
    connect(field, &ParamField::edited, this,
            [this, key](const ParamValue& value, bool fromSlider) { emit edited(key, value, fromSlider); });
    connect(field, &ParamField::rejected, this, [this, key](const QString& message) { emit rejected(key, message); });
    connect(field, &ParamField::sliderReleased, this, &MethodPanel::sliderReleased);
  }
  m_bits = new QLabel;
  m_bits->setStyleSheet(QStringLiteral("color: #555;"));
  m_bits->setToolTip(QStringLiteral("true storage per parameter: codes plus every scale, zero point and block "
                                    "constant (MATH.md §7)"));
  m_form->addRow(tr("storage"), m_bits);
  updateRows();
}

void MethodPanel::setShown(bool shown) {
  m_shown = shown;
  updateRows();
}

void MethodPanel::updateRows() {
  for (auto& [key, row] : m_rows) m_form->setRowVisible(row, m_shown && m_relevant[key]);
  m_form->setRowVisible(m_bits, m_shown && m_hasBits);
}

void MethodPanel::setParams(const MethodParams& p, std::span<const std::int64_t> shape) {
  for (auto& [key, field] : m_fields) {
    const std::string k = key.toStdString();
    if (auto v = p.value(k)) {
      field->setValue(*v);
      if (field->param().syntax && field->param().syntax->hint)
        field->setHint(qs(field->param().syntax->hint(*v, shape)));
    }
    m_relevant[key] = p.isRelevant(k);
  }
  const auto bits = p.bitsPerParam(shape);
  m_hasBits = bits.has_value();
  if (bits) m_bits->setText(QStringLiteral("%1 bits/param").arg(QString::number(*bits, 'f', 3)));
  updateRows();
}

ParamField* MethodPanel::field(const QString& key) const {
  auto it = m_fields.find(key);
  return it == m_fields.end() ? nullptr : it->second;
}

QWidget* MethodPanel::widgetById(const QString& id) const {
  for (const auto& [key, f] : m_fields) {
    if (qs(f->param().id) == id) return f->mainWidget();
    if (QWidget* w = f->argWidget(id)) return w;
  }
  return nullptr;
}

QWidget* MethodPanel::widgetByKey(const QString& key) const {
  ParamField* f = field(key);
  return f ? f->mainWidget() : nullptr;
}

bool MethodPanel::setNote(const QString& key, const QString& message) {
  auto it = m_notes.find(key);
  if (it == m_notes.end()) return false;
  it->second->setText(message);
  it->second->setVisible(!message.isEmpty());
  return true;
}

std::optional<QString> MethodPanel::note(const QString& key) const {
  auto it = m_notes.find(key);
  if (it == m_notes.end()) return std::nullopt;
  return it->second->text();
}

void MethodPanel::clearNotes() {
  for (auto& [key, note] : m_notes) {
    note->clear();
    note->setVisible(false);
  }
}

}  // namespace quench::widgets
