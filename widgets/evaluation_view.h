#pragma once
// One evaluated recipe (eval/evaluate.h) as a teacher would show it: the per-token summary in
// llama.cpp's figure set as a table, a histogram of the per-token KL (log counts), KL along the
// positions of a chosen sequence with its tokens as tick labels (tooltip per point), and the ten
// positions whose next token moved most. It shows core results: the histogram and the ranking are
// handed to it already computed (eval::positionFigures, on the worker that ran the evaluation).
#include <QStringList>
#include <QWidget>
#include <vector>

#include "core/eval/evaluate.h"
#include "core/model/tokenizer.h"

class QComboBox;
class QCPBars;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QTableWidget;

namespace quench::widgets {

class EvaluationView : public QWidget {
  Q_OBJECT
 public:
  /// The bins of the KL histogram and the rows of "moved most" that `figures` should have:
  /// eval::positionFigures(e.positions, kHistogramBins, kMovedRows).
  static constexpr std::size_t kHistogramBins = 60;
  static constexpr std::size_t kMovedRows = 10;

  explicit EvaluationView(QWidget* parent = nullptr);

  /// Show `e` (its summary; its positions when it kept them: histogram, sequence plot, top-10)
  /// with `figures`, the histogram and ranking of its positions. `tokenizer` (may be null: ids are
  /// shown as "#id") is used during this call only, to turn the tokens into text. `title` names
  /// the model and the recipe.
  void setEvaluation(const eval::RecipeEvaluation& e, const eval::PositionFigures& figures,
                     const model::Tokenizer* tokenizer, const QString& title);
  /// Back to the empty state with `message` as the title.
  void clear(const QString& message = QString());

  /// Show KL along the positions of sequence `sequence` (index into the sequences present).
  void setSequence(int sequence);
  int sequence() const;
  /// Number of distinct sequences among the positions shown.
  int sequenceCount() const;

  QTableWidget* summaryTable() const { return m_table; }
  QTableWidget* movedTable() const { return m_moved; }
  QComboBox* sequenceSelector() const { return m_sequenceBox; }
  QCustomPlot* histogramPlot() const { return m_histPlot; }
  QCustomPlot* positionPlot() const { return m_posPlot; }
  QCPBars* histogramBars() const { return m_histBars; }
  /// KL (value) against position (key) of the selected sequence.
  QCPGraph* positionGraph() const { return m_posGraph; }
  /// The tick label under each point of the position plot (next-token text), in key order.
  QStringList positionLabels() const { return m_posLabels; }
  /// Tooltip text of the point at index i of positionGraph().
  QString positionToolTip(int i) const;
  QString title() const;

  /// The summary table's value text for `figure` (the first column's text), empty if absent.
  QString figureText(const QString& figure) const;

 protected:
  /// Thins the token labels again when the position plot is resized.
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void showSequence();
  void onHover(QMouseEvent* event);
  void applyStyle();

  QTableWidget* m_table;
  QTableWidget* m_moved;
  QComboBox* m_sequenceBox;
  QLabel* m_titleLabel;
  QCustomPlot* m_histPlot;
  QCustomPlot* m_posPlot;
  QCPBars* m_histBars;
  QCPGraph* m_posGraph;
  QCPTextElement* m_histTitle;
  QCPTextElement* m_posTitle;
  std::vector<eval::PositionRecord> m_positions;
  std::vector<std::size_t> m_mostMoved;  ///< indices into m_positions, largest KL first
  std::vector<QString> m_tokenText;      // text of PositionRecord::token, per position
  std::vector<QString> m_nextText;       // text of PositionRecord::nextToken ("" when none)
  std::vector<std::size_t> m_sequenceIds;  // distinct PositionRecord::sequence values, in order
  std::vector<std::size_t> m_shown;      // indices into m_positions of the plotted points
  QStringList m_posLabels;
};

/// A quoted, visible rendering of a token's text for labels: spaces as "·", newlines as "⏎",
/// control bytes as \xNN; "#id" when the text is empty (BOS, EOS, special tokens).
QString visibleTokenText(const std::string& text, int id);

}  // namespace quench::widgets
