#pragma once
// The figures panel: the live §7 error figures of the current result (MSE, RMSE, SQNR, max |error|,
// cosine, saturation, bits per parameter), "Pin" to freeze them under a name, a table comparing
// every pinned recipe with the live one, and one plot overlaying the recipes' error distributions.
// Exports the table as CSV or JSON; pins round-trip through JSON for sessions. It shows core
// ErrorFigures and Histograms; it computes nothing.
#include <QByteArray>
#include <QJsonArray>
#include <QString>
#include <QWidget>
#include <vector>

#include "core/stats/error_figures.h"
#include "core/stats/histogram.h"

class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QPushButton;
class QTableWidget;

namespace quench::widgets {

/// One row of the comparison: a recipe's figures and its error histogram (x~ − x).
struct PinnedFigures {
  QString name;         ///< editable label shown in the table and the legend
  QString recipeLabel;  ///< the recipe it was pinned from (e.g. "int4 sym absmax row")
  QString tensorName;   ///< the tensor it was measured on
  ErrorFigures figures;
  Histogram error;      ///< may be empty (no curve drawn for it)
};

class FiguresPanel : public QWidget {
  Q_OBJECT
 public:
  /// Table columns, in order (also the CSV/JSON field order).
  enum Column { Name, Recipe, Mse, Rmse, SqnrDb, MaxAbsError, Cosine, SaturatedPercent, BitsPerParam, ColumnCount };

  explicit FiguresPanel(QWidget* parent = nullptr);

  /// The live figures of the current result (the last row of the table, the black curve).
  void setCurrent(const ErrorFigures& figures, const QString& recipeLabel, const QString& tensorName = {},
                  const Histogram& error = {});
  /// No current result (e.g. no tensor selected): the live row is removed, Pin disabled.
  void clearCurrent();
  bool hasCurrent() const { return m_hasCurrent; }
  const PinnedFigures& current() const { return m_current; }

  /// Freeze the current figures as a pinned row named `name` (empty: the recipe label). False when
  /// there is no current result.
  bool pinCurrent(const QString& name = QString());
  void removePin(int index);
  void clearPins();
  void renamePin(int index, const QString& name);
  const std::vector<PinnedFigures>& pins() const { return m_pins; }

  /// The table: pinned rows in pin order, then the live row ("live: <recipe>").
  QTableWidget* table() const { return m_table; }
  /// The overlay plot: one error-distribution line per row with an error histogram, as a density
  /// (fraction of weights per unit of error: count / total / bin width), so curves with different
  /// bin widths compare; pins in Okabe–Ito colours, the live row dashed in the neutral colour.
  QCustomPlot* plot() const { return m_plot; }
  /// The live figures as "MSE 1.2e-05 · SQNR 31.4 dB · ..." (the panel's headline).
  QString summaryText() const;

  /// The table (pins then live row) as CSV: a header line, one line per row, RFC 4180 quoting,
  /// numbers in shortest round-trip form ("inf" for an infinite SQNR), "\n" line ends.
  QString toCsv() const;
  /// The table as a JSON document {"rows": [{name, recipe, tensor, live, mse, ...}, ...]};
  /// non-finite numbers as the strings "inf", "-inf", "nan".
  QByteArray toJson() const;
  /// Write toCsv()/toJson() to `fileName` atomically (QSaveFile); "" on success, else a message
  /// naming the file and the problem.
  QString saveCsv(const QString& fileName) const;
  QString saveJson(const QString& fileName) const;

  /// Pins for a session file (names, recipes, figures and error histograms).
  QJsonArray pinsToJson() const;
  /// Replace the pins with those of `array`; "" on success, else what is wrong (pins unchanged).
  QString pinsFromJson(const QJsonArray& array);

 signals:
  /// Pins were added, removed, renamed or restored (the session is dirty).
  void pinsChanged();

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void rebuildTable();
  void rebuildPlot();
  void applyStyle();
  std::vector<const PinnedFigures*> rows() const;

  QLabel* m_summary;
  QPushButton* m_pinButton;
  QPushButton* m_removeButton;
  QPushButton* m_clearButton;
  QTableWidget* m_table;
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  std::vector<PinnedFigures> m_pins;
  PinnedFigures m_current;
  bool m_hasCurrent = false;
  bool m_rebuilding = false;
};

}  // namespace quench::widgets
