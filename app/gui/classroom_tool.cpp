#include "app/gui/classroom_tool.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>

#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"

namespace quench::app {

void ClassroomTool::setPresentation(bool on) {
  const double scale = on ? widgets::kPresentationScale : 1.0;
  const QFont font = widgets::scaledFont(QWidget::font(), scale);
  const QList<QWidget*> own = selfScaling();
  for (QWidget* w : findChildren<QWidget*>()) {
    const bool input = qobject_cast<QLabel*>(w) || qobject_cast<QLineEdit*>(w) || qobject_cast<QComboBox*>(w) ||
                       qobject_cast<QAbstractSpinBox*>(w) || qobject_cast<QAbstractButton*>(w);
    if (!input) continue;
    bool inside = false;
    for (const QWidget* v : own) inside = inside || v == w || v->isAncestorOf(w);
    if (!inside) w->setFont(font);
  }
  presentationChanged(on, scale);
}

QString ClassroomTool::inputError() const { return m_error && !m_error->isHidden() ? m_error->text() : QString(); }

QLabel* ClassroomTool::makeErrorLabel() {
  m_error = new QLabel(this);
  m_error->setWordWrap(true);
  QPalette p = m_error->palette();
  p.setColor(QPalette::WindowText, widgets::okabeIto::kVermilion);
  m_error->setPalette(p);
  m_error->setVisible(false);
  return m_error;
}

void ClassroomTool::showError(const QString& text) {
  m_error->setText(text);
  m_error->setVisible(!text.isEmpty());
}

}  // namespace quench::app
