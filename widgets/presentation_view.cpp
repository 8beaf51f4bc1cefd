#include "widgets/presentation_view.h"

#include <QEvent>
#include <QLabel>
#include <QTableWidget>
#include <qcustomplot.h>

#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"

namespace quench::widgets {

void PresentationView::setPresentation(bool on) {
  if (m_presentation == on) return;
  m_presentation = on;
  applyStyle();
}

double PresentationView::presentationScale() const { return m_presentation ? kPresentationScale : 1.0; }

void PresentationView::stylePlot(QCustomPlot& plot, QCPTextElement& title) const {
  applyClassroomPlotStyle(plot, title, palette(), QWidget::font(), presentationScale());
}

void PresentationView::styleTable(QTableWidget& table) const {
  applyTableScale(table, QWidget::font(), presentationScale());
}

void PresentationView::styleLabel(QLabel& label) const {
  label.setFont(scaledFont(QWidget::font(), presentationScale()));
}

void PresentationView::styleNote(QLabel& label) const {
  styleLabel(label);
  QPalette p = label.palette();
  p.setColor(QPalette::WindowText, okabeIto::kVermilion);
  label.setPalette(p);
}

void PresentationView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyStyle();
}

}  // namespace quench::widgets
