#pragma once
// The worked quantization example (MATH.md §2) as a teacher writes it on the board: one row per
// element (x, x/s, round, +b, clipped code, x~ = s(n − b), error, saturated?), the per-part totals
// (MSE, max error, saturated count) and a figure of x against x~ with each element's clip range.
// It shows a core WorkedQuantization; it computes nothing.

#include "core/quant/worked.h"
#include "widgets/presentation_view.h"
#include "widgets/table_export.h"

class QCPErrorBars;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace quench::widgets {

class WorkedQuantizationView : public PresentationView {
  Q_OBJECT
 public:
  /// Columns of the step table.
  enum Column { kIndex = 0, kPart, kX, kXOverS, kRounded, kShifted, kCode, kDequantized, kError, kSaturated, kColumnCount };

  explicit WorkedQuantizationView(QWidget* parent = nullptr);

  /// Show `worked`; `title` names the example (the plot's title and the caption).
  void setWorked(const WorkedQuantization& worked, const QString& title);
  /// Remove the data and show `message` instead (e.g. an input error, in red).
  void clear(const QString& message);

  /// The text shown in the step table (row = element) and in the totals table (last row: all).
  QString stepText(int row, int column) const;
  QString totalsText(int row, int column) const;
  int stepRows() const;
  int totalsRows() const;
  /// The step table and the totals table as text tables (for CSV/Markdown/LaTeX export).
  TextTable stepTable() const;
  TextTable totalsTable() const;
  QString title() const;
  QString message() const;

  QCustomPlot* plot() const { return m_plot; }
  QTableWidget* stepWidget() const { return m_steps; }

 private:
  void applyStyle() override;
  void fillPlot();

  QLabel* m_message;
  QTableWidget* m_steps;
  QTableWidget* m_totals;
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  QCPGraph* m_original;
  QCPGraph* m_dequantized;
  QCPGraph* m_saturatedGraph;
  QCPGraph* m_rangeCarrier;  // carries the clip-range error bars (invisible line)
  QCPErrorBars* m_range;
  WorkedQuantization m_worked;
  bool m_hasData = false;
};

}  // namespace quench::widgets
