#pragma once
// Divergence curves (MATH.md §10): several families of recipes (e.g. "int4 group-wise", "NF4",
// "FP4"), each a series of swept points, plotted as mean KL, JS, p99 KL or top-1 disagreement
// against the swept setting or against bits per parameter. Points can be appended one at a time
// as a sweep delivers them (eval/sweep.h's SweepPointFn). It shows results; it computes nothing.
#include <QString>
#include <QWidget>
#include <vector>

#include "core/eval/evaluate.h"

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;

namespace quench::widgets {

/// The figures of one point of a curve.
struct CurvePoint {
  double x = 0;                 ///< the swept setting's value (or the point's index when the
                                ///< setting is not a number, e.g. a format name)
  QString label;                ///< the setting's value as the user wrote it ("4", "e2m1")
  double bitsPerParam = 0;
  double klMean = 0;            ///< nats/token
  double jsMean = 0;            ///< nats/token
  double klP99 = 0;             ///< nats/token
  double top1Disagreement = 0;  ///< fraction of positions whose argmaxes differ

  /// The figures of `e` at the setting value `label` (x = its number, or `index` when it is none).
  static CurvePoint fromEvaluation(const QString& label, const eval::RecipeEvaluation& e, int index);
};

class CurvesView : public QWidget {
  Q_OBJECT
 public:
  /// What is plotted on y.
  enum class Quantity { KlMean, JsMean, KlP99, Top1Disagreement };
  /// What is plotted on x.
  enum class XAxis { Setting, BitsPerParam };

  explicit CurvesView(QWidget* parent = nullptr);

  /// Name of the swept setting for the x label ("bits", "group size", ...) and the plot's title.
  void setSetting(const QString& settingName, const QString& title);
  /// A new empty series (a recipe family) named `family` in the legend; returns its index.
  /// Colours and markers follow the Okabe–Ito palette in order.
  int addSeries(const QString& family);
  /// Append a point to series `series` and replot (points arrive in any x order).
  void appendPoint(int series, const CurvePoint& point);
  /// Every series and point removed.
  void clear();

  void setQuantity(Quantity q);
  Quantity quantity() const { return m_quantity; }
  void setXAxis(XAxis x);
  XAxis xAxis() const { return m_xAxis; }
  /// Logarithmic y axis (points with y ≤ 0 are not drawn on it).
  void setLogY(bool on);
  bool logY() const { return m_logY; }
  /// Logarithmic x axis (block and group sizes are powers of two).
  void setLogX(bool on);
  bool logX() const { return m_logX; }

  int seriesCount() const { return int(m_series.size()); }
  const std::vector<CurvePoint>& points(int series) const { return m_series.at(std::size_t(series)).points; }
  QCPGraph* graph(int series) const { return m_series.at(std::size_t(series)).graph; }
  QCustomPlot* plot() const { return m_plot; }
  QComboBox* quantitySelector() const { return m_quantityBox; }
  QComboBox* xSelector() const { return m_xBox; }
  QCheckBox* logYCheck() const { return m_logBox; }
  QCheckBox* logXCheck() const { return m_logXBox; }
  QString title() const;

  /// The y value of `p` for quantity `q` (what the plot shows).
  static double value(const CurvePoint& p, Quantity q);
  /// "mean KL (nats/token)", ... the y axis label of `q`.
  static QString quantityLabel(Quantity q);

 private:
  struct Series {
    QString family;
    QCPGraph* graph = nullptr;
    std::vector<CurvePoint> points;
  };
  void refresh();
  void applyStyle();

  QComboBox* m_quantityBox;
  QComboBox* m_xBox;
  QCheckBox* m_logBox;
  QCheckBox* m_logXBox;
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  std::vector<Series> m_series;
  QString m_setting = QStringLiteral("setting");
  Quantity m_quantity = Quantity::KlMean;
  XAxis m_xAxis = XAxis::Setting;
  bool m_logY = false;
  bool m_logX = false;
};

}  // namespace quench::widgets
