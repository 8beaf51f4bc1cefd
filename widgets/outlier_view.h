#pragma once
// Per-column max |x| of a matrix (activations or a stored weight) as bars, the outlier threshold τ
// as a horizontal line the user drags (thresholdChanged), outlier columns in vermilion, their
// count; and, with an LLM.int8() report, the product's error with and without the decomposition.
// It shows core ColumnOutliers / LlmInt8Report; it computes nothing.
#include <QWidget>

#include "core/quant/llm_int8.h"

class QCPBars;
class QCPItemStraightLine;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QMouseEvent;

namespace quench::widgets {

class OutlierView : public QWidget {
  Q_OBJECT
 public:
  explicit OutlierView(QWidget* parent = nullptr);

  /// Show the column magnitudes and outliers of `outliers` (its threshold is τ); `title` names the
  /// tensor and the recipe.
  void setColumns(const ColumnOutliers& outliers, const QString& title);
  /// Show the LLM.int8() errors of `report` (its outliers replace the columns shown).
  void setLlmInt8(const LlmInt8Report& report, const QString& title);
  void clear(const QString& message = QString());

  /// Move the τ line without emitting (the owner recomputes and calls setColumns).
  void setThreshold(double tau);
  double threshold() const { return m_threshold; }

  QCustomPlot* plot() const { return m_plot; }
  QCustomPlot* errorPlot() const { return m_errorPlot; }
  QCPBars* columnBars() const { return m_bars; }
  QCPBars* outlierBars() const { return m_outlierBars; }
  QCPItemStraightLine* thresholdLine() const { return m_line; }
  /// Relative Frobenius error of plain int8 (key 0) and of the decomposition (key 1).
  QCPBars* errorBars() const { return m_errorBars; }
  QString countText() const;
  QString errorText() const;
  QString title() const;

 signals:
  /// The user dragged the τ line to `tau` (in the plotted magnitude's units).
  void thresholdChanged(double tau);

 private:
  void onPress(QMouseEvent* event);
  void onMove(QMouseEvent* event);
  void onRelease(QMouseEvent* event);
  void applyStyle();

  QLabel* m_count;
  QLabel* m_errors;
  QCustomPlot* m_plot;
  QCustomPlot* m_errorPlot;
  QCPBars* m_bars;
  QCPBars* m_outlierBars;
  QCPBars* m_errorBars;
  QCPItemStraightLine* m_line;
  QCPTextElement* m_title;
  double m_threshold = 6.0;
  bool m_dragging = false;
};

}  // namespace quench::widgets
