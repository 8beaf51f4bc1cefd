#pragma once
// A histogram of weight values (QCustomPlot bars) with linear/log counts, zoom and pan. It shows
// a core Histogram; it computes nothing.
#include <QWidget>

#include "core/stats/histogram.h"

class QCheckBox;
class QCPBars;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QToolButton;

namespace quench::widgets {

class HistogramView : public QWidget {
  Q_OBJECT
 public:
  explicit HistogramView(QWidget* parent = nullptr);

  /// Show `histogram` of tensor `title` (the plot's title names it). Resets the zoom.
  void setHistogram(const Histogram& histogram, const QString& title);
  /// Remove the data; `message` is shown as the title (e.g. "Select a tensor").
  void clear(const QString& message = QString());
  /// Counts on a logarithmic axis ("count (log)") or a linear one ("count").
  void setLogScale(bool log);
  bool logScale() const { return m_log; }
  /// Fit both axes to the data.
  void resetZoom();

  QCustomPlot* plot() const { return m_plot; }
  QCPBars* bars() const { return m_bars; }
  QString title() const;

 signals:
  void logScaleChanged(bool log);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();
  void updateValueAxis();
  void updateOutsideNote();

  QCheckBox* m_logBox;
  QToolButton* m_resetButton;
  QLabel* m_note;
  QCustomPlot* m_plot;
  QCPBars* m_bars;
  QCPTextElement* m_title;
  Histogram m_histogram;
  bool m_hasData = false;
  bool m_log = false;
};

}  // namespace quench::widgets
