#pragma once
// Per-tensor sensitivity (eval/sweep.h perTensorPoints): a divergence figure of the model with one
// weight matrix quantized (mean KL by default; mean JS, KL p99 or top-1 disagreement on request),
// as horizontal bars sorted largest first, the tensor names readable on the left, each bar's
// value beside it; many tensors scroll. Tensors can be added as a sweep delivers them. It shows
// results; it computes nothing.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

#include "widgets/curves_view.h"

class QCheckBox;
class QComboBox;
class QCPBars;
class QCPTextElement;
class QCustomPlot;
class QScrollArea;

namespace quench::widgets {

class SensitivityView : public QWidget {
  Q_OBJECT
 public:
  struct Entry {
    QString tensor;
    CurvePoint figures;  ///< the evaluation with only this tensor quantized
  };
  using Quantity = CurvesView::Quantity;

  explicit SensitivityView(QWidget* parent = nullptr);

  /// Title naming the model and the method (e.g. "stories260K · int4 one tensor at a time").
  void setTitle(const QString& title);
  /// Replace every entry.
  void setEntries(std::vector<Entry> entries);
  /// Add one tensor's figures (kept sorted) and replot.
  void addEntry(const QString& tensor, const CurvePoint& figures);
  void clear();

  /// The entries in the order shown, top to bottom (largest value of quantity() first; ties by name).
  const std::vector<Entry>& entries() const { return m_entries; }
  /// The figure the bars show (mean KL by default); re-sorts and replots.
  void setQuantity(Quantity q);
  Quantity quantity() const { return m_quantity; }
  QComboBox* quantitySelector() const { return m_quantityBox; }
  /// Entry i's shown value.
  double value(int i) const;
  QCustomPlot* plot() const { return m_plot; }
  /// Every bar of every group, top to bottom: key i = entries()[i] (groups: attention,
  /// feed-forward, embeddings and other, each its own colour and legend entry).
  std::vector<QCPBars*> bars() const { return m_bars; }
  /// Logarithmic value axis.
  void setLogScale(bool on);
  QCheckBox* logCheck() const { return m_logBox; }
  QScrollArea* scrollArea() const { return m_scroll; }
  /// The value label beside bar i (top to bottom).
  QString valueLabel(int i) const;
  QString title() const;

 private:
  void refresh();
  void applyStyle();

  QScrollArea* m_scroll;
  QCustomPlot* m_plot;
  QCheckBox* m_logBox;
  QComboBox* m_quantityBox;
  std::vector<QCPBars*> m_bars;
  QCPTextElement* m_title;
  std::vector<Entry> m_entries;
  QStringList m_valueLabels;
  bool m_log = false;
  Quantity m_quantity = Quantity::KlMean;
};

/// Which bar group (0 attention, 1 feed-forward, 2 embeddings and other) a tensor's name falls in.
int sensitivityGroup(const QString& tensor);

}  // namespace quench::widgets
