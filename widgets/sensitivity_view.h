#pragma once
// Per-tensor sensitivity (model/sweep.h perTensorPoints): the mean KL of the model with one weight
// matrix quantized, as horizontal bars sorted largest first, the tensor names readable on the
// left, each bar's value beside it; many tensors scroll. Tensors can be added as a sweep delivers
// them. It shows results; it computes nothing.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

class QCheckBox;
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
    double kl = 0;  ///< mean KL(P‖Q) with only this tensor quantized, nats/token
  };

  explicit SensitivityView(QWidget* parent = nullptr);

  /// Title naming the model and the method (e.g. "stories260K · int4 one tensor at a time").
  void setTitle(const QString& title);
  /// Replace every entry.
  void setEntries(std::vector<Entry> entries);
  /// Add one tensor's figure (kept sorted) and replot.
  void addEntry(const QString& tensor, double kl);
  void clear();

  /// The entries in the order shown, top to bottom (largest KL first; ties by name).
  const std::vector<Entry>& entries() const { return m_entries; }
  QCustomPlot* plot() const { return m_plot; }
  /// Every bar of every group, top to bottom: key i = entries()[i] (groups: attention,
  /// feed-forward, embeddings and other, each its own colour and legend entry).
  std::vector<QCPBars*> bars() const { return m_bars; }
  /// Logarithmic KL axis.
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
  std::vector<QCPBars*> m_bars;
  QCPTextElement* m_title;
  std::vector<Entry> m_entries;
  QStringList m_valueLabels;
  bool m_log = false;
};

/// Which bar group (0 attention, 1 feed-forward, 2 embeddings and other) a tensor's name falls in.
int sensitivityGroup(const QString& tensor);

}  // namespace quench::widgets
