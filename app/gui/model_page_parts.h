#pragma once
// The pieces the Divergence page (model_page.h) is assembled from, each a widget with its own
// state and no knowledge of jobs: the Model box (the open model and its architecture), the
// "Evaluate on" box (the evaluation source), the Compare box (what Q is, the temperature), the
// Curves tab's sweep controls, and the status row (message, progress, Cancel). The page wires
// them to its jobs.
#include <QGroupBox>
#include <QString>
#include <QStringList>
#include <QElapsedTimer>
#include <QWidget>
#include <vector>

#include "app/gui/model_jobs.h"
#include "core/recipe/recipe.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QToolButton;

namespace quench::widgets {
class CurvesView;
class ModelInfoView;
}  // namespace quench::widgets

namespace quench::app {

/// "Model": the open model's name and format, Open model… (file or Hugging Face folder),
/// Tokenizer…, and the architecture table.
class ModelBox : public QGroupBox {
  Q_OBJECT
 public:
  explicit ModelBox(QWidget* parent = nullptr);
  /// "Opening NAME…" while a model loads.
  void showOpening(const QString& path);
  /// The loaded model (null: none).
  void showModel(const QString& path, const LoadedModel* model);
  widgets::ModelInfoView* infoView() const { return m_info; }
  /// "No prefix space": tokenizers built without SentencePiece's prefix space (TokenizerOptions::
  /// prefixSpace, the TinyStories-656K setting). setNoPrefixSpace emits noPrefixSpaceChanged
  /// unless `quiet` (a session restored before any model opens).
  bool noPrefixSpace() const;
  void setNoPrefixSpace(bool on, bool quiet = false);
  /// The line under the buttons that names the tokenizer, or says the model has none.
  QLabel* tokenizerNote() const { return m_tokenizerNote; }

 signals:
  /// Open model… (folder: a Hugging Face folder).
  void openRequested(bool folder);
  void tokenizerRequested();
  /// The user (or setNoPrefixSpace) changed "No prefix space": the model must be reopened.
  void noPrefixSpaceChanged(bool on);

 private:
  QLabel* m_label;
  QPushButton* m_tokenizerButton;
  QCheckBox* m_noPrefixSpace;
  QLabel* m_tokenizerNote;
  widgets::ModelInfoView* m_info;
};

/// "Evaluate on": the evaluation source (core/eval/eval_source.h) as the user sets it.
class SourceBox : public QGroupBox {
  Q_OBJECT
 public:
  explicit SourceBox(QWidget* parent = nullptr);
  SourceSettings settings() const;
  void setSettings(const SourceSettings& s);

 private:
  void chooseFile();
  void updateControls();

  QComboBox* m_kind;
  QStackedWidget* m_stack;
  QLineEdit* m_path;
  QPlainTextEdit* m_pasted;
  QSpinBox* m_count;
  QSpinBox* m_length;
  QSpinBox* m_seed;
  QSpinBox* m_context;
};

/// "Compare": Q is the current recipe or a second model; the temperature T of both.
class CompareBox : public QGroupBox {
  Q_OBJECT
 public:
  explicit CompareBox(QWidget* parent = nullptr);
  bool secondModelChosen() const;
  void setSecondModelChosen(bool on);
  double temperature() const;
  void setTemperature(double t);
  void setRecipe(const Recipe& recipe);
  /// "Opening NAME…" while the second model loads.
  void showSecondOpening(const QString& path);
  /// The loaded second model (null: none).
  void showSecondModel(const QString& path, const LoadedModel* model);

 signals:
  /// Open second model… (folder: a Hugging Face folder).
  void openSecondRequested(bool folder);

 private:
  void updateControls();

  QComboBox* m_candidate;
  QLabel* m_recipeLabel;
  QLabel* m_secondLabel;
  QToolButton* m_secondButton;
  QDoubleSpinBox* m_temperature;
};

/// The Curves tab: the swept setting and its values, the recipe families to overlay, Run sweep,
/// and the curves.
class CurvesTab : public QWidget {
  Q_OBJECT
 public:
  explicit CurvesTab(QWidget* parent = nullptr);
  /// The swept setting's key (eval/sweep.h name or kGroupOrBlock), its label, and the values.
  QString setting() const;
  QString settingLabel() const;
  QString values() const;
  void setSweep(const QString& setting, const QString& values);
  void setFamilyEnabled(const QString& name, bool on);
  QStringList enabledFamilies() const;
  /// Only the families named in `names` checked.
  void setEnabledFamilies(const QStringList& names);
  /// The checked families in order, "current recipe" as `current` named `currentName`.
  std::vector<SweepFamily> families(const QString& currentName, const Recipe& current) const;
  /// The values typed, trimmed, empty ones dropped.
  eval::SweepAxis axis() const;
  QPushButton* runButton() const { return m_run; }
  widgets::CurvesView* view() const { return m_curves; }

 private:
  void fillDefaultValues();

  QComboBox* m_setting;
  QLineEdit* m_values;
  std::vector<QCheckBox*> m_familyChecks;  ///< "current recipe", then presetFamilies()
  QPushButton* m_run;
  widgets::CurvesView* m_curves;
};

/// The page's bottom row: what ran or failed, what runs, its progress, Cancel (Esc).
class JobStatusRow : public QWidget {
  Q_OBJECT
 public:
  explicit JobStatusRow(QWidget* parent = nullptr);
  /// The message, in the error colour when `error`.
  void showMessage(const QString& text, bool error);
  QString message() const;
  /// Running: progress bar and Cancel shown/enabled.
  void setBusy(bool busy);
  /// "Evaluating int4 row", "Cancelling…" beside the bar ("" when idle).
  void setBusyText(const QString& text);
  /// The text on the progress bar ("42 % · about 12 s left").
  QString progressLabel() const;
  /// 0..1.
  void setProgress(double fraction);
  QLabel* messageLabel() const { return m_message; }
  QProgressBar* progressBar() const { return m_progress; }
  QPushButton* cancelButton() const { return m_cancel; }

 private:
  QLabel* m_message;
  QLabel* m_busyLabel;
  QProgressBar* m_progress;
  QPushButton* m_cancel;
  QElapsedTimer m_started;
};

}  // namespace quench::app
