// MainWindow's widgets, menus, toolbar and the connections to its session model and controllers:
// the one-time construction, kept apart from the window's behaviour (main_window.cpp).
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
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QUndoGroup>
#include <utility>
#include <QUndoStack>

#include "app/gui/classroom_page.h"
#include "app/gui/shortcut_passthrough.h"
#include "app/gui/demo_assets.h"
#include "app/gui/export_controller.h"
#include "app/gui/file_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/model_page.h"
#include "app/gui/tensor_job.h"
#include "app/gui/theme.h"
#include "app/gui/workbench_model.h"
#include "core/exec/parallel.h"
#include "core/quant/codebook.h"
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
// Every tab page and dock sits in a scroll area (issue 13): the window's minimum size no longer
// grows with the content (a long title, a wide table, presentation fonts), so it fits a 1280×720
// projector; a page smaller than its content scrolls instead of pushing the window off screen.
QScrollArea* scrollable(QWidget* content, const char* name) {
  auto* scroll = new QScrollArea;
  scroll->setObjectName(QString::fromLatin1(name));
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setWidget(content);
  return scroll;
}
}  // namespace

void MainWindow::createTabs() {
  m_tabs->setObjectName(QStringLiteral("viewTabs"));
  m_tabs->setDocumentMode(true);
  m_modelPage = new ModelPage;
  m_classroomPage = new ClassroomPage;
  const std::pair<QWidget*, QString> pages[] = {
      {m_histogram, tr("Histogram")}, {m_saturation, tr("Saturation")}, {m_outliers, tr("Outliers")},
      {m_nf4, tr("NF4")},             {m_errorView, tr("Error")},       {m_modelPage, tr("Divergence")},
      {m_classroomPage, tr("Classroom")}};
  for (const auto& [w, title] : pages) m_tabs->addTab(scrollable(w, "pageScroll"), title);
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
  connect(m_modelPage, &ModelPage::errorShown, this, [this] {
    m_evaluateDemoModel = false;
    if (!m_openingFolder.isEmpty() && !m_modelPage->isBusy()) {  // not a model: a folder of tensors
      const QString folder = std::exchange(m_openingFolder, QString());
      openFile(folder, m_folderSelect);
    }
    if (m_restore && m_restoreModelFile >= 0 && !m_modelPage->isBusy()) {  // the model did not open
      m_restoreModelFile = -1;
      --m_restoreOutstanding;
      finishRestoreIfReady();
    }
  });
}

void MainWindow::createDocks() {
  auto addDock = [this](QWidget* w, const QString& title, const char* name, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(QString::fromLatin1(name));
    dock->setWidget(scrollable(w, "dockScroll"));
    addDockWidget(area, dock);
    return dock;
  };
  auto* browserDock = addDock(m_browser, tr("Files & tensors"), "browserDock", Qt::LeftDockWidgetArea);
  auto* statsDock = addDock(m_stats, tr("Statistics"), "statsDock", Qt::LeftDockWidgetArea);
  auto* metadataDock = addDock(m_metadata, tr("File metadata"), "metadataDock", Qt::LeftDockWidgetArea);
  tabifyDockWidget(statsDock, metadataDock);
  statsDock->raise();
  auto* recipeDock = addDock(m_editor, tr("Recipe"), "recipeDock", Qt::RightDockWidgetArea);
  auto* figuresDock = addDock(m_figures, tr("Figures"), "figuresDock", Qt::RightDockWidgetArea);
  resizeDocks({browserDock, recipeDock}, {340, 400}, Qt::Horizontal);
  resizeDocks({browserDock, statsDock, recipeDock, figuresDock}, {480, 260, 500, 300}, Qt::Vertical);
}

void MainWindow::connectModelAndControllers() {
  // The session model: the Divergence page evaluates the current recipe; the editor shows the rule
  // that selects the tensor.
  connect(m_model, &WorkbenchModel::recipeChanged, this, [this] { m_modelPage->setRecipe(m_model->recipe()); });
  connect(m_model, &WorkbenchModel::currentRuleChanged, this, &MainWindow::showCurrentRule);
  // Files.
  connect(m_files, &FileController::listed, this, &MainWindow::onFileListed);
  connect(m_files, &FileController::opened, this, &MainWindow::rememberRecent);
  connect(m_files, &FileController::openFailed, this, [this](const QString& path, const QString& error) {
    statusBar()->showMessage(tr("Could not open %1").arg(path));
    showError(tr("Could not open file"), error);
  });
  connect(m_files, &FileController::busyChanged, this, &MainWindow::updateBusyUi);
  // Exports.
  connect(m_exports, &ExportController::status, this,
          [this](const QString& message, int timeoutMs) { statusBar()->showMessage(message, timeoutMs); });
  connect(m_exports, &ExportController::busyChanged, this, [this](const QString& label) {
    m_busyLabel->setText(label);
    updateBusyUi();
  });
  connect(m_exports, &ExportController::progressChanged, this,
          [this](double f) { m_progress->setValue(int(100.0 * f + 0.5)); });
  connect(m_exports, &ExportController::failed, this, &MainWindow::showError);
  connect(m_exports, &ExportController::quantizedExported, this, &MainWindow::quantizedExported);
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
                                       tr("&Export Figure…"), m_exports, &ExportController::figureDialog);
  exportFigure->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  exportFigure->setToolTip(tr("The current view's plot as PNG, SVG or PDF (Ctrl+E)"));
  // Ctrl+E is "end of line" to a text field: without this it never reached the action while a
  // spin box or field had the focus.
  qApp->installEventFilter(new ShortcutPassThrough({exportFigure->shortcut()}, this));
  file->addAction(tr("Export &Recipe…"), m_exports, &ExportController::recipeDialog)
      ->setToolTip(tr("The recipe as JSON, as quench-cli quantize --recipe reads it"));
  file->addAction(tr("&Import Recipe…"), this, &MainWindow::importRecipeDialog);
  file->addAction(tr("Export &Quantized Tensors…"), m_exports, &ExportController::quantizedDialog)
      ->setToolTip(tr("Apply the recipe to the whole file and write safetensors or HDF5"));
  file->addAction(tr("Export Fi&gures Table…"), m_exports, &ExportController::figuresTableDialog)
      ->setToolTip(tr("The figures panel (pins and live row) as CSV or JSON"));
  file->addSeparator();
  auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  // One Undo/Redo pair for two histories: the recipe's, and the Classroom's while it is shown.
  auto* undoGroup = new QUndoGroup(this);
  undoGroup->addStack(m_editor->undoStack());
  undoGroup->addStack(m_classroomPage->undoStack());
  undoGroup->setActiveStack(m_editor->undoStack());
  connect(m_tabs, &QTabWidget::currentChanged, undoGroup, [this, undoGroup](int i) {
    undoGroup->setActiveStack(i == kClassroomTab ? m_classroomPage->undoStack() : m_editor->undoStack());
  });
  QAction* undo = undoGroup->createUndoAction(this, tr("&Undo"));
  undo->setShortcuts(QKeySequence::Undo);
  undo->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo")));
  QAction* redo = undoGroup->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  redo->setIcon(QIcon::fromTheme(QStringLiteral("edit-redo")));
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();
  auto* thisOnly = edit->addAction(tr("Apply to This &Tensor Only"), this, &MainWindow::applyToThisTensorOnly);
  edit->addSeparator();
  auto* useActs = edit->addAction(tr("Use Selected Tensor as &Activations"), this, [this] { useAsActivations(m_model->tensor()); });
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

}  // namespace quench::app
