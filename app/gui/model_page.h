#pragma once
// The Divergence tab: open a language model, choose what to evaluate it on, and measure how far
// the current recipe's reconstruction (or a second model, e.g. a distilled student) moves its
// next-token distributions from the original's: one evaluation (summary, per-token KL histogram,
// KL along a sequence), curves over one setting for several recipe families, and per-tensor
// sensitivity. The page is assembled from model_page_parts.h and runs its five jobs (open a model,
// open a second model, evaluate, sweep, sensitivity) on one JobRunner: off the GUI thread
// (model_jobs.h) with progress and Cancel, the newest request winning; errors appear on the page.
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <memory>

#include "app/gui/model_jobs.h"
#include "core/io/reader.h"
#include "core/recipe/recipe.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace quench::widgets {
class CurvesView;
class EvaluationView;
class ModelInfoView;
class SensitivityView;
}  // namespace quench::widgets

namespace quench::app {

class CompareBox;
class CurvesTab;
class JobRunner;
class JobStatusRow;
class ModelBox;
class SourceBox;

class ModelPage : public QWidget {
  Q_OBJECT
 public:
  /// What Q is in an evaluation.
  enum class Candidate { Recipe, SecondModel };
  /// The sub-tabs.
  enum class View { Evaluation, Curves, Sensitivity };

  explicit ModelPage(QWidget* parent = nullptr);
  /// Stops any running job and waits for it (it stops promptly).
  ~ModelPage() override;

  /// Open a model (llama2.c .bin with its tokenizer — `tokenizerPath`, else found beside it —,
  /// .gguf, or a Hugging Face folder) in the background; emits modelOpened when it is loaded, or
  /// shows the error on the page. Any running job is cancelled.
  void openModel(const QString& path, const QString& tokenizerPath = QString());
  /// Open the second model Q for "compare two models" (same vocabulary as the first).
  void openSecondModel(const QString& path, const QString& tokenizerPath = QString());
  /// The recipe Q is built with (the main window passes its current recipe).
  void setRecipe(const Recipe& recipe);
  const Recipe& recipe() const { return m_recipe; }

  /// The evaluation source shown in the controls.
  SourceSettings sourceSettings() const;
  void setSourceSettings(const SourceSettings& s);
  void setCandidate(Candidate c);
  Candidate candidate() const;
  /// Temperature T of the comparison (softmax(z/T) of both models).
  void setTemperature(double t);
  double temperature() const;
  /// The swept setting (bits, group_or_block, group, block, clip, threshold, sparsity,
  /// temperature) and its values ("2,4,8").
  void setSweep(const QString& setting, const QString& values);
  QString sweepSetting() const;
  QString sweepValues() const;
  /// Which families the curves overlay: "current recipe" and the presets (presetFamilies()).
  void setFamilyEnabled(const QString& name, bool on);
  QStringList enabledFamilies() const;
  void showView(View v);

  /// Evaluate Q against P on the chosen source (Evaluation tab).
  void evaluate();
  /// Sweep the chosen setting over the enabled families (Curves tab); points appear as they finish.
  void runSweep();
  /// Per-tensor sensitivity of the current recipe (Sensitivity tab).
  void runSensitivity();
  /// Stop the running job; the page says "Cancelled" and is usable at once.
  void cancel();

  /// Build tokenizers without SentencePiece's prefix space (the TinyStories-656K setting, see
  /// TokenizerOptions::prefixSpace). Reopens the open model when it changes. Kept in sessions.
  void setNoPrefixSpace(bool on);
  bool noPrefixSpace() const;
  /// The line under the model that names its tokenizer, or says it has none.
  QLabel* tokenizerNote() const;

  bool isBusy() const { return m_busy; }
  /// The model's path ("" when none is open) and its tensors (nullptr when none).
  QString modelPath() const { return m_modelPath; }
  QString secondModelPath() const { return m_secondPath; }
  std::shared_ptr<const TensorReader> tensorReader() const;
  /// The text of the page's message line (what ran, how long, or the error).
  QString message() const;

  /// Model path, source, comparison and sweep settings, as a JSON object for the session file.
  QJsonObject saveState() const;
  /// Restores what saveState wrote (unknown keys ignored, missing ones keep their values) and
  /// reopens the model(s) when their paths are given.
  void restoreState(const QJsonObject& state);

  widgets::EvaluationView* evaluationView() const { return m_evaluation; }
  widgets::CurvesView* curvesView() const;
  widgets::SensitivityView* sensitivityView() const { return m_sensitivity; }
  widgets::ModelInfoView* modelInfoView() const;
  QPushButton* cancelButton() const;
  QPushButton* evaluateButton() const { return m_evaluateButton; }
  QPushButton* sweepButton() const;
  QPushButton* sensitivityButton() const { return m_sensitivityButton; }
  QProgressBar* progressBar() const;
  QLabel* messageLabel() const;

 signals:
  /// A model is loaded: the main window lists its tensors (tensorReader()).
  void modelOpened(const QString& path);
  /// Progress of the running job, 0..1.
  void progress(double fraction);
  void busyChanged(bool busy);
  /// A job ended (also when it failed or was cancelled); `message` is what the page shows.
  void jobFinished(const QString& message);
  /// An error is shown on the page.
  void errorShown(const QString& message);
  /// One point of a sweep (or one tensor of a sensitivity run) is on screen.
  void pointShown(const QString& family, const QString& label);

 private:
  QWidget* createEvaluationTab();
  QWidget* createSensitivityTab();
  void chooseModel(bool folder, bool second);
  void chooseTokenizer();

  /// Start a job named `what` (the newest request wins: the running one is superseded).
  void beginJob(const QString& what);
  /// The running job ended with `end`.
  void endJob(const JobEnd& end, const QString& doneText);
  /// A request that could not start (no model, no values): shown as an error and a finished job.
  void refuse(const QString& text);
  void setBusy(bool busy);
  void showMessage(const QString& text, bool error);
  void applySweepUpdate(const SweepUpdate& u, bool sensitivity);
  /// Run a sweep or sensitivity job, showing its points as they arrive.
  void startSweepJob(bool sensitivity, std::function<void(QPromise<SweepUpdate>&, std::stop_token)> body);
  bool requireModel();
  QString modelName() const;

  // Session: what is open. A LoadedModel is shared with the jobs that use it.
  std::shared_ptr<LoadedModel> m_model;
  std::shared_ptr<LoadedModel> m_second;
  QString m_modelPath, m_tokenizerPath, m_secondPath, m_secondTokenizerPath;
  Recipe m_recipe;

  // Jobs: one at a time, the newest wins (JobPolicy::Supersede).
  JobRunner* m_jobs;
  bool m_busy = false;
  bool m_evaluated = false;  // an evaluation result is shown (a session re-runs it on restore)
  QString m_jobText;  ///< "Evaluating int4 row", for the progress label
  // Sweep bookkeeping: family index → CurvesView series index.
  std::vector<int> m_seriesOfFamily;
  std::vector<SweepFamily> m_runFamilies;
  QStringList m_skipped;

  // The parts.
  ModelBox* m_modelBox;
  SourceBox* m_source;
  CompareBox* m_compare;
  QTabWidget* m_tabs;
  QPushButton* m_evaluateButton;
  widgets::EvaluationView* m_evaluation;
  CurvesTab* m_curvesTab;
  QPushButton* m_sensitivityButton;
  widgets::SensitivityView* m_sensitivity;
  JobStatusRow* m_status;
};

}  // namespace quench::app
