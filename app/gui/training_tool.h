#pragma once
// The Classroom tab's "Training" tool (issue 17, MATH.md §16): a teacher starts a distillation (a
// small student learning from the teacher's soft and/or hard labels, several runs side by side)
// or an int-k PTQ-vs-QAT comparison, and the class watches the curves fall. Presets load the two
// lessons; start / pause / stop; a step counter with ETA; live curves (widgets/TrainingCurvesView);
// the trained student or the QAT reconstruction saved as a Hugging Face folder.
//
// The work is core/train's (prepareDistill/prepareQat + runTraining, the code `quench-cli train`
// runs), on a worker thread of a JobRunner; its observer's points and steps come back to the GUI
// thread as they happen. Pausing blocks the worker between two steps (no value changes: the run is
// bit for bit the same as without the pause); stopping, or closing the window, cancels it.
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

#include "app/gui/classroom_tool.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace quench::widgets {
class TrainingCurvesView;
}

namespace quench::app {

class JobRunner;

class TrainingTool : public ClassroomTool {
  Q_OBJECT
 public:
  enum class Mode { Distill = 0, Qat = 1 };
  enum class Data { Text = 0, Samples = 1 };

  /// Everything the form holds (what `quench-cli train` takes as options).
  struct Settings {
    Mode mode = Mode::Distill;
    QString model;              ///< teacher (distill) or the model to quantize (QAT)
    Data data = Data::Text;
    QStringList texts;          ///< training text files (the held-out text: the last 5 % of the last)
    int sampleTrain = 256;      ///< sequences sampled from the model (Data::Samples)
    // student (distill)
    int dim = 32, hidden = 88, layers = 2, heads = 2, kvHeads = 1;
    bool tied = true;
    bool teacherInit = false;   ///< the teacher's first `layers` blocks instead of a seeded student
    QString runs = QStringLiteral("T=1; T=4; hard");
    // QAT
    int bits = 3;               ///< int-k, the registry's defaults otherwise (`--method int --bits k`)
    // training
    int steps = 300, batch = 8, seqLen = 64;
    double lr = 3e-3;
    int warmup = 20, evalEvery = 25;
    qulonglong seed = 1;
    int evalTokens = 4096;
  };

  explicit TrainingTool(QWidget* parent = nullptr);
  ~TrainingTool() override;

  QStringList presetNames() const;
  /// Fill the form with preset `index`. False for an index out of range.
  bool applyPreset(int index);

  Settings settings() const;
  void setSettings(const Settings& s);
  /// The same request as a quench-cli command line (arguments after `quench-cli`).
  QStringList cliArguments() const;

  /// Start training with the form's settings (an invalid form shows its error and returns false).
  bool start();
  void setPaused(bool paused);
  /// Cancel the running job (its curves stay).
  void stop();
  bool isRunning() const;
  bool isPaused() const { return m_paused; }
  /// Steps done in the current (or last) run set.
  int stepsDone() const { return m_stepsDone; }
  /// True when the last run set finished and its models can be saved.
  bool canSave() const;
  /// Save the finished runs as Hugging Face folders: several distillation runs in DIR/<T1|T4|hard…>,
  /// one run or the QAT reconstruction in DIR. Returns "" or the problem. Runs off the GUI thread;
  /// `done` gets the outcome on the GUI thread.
  void saveModels(const QString& dir);

  QString statusText() const;
  QString errorText() const { return inputError(); }
  widgets::TrainingCurvesView* curves() const { return m_curves; }
  bool presentation() const { return m_presentation; }

  // ClassroomTool
  QString fileStem() const override { return QStringLiteral("training"); }
  QCustomPlot* plot() const override;
  /// The curves have no table: an empty string and the reason.
  QString tableText(widgets::TableFormat format, QString* error) const override;
  /// Training runs only when started: a recompute changes nothing.
  void recompute() override {}
  /// The form's settings (not the curves: a run is repeated by pressing Start).
  QJsonObject saveState() const override;
  void restoreState(const QJsonObject& state) override;

 protected:
  QList<QWidget*> selfScaling() const override;
  void presentationChanged(bool on, double scale) override;

 signals:
  /// The run set ended: finished normally (`ok`), stopped or failed (`message` says which).
  void finished(bool ok, const QString& message);
  /// saveModels() ended ("" or the problem).
  void saved(const QString& error);
  void runningChanged(bool running);

 private:
  struct Finished;
  struct Event;
  struct Gate;

  QWidget* buildForm();
  void updateModeFields();
  void updateCli();
  void applyEvent(const Event& e);
  void setError(const QString& text);
  void setStatus(const QString& text);
  void fitFormWidth();

  // form
  QComboBox* m_presets;
  QComboBox* m_mode;
  QLineEdit* m_model;
  QComboBox* m_data;
  QLineEdit* m_texts;
  QPushButton* m_browseTexts;
  QSpinBox* m_sampleTrain;
  QGroupBox* m_studentBox;
  QSpinBox* m_dim;
  QSpinBox* m_hidden;
  QSpinBox* m_layers;
  QSpinBox* m_heads;
  QSpinBox* m_kvHeads;
  QCheckBox* m_tied;
  QComboBox* m_init;
  QLineEdit* m_runs;
  QDoubleSpinBox* m_temperature;
  QDoubleSpinBox* m_alpha;
  QGroupBox* m_qatBox;
  QSpinBox* m_bits;
  QSpinBox* m_steps;
  QSpinBox* m_batch;
  QSpinBox* m_seqLen;
  QDoubleSpinBox* m_lr;
  QSpinBox* m_warmup;
  QSpinBox* m_evalEvery;
  QSpinBox* m_seed;
  QSpinBox* m_evalTokens;
  QLabel* m_error;  ///< the base's red note (makeErrorLabel)
  QLabel* m_cli;
  QWidget* m_form;
  // run controls
  QPushButton* m_start;
  QPushButton* m_pause;
  QPushButton* m_stop;
  QPushButton* m_save;
  QProgressBar* m_progress;
  QLabel* m_stepLabel;
  QLabel* m_status;
  widgets::TrainingCurvesView* m_curves;

  JobRunner* m_jobs;       ///< the training job
  JobRunner* m_saveJobs;   ///< saving the models
  std::shared_ptr<Gate> m_gate;
  std::shared_ptr<Finished> m_finished;
  int m_stepsDone = 0;
  int m_totalSteps = 0;
  bool m_paused = false;
  bool m_presentation = false;
};

}  // namespace quench::app
