#pragma once
// The KL/JS calculator of the classroom (MATH.md §8): for two pmfs every term p_i ln(p_i/q_i),
// its sum, KL the other way, the mixture m = ½(p + q) and both halves of JS, in nats or bits, and a
// figure of p, q and the KL terms per outcome. Shows a core PmfTerms; computes nothing.

#include "core/divergence/pmf_terms.h"
#include "widgets/presentation_view.h"
#include "widgets/table_export.h"

class QCPBars;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace quench::widgets {

class DivergenceCalculatorView : public PresentationView {
  Q_OBJECT
 public:
  enum Column { kOutcome = 0, kP, kQ, kKlTerm, kKlReverseTerm, kM, kPmTerm, kQmTerm, kColumnCount };

  explicit DivergenceCalculatorView(QWidget* parent = nullptr);

  /// Show `terms`; `title` names the example. The last table row holds the sums (Σ).
  void setTerms(const PmfTerms& terms, const QString& title);
  /// Remove the data and show `message` (an input error, in red).
  void clear(const QString& message);

  QString cellText(int row, int column) const;
  int rowCount() const;
  /// The summary lines under the table: KL(P‖Q), KL(Q‖P), JS with its halves, and why a KL is ∞.
  QString summary() const;
  QString message() const;
  TextTable table() const;
  QString title() const;
  QCustomPlot* plot() const { return m_plot; }

 private:
  void applyStyle() override;
  void fillPlot();

  QLabel* m_message;
  QTableWidget* m_table;
  QLabel* m_summary;
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  QCPBars* m_pBars;
  QCPBars* m_qBars;
  QCPGraph* m_klTerms;
  PmfTerms m_terms;
};

}  // namespace quench::widgets
