#pragma once
// One tool of the Classroom tab (classroom_page.h): its inputs above, its view below, the red note
// under the inputs, and what the page asks of every tool (recompute, presentation mode, the figure
// and the table to export, session state). The page holds one widget per tool and knows nothing of
// their inputs; presentation mode is shared here: the base scales every label, input and button
// of the tool, and each tool switches its own views (widgets::PresentationView) and extras.
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QWidget>

#include "widgets/table_export.h"

class QCustomPlot;
class QLabel;

namespace quench::app {

class ClassroomTool : public QWidget {
  Q_OBJECT
 public:
  using QWidget::QWidget;

  /// Stem of the tool's export file names ("worked-quantization").
  virtual QString fileStem() const = 0;
  /// The figure the tool exports.
  virtual QCustomPlot* plot() const = 0;
  /// The tool's table(s) as text in `format`; an empty string and the reason in `error` when there
  /// is nothing to export.
  virtual QString tableText(widgets::TableFormat format, QString* error) const = 0;
  /// Recompute from the inputs as they stand (nothing while loading).
  virtual void recompute() = 0;
  /// The inputs, for a saved session.
  virtual QJsonObject saveState() const = 0;
  /// Inputs from a saved session, without recomputing (the page recomputes every tool after).
  virtual void restoreState(const QJsonObject& state) = 0;

  /// While loading, input changes do not recompute (a preset or a session being applied).
  void setLoading(bool loading) { m_loading = loading; }
  bool loading() const { return m_loading; }

  /// Presentation mode: fonts ≈ 1.6× for the tool's labels, inputs and buttons, and its views'.
  void setPresentation(bool on);
  /// The red note under the inputs ("" when all is well).
  QString inputError() const;

 signals:
  /// The user changed an input (not a preset, a session or an undo being applied): the page
  /// records the tool's new saveState() for undo.
  void edited();

 protected:
  /// Emit edited() unless loading.
  void noteEdit() {
    if (!m_loading) emit edited();
  }
  /// Make the red note (hidden while empty); once, in the constructor.
  QLabel* makeErrorLabel();
  void showError(const QString& text);
  /// What a view shows instead of its table while the inputs have an error: the error itself is
  /// the red note under the inputs, said once (issue 13: it was printed twice).
  static QString inputErrorHint() { return tr("Nothing to show: see the red note under the inputs."); }
  /// The widgets that scale their own contents in presentation mode (views, an editor): the base
  /// leaves what is inside them alone.
  virtual QList<QWidget*> selfScaling() const = 0;
  /// Switch the views and what else scales (a parameter table) to the mode; `scale` is the font
  /// scale (1 or widgets::kPresentationScale).
  virtual void presentationChanged(bool on, double scale) = 0;

  bool m_loading = false;

 private:
  QLabel* m_error = nullptr;
};

}  // namespace quench::app
