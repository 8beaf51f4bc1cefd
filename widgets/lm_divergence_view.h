#pragma once
// Divergence of two explicit small language models (MATH.md §9): the exact joint KL and JS of
// sequences of n tokens (by enumeration), the chain-rule term of each position (their sum equals
// the joint), and the dataset estimate on sequences sampled from P converging to KL_joint / n as
// samples grow (running estimate with a ±1 standard-error band, log x, exact value as a line).
// Shows core results; computes nothing.

#include <vector>

#include "core/divergence/explicit_lm.h"
#include "core/divergence/lm_convergence.h"
#include "widgets/presentation_view.h"
#include "widgets/table_export.h"

class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace quench::widgets {

class LmDivergenceView : public PresentationView {
  Q_OBJECT
 public:
  enum Column { kPosition = 0, kKlTerm, kKlRunning, kJsTerm, kJsRunning, kColumnCount };

  explicit LmDivergenceView(QWidget* parent = nullptr);

  /// Show the exact figures for sequences of `length` tokens; `title` names the example.
  void setExact(const LmDivergence& exact, std::size_t length, const QString& title);
  /// Show the running sampled estimate (nats per token); the exact line is KL_joint / n.
  void setCurve(const std::vector<SampledKlPoint>& curve, std::uint64_t seed);
  /// A status line (e.g. "computing…" or an error in red when `error`).
  void setStatus(const QString& text, bool error = false);
  void clear(const QString& message);

  QString cellText(int row, int column) const;
  int rowCount() const;
  QString summary() const;
  QString status() const;
  TextTable table() const;
  QCustomPlot* plot() const { return m_plot; }
  /// The plotted running estimate (keys = samples) and the exact line's value.
  QCPGraph* estimateGraph() const { return m_estimate; }
  QCPGraph* exactGraph() const { return m_exact; }

 private:
  void applyStyle() override;
  void updateExactLine();

  QLabel* m_summary;
  QLabel* m_status;
  QTableWidget* m_table;
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  QCPGraph* m_estimate;
  QCPGraph* m_upper;
  QCPGraph* m_lower;
  QCPGraph* m_exact;
  double m_exactPerToken = 0;
  bool m_hasExact = false;
};

}  // namespace quench::widgets
