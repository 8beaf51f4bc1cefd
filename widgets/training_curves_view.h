#pragma once
// Live curves of a set of training runs (MATH.md §16, core/train/trainer.h): four panels over the
// training step — the training loss, the held-out KL(teacher ‖ student) at T = 1, the held-out
// perplexity (log scale, the teacher's as a dashed line) and the top-1 agreement with the
// teacher — with every run overlaid in its own Okabe–Ito colour and one legend below the panels
// (never over the data). Shows what core/train reports; computes nothing.
#include <QStringList>
#include <QWidget>

#include <vector>

class QCPAxisRect;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;

namespace quench::train {
struct CurvePoint;
}

namespace quench::widgets {

class TrainingCurvesView : public QWidget {
  Q_OBJECT
 public:
  enum Panel { kLoss = 0, kKl, kPerplexity, kTop1, kPanelCount };
  /// Distillation: the reference is the teacher; QAT: the original (unquantized) model.
  enum class Reference { Teacher, Original };

  explicit TrainingCurvesView(QWidget* parent = nullptr);

  /// Start a new set of runs: one curve per label on every panel, steps 0..`steps` on x.
  void setRuns(const QStringList& labels, int steps, Reference reference, const QString& title);
  /// The reference model's held-out perplexity (a dashed line on the perplexity panel).
  void setReferencePerplexity(double ppl);
  /// One evaluation of run `run` (a NaN training loss — step 0, an untrained run — is not drawn).
  void addPoint(int run, const train::CurvePoint& point);
  void clear(const QString& title);
  void setPresentation(bool on);
  bool presentation() const { return m_presentation; }

  QCustomPlot* plot() const { return m_plot; }
  int runCount() const { return int(m_labels.size()); }
  QStringList runLabels() const { return m_labels; }
  /// The curve of `run` on `panel` (keys: steps).
  QCPGraph* graph(Panel panel, int run) const;
  QCPGraph* referenceGraph() const { return m_reference; }
  QCPAxisRect* panel(Panel p) const { return m_rects[p]; }
  QString title() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();
  void rescale();
  void updateReferenceLine();

  QCustomPlot* m_plot;
  QCPTextElement* m_title;
  QCPAxisRect* m_rects[kPanelCount];
  std::vector<std::vector<QCPGraph*>> m_graphs;  ///< [panel][run]
  QCPGraph* m_reference = nullptr;
  QStringList m_labels;
  Reference m_referenceKind = Reference::Teacher;
  double m_referencePpl = 0;
  int m_steps = 1;
  bool m_presentation = false;
};

}  // namespace quench::widgets
