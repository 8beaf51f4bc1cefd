#pragma once
// The error view ("Error" tab): one error figure per part along the part index (SQNR in dB, MSE or
// max |error|, with the saturated percentage in vermilion in a panel under it) above the histogram of
// the error x~ − x of the whole tensor. Readable for thousands of parts (lines, markers only when
// few). It shows core PartReports and a Histogram; it computes nothing.
#include <QWidget>
#include <vector>

#include "core/quant/types.h"
#include "core/stats/histogram.h"

class QComboBox;
class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;

namespace quench::widgets {

class ErrorView : public QWidget {
  Q_OBJECT
 public:
  /// The per-part figure plotted on the left axis.
  enum class Metric { SqnrDb, Mse, MaxAbsError };

  explicit ErrorView(QWidget* parent = nullptr);

  /// Show the per-part figures of `parts` (QuantResult::parts, in part order) and the error
  /// histogram `error` (x~ − x); `title` names the tensor and the recipe.
  void setResult(const std::vector<PartReport>& parts, const Histogram& error, const QString& title);
  void clear(const QString& message = QString());
  void setMetric(Metric metric);
  Metric metric() const { return m_metric; }

  QCustomPlot* partsPlot() const { return m_partsPlot; }
  QCustomPlot* histogramPlot() const { return m_histPlot; }
  /// The metric per part: key = part index, value = figure (NaN for an infinite SQNR: a gap).
  QCPGraph* metricGraph() const { return m_metricGraph; }
  /// Saturated percentage per part, in its own panel under the metric (shared part axis):
  /// key = part index, value = 100·saturated/size.
  QCPGraph* saturationGraph() const { return m_satGraph; }
  QCPBars* errorBars() const { return m_errorBars; }
  /// Below the plots: "4096 parts · worst SQNR 18.2 dB (part 17) · 12 parts exact (SQNR ∞)".
  QString noteText() const;
  QString title() const;

 signals:
  /// The user double-clicked part `part` in the per-part plot (the app may restrict the
  /// histogram view to it).
  void partActivated(int part);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();
  void showMetric();

  QComboBox* m_metricBox;
  QLabel* m_note;
  QCustomPlot* m_partsPlot;
  QCustomPlot* m_histPlot;
  QCPGraph* m_metricGraph;
  QCPGraph* m_satGraph;
  QCPAxisRect* m_satRect;
  QCPBars* m_errorBars;
  QCPTextElement* m_partsTitle;
  QCPTextElement* m_histTitle;
  std::vector<PartReport> m_parts;
  Histogram m_error;
  Metric m_metric = Metric::SqnrDb;
};

}  // namespace quench::widgets
