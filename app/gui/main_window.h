#pragma once
// The quantization workbench (GUI.md, "one selection, one recipe, every view answers"): open
// files and their tensors (left dock), the views as central tabs (Histogram, Saturation,
// Outliers, NF4, Error, Divergence, Classroom), the recipe editor, the figures panel, statistics
// and metadata (right docks). The selected tensor (read once, as float32), the Recipe and the part
// the views are restricted to live in the session model (WorkbenchModel); the open files in the
// FileController, the exports in the ExportController. Every recipe change is quantized in the
// background (QuantJob: newest pending request wins) and the visible views are refilled from the
// result; file opening, tensor reading and exports run on workers too.
#include <QFont>
#include <QMainWindow>
#include <QPointer>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>

#include "app/gui/quant_job.h"
#include "app/gui/session.h"
#include "core/io/reader.h"
#include "core/recipe/recipe.h"

class QAction;
class QActionGroup;
class QCustomPlot;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace quench::widgets {
class ErrorView;
class FiguresPanel;
class HistogramView;
class MetadataView;
class Nf4PreviewView;
class OutlierView;
class RecipeEditor;
class SaturationMapView;
class StatsPanel;
class TensorBrowser;
}  // namespace quench::widgets

namespace quench::app {

struct TensorAnalysis;
class ClassroomPage;
class ExportController;
class FileController;
class JobRunner;
class ModelPage;
class WorkbenchModel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  /// The central tabs, in order (Ctrl+1..7).
  enum Tab { kHistogramTab = 0, kSaturationTab, kOutliersTab, kNf4Tab, kErrorTab, kDivergenceTab, kClassroomTab, kTabCount };

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Open `path` in the background; when it is listed, select `selectName` (or, if empty, the
  /// file's most interesting tensor). Errors are shown in a dialog.
  void openFile(const QString& path, const QString& selectName = QString());
  /// A model folder (or file) given to the window, e.g. on the command line: opened by the
  /// Divergence tab as its model, its tensors listed in the browser, `selectName` (or the most
  /// telling tensor) selected. A folder that is not a model opens as a tensor file.
  void openModelFolder(const QString& path, const QString& selectName = QString());
  /// Open the embedded demo tensors (once) and select `selectName` or an interesting tensor.
  void openDemo(const QString& selectName = QString());
  /// Select tensor `name` of the file with id `fileId`; false if there is none.
  bool selectTensor(int fileId, const QString& name);
  /// Cancel the running background work (tensor reading, quantization, export), if any.
  void cancelWork();

  /// True while a file is being opened, a tensor read, quantized or exported.
  bool isBusy() const;
  /// The reader of file `fileId` (nullptr if there is none).
  std::shared_ptr<const TensorReader> reader(int fileId) const;

  // ---- The recipe ----
  const Recipe& recipe() const;
  /// Replace the whole recipe (import, session); the editor shows the rule of the selected tensor.
  void setRecipe(const Recipe& recipe);
  /// Index of the rule the editor edits (the first rule that selects the selected tensor); -1 when
  /// no rule selects it (an edit then adds a rule for its exact name).
  int currentRule() const;
  /// The parameters the selected tensor is quantized with.
  MethodParams currentParams() const;
  /// What the editor does after a user edit: the current rule gets `params`, the views follow.
  void applyParams(const MethodParams& params);
  /// "Apply to this tensor only": a rule for the selected tensor's exact name, first in the recipe.
  void applyToThisTensorOnly();
  /// Restrict the histogram to part `part` (-1: the whole tensor).
  void setSelectedPart(int part);
  int selectedPart() const;

  // ---- Results, views ----
  /// The last quantization outcome applied to the views (generation 0: none yet).
  const QuantOutcome& lastOutcome() const { return m_outcome; }
  /// The selected tensor as float32 (nullptr before one is read).
  std::shared_ptr<const FloatTensor> tensor() const;
  /// Use `activations` (tokens × features; null clears) as X of the Outliers tab's LLM.int8() view.
  void useAsActivations(std::shared_ptr<const FloatTensor> activations);
  QString selectedTensorName() const;
  QTabWidget* tabs() const { return m_tabs; }
  void setCurrentTab(Tab tab);
  /// The plot Ctrl+E exports for the current tab (its main plot), nullptr when it has none.
  QCustomPlot* currentPlot() const;

  widgets::TensorBrowser* browser() const { return m_browser; }
  ModelPage* modelPage() const { return m_modelPage; }
  /// True from openDemo until the demo language model is loaded and its evaluation started.
  bool demoModelPending() const { return m_evaluateDemoModel; }
  ClassroomPage* classroomPage() const { return m_classroomPage; }
  widgets::HistogramView* histogramView() const { return m_histogram; }
  widgets::StatsPanel* statsPanel() const { return m_stats; }
  widgets::MetadataView* metadataView() const { return m_metadata; }
  widgets::RecipeEditor* recipeEditor() const { return m_editor; }
  widgets::FiguresPanel* figuresPanel() const { return m_figures; }
  widgets::SaturationMapView* saturationView() const { return m_saturation; }
  widgets::OutlierView* outlierView() const { return m_outliers; }
  widgets::Nf4PreviewView* nf4View() const { return m_nf4; }
  widgets::ErrorView* errorView() const { return m_errorView; }
  /// The session model: selection, recipe, part, activations.
  WorkbenchModel* model() const { return m_model; }

  // ---- Export ----
  /// Write the current tab's plot to `fileName` (format from the suffix) at the single-column
  /// preset; "" on success, else the message.
  QString exportCurrentFigure(const QString& fileName);
  /// The recipe as the CLI reads it; "" on success, else the message.
  QString exportRecipe(const QString& fileName);
  /// Import a recipe file (what exportRecipe writes); "" on success, else the message.
  QString importRecipe(const QString& fileName);
  /// Apply the recipe to every tensor of the selected tensor's file and write the reconstruction
  /// (.safetensors or .h5/.hdf5) in the background; emits quantizedExported when done.
  void exportQuantized(const QString& fileName);

  // ---- Sessions ----
  Session currentSession() const;
  /// Save to `fileName`; "" on success, else the message (also shown in a dialog).
  QString saveSessionTo(const QString& fileName);
  /// Read `fileName` and restore it: every file reopened, the recipe, pins, view settings, then
  /// the selected tensor. Emits sessionRestored when the selected tensor's views are updated.
  QString openSession(const QString& fileName);
  void restoreSession(const Session& session);

  // ---- Everyday ----
  void setPresentationMode(bool on);
  bool presentationMode() const { return m_presentation; }
  /// "light", "dark" or "system" (QSettings "theme").
  void setTheme(const QString& theme);

  /// `wanted` made to fit inside `available`: no larger, then moved inside (a saved geometry from
  /// a larger screen, issue 13).
  static QRect fitRect(const QRect& wanted, const QRect& available);
  /// Shrink and move the window into its screen's available geometry (not when full screen).
  void fitToScreen();

  /// The About box's text: version and the versions of Qt, QCustomPlot, HDF5 and oneTBB.
  static QString aboutText();
  /// Recently opened files, newest first (QSettings "recentFiles").
  static QStringList recentFiles();

 signals:
  /// A file is listed in the browser (fileId as the browser knows it).
  void fileOpened(int fileId, const QString& path);
  /// The histogram and statistics of the original tensor `name` are on screen.
  void tensorShown(const QString& name);
  /// The views were handed the newest quantization of `name` and their replot is queued.
  void plotsUpdated(const QString& name);
  /// The newest recipe change was rejected by the core with `message` (shown next to the field).
  void quantFailed(const QString& message);
  /// An error dialog is about to be shown with `message`.
  void errorShown(const QString& message);
  /// exportQuantized finished: `error` is empty on success.
  void quantizedExported(const QString& fileName, const QString& error);
  /// restoreSession finished (files open, tensor selected and quantized, or nothing to select).
  void sessionRestored();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void createTabs();
  void createDocks();
  void createActions();
  void connectModelAndControllers();
  void chooseFiles();
  void showAbout();
  void showError(const QString& title, const QString& message);
  /// Opens `path` off the GUI thread and calls `then(fileId)` (0 on failure, after the dialog).
  void openFileThen(const QString& path, std::function<void(int)> then);
  /// A file is listed (opened, the demo, a model of the Divergence page): title, metadata, status.
  void onFileListed(int fileId, const QString& title, const std::shared_ptr<const TensorReader>& reader);
  void selectInitial(int fileId, const QString& selectName);
  int ensureDemo();
  /// Open resources/demo-lm on the Divergence page (once) and evaluate it when it is loaded.
  void openDemoModel();
  /// List the tensors of the model the Divergence page opened (at `path`) in the browser.
  void listModelTensors(const QString& path);
  void startAnalysis(int fileId, int tensorIndex);
  void applyAnalysis(int fileId, int tensorIndex, const TensorAnalysis& result);
  void updateBusyUi();
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();
  // The quantization loop.
  /// The editor shows rule `rule` of the recipe (the one selecting the tensor); `reset` drops its
  /// undo history (another rule, or a new recipe).
  void showCurrentRule(int rule, bool reset);
  void requestQuantization();
  unsigned viewsNeeded() const;
  void applyOutcome(const QuantOutcome& outcome);
  void showParamError(const QString& message, const QString& path);
  void onTabChanged(int index);
  // Menus.
  void importRecipeDialog();
  void saveSessionDialog();
  void openSessionDialog();
  void finishRestoreIfReady();

  QTabWidget* m_tabs;
  widgets::TensorBrowser* m_browser;
  widgets::HistogramView* m_histogram;
  widgets::SaturationMapView* m_saturation;
  widgets::OutlierView* m_outliers;
  widgets::Nf4PreviewView* m_nf4;
  widgets::ErrorView* m_errorView;
  widgets::StatsPanel* m_stats;
  widgets::MetadataView* m_metadata;
  widgets::RecipeEditor* m_editor;
  widgets::FiguresPanel* m_figures;
  ModelPage* m_modelPage = nullptr;
  ClassroomPage* m_classroomPage = nullptr;
  bool m_evaluateDemoModel = false;  ///< evaluate once the demo model is loaded
  int m_metadataFileId = 0;  ///< the file whose metadata the metadata dock shows
  QProgressBar* m_progress;
  QPushButton* m_cancel;
  QLabel* m_busyLabel;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;
  QAction* m_logAction = nullptr;
  QAction* m_presentationAction = nullptr;
  QActionGroup* m_themeGroup = nullptr;

  // The selection, the recipe, the part and the activations (the session model).
  WorkbenchModel* m_model;

  // Quantization.
  QuantJob* m_quantJob;
  std::uint64_t m_quantGeneration = 0;  ///< of the newest request
  std::uint64_t m_tensorEpoch = 0;      ///< generation of the first request on the current tensor
  QuantOutcome m_outcome;
  double m_outlierThreshold = 6.0;

  // Background work besides the quantization (job_runner.h).
  FileController* m_files;      ///< the open files, and opening them (side by side)
  JobRunner* m_tensorJobs;      ///< reading the selected tensor, newest selection wins (Supersede)
  ExportController* m_exports;  ///< the File ▸ Export actions and the export job

  // Session restore in progress.
  std::optional<Session> m_restore;
  QVector<int> m_restoreIds;
  int m_restoreOutstanding = 0;
  // The session's file that is the Divergence tab's model: the model page lists it when it opens
  // the model, so the restore waits for that instead of opening the file a second time.
  int m_restoreModelFile = -1;
  // openModelFolder: the folder being opened by the Divergence tab and the tensor to select then.
  QString m_openingFolder, m_folderSelect;
  bool m_restoreWaitingForPlots = false;

  // Presentation mode.
  bool m_presentation = false;
  bool m_fittedOnShow = false;  ///< fitToScreen ran once the frame (title bar) was known
  QByteArray m_statePresentation;
  QFont m_normalFont;
};

}  // namespace quench::app
