#include "app/gui/main_window.h"

#include <H5public.h>
#include <qcustomplot.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QUndoStack>

#include "app/gui/classroom_page.h"
#include "app/gui/demo_assets.h"
#include "app/gui/job_runner.h"
#include "app/gui/model_page.h"
#include "app/gui/tensor_job.h"
#include "app/gui/theme.h"
#include "core/exec/parallel.h"
#include "core/io/demo.h"
#include "core/quant/codebook.h"
#include "core/recipe/quantize_model.h"
#include "widgets/error_view.h"
#include "widgets/figure_export.h"
#include "widgets/figures_panel.h"
#include "widgets/histogram_view.h"
#include "widgets/metadata_view.h"
#include "widgets/nf4_preview_view.h"
#include "widgets/outlier_view.h"
#include "widgets/plot_export_menu.h"
#include "widgets/recipe_editor.h"
#include "widgets/saturation_map_view.h"
#include "widgets/stats_panel.h"
#include "widgets/tensor_browser.h"


namespace quench::app {

namespace {
constexpr int kMaxRecent = 10;
const QString kRecentKey = QStringLiteral("recentFiles");
const char* const kTabKeys[] = {"histogram", "saturation", "outliers", "nf4", "error", "divergence", "classroom"};

// What a worker hands back after opening a file; copyable so it can travel in a QFuture.
struct FileOpened {
  QString path;
  std::shared_ptr<const TensorReader> reader;
  QString error;
};

// Writes the quantized model through core's quantizeModel (the writer quench-cli quantize --recipe
// --out uses): every tensor in file order, the selected ones as their reconstruction, streaming.
QString writeQuantizedFile(const TensorReader& reader, const Recipe& recipe, const QString& fileName, const Work& work) {
  auto model = quantizeModel(reader, recipe, QuantizeModelOptions{fileName.toStdString(), false}, work);
  if (model) return {};
  return work.cancelled() ? QStringLiteral("cancelled") : QString::fromStdString(model.error().message);
}
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      m_tabs(new QTabWidget),
      m_browser(new widgets::TensorBrowser),
      m_histogram(new widgets::HistogramView),
      m_saturation(new widgets::SaturationMapView),
      m_outliers(new widgets::OutlierView),
      m_nf4(new widgets::Nf4PreviewView),
      m_errorView(new widgets::ErrorView),
      m_stats(new widgets::StatsPanel),
      m_metadata(new widgets::MetadataView),
      m_editor(new widgets::RecipeEditor),
      m_figures(new widgets::FiguresPanel),
      m_progress(new QProgressBar),
      m_cancel(new QPushButton(tr("Cancel"))),
      m_busyLabel(new QLabel),
      m_quantJob(new QuantJob(this)),
      m_fileJobs(new JobRunner(JobPolicy::Parallel, this)),
      m_tensorJobs(new JobRunner(JobPolicy::Supersede, this)),
      m_exportJobs(new JobRunner(JobPolicy::Parallel, this)) {
  setWindowTitle(tr("Quench"));
  setObjectName(QStringLiteral("mainWindow"));
  setAcceptDrops(true);
  m_recipe.rules.push_back({"*", MethodParams{}});
  createTabs();
  setCentralWidget(m_tabs);
  createDocks();
  createActions();

  m_progress->setRange(0, 100);
  m_progress->setMaximumWidth(200);
  m_progress->setTextVisible(true);
  m_cancel->setObjectName(QStringLiteral("cancelButton"));
  m_cancel->setToolTip(tr("Stop the running work"));
  connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelWork);
  statusBar()->addPermanentWidget(m_busyLabel);
  statusBar()->addPermanentWidget(m_progress);
  statusBar()->addPermanentWidget(m_cancel);
  updateBusyUi();
  statusBar()->showMessage(tr("Open a tensor file (Ctrl+O), drop one here, or open the demo"));

  connect(m_browser, &widgets::TensorBrowser::tensorSelected, this, &MainWindow::startAnalysis);
  connect(m_editor, &widgets::RecipeEditor::paramsChanged, this, &MainWindow::applyParams);
  connect(m_editor, &widgets::RecipeEditor::partSelected, this, &MainWindow::setSelectedPart);
  connect(m_histogram, &widgets::HistogramView::partRequested, this, &MainWindow::setSelectedPart);
  connect(m_histogram, &widgets::HistogramView::modeChanged, this, [this] { requestQuantization(); });
  connect(m_errorView, &widgets::ErrorView::partActivated, this, [this](int part) {
    setSelectedPart(part);
    setCurrentTab(kHistogramTab);
  });
  connect(m_outliers, &widgets::OutlierView::thresholdChanged, this, [this](double tau) {
    m_outlierThreshold = tau;
    requestQuantization();
  });
  connect(m_quantJob, &QuantJob::finished, this, &MainWindow::applyOutcome);
  for (JobRunner* jobs : {m_tensorJobs, m_exportJobs})
    connect(jobs, &JobRunner::progressChanged, this, [this](double f) { m_progress->setValue(int(100.0 * f + 0.5)); });
  m_editor->setParams(m_recipe.rules.front().params);
  recipeChanged();
  m_histogram->clear(tr("Select a tensor"));

  QSettings settings;
  resize(1400, 860);
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  const QString theme = settings.value(QStringLiteral("theme"), QStringLiteral("system")).toString();
  if (theme != QLatin1String("system")) setTheme(theme);
}

MainWindow::~MainWindow() {
  // Stop every worker and wait before any member goes away (STYLE.md §3).
  for (JobRunner* jobs : {m_fileJobs, m_tensorJobs, m_exportJobs}) jobs->shutdown();
  m_quantJob->cancel();
}

void MainWindow::createTabs() {
  m_tabs->setObjectName(QStringLiteral("viewTabs"));
  m_tabs->setDocumentMode(true);
  m_modelPage = new ModelPage;
  m_classroomPage = new ClassroomPage;
  const std::pair<QWidget*, QString> pages[] = {
      {m_histogram, tr("Histogram")}, {m_saturation, tr("Saturation")}, {m_outliers, tr("Outliers")},
      {m_nf4, tr("NF4")},             {m_errorView, tr("Error")},       {m_modelPage, tr("Divergence")},
      {m_classroomPage, tr("Classroom")}};
  for (const auto& [w, title] : pages) m_tabs->addTab(w, title);
  m_tabs->setTabToolTip(kHistogramTab, tr("Original and reconstruction on shared bins, grid, clip lines, saturated mass (Ctrl+1)"));
  m_tabs->setTabToolTip(kSaturationTab, tr("The tensor as a heat map with saturated elements marked (Ctrl+2)"));
  m_tabs->setTabToolTip(kOutliersTab, tr("Per-column max |x| and the outlier threshold τ (Ctrl+3)"));
  m_tabs->setTabToolTip(kNf4Tab, tr("Block-normalized data against the NF4, INT4 and FP4 levels (Ctrl+4)"));
  m_tabs->setTabToolTip(kErrorTab, tr("Per-part error figures and the error histogram (Ctrl+5)"));
  m_tabs->setTabToolTip(kDivergenceTab, tr("KL/JS of a language model under the recipe (Ctrl+6)"));
  m_tabs->setTabToolTip(kClassroomTab, tr("Worked examples for teaching (Ctrl+7)"));
  connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::onTabChanged);
  // Every plot of every tab exports from its context menu (the histogram, error and figures
  // views install theirs themselves).
  widgets::installExportMenu(m_saturation->mapPlot(), QStringLiteral("saturation-map.png"));
  widgets::installExportMenu(m_saturation->partsPlot(), QStringLiteral("saturation-per-part.png"));
  widgets::installExportMenu(m_outliers->plot(), QStringLiteral("outlier-columns.png"));
  widgets::installExportMenu(m_outliers->errorPlot(), QStringLiteral("llm-int8-error.png"));
  widgets::installExportMenu(m_nf4->histogramPlot(), QStringLiteral("nf4-preview.png"));
  for (int i = 0; i < 3; ++i)
    widgets::installExportMenu(m_nf4->occupancyPlot(i), QStringLiteral("nf4-occupancy-%1.png").arg(i));
  connect(m_classroomPage, &ClassroomPage::presentationRequested, this, &MainWindow::setPresentationMode);
  // A model opened on the Divergence page lists its tensors in the browser like any file, so the
  // quantization views show the very weights the evaluation quantizes.
  connect(m_modelPage, &ModelPage::modelOpened, this, &MainWindow::listModelTensors);
  connect(m_modelPage, &ModelPage::errorShown, this, [this] { m_evaluateDemoModel = false; });
}

void MainWindow::createDocks() {
  auto addDock = [this](QWidget* w, const QString& title, const char* name, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(QString::fromLatin1(name));
    dock->setWidget(w);
    addDockWidget(area, dock);
    return dock;
  };
  auto* browserDock = addDock(m_browser, tr("Files & tensors"), "browserDock", Qt::LeftDockWidgetArea);
  m_browser->setMinimumWidth(300);  // tensor names stay readable beside dtype, shape and size
  auto* statsDock = addDock(m_stats, tr("Statistics"), "statsDock", Qt::LeftDockWidgetArea);
  auto* metadataDock = addDock(m_metadata, tr("File metadata"), "metadataDock", Qt::LeftDockWidgetArea);
  tabifyDockWidget(statsDock, metadataDock);
  statsDock->raise();
  auto* recipeDock = addDock(m_editor, tr("Recipe"), "recipeDock", Qt::RightDockWidgetArea);
  auto* figuresDock = addDock(m_figures, tr("Figures"), "figuresDock", Qt::RightDockWidgetArea);
  resizeDocks({browserDock, recipeDock}, {340, 400}, Qt::Horizontal);
  resizeDocks({browserDock, statsDock, recipeDock, figuresDock}, {480, 260, 500, 300}, Qt::Vertical);
}

void MainWindow::createActions() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open…"), this,
                               &MainWindow::chooseFiles);
  open->setShortcut(QKeySequence::Open);
  open->setToolTip(tr("Open safetensors, GGUF, llama2.c, NumPy or HDF5 files (Ctrl+O)"));
  // A Hugging Face checkpoint is a folder (model.safetensors, or shards and their index).
  auto* openFolder = file->addAction(QIcon::fromTheme(QStringLiteral("folder-open")), tr("Open &Folder…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face checkpoint folder"));
    if (!dir.isEmpty()) openFile(dir);
  });
  openFolder->setToolTip(tr("Open a Hugging Face checkpoint folder: model.safetensors, or sharded with "
                            "model.safetensors.index.json"));
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  rebuildRecentMenu();
  auto* demo = file->addAction(QIcon::fromTheme(QStringLiteral("applications-science")), tr("Open &Demo"),
                               this, [this] { openDemo(); });
  demo->setToolTip(tr("Synthetic Llama-style weights with heavy tails and outlier columns"));
  file->addSeparator();
  auto* openSession = file->addAction(tr("Open &Session…"), this, &MainWindow::openSessionDialog);
  openSession->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
  auto* saveSession = file->addAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save Session…"),
                                      this, &MainWindow::saveSessionDialog);
  saveSession->setShortcut(QKeySequence::Save);
  saveSession->setToolTip(tr("Save the open files, selection, recipe, pins and view settings (Ctrl+S)"));
  file->addSeparator();
  auto* exportFigure = file->addAction(QIcon::fromTheme(QStringLiteral("document-export")),
                                       tr("&Export Figure…"), this, &MainWindow::exportFigureDialog);
  exportFigure->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  exportFigure->setToolTip(tr("The current view's plot as PNG, SVG or PDF (Ctrl+E)"));
  file->addAction(tr("Export &Recipe…"), this, &MainWindow::exportRecipeDialog)
      ->setToolTip(tr("The recipe as JSON, as quench-cli quantize --recipe reads it"));
  file->addAction(tr("&Import Recipe…"), this, &MainWindow::importRecipeDialog);
  file->addAction(tr("Export &Quantized Tensors…"), this, &MainWindow::exportQuantizedDialog)
      ->setToolTip(tr("Apply the recipe to the whole file and write safetensors or HDF5"));
  file->addAction(tr("Export Fi&gures Table…"), this, &MainWindow::exportFiguresDialog)
      ->setToolTip(tr("The figures panel (pins and live row) as CSV or JSON"));
  file->addSeparator();
  auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = m_editor->undoStack()->createUndoAction(this, tr("&Undo"));
  undo->setShortcuts(QKeySequence::Undo);
  undo->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo")));
  QAction* redo = m_editor->undoStack()->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  redo->setIcon(QIcon::fromTheme(QStringLiteral("edit-redo")));
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();
  auto* thisOnly = edit->addAction(tr("Apply to This &Tensor Only"), this, &MainWindow::applyToThisTensorOnly);
  edit->addSeparator();
  auto* useActs = edit->addAction(tr("Use Selected Tensor as &Activations"), this, [this] { useAsActivations(m_tensor); });
  useActs->setObjectName(QStringLiteral("useAsActivationsAction"));
  useActs->setToolTip(tr("X (tokens × features) for the Outliers tab: the LLM.int8() error of X·Wᵀ with and without "
                         "the outlier columns (|X[t, j]| ≥ τ) kept in full precision"));
  edit->addAction(tr("&Clear Activations"), this, [this] { useAsActivations(nullptr); });
  thisOnly->setToolTip(tr("Add a recipe rule for the selected tensor's exact name, first in the recipe"));
  auto* pin = edit->addAction(tr("&Pin Figures"), this, [this] { m_figures->pinCurrent(); });
  pin->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));

  m_viewMenu = menuBar()->addMenu(tr("&View"));
  for (int i = 0; i < kTabCount; ++i) {
    auto* a = m_viewMenu->addAction(m_tabs->tabText(i), this, [this, i] { setCurrentTab(Tab(i)); });
    a->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
    addAction(a);  // window-wide even when the menu bar is hidden in presentation mode
  }
  m_viewMenu->addSeparator();
  m_logAction = m_viewMenu->addAction(tr("&Log counts"));
  m_logAction->setCheckable(true);
  m_logAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
  m_logAction->setToolTip(tr("Histogram counts on a logarithmic axis (Ctrl+L)"));
  connect(m_logAction, &QAction::toggled, m_histogram, &widgets::HistogramView::setLogScale);
  connect(m_histogram, &widgets::HistogramView::logScaleChanged, m_logAction, &QAction::setChecked);
  auto* resetZoom = m_viewMenu->addAction(tr("&Reset zoom"), m_histogram, &widgets::HistogramView::resetZoom);
  resetZoom->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
  auto* filter =
      m_viewMenu->addAction(tr("&Filter tensors"), m_browser, &widgets::TensorBrowser::focusFilter);
  filter->setShortcut(QKeySequence::Find);
  filter->setShortcutContext(Qt::WidgetShortcut);  // the browser owns the window-wide Ctrl+F
  m_presentationAction = m_viewMenu->addAction(QIcon::fromTheme(QStringLiteral("view-fullscreen")),
                                               tr("&Presentation Mode"));
  m_presentationAction->setCheckable(true);
  m_presentationAction->setShortcut(QKeySequence(Qt::Key_F11));
  m_presentationAction->setToolTip(tr("Large fonts, docks folded away, full screen (F11)"));
  connect(m_presentationAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
  addAction(m_presentationAction);
  QMenu* themeMenu = m_viewMenu->addMenu(tr("&Theme"));
  m_themeGroup = new QActionGroup(this);
  const std::pair<QString, QString> themes[] = {
      {QStringLiteral("system"), tr("&System")}, {QStringLiteral("light"), tr("&Light")}, {QStringLiteral("dark"), tr("&Dark")}};
  const QString savedTheme = QSettings().value(QStringLiteral("theme"), QStringLiteral("system")).toString();
  for (const auto& [key, title] : themes) {
    QAction* a = themeMenu->addAction(title, this, [this, key = key] { setTheme(key); });
    a->setCheckable(true);
    a->setData(key);
    a->setChecked(key == savedTheme);
    m_themeGroup->addAction(a);
  }
  m_viewMenu->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>()) m_viewMenu->addAction(dock->toggleViewAction());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About Quench"), this, &MainWindow::showAbout);
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

  QToolBar* bar = addToolBar(tr("Main"));
  bar->setObjectName(QStringLiteral("mainToolBar"));
  bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  bar->addAction(open);
  bar->addAction(demo);
  bar->addAction(saveSession);
  bar->addAction(exportFigure);
  bar->addSeparator();
  bar->addAction(undo);
  bar->addAction(redo);
  bar->addSeparator();
  auto* classroom = bar->addAction(tr("Classroom"), this, [this] { setCurrentTab(kClassroomTab); });
  classroom->setToolTip(tr("Worked examples (Ctrl+7)"));
  bar->addAction(m_presentationAction);
}

// ---------------------------------------------------------------- files and tensors

void MainWindow::chooseFiles() {
  const QStringList paths = QFileDialog::getOpenFileNames(
      this, tr("Open tensor files"), QString(),
      tr("Tensor files (*.safetensors *.safetensors.index.json *.gguf *.bin *.npy *.npz *.h5 *.hdf5);;Quench sessions (*.quench);;All files (*)"));
  for (const QString& p : paths) {
    if (p.endsWith(QLatin1String(".quench"), Qt::CaseInsensitive))
      openSession(p);
    else
      openFile(p);
  }
}

void MainWindow::openFile(const QString& path, const QString& selectName) {
  openFileThen(path, [this, selectName](int id) {
    if (id) selectInitial(id, selectName);
  });
}

void MainWindow::openFileThen(const QString& path, std::function<void(int)> then) {
  statusBar()->showMessage(tr("Opening %1…").arg(path));
  JobCallbacks<FileOpened> done;
  done.result = [this, then](const FileOpened& outcome) {
    updateBusyUi();
    if (!outcome.error.isEmpty()) {
      statusBar()->showMessage(tr("Could not open %1").arg(outcome.path));
      showError(tr("Could not open file"), outcome.error);
      then(0);
      return;
    }
    rememberRecent(outcome.path);
    const int id = addReader(outcome.reader, QFileInfo(outcome.path).fileName());
    m_filePaths[id] = QFileInfo(outcome.path).absoluteFilePath();
    then(id);
  };
  done.failed = [this, path, then](const QString& what) {
    updateBusyUi();
    showError(tr("Could not open file"), tr("%1: %2").arg(path, what));
    then(0);
  };
  // The catalog is parsed off the GUI thread: a large GGUF or HDF5 header takes a moment.
  m_fileJobs->start<FileOpened>(
      [path](QPromise<FileOpened>&, std::stop_token) {
        FileOpened out{path, nullptr, {}};
        auto reader = openTensorFile(path.toStdString());
        if (reader)
          out.reader = std::shared_ptr<const TensorReader>(std::move(reader).value());
        else
          out.error = QString::fromStdString(reader.error().message);
        return out;
      },
      done);
  updateBusyUi();
}

int MainWindow::ensureDemo() {
  // The demo's catalog is a constant list: building it is instant, no worker needed.
  if (!m_demoFileId) {
    m_demoFileId = addReader(makeDemoReader(), tr("Quench demo"));
    m_filePaths[m_demoFileId] = QString();
  }
  return m_demoFileId;
}

void MainWindow::openDemo(const QString& selectName) {
  // The outlier columns of the first query weight make the most telling first picture.
  const QString target = selectName.isEmpty() ? QStringLiteral("blk.0.attn_q.weight") : selectName;
  const int id = ensureDemo();
  if (!selectTensor(id, target)) showError(tr("No such tensor"), tr("The demo has no tensor named “%1”.").arg(target));
  openDemoModel();
}

void MainWindow::openDemoModel() {
  // The project's own tiny Llama (resources/demo-lm): with it loaded and evaluated once, the
  // Divergence tab is live on first start too. Missing (a stripped install) is not an error.
  if (!m_modelPage->modelPath().isEmpty() || m_modelPage->isBusy()) return;
  const QString dir = demoModelDir();
  if (dir.isEmpty()) {
    statusBar()->showMessage(tr("The demo language model is not installed"), 5000);
    return;
  }
  m_evaluateDemoModel = true;
  m_modelPage->openModel(dir);
}

void MainWindow::listModelTensors(const QString& path) {
  auto reader = m_modelPage->tensorReader();
  if (!reader) return;
  const int id = addReader(reader, QFileInfo(path).fileName());
  m_filePaths[id] = path;
  if (m_evaluateDemoModel) {
    m_evaluateDemoModel = false;
    m_modelPage->evaluate();
  }
}

int MainWindow::addReader(std::shared_ptr<const TensorReader> reader, const QString& title) {
  const QString path = QString::fromStdString(reader->path());
  const int id = m_browser->addFile(title, path, QString::fromLatin1(reader->format()), reader->tensors());
  m_files[id] = reader;
  setWindowTitle(tr("Quench — %1").arg(title));
  // The dock follows the selected tensor's file. A file with no tensor to select (a vocabulary-only
  // GGUF: its metadata is all it holds), or the first file, shows its metadata at once.
  if (reader->tensors().empty() || m_metadataFileId == 0) {
    m_metadataFileId = id;
    m_metadata->setReader(*reader, QFileInfo(path).fileName());
  }
  statusBar()->showMessage(reader->tensors().empty()
                               ? tr("Opened %1: no tensors, %2 metadata keys").arg(path).arg(reader->metadata().size())
                               : tr("Opened %1: %2 tensors").arg(path).arg(reader->tensors().size()),
                           5000);
  emit fileOpened(id, path);
  return id;
}

void MainWindow::selectInitial(int fileId, const QString& selectName) {
  auto reader = this->reader(fileId);
  if (!reader) return;
  QString target = selectName;
  if (target.isEmpty())
    if (auto i = interestingTensor(*reader)) target = QString::fromStdString(reader->tensors()[*i].name);
  if (!target.isEmpty() && !selectTensor(fileId, target))
    showError(tr("No such tensor"),
              tr("%1 has no tensor named “%2”.").arg(QString::fromStdString(reader->path()), target));
}

bool MainWindow::selectTensor(int fileId, const QString& name) { return m_browser->selectTensor(fileId, name); }

std::shared_ptr<const TensorReader> MainWindow::reader(int fileId) const {
  auto it = m_files.find(fileId);
  return it == m_files.end() ? nullptr : it->second;
}

bool MainWindow::isBusy() const {
  return m_fileJobs->isRunning() || m_tensorJobs->isRunning() || m_quantJob->isRunning() || m_exportJobs->isRunning();
}

void MainWindow::startAnalysis(int fileId, int tensorIndex) {
  auto reader = this->reader(fileId);
  if (!reader || tensorIndex < 0 || std::size_t(tensorIndex) >= reader->tensors().size()) return;
  if (fileId != m_metadataFileId) {  // metadata is part of the catalog: no worker needed
    m_metadataFileId = fileId;
    m_metadata->setReader(*reader, QFileInfo(QString::fromStdString(reader->path())).fileName());
  }
  // The newest request wins: the previous reading is superseded, and the quantization of the
  // previous tensor is cancelled with it.
  m_quantJob->cancel();
  const QString name = QString::fromStdString(reader->tensors()[tensorIndex].name);
  JobCallbacks<TensorAnalysis> done;
  done.result = [this, fileId, tensorIndex](const TensorAnalysis& result) {
    m_fileId = fileId;
    m_tensorIndex = tensorIndex;
    applyAnalysis(result);
  };
  done.failed = [this, name](const QString& what) {
    TensorAnalysis failed;
    failed.name = name;
    failed.error = what;
    applyAnalysis(failed);
  };
  m_tensorJobs->start<TensorAnalysis>(
      [reader, index = std::size_t(tensorIndex)](QPromise<TensorAnalysis>& promise, std::stop_token stop) {
        return analyzeTensor(*reader, index, promiseWork(promise, stop));
      },
      done);
  m_progress->setValue(0);
  updateBusyUi();
  m_busyLabel->setText(tr("Reading %1").arg(name));
}

void MainWindow::applyAnalysis(const TensorAnalysis& result) {
  m_busyLabel->clear();
  updateBusyUi();
  if (result.cancelled) {
    statusBar()->showMessage(tr("Cancelled reading %1").arg(result.name), 5000);
    return;
  }
  if (!result.error.isEmpty()) {
    m_histogram->clear(tr("Could not read %1").arg(result.name));
    m_stats->clear();
    showError(tr("Could not read tensor"), result.error);
    return;
  }
  const bool sameTensor = m_tensorName == result.name && m_tensor;
  m_tensor = result.tensor;
  m_tensorName = result.name;
  if (!sameTensor && !(m_restore && m_restoreWaitingForPlots)) m_part = -1;  // parts differ between tensors
  // The original first; the reconstruction follows when the quantization job is done.
  m_histogram->setHistogram(result.histogram, result.name);
  m_stats->setSummary(result.summary, result.heading);
  std::vector<std::size_t> shape;
  for (auto d : result.tensor->shape) shape.push_back(std::size_t(d));
  m_editor->setTensorInfo(result.name, shape);
  statusBar()->showMessage(
      tr("%1: read, summarized and histogrammed in %2 ms").arg(result.name).arg(result.elapsedMs, 0, 'f', 1));
  emit tensorShown(result.name);
  updateCurrentRule();
  m_tensorEpoch = m_quantGeneration + 1;
  requestQuantization();
}

void MainWindow::cancelWork() {
  if (m_tensorJobs->isRunning()) {
    m_tensorJobs->cancel();
    m_busyLabel->setText(tr("Cancelling…"));
  }
  if (m_quantJob->isRunning()) m_quantJob->cancel();
  if (m_exportJobs->isRunning()) {
    m_exportJobs->cancel();
    m_busyLabel->setText(tr("Cancelling export…"));
  }
}

void MainWindow::updateBusyUi() {
  // A quantization is short: it shows in the status text, not as a progress bar that flickers.
  const bool reading = m_tensorJobs->isRunning(), exporting = m_exportJobs->isRunning();
  const bool busy = m_fileJobs->isRunning() || reading || exporting;
  m_progress->setVisible(busy);
  m_cancel->setVisible(busy);
  m_cancel->setEnabled(reading || exporting);  // opening lists a catalog only
  if (m_fileJobs->isRunning() && !reading && !exporting)
    m_progress->setRange(0, 0);  // indeterminate
  else
    m_progress->setRange(0, 100);
}

// ---------------------------------------------------------------- the recipe and the quantization loop

MethodParams MainWindow::currentParams() const {
  if (m_currentRule >= 0 && std::size_t(m_currentRule) < m_recipe.rules.size())
    return m_recipe.rules[std::size_t(m_currentRule)].params;
  return m_editor->params();
}

void MainWindow::updateCurrentRule() {
  int rule = -1;
  if (m_tensor) {
    if (auto r = matchRule(m_recipe, m_tensorName.toStdString(), m_tensor->shape.size())) rule = int(*r);
  } else if (!m_recipe.rules.empty()) {
    rule = 0;
  }
  if (rule != m_currentRule) m_editor->undoStack()->clear();  // the history belonged to another rule
  m_currentRule = rule;
  m_editor->clearErrors();
  if (rule >= 0) {
    m_editor->setParams(m_recipe.rules[std::size_t(rule)].params);
  } else if (m_tensor) {
    // A norm or bias: "*" does not select tensors of rank ≤ 1 (MATH.md §7). The editor shows the
    // first rule's parameters; an edit adds a rule for this tensor's exact name.
    m_editor->showError(QString(), tr("No recipe rule selects %1 (rank %2): an edit adds a rule for it")
                                       .arg(m_tensorName)
                                       .arg(m_tensor->shape.size()));
  }
}

void MainWindow::recipeChanged() {
  m_modelPage->setRecipe(m_recipe);
}

void MainWindow::setRecipe(const Recipe& recipe) {
  m_recipe = recipe;
  recipeChanged();
  m_currentRule = -2;  // force the editor to show the new rule and drop the old history
  updateCurrentRule();
  requestQuantization();
}

void MainWindow::applyParams(const MethodParams& params) {
  m_editor->clearErrors();
  if (m_currentRule < 0) {
    if (!m_tensor) return;
    m_recipe.rules.insert(m_recipe.rules.begin(), RecipeRule{m_tensorName.toStdString(), params});
    m_currentRule = 0;
    statusBar()->showMessage(tr("Added a recipe rule for %1").arg(m_tensorName), 5000);
  } else {
    m_recipe.rules[std::size_t(m_currentRule)].params = params;
  }
  recipeChanged();
  requestQuantization();
}

void MainWindow::useAsActivations(std::shared_ptr<const FloatTensor> activations) {
  if (activations && activations->shape.size() != 2) {
    showError(tr("Not a matrix"), tr("Activations must be a 2-D tensor (tokens × features); %1 is not.")
                                      .arg(QString::fromStdString(activations->name)));
    return;
  }
  m_activations = std::move(activations);
  statusBar()->showMessage(m_activations ? tr("Activations: %1 (select a weight and open the Outliers tab)")
                                               .arg(QString::fromStdString(m_activations->name))
                                         : tr("Activations cleared"),
                           6000);
  requestQuantization();
}

void MainWindow::applyToThisTensorOnly() {
  if (!m_tensor) return;
  const std::string name = m_tensorName.toStdString();
  if (m_currentRule >= 0 && m_recipe.rules[std::size_t(m_currentRule)].tensors == name) return;  // already
  m_recipe.rules.insert(m_recipe.rules.begin(), RecipeRule{name, currentParams()});
  m_currentRule = 0;
  recipeChanged();
  statusBar()->showMessage(tr("%1 now has its own recipe rule").arg(m_tensorName), 5000);
}

void MainWindow::setSelectedPart(int part) {
  if (part == m_part) return;
  m_part = part;
  if (m_editor->selectedPart() != part) {
    const QSignalBlocker block(m_editor);
    m_editor->selectPart(part);
  }
  requestQuantization();
}

void MainWindow::setCurrentTab(Tab tab) { m_tabs->setCurrentIndex(int(tab)); }

unsigned MainWindow::viewsNeeded() const {
  // Only what the visible tab shows, plus the error histogram for the figures panel's curves.
  unsigned views = kViewErrorHist;
  switch (m_tabs->currentIndex()) {
    case kHistogramTab: views |= kViewOverlay; break;
    case kSaturationTab: views |= kViewSaturation; break;
    case kOutliersTab: views |= kViewOutliers; break;
    case kNf4Tab: views |= kViewNf4; break;
    default: break;
  }
  return views;
}

void MainWindow::requestQuantization() {
  if (!m_tensor) return;
  QuantRequest r;
  r.generation = ++m_quantGeneration;
  r.tensor = m_tensor;
  r.params = currentParams();
  r.part = m_part;
  r.views = viewsNeeded();
  r.outlierThreshold = m_outlierThreshold;
  r.activations = m_activations;
  m_busyLabel->setText(tr("Quantizing…"));
  m_quantJob->submit(std::move(r));
}

void MainWindow::onTabChanged(int index) {
  // A tab whose data the last outcome lacks asks for it (same recipe, same tensor).
  const unsigned have = m_outcome.generation >= m_tensorEpoch ? 1u : 0u;
  bool missing = !have;
  switch (index) {
    case kHistogramTab: missing = missing || m_outcome.original.counts.empty(); break;
    case kSaturationTab: missing = missing || !m_outcome.saturationMap; break;
    case kOutliersTab: missing = missing || !m_outcome.outliers; break;
    case kNf4Tab: missing = missing || !m_outcome.nf4; break;
    default: missing = false; break;
  }
  if (missing) requestQuantization();
}

void MainWindow::showParamError(const QString& message, const QString& path) {
  // The note goes under the field the error's path names ("overrides[17].scale" → overrides).
  m_editor->showError(path.section(QLatin1Char('.'), 0, 0).section(QLatin1Char('['), 0, 0), message);
  statusBar()->showMessage(tr("Recipe rejected: %1").arg(message), 8000);
}

void MainWindow::applyOutcome(const QuantOutcome& o) {
  const bool newest = o.generation == m_quantGeneration;
  if (newest || !m_quantJob->isRunning()) m_busyLabel->clear();
  // A result for an earlier tensor, or older than what is shown, is dropped; an intermediate one
  // (the user is still dragging) is shown: it is the closest thing to the newest.
  if (o.generation < m_tensorEpoch || o.generation < m_outcome.generation || o.cancelled) return;
  if (!o.error.empty()) {
    if (newest) {
      const QString error = QString::fromStdString(o.error);
      showParamError(error, QString::fromStdString(o.errorPath));
      emit quantFailed(error);
    }
    return;
  }
  m_outcome = o;
  const QString title = QStringLiteral("%1 — %2").arg(o.tensorName, o.recipeLabel);
  const QString fileStem = QString(o.tensorName).replace(QLatin1Char('/'), QLatin1Char('_'));

  if (!o.original.counts.empty()) {
    widgets::HistogramOverlayData d;
    d.tensorName = o.tensorName;
    d.recipeLabel = o.recipeLabel;
    d.original = o.original;
    d.reconstruction = o.reconstruction;
    d.error = o.errorHistogram;
    d.levels = o.grid;
    if (o.clip) {
      d.clipLow = o.clip->first;
      d.clipHigh = o.clip->second;
    }
    d.saturated = o.saturated;
    d.total = o.shownCount;
    d.part = o.part;
    d.partCount = int(o.parts.size());
    m_histogram->setOverlay(d);
    widgets::setSuggestedFigureName(m_histogram->plot(), QStringLiteral("histogram-%1.png").arg(fileStem));
  }
  if (!o.errorHistogram.counts.empty()) m_errorView->setResult(o.parts, o.errorHistogram, title);
  if (o.saturationMap)
    m_saturation->setData(*o.saturationMap, widgets::SaturationMapView::Quantity::Value, o.parts, title);
  if (o.llmInt8) {
    m_outliers->setThreshold(o.llmInt8->outliers.threshold);
    m_outliers->setLlmInt8(*o.llmInt8, tr("%1 · activations %2").arg(o.tensorName, QString::fromStdString(m_activations->name)));
  } else if (o.outliers) {
    m_outliers->setThreshold(o.outliers->threshold);
    m_outliers->setColumns(*o.outliers, o.tensorName);
  }
  if (!o.llmInt8Error.isEmpty()) statusBar()->showMessage(tr("LLM.int8(): %1").arg(o.llmInt8Error), 8000);
  if (o.nf4) {
    widgets::Nf4PreviewView::Storage storage;
    storage.blockSize = o.nf4Block;
    storage.bitsPerParam = codebookBitsPerParam(4, o.nf4Block, false);
    storage.doubleQuantBitsPerParam = codebookBitsPerParam(4, o.nf4Block, true);
    m_nf4->setPreview(*o.nf4, storage, o.tensorName);
  }
  m_figures->setCurrent(o.total, o.recipeLabel, o.tensorName, o.errorHistogram);
  m_editor->setParts(o.parts, o.proposed);
  if (m_editor->selectedPart() != m_part && m_part < int(o.parts.size())) {
    const QSignalBlocker block(m_editor);  // the window already shows that part
    m_editor->selectPart(m_part);
  }
  statusBar()->showMessage(tr("%1: quantized in %2 ms, views in %3 ms")
                               .arg(o.recipeLabel)
                               .arg(o.quantizeMs, 0, 'f', 1)
                               .arg(o.elapsedMs - o.quantizeMs, 0, 'f', 1));
  if (!newest) return;
  emit plotsUpdated(o.tensorName);
  if (m_restore && m_restoreWaitingForPlots) {
    m_restore.reset();
    m_restoreWaitingForPlots = false;
    emit sessionRestored();
  }
}

// ---------------------------------------------------------------- export

QCustomPlot* MainWindow::currentPlot() const {
  switch (m_tabs->currentIndex()) {
    case kHistogramTab: return m_histogram->plot();
    case kSaturationTab: return m_saturation->mapPlot();
    case kOutliersTab: return m_outliers->plot();
    case kNf4Tab: return m_nf4->histogramPlot();
    case kErrorTab: return m_errorView->partsPlot();
    default: {
      // Pages with several plots: the one under the keyboard focus, else the first visible one.
      QWidget* page = m_tabs->currentWidget();
      for (QWidget* w = QApplication::focusWidget(); w; w = w->parentWidget())
        if (auto* p = qobject_cast<QCustomPlot*>(w); p && page && page->isAncestorOf(p)) return p;
      if (page)
        for (QCustomPlot* p : page->findChildren<QCustomPlot*>())
          if (p->isVisible()) return p;
      return nullptr;
    }
  }
}

void MainWindow::exportFigureDialog() {
  QCustomPlot* plot = currentPlot();
  if (!plot) {
    statusBar()->showMessage(tr("This view has no plot to export"), 5000);
    return;
  }
  widgets::openExportDialog(plot);
}

QString MainWindow::exportCurrentFigure(const QString& fileName) {
  QCustomPlot* plot = currentPlot();
  if (!plot) return tr("The current view has no plot");
  widgets::FigureFormat format;
  if (!widgets::formatFromFileName(fileName, &format))
    return tr("%1: choose a .png, .svg or .pdf file name").arg(fileName);
  return widgets::exportFigure(*plot, fileName, format, widgets::presetSize(widgets::FigurePreset::SingleColumn));
}

QString MainWindow::exportRecipe(const QString& fileName) {
  QSaveFile f(fileName);
  if (!f.open(QIODevice::WriteOnly)) return tr("%1: cannot write: %2").arg(fileName, f.errorString());
  f.write(QByteArray::fromStdString(recipeToJson(m_recipe)));
  if (!f.commit()) return tr("%1: cannot write: %2").arg(fileName, f.errorString());
  return {};
}

QString MainWindow::importRecipe(const QString& fileName) {
  auto r = loadRecipe(fileName.toStdString());
  if (!r) return QString::fromStdString(r.error().message);
  setRecipe(*r);
  return {};
}

void MainWindow::exportRecipeDialog() {
  const QString f = QFileDialog::getSaveFileName(this, tr("Export recipe"), QStringLiteral("recipe.json"),
                                                 tr("Recipes (*.json)"));
  if (f.isEmpty()) return;
  if (const QString e = exportRecipe(f); !e.isEmpty())
    showError(tr("Could not export the recipe"), e);
  else
    statusBar()->showMessage(tr("Recipe written to %1 (quench-cli quantize FILE --recipe %1)").arg(f), 8000);
}

void MainWindow::importRecipeDialog() {
  const QString f = QFileDialog::getOpenFileName(this, tr("Import recipe"), QString(), tr("Recipes (*.json)"));
  if (f.isEmpty()) return;
  if (const QString e = importRecipe(f); !e.isEmpty()) showError(tr("Could not read the recipe"), e);
}

void MainWindow::exportQuantized(const QString& fileName) {
  auto reader = this->reader(m_fileId);
  if (!reader) {
    emit quantizedExported(fileName, tr("Select a tensor of the file to export first"));
    return;
  }
  if (m_exportJobs->isRunning()) {
    emit quantizedExported(fileName, tr("An export is already running"));
    return;
  }
  m_busyLabel->setText(tr("Exporting %1").arg(QFileInfo(fileName).fileName()));
  m_progress->setValue(0);
  JobCallbacks<QString> done;
  done.result = [this, fileName](const QString& error) {
    m_busyLabel->clear();
    updateBusyUi();
    if (error.isEmpty())
      statusBar()->showMessage(tr("Quantized tensors written to %1").arg(fileName), 8000);
    else
      statusBar()->showMessage(tr("Export failed: %1").arg(error), 8000);
    emit quantizedExported(fileName, error);
  };
  done.failed = done.result;
  m_exportJobs->start<QString>(
      [reader, recipe = m_recipe, fileName](QPromise<QString>& promise, std::stop_token stop) {
        return writeQuantizedFile(*reader, recipe, fileName, promiseWork(promise, stop));
      },
      done);
  updateBusyUi();
}

void MainWindow::exportQuantizedDialog() {
  if (!reader(m_fileId)) {
    showError(tr("Nothing to export"), tr("Open a file and select one of its tensors first."));
    return;
  }
  const QString f = QFileDialog::getSaveFileName(this, tr("Export quantized tensors"),
                                                 QStringLiteral("quantized.safetensors"),
                                                 tr("safetensors (*.safetensors);;HDF5 (*.h5 *.hdf5)"));
  if (f.isEmpty()) return;
  connect(
      this, &MainWindow::quantizedExported, this,
      [this](const QString&, const QString& error) {
        if (!error.isEmpty() && error != QLatin1String("cancelled")) showError(tr("Export failed"), error);
      },
      Qt::SingleShotConnection);
  exportQuantized(f);
}

void MainWindow::exportFiguresDialog() {
  QString selected;
  const QString f = QFileDialog::getSaveFileName(this, tr("Export figures table"), QStringLiteral("figures.csv"),
                                                 tr("CSV (*.csv);;JSON (*.json)"), &selected);
  if (f.isEmpty()) return;
  const QString e = f.endsWith(QLatin1String(".json"), Qt::CaseInsensitive) ? m_figures->saveJson(f) : m_figures->saveCsv(f);
  if (!e.isEmpty()) showError(tr("Could not export the figures"), e);
}

// ---------------------------------------------------------------- sessions

Session MainWindow::currentSession() const {
  Session s;
  for (const auto& [id, path] : m_filePaths) {
    if (!m_files.count(id)) continue;
    if (id == m_fileId && m_tensor) s.selectedFile = int(s.files.size());
    s.files.append(Session::File{path, id == m_demoFileId});
  }
  if (m_tensor) s.selectedTensor = m_tensorName;
  s.recipe = m_recipe;
  s.pins = m_figures->pinsToJson();
  s.tab = QString::fromLatin1(kTabKeys[std::max(0, m_tabs->currentIndex())]);
  s.logScale = m_histogram->logScale();
  s.histogramMode =
      m_histogram->mode() == widgets::HistogramMode::Error ? QStringLiteral("error") : QStringLiteral("overlay");
  s.part = m_part;
  s.divergencePage = m_modelPage->saveState();
  s.classroomPage = m_classroomPage->saveState();
  return s;
}

QString MainWindow::saveSessionTo(const QString& fileName) {
  const QString e = saveSession(fileName, currentSession());
  if (e.isEmpty()) statusBar()->showMessage(tr("Session saved to %1").arg(fileName), 5000);
  return e;
}

void MainWindow::saveSessionDialog() {
  QString f = QFileDialog::getSaveFileName(this, tr("Save session"), QStringLiteral("session.quench"),
                                           tr("Quench sessions (*.quench)"));
  if (f.isEmpty()) return;
  if (!f.endsWith(QLatin1String(".quench"))) f += QLatin1String(".quench");
  if (const QString e = saveSessionTo(f); !e.isEmpty()) showError(tr("Could not save the session"), e);
}

void MainWindow::openSessionDialog() {
  const QString f =
      QFileDialog::getOpenFileName(this, tr("Open session"), QString(), tr("Quench sessions (*.quench)"));
  if (!f.isEmpty()) openSession(f);
}

QString MainWindow::openSession(const QString& fileName) {
  Session s;
  if (const QString e = loadSession(fileName, &s); !e.isEmpty()) {
    showError(tr("Could not open the session"), e);
    return e;
  }
  restoreSession(s);
  return {};
}

void MainWindow::restoreSession(const Session& session) {
  // Start from an empty window: the session says everything that is open.
  m_tensorJobs->discard();
  m_quantJob->cancel();
  m_browser->clear();
  m_files.clear();
  m_filePaths.clear();
  m_demoFileId = 0;
  m_metadataFileId = 0;
  m_tensor.reset();
  m_tensorName.clear();
  m_fileId = 0;
  m_tensorEpoch = m_quantGeneration + 1;
  m_histogram->clear(tr("Restoring session…"));
  m_stats->clear();
  m_figures->clearCurrent();
  updateBusyUi();

  m_restore = session;
  m_restoreWaitingForPlots = false;
  m_restoreIds = QVector<int>(session.files.size(), 0);
  m_restoreOutstanding = 0;
  m_recipe = session.recipe.rules.empty() ? Recipe{{RecipeRule{"*", MethodParams{}}}} : session.recipe;
  m_currentRule = -2;
  recipeChanged();
  if (!session.divergencePage.isEmpty()) m_modelPage->restoreState(session.divergencePage);
  if (!session.classroomPage.isEmpty()) m_classroomPage->restoreState(session.classroomPage);
  if (const QString e = m_figures->pinsFromJson(session.pins); !e.isEmpty())
    statusBar()->showMessage(tr("Pins not restored: %1").arg(e), 8000);
  for (int i = 0; i < kTabCount; ++i)
    if (session.tab == QLatin1String(kTabKeys[i])) m_tabs->setCurrentIndex(i);
  m_histogram->setLogScale(session.logScale);
  m_histogram->setMode(session.histogramMode == QLatin1String("error") ? widgets::HistogramMode::Error
                                                                        : widgets::HistogramMode::Overlay);
  m_part = session.part;
  for (int i = 0; i < session.files.size(); ++i) {
    if (session.files[i].demo) {
      m_restoreIds[i] = ensureDemo();
      continue;
    }
    ++m_restoreOutstanding;
    openFileThen(session.files[i].path, [this, i](int id) {
      if (!m_restore) return;
      m_restoreIds[i] = id;
      --m_restoreOutstanding;
      finishRestoreIfReady();
    });
  }
  finishRestoreIfReady();
}

void MainWindow::finishRestoreIfReady() {
  if (!m_restore || m_restoreOutstanding > 0 || m_restoreWaitingForPlots) return;
  const Session& s = *m_restore;
  const int id = s.selectedFile >= 0 ? m_restoreIds.value(s.selectedFile) : 0;
  if (id && !s.selectedTensor.isEmpty() && selectTensor(id, s.selectedTensor)) {
    m_restoreWaitingForPlots = true;  // sessionRestored follows the tensor's quantization
    return;
  }
  updateCurrentRule();
  if (id && !s.selectedTensor.isEmpty())
    showError(tr("Session"), tr("The session's tensor “%1” is not in its file any more.").arg(s.selectedTensor));
  m_restore.reset();
  emit sessionRestored();
}

// ---------------------------------------------------------------- everyday

void MainWindow::setPresentationMode(bool on) {
  if (on == m_presentation) return;
  m_presentation = on;
  {
    const QSignalBlocker block(m_presentationAction);
    m_presentationAction->setChecked(on);
  }
  if (on) {
    m_statePresentation = saveState();
    m_normalFont = font();
    QFont big = m_normalFont;
    big.setPointSizeF(m_normalFont.pointSizeF() * 1.6);
    setFont(big);  // the views restyle their plots on QEvent::FontChange
    for (QDockWidget* dock : findChildren<QDockWidget*>()) dock->hide();
    showFullScreen();
  } else {
    setFont(m_normalFont);
    restoreState(m_statePresentation);
    showNormal();
  }
  m_classroomPage->setPresentation(on);
  statusBar()->showMessage(on ? tr("Presentation mode: F11 to leave") : QString(), 4000);
}

void MainWindow::setTheme(const QString& theme) {
  applyTheme(theme);
  QSettings().setValue(QStringLiteral("theme"), theme);
  if (m_themeGroup)
    for (QAction* a : m_themeGroup->actions())
      if (a->data().toString() == theme) a->setChecked(true);
}

void MainWindow::showError(const QString& title, const QString& message) {
  emit errorShown(message);
  // Window-modal and non-blocking: the session keeps running behind the dialog.
  auto* box = new QMessageBox(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
  box->setObjectName(QStringLiteral("errorBox"));
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

QString MainWindow::aboutText() {
  return tr("<h3>Quench %1</h3>"
            "<p>A workbench for model compression: load weight tensors, quantize them exactly as "
            "specified, see the effect.</p>"
            "<p>Built with Qt %2 (running %3), QCustomPlot %4, HDF5 %5.%6.%7, oneTBB %8 (running %9).</p>")
      .arg(QStringLiteral(QUENCH_VERSION), QStringLiteral(QT_VERSION_STR), QString::fromLatin1(qVersion()),
           QStringLiteral(QCUSTOMPLOT_VERSION_STR))
      .arg(H5_VERS_MAJOR)
      .arg(H5_VERS_MINOR)
      .arg(H5_VERS_RELEASE)
      .arg(QString::fromStdString(exec::threadLibraryVersion()), QString::fromStdString(exec::threadLibraryRuntimeVersion()));
}

void MainWindow::showAbout() { QMessageBox::about(this, tr("About Quench"), aboutText()); }

QStringList MainWindow::recentFiles() { return QSettings().value(kRecentKey).toStringList(); }

void MainWindow::rememberRecent(const QString& path) {
  QStringList recent = recentFiles();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecent) recent.removeLast();
  QSettings().setValue(kRecentKey, recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  const QStringList recent = recentFiles();
  for (const QString& path : recent)
    m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openFile(path); })
        ->setToolTip(path);
  if (!recent.isEmpty()) {
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear list"), this, [this] {
      QSettings().remove(kRecentKey);
      rebuildRecentMenu();
    });
  }
  m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_presentation) setPresentationMode(false);
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (!urls.isEmpty() && std::all_of(urls.begin(), urls.end(), [](const QUrl& u) { return u.isLocalFile(); }))
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& url : event->mimeData()->urls()) {
    const QString path = url.toLocalFile();
    if (path.endsWith(QLatin1String(".quench"), Qt::CaseInsensitive))
      openSession(path);
    else
      openFile(path);
  }
  event->acceptProposedAction();
}

}  // namespace quench::app
