#pragma once
// The "Classroom" tab: the tools a teacher projects in class (GUI.md, issue 6 "Classroom mode").
//  - Worked quantization: a short vector, a partition, s, b, L, U per part and a rounding mode →
//    the step-by-step board table of MATH.md §2 with per-part totals (core/quant/worked.h).
//  - KL/JS calculator: two pmfs → every term, the sums, the mixture, in nats or bits
//    (core/divergence/pmf_terms.h).
//  - Explicit LM: two small next-token tables and a length n → exact joint KL/JS, the chain-rule
//    terms, and the sampled estimate converging (core/divergence/explicit_lm.h, lm_convergence.h);
//    this one runs off the GUI thread, the newest request winning.
// Plus presets, a presentation mode (fonts ≈ 1.6×, thick lines) and export of each worked example
// as a figure (PNG/SVG/PDF) or a table (CSV, Markdown, LaTeX).
// Each tool is its own widget on a shared base (classroom_tool.h; classroom_worked.h,
// classroom_divergence.h, classroom_lm.h); the page holds the presets, the tool tabs, the
// presentation switch, export and the session, and forwards the tools' inputs for tests.
#include <QJsonObject>
#include <QWidget>
#include <functional>
#include <span>
#include <vector>

#include "core/quant/types.h"
#include "core/tensor/result.h"
#include "widgets/figure_export.h"

class QComboBox;
class QPushButton;
class QTabWidget;
class QToolButton;
class QUndoStack;

namespace quench::widgets {
class DivergenceCalculatorView;
class ExplicitLmEditor;
class LmDivergenceView;
class WorkedQuantizationView;
}  // namespace quench::widgets

namespace quench::app {

class ClassroomTool;
class DivergenceTool;
class ExplicitLmTool;
class TrainingTool;
class WorkedQuantizationTool;

class ClassroomPage : public QWidget {
  Q_OBJECT
 public:
  enum Tool { kWorked = 0, kDivergence = 1, kExplicitLm = 2, kTraining = 3 };

  explicit ClassroomPage(QWidget* parent = nullptr);
  ~ClassroomPage() override;

  // --- presets ---
  /// The preset names, in combo order.
  QStringList presetNames() const;
  /// Load preset `index` (switches to its tool). False for an index out of range.
  bool applyPreset(int index);

  Tool currentTool() const;
  void setCurrentTool(Tool tool);

  // --- inputs (what a user types; each recomputes at once) ---
  /// Worked quantization: values "1.2, -0.55", parts "0,1;2,3" ("" = one part), the rounding and
  /// one (s, b, L, U) per part.
  void setWorkedInputs(const QString& values, const QString& parts, Rounding rounding,
                       const std::vector<PartParams>& params);
  /// Propose s (b = 0, [−M, M] kept from the part's current U) by absmax for every part.
  void proposeAbsmax();
  /// Propose s and b by min-max on every part's current [L, U].
  void proposeMinMax();
  /// Parse the vector and parts, call `propose` with each part's values and write what it
  /// returns into that part's row, then recompute the table.
  void proposeEachPart(const std::function<Result<PartParams>(int part, std::span<const double> values)>& propose);
  /// The equivalent quench-cli command line of the worked example.
  QString workedCliCommand() const;
  /// KL/JS calculator inputs.
  void setPmfInputs(const QString& p, const QString& q, bool normalize, bool bits);
  /// Explicit LM: sequence length n, the largest number of sampled sequences and the seed.
  void setLmSettings(int length, int maxSamples, quint64 seed);
  /// True while the explicit-LM computation runs.
  bool lmBusy() const;

  // --- presentation and export ---
  void setPresentation(bool on);
  bool presentation() const { return m_presentation; }
  /// Export the current tool's figure; the format from the suffix (.png/.svg/.pdf). Returns an
  /// empty string on success, otherwise the problem.
  QString exportFigure(const QString& fileName, widgets::FigurePreset preset = widgets::FigurePreset::Slide);
  /// Export the current tool's table(s); the format from the suffix (.csv/.md/.tex).
  QString exportTable(const QString& fileName);

  // --- session ---
  QJsonObject saveState() const;
  void restoreState(const QJsonObject& state);

  widgets::WorkedQuantizationView* workedView() const;
  widgets::DivergenceCalculatorView* divergenceView() const;
  widgets::ExplicitLmEditor* lmEditor() const;
  widgets::LmDivergenceView* lmView() const;
  /// Distillation and QAT, live (app/gui/training_tool.h).
  TrainingTool* trainingTool() const { return m_training; }
  /// The red note under the inputs of a tool ("" when all is well).
  QString inputError(Tool tool) const;
  /// The Classroom's edit history (worked quantization, KL/JS, explicit LM): every input change
  /// and every preset loaded is a step; typing into one field merges into one step. The window
  /// makes it the active stack of Edit ▸ Undo/Redo while the Classroom tab is shown.
  QUndoStack* undoStack() const { return m_undo; }
  /// The Example combo's text ("Custom (edited)" once an input was changed after a preset).
  QString exampleText() const;

 signals:
  /// The user toggled presentation mode on the page (the window may go full screen).
  void presentationRequested(bool on);

 private:
  friend class ClassroomEdit;
  ClassroomTool* tool(Tool t) const;
  /// Record the tool's current inputs as one undo step (`what` names it; empty: by the field).
  void recordEdit(Tool t, const QString& what);
  /// Put the tool's inputs back (undo/redo) and recompute.
  void restoreTool(Tool t, const QJsonObject& state);
  /// Forget the history and take every tool's current inputs as the starting point.
  void resetHistory();
  void showExportMenu(bool figure);

  QComboBox* m_presets;
  QToolButton* m_presentationButton;
  QPushButton* m_exportFigure;
  QPushButton* m_exportTable;
  QTabWidget* m_tools;
  WorkedQuantizationTool* m_worked;
  DivergenceTool* m_divergence;
  ExplicitLmTool* m_lm;
  TrainingTool* m_training;
  bool m_presentation = false;
  QUndoStack* m_undo;
  QJsonObject m_snapshot[3];  // last recorded inputs of kWorked, kDivergence, kExplicitLm
};

}  // namespace quench::app
