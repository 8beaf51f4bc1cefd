// MainWindow's behaviour: files and tensors, the quantization loop and its outcome, exports, the
// everyday settings. Its construction (widgets, menus, connections) is main_window_ui.cpp, its
// sessions main_window_session.cpp; the state is the session model (workbench_model.h), the open
// files and the exports their controllers (file_controller.h, export_controller.h).
// Length (~650 lines): construction and sessions are already out; what remains is one short slot
// per menu action and view signal, the window's behaviour in one place.
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
#include <QScreen>
#include <QSettings>
#include <QTimer>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QUndoStack>

#include "app/gui/classroom_page.h"
#include "app/gui/demo_assets.h"
#include "app/gui/export_controller.h"
#include "app/gui/file_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/model_page.h"
#include "app/gui/tensor_job.h"
#include "app/gui/theme.h"
#include "app/gui/workbench_model.h"
#include "widgets/text_format.h"
#include "core/exec/parallel.h"
#include "core/quant/codebook.h"
#include "widgets/classroom_style.h"
#include "widgets/error_view.h"
#include "widgets/figure_export.h"
#include "widgets/figures_panel.h"
#include "widgets/histogram_view.h"
#include "widgets/metadata_view.h"
#include "widgets/nf4_preview_view.h"
#include "widgets/outlier_view.h"
#include "widgets/plot_export_menu.h"
#include "widgets/plot_scale.h"
#include "widgets/recipe_editor.h"
#include "widgets/saturation_map_view.h"
#include "widgets/stats_panel.h"
#include "widgets/tensor_browser.h"


namespace quench::app {

namespace {
constexpr int kMaxRecent = 10;
const QString kRecentKey = QStringLiteral("recentFiles");
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
      m_model(new WorkbenchModel(this)),
      m_quantJob(new QuantJob(this)),
      m_files(new FileController(m_browser, this)),
      m_tensorJobs(new JobRunner(JobPolicy::Supersede, this)) {
  setWindowTitle(tr("Quench"));
  setObjectName(QStringLiteral("mainWindow"));
  setAcceptDrops(true);
  m_exports = new ExportController(
      this, m_model, m_figures, [this] { return currentPlot(); }, [this] { return reader(m_model->fileId()); });
  createTabs();
  setCentralWidget(m_tabs);
  createDocks();
  createActions();
  connectModelAndControllers();

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
  connect(m_tensorJobs, &JobRunner::progressChanged, this, [this](double f) { m_progress->setValue(int(100.0 * f + 0.5)); });
  m_editor->setParams(m_model->recipe().rules.front().params);
  m_modelPage->setRecipe(m_model->recipe());
  m_histogram->clear(tr("Select a tensor"));

  QSettings settings;
  resize(1400, 860);
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  fitToScreen();
  const QString theme = settings.value(QStringLiteral("theme"), QStringLiteral("system")).toString();
  if (theme != QLatin1String("system")) setTheme(theme);
}

MainWindow::~MainWindow() {
  // Stop every worker and wait before any member goes away (STYLE.md §3).
  m_files->shutdown();
  m_tensorJobs->shutdown();
  m_exports->shutdown();
  m_quantJob->cancel();
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
  m_files->openThen(path, std::move(then));
}

int MainWindow::ensureDemo() { return m_files->ensureDemo(); }

void MainWindow::openModelFolder(const QString& path, const QString& selectName) {
  if (!m_modelPage->modelPath().isEmpty() || m_modelPage->isBusy()) return openFile(path, selectName);
  m_openingFolder = path;
  m_folderSelect = selectName;
  statusBar()->showMessage(tr("Opening %1…").arg(path));
  m_modelPage->openModel(path);
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
  // A model opened again (a second Open of the same folder) is listed once.
  int id = 0;
  for (const auto& [open, openPath] : m_files->paths())
    if (openPath == path) id = open;
  if (!id) id = m_files->add(reader, QFileInfo(path).fileName(), path);
  if (!m_openingFolder.isEmpty() && path == m_openingFolder) {
    m_openingFolder.clear();
    selectInitial(id, m_folderSelect);
  }
  if (m_restore && m_restoreModelFile >= 0) {
    m_restoreIds[m_restoreModelFile] = id;
    m_restoreModelFile = -1;
    --m_restoreOutstanding;
    finishRestoreIfReady();
  }
  if (m_evaluateDemoModel) {
    m_evaluateDemoModel = false;
    m_modelPage->evaluate();
  }
}

void MainWindow::onFileListed(int id, const QString& title, const std::shared_ptr<const TensorReader>& reader) {
  const QString path = QString::fromStdString(reader->path());
  setWindowTitle(tr("Quench — %1").arg(title));
  // The dock follows the selected tensor's file. A file with no tensor to select (a vocabulary-only
  // GGUF: its metadata is all it holds), or the first file, shows its metadata at once.
  if (reader->tensors().empty() || m_metadataFileId == 0) {
    m_metadataFileId = id;
    m_metadata->setReader(*reader, QFileInfo(path).fileName());
  }
  statusBar()->showMessage(reader->tensors().empty()
                               ? tr("Opened %1: no tensors, %2").arg(path, widgets::countedNoun(qint64(reader->metadata().size()), tr("metadata key"), tr("metadata keys")))
                               : tr("Opened %1: %2").arg(path, widgets::countedNoun(qint64(reader->tensors().size()), tr("tensor"), tr("tensors"))),
                           5000);
  emit fileOpened(id, path);
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

std::shared_ptr<const TensorReader> MainWindow::reader(int fileId) const { return m_files->reader(fileId); }

bool MainWindow::isBusy() const {
  return m_files->isRunning() || m_tensorJobs->isRunning() || m_quantJob->isRunning() || m_exports->isRunning();
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
  done.result = [this, fileId, tensorIndex](const TensorAnalysis& result) { applyAnalysis(fileId, tensorIndex, result); };
  done.failed = [this, name](const QString& what) {
    TensorAnalysis failed;
    failed.name = name;
    failed.error = what;
    applyAnalysis(0, -1, failed);
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

void MainWindow::applyAnalysis(int fileId, int tensorIndex, const TensorAnalysis& result) {
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
  // A session being restored set the part before the tensor was read.
  m_model->setTensor(fileId, tensorIndex, result.name, result.tensor, m_restore && m_restoreWaitingForPlots);
  // The original first; the reconstruction follows when the quantization job is done. The other
  // views would show the previous tensor until then while the docks show this one: they say what
  // they wait for instead (issue 13, stale state).
  m_histogram->setHistogram(result.histogram, result.name);
  const QString waiting = tr("Quantizing %1…").arg(result.name);
  m_saturation->clear(waiting);
  m_outliers->clear(waiting);
  m_nf4->clear(waiting);
  m_errorView->clear(waiting);
  m_stats->setSummary(result.summary, result.heading);
  std::vector<std::size_t> shape;
  for (auto d : result.tensor->shape) shape.push_back(std::size_t(d));
  m_editor->setTensorInfo(result.name, shape);
  statusBar()->showMessage(
      tr("%1: read, summarized and histogrammed in %2 ms").arg(result.name).arg(result.elapsedMs, 0, 'f', 1));
  emit tensorShown(result.name);
  m_model->selectCurrentRule();
  m_tensorEpoch = m_quantGeneration + 1;
  requestQuantization();
}

void MainWindow::cancelWork() {
  if (m_tensorJobs->isRunning()) {
    m_tensorJobs->cancel();
    m_busyLabel->setText(tr("Cancelling…"));
  }
  if (m_quantJob->isRunning()) m_quantJob->cancel();
  if (m_exports->isRunning()) {
    m_exports->cancel();
    m_busyLabel->setText(tr("Cancelling export…"));
  }
}

void MainWindow::updateBusyUi() {
  // A quantization is short: it shows in the status text, not as a progress bar that flickers.
  const bool reading = m_tensorJobs->isRunning(), exporting = m_exports->isRunning();
  const bool busy = m_files->isRunning() || reading || exporting;
  m_progress->setVisible(busy);
  m_cancel->setVisible(busy);
  m_cancel->setEnabled(reading || exporting);  // opening lists a catalog only
  if (m_files->isRunning() && !reading && !exporting)
    m_progress->setRange(0, 0);  // indeterminate
  else
    m_progress->setRange(0, 100);
}

// ---------------------------------------------------------------- the recipe and the quantization loop

const Recipe& MainWindow::recipe() const { return m_model->recipe(); }
int MainWindow::currentRule() const { return m_model->currentRule(); }
int MainWindow::selectedPart() const { return m_model->part(); }
std::shared_ptr<const FloatTensor> MainWindow::tensor() const { return m_model->tensor(); }
QString MainWindow::selectedTensorName() const { return m_model->tensorName(); }
MethodParams MainWindow::currentParams() const { return m_model->currentParams(m_editor->params()); }

void MainWindow::showCurrentRule(int rule, bool reset) {
  if (reset) m_editor->undoStack()->clear();  // the history belonged to another rule
  m_editor->clearErrors();
  if (rule >= 0) {
    m_editor->setParams(m_model->recipe().rules[std::size_t(rule)].params);
  } else if (const auto& tensor = m_model->tensor()) {
    // A norm or bias: "*" does not select tensors of rank ≤ 1 (MATH.md §7). The editor shows the
    // first rule's parameters; an edit adds a rule for this tensor's exact name.
    m_editor->showError(QString(), tr("No recipe rule selects %1 (rank %2): an edit adds a rule for it")
                                       .arg(m_model->tensorName())
                                       .arg(tensor->shape.size()));
  }
}

void MainWindow::setRecipe(const Recipe& recipe) {
  m_model->setRecipe(recipe);  // the editor shows the new rule, its history dropped
  requestQuantization();
}

void MainWindow::applyParams(const MethodParams& params) {
  m_editor->clearErrors();
  bool added = false;
  if (!m_model->applyParams(params, &added)) return;
  if (added) statusBar()->showMessage(tr("Added a recipe rule for %1").arg(m_model->tensorName()), 5000);
  requestQuantization();
}

void MainWindow::useAsActivations(std::shared_ptr<const FloatTensor> activations) {
  if (activations && activations->shape.size() != 2) {
    showError(tr("Not a matrix"), tr("Activations must be a 2-D tensor (tokens × features); %1 is not.")
                                      .arg(QString::fromStdString(activations->name)));
    return;
  }
  statusBar()->showMessage(activations ? tr("Activations: %1 (select a weight and open the Outliers tab)")
                                             .arg(QString::fromStdString(activations->name))
                                       : tr("Activations cleared"),
                           6000);
  m_model->setActivations(std::move(activations));
  requestQuantization();
}

void MainWindow::applyToThisTensorOnly() {
  if (m_model->giveTensorItsOwnRule(m_editor->params()))
    statusBar()->showMessage(tr("%1 now has its own recipe rule").arg(m_model->tensorName()), 5000);
}

void MainWindow::setSelectedPart(int part) {
  if (part == m_model->part()) return;
  m_model->setPart(part);
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
  if (!m_model->tensor()) return;
  QuantRequest r;
  r.generation = ++m_quantGeneration;
  r.tensor = m_model->tensor();
  r.params = currentParams();
  r.part = m_model->part();
  r.views = viewsNeeded();
  r.outlierThreshold = m_outlierThreshold;
  r.activations = m_model->activations();
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
    m_outliers->setLlmInt8(*o.llmInt8, tr("%1 · activations %2").arg(o.tensorName, QString::fromStdString(m_model->activations()->name)));
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
  if (const int part = m_model->part(); m_editor->selectedPart() != part && part < int(o.parts.size())) {
    const QSignalBlocker block(m_editor);  // the window already shows that part
    m_editor->selectPart(part);
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

QString MainWindow::exportCurrentFigure(const QString& fileName) { return m_exports->exportCurrentFigure(fileName); }
QString MainWindow::exportRecipe(const QString& fileName) { return m_exports->exportRecipe(fileName); }
void MainWindow::exportQuantized(const QString& fileName) { m_exports->exportQuantized(fileName); }

QString MainWindow::importRecipe(const QString& fileName) {
  auto r = loadRecipe(fileName.toStdString());
  if (!r) return QString::fromStdString(r.error().message);
  setRecipe(*r);
  return {};
}

void MainWindow::importRecipeDialog() {
  const QString f = QFileDialog::getOpenFileName(this, tr("Import recipe"), QString(), tr("Recipes (*.json)"));
  if (f.isEmpty()) return;
  if (const QString e = importRecipe(f); !e.isEmpty()) showError(tr("Could not read the recipe"), e);
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
    fitToScreen();
  }
  // The workbench's own plots grow with the fonts (their axis and legend fonts are set when they
  // are built and do not follow the window's font); the classroom views scale themselves.
  for (QCustomPlot* plot : findChildren<QCustomPlot*>())
    if (!m_classroomPage->isAncestorOf(plot)) widgets::setPlotScale(*plot, on ? widgets::kPresentationScale : 1.0);
  m_classroomPage->setPresentation(on);
  statusBar()->showMessage(on ? tr("Presentation mode: F11 to leave") : QString(), 4000);
}

QRect MainWindow::fitRect(const QRect& wanted, const QRect& available) {
  if (!available.isValid()) return wanted;
  QRect r(wanted.topLeft(), wanted.size().boundedTo(available.size()));
  // Slide it inside: right/bottom edges first, then left/top, so a rectangle that fits ends inside.
  if (r.right() > available.right()) r.moveRight(available.right());
  if (r.bottom() > available.bottom()) r.moveBottom(available.bottom());
  if (r.left() < available.left()) r.moveLeft(available.left());
  if (r.top() < available.top()) r.moveTop(available.top());
  return r;
}

void MainWindow::fitToScreen() {
  if (isFullScreen() || isMaximized()) return;
  const QScreen* s = screen();
  if (!s) return;
  const QRect available = s->availableGeometry();
  // The frame (title bar, borders) counts too: the client area is what is left of the fitted frame.
  const QRect frame = frameGeometry();
  const QMargins border(geometry().left() - frame.left(), geometry().top() - frame.top(),
                        frame.right() - geometry().right(), frame.bottom() - geometry().bottom());
  const QRect fitted = fitRect(frame, available);
  if (fitted == frame) return;
  resize(fitted.size().shrunkBy(border));
  move(fitted.topLeft());
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

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  // The frame's size is known once the window is shown: fit again with it (the constructor could
  // only fit the client area).
  if (!m_fittedOnShow) {
    m_fittedOnShow = true;
    QTimer::singleShot(0, this, &MainWindow::fitToScreen);
  }
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
