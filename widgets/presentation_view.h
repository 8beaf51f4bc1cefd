#pragma once
// The shared base of the classroom views (worked quantization, KL/JS calculator, explicit-LM
// divergence): presentation mode on and off (GUI.md "Presentation mode": fonts ≈ 1.6×, thicker
// lines and markers), the look re-applied when the palette changes (a theme switch), and the
// pieces of that look every view shares (the plot and its title, tables, labels, the red note).
// A view implements applyStyle() with its own series and calls it once at the end of its
// constructor.
#include <QWidget>

class QCPTextElement;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace quench::widgets {

class PresentationView : public QWidget {
  Q_OBJECT
 public:
  using QWidget::QWidget;

  /// Presentation mode: fonts ≈ 1.6×, thicker lines and markers.
  void setPresentation(bool on);
  bool presentation() const { return m_presentation; }

 protected:
  /// kPresentationScale in presentation mode, 1 otherwise.
  double presentationScale() const;
  /// `normal` or `presenting` by the mode (line widths in pixels, marker sizes).
  double pick(double normal, double presenting) const { return m_presentation ? presenting : normal; }
  /// The house classroom plot style (classroom_style.h) at the current scale.
  void stylePlot(QCustomPlot& plot, QCPTextElement& title) const;
  /// A table's font and rows at the current scale.
  void styleTable(QTableWidget& table) const;
  /// A label's font at the current scale.
  void styleLabel(QLabel& label) const;
  /// The red note under a view (an input error): vermilion, at the current scale.
  void styleNote(QLabel& label) const;

  /// The whole look at the current mode; called on a mode change and a palette change.
  virtual void applyStyle() = 0;
  void changeEvent(QEvent* event) override;

 private:
  bool m_presentation = false;
};

}  // namespace quench::widgets
