#include "app/gui/main_window.h"

#include <H5public.h>
#include <oneapi/tbb/version.h>
#include <qcustomplot.h>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>

#include "app/gui/tensor_job.h"
#include "core/io/demo.h"
#include "widgets/histogram_view.h"
#include "widgets/metadata_view.h"
#include "widgets/stats_panel.h"
#include "widgets/tensor_browser.h"

namespace quench::app {

namespace {
constexpr int kMaxRecent = 10;
const QString kRecentKey = QStringLiteral("recentFiles");

// What a worker hands back after opening a file; copyable so it can travel in a QFuture.
struct OpenOutcome {
  QString path;
  std::shared_ptr<const TensorReader> reader;
  QString error;
};
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      m_browser(new widgets::TensorBrowser),
      m_histogram(new widgets::HistogramView),
      m_stats(new widgets::StatsPanel),
      m_metadata(new widgets::MetadataView),
      m_progress(new QProgressBar),
      m_cancel(new QPushButton(tr("Cancel"))),
      m_busyLabel(new QLabel) {
  setWindowTitle(tr("Quench"));
  setObjectName(QStringLiteral("mainWindow"));
  setAcceptDrops(true);
  setCentralWidget(m_histogram);
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

  QSettings settings;
  resize(1280, 800);
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

MainWindow::~MainWindow() {
  // Workers capture `this`: stop them and wait before any member goes away (STYLE.md §3).
  m_stop.request_stop();
  for (QFutureWatcherBase* w : findChildren<QFutureWatcherBase*>()) w->waitForFinished();
}

void MainWindow::createDocks() {
  auto* browserDock = new QDockWidget(tr("Files & tensors"), this);
  browserDock->setObjectName(QStringLiteral("browserDock"));
  browserDock->setWidget(m_browser);
  addDockWidget(Qt::LeftDockWidgetArea, browserDock);
  auto* statsDock = new QDockWidget(tr("Statistics"), this);
  statsDock->setObjectName(QStringLiteral("statsDock"));
  statsDock->setWidget(m_stats);
  addDockWidget(Qt::RightDockWidgetArea, statsDock);
  auto* metadataDock = new QDockWidget(tr("File metadata"), this);
  metadataDock->setObjectName(QStringLiteral("metadataDock"));
  metadataDock->setWidget(m_metadata);
  addDockWidget(Qt::RightDockWidgetArea, metadataDock);  // below the statistics
  resizeDocks({browserDock, statsDock}, {430, 250}, Qt::Horizontal);
}

void MainWindow::createActions() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open…"), this,
                               &MainWindow::chooseFiles);
  open->setShortcut(QKeySequence::Open);
  open->setToolTip(tr("Open safetensors, GGUF, llama2.c, NumPy or HDF5 files (Ctrl+O)"));
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  rebuildRecentMenu();
  auto* demo = file->addAction(QIcon::fromTheme(QStringLiteral("applications-science")), tr("Open &Demo"),
                               this, [this] { openDemo(); });
  demo->setToolTip(tr("Synthetic Llama-style weights with heavy tails and outlier columns"));
  file->addSeparator();
  auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  m_viewMenu = menuBar()->addMenu(tr("&View"));
  auto* logAction = m_viewMenu->addAction(tr("&Log counts"));
  logAction->setCheckable(true);
  logAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
  logAction->setToolTip(tr("Histogram counts on a logarithmic axis (Ctrl+L)"));
  connect(logAction, &QAction::toggled, m_histogram, &widgets::HistogramView::setLogScale);
  connect(m_histogram, &widgets::HistogramView::logScaleChanged, logAction, &QAction::setChecked);
  auto* resetZoom = m_viewMenu->addAction(tr("&Reset zoom"), m_histogram, &widgets::HistogramView::resetZoom);
  resetZoom->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
  auto* filter =
      m_viewMenu->addAction(tr("&Filter tensors"), m_browser, &widgets::TensorBrowser::focusFilter);
  filter->setShortcut(QKeySequence::Find);
  filter->setShortcutContext(Qt::WidgetShortcut);  // the browser owns the window-wide Ctrl+F
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
}

void MainWindow::chooseFiles() {
  const QStringList paths = QFileDialog::getOpenFileNames(
      this, tr("Open tensor files"), QString(),
      tr("Tensor files (*.safetensors *.gguf *.bin *.npy *.npz *.h5 *.hdf5);;All files (*)"));
  for (const QString& p : paths) openFile(p);
}

void MainWindow::openFile(const QString& path, const QString& selectName) {
  ++m_openJobs;
  updateBusyUi();
  statusBar()->showMessage(tr("Opening %1…").arg(path));
  auto* watcher = new QFutureWatcher<OpenOutcome>(this);
  connect(watcher, &QFutureWatcher<OpenOutcome>::finished, this, [this, watcher, selectName] {
    const OpenOutcome outcome = watcher->result();
    watcher->deleteLater();
    --m_openJobs;
    updateBusyUi();
    if (!outcome.error.isEmpty()) {
      statusBar()->showMessage(tr("Could not open %1").arg(outcome.path));
      showError(tr("Could not open file"), outcome.error);
      return;
    }
    rememberRecent(outcome.path);
    addReader(outcome.reader, QFileInfo(outcome.path).fileName(), selectName);
  });
  // The catalog is parsed off the GUI thread: a large GGUF or HDF5 header takes a moment.
  watcher->setFuture(QtConcurrent::run([path] {
    OpenOutcome out{path, nullptr, {}};
    auto reader = openTensorFile(path.toStdString());
    if (reader)
      out.reader = std::shared_ptr<const TensorReader>(std::move(reader).value());
    else
      out.error = QString::fromStdString(reader.error().message);
    return out;
  }));
}

void MainWindow::openDemo(const QString& selectName) {
  // The outlier columns of the first query weight make the most telling first picture.
  const QString target = selectName.isEmpty() ? QStringLiteral("blk.0.attn_q.weight") : selectName;
  if (m_demoFileId) {  // already open: just select
    if (!selectTensor(m_demoFileId, target))
      showError(tr("No such tensor"), tr("The demo has no tensor named “%1”.").arg(target));
    return;
  }
  // The demo's catalog is a constant list: building it is instant, no worker needed.
  m_demoFileId = addReader(makeDemoReader(), tr("Quench demo"), target);
}

int MainWindow::addReader(std::shared_ptr<const TensorReader> reader, const QString& title,
                          const QString& selectName) {
  const QString path = QString::fromStdString(reader->path());
  const int id = m_browser->addFile(title, path, QString::fromLatin1(reader->format()), reader->tensors());
  m_files[id] = reader;
  setWindowTitle(tr("Quench — %1").arg(title));
  statusBar()->showMessage(tr("Opened %1: %2 tensors").arg(path).arg(reader->tensors().size()), 5000);
  emit fileOpened(id, path);
  QString target = selectName;
  if (target.isEmpty())
    if (auto i = interestingTensor(*reader)) target = QString::fromStdString(reader->tensors()[*i].name);
  if (!target.isEmpty() && !selectTensor(id, target))
    showError(tr("No such tensor"), tr("%1 has no tensor named “%2”.").arg(path, target));
  return id;
}

bool MainWindow::selectTensor(int fileId, const QString& name) {
  return m_browser->selectTensor(fileId, name);
}

std::shared_ptr<const TensorReader> MainWindow::reader(int fileId) const {
  auto it = m_files.find(fileId);
  return it == m_files.end() ? nullptr : it->second;
}

void MainWindow::startAnalysis(int fileId, int tensorIndex) {
  auto reader = this->reader(fileId);
  if (!reader || tensorIndex < 0 || std::size_t(tensorIndex) >= reader->tensors().size()) return;
  if (fileId != m_metadataFileId) {  // metadata is part of the catalog: no worker needed
    m_metadataFileId = fileId;
    m_metadata->setMetadata(reader->metadata(), QFileInfo(QString::fromStdString(reader->path())).fileName());
  }
  // The newest request wins: stop the previous worker and forget its result.
  m_stop.request_stop();
  m_stop = std::stop_source();
  const std::uint64_t generation = ++m_generation;
  m_tensorJobRunning = true;
  setProgress(generation, 0.0);
  updateBusyUi();
  const QString name = QString::fromStdString(reader->tensors()[tensorIndex].name);
  m_busyLabel->setText(tr("Reading %1").arg(name));

  // Progress arrives on the worker thread; only whole-percent changes are posted to the GUI thread.
  auto lastPercent = std::make_shared<std::atomic<int>>(-1);
  Work work{m_stop.get_token(), [this, generation, lastPercent](double done, double total) {
              const int percent = total > 0 ? int(100.0 * done / total) : 0;
              if (lastPercent->exchange(percent) == percent) return;
              QMetaObject::invokeMethod(
                  this, [this, generation, percent] { setProgress(generation, percent / 100.0); },
                  Qt::QueuedConnection);
            }};
  auto* watcher = new QFutureWatcher<TensorAnalysis>(this);
  connect(watcher, &QFutureWatcher<TensorAnalysis>::finished, this, [this, watcher, generation] {
    const TensorAnalysis result = watcher->result();
    watcher->deleteLater();
    applyAnalysis(generation, result);
  });
  watcher->setFuture(QtConcurrent::run(
      [reader, index = std::size_t(tensorIndex), work] { return analyzeTensor(*reader, index, work); }));
}

void MainWindow::applyAnalysis(std::uint64_t generation, const TensorAnalysis& result) {
  if (generation != m_generation) return;  // a newer selection superseded this one
  m_tensorJobRunning = false;
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
  m_histogram->setHistogram(result.histogram, result.name);
  m_stats->setSummary(result.summary, result.heading);
  statusBar()->showMessage(
      tr("%1: read, summarized and histogrammed in %2 ms").arg(result.name).arg(result.elapsedMs, 0, 'f', 1));
  emit tensorShown(result.name);
}

void MainWindow::cancelWork() {
  if (!m_tensorJobRunning) return;
  m_stop.request_stop();
  m_busyLabel->setText(tr("Cancelling…"));
}

void MainWindow::setProgress(std::uint64_t generation, double fraction) {
  if (generation != m_generation) return;
  m_progress->setValue(int(100.0 * fraction + 0.5));
}

void MainWindow::updateBusyUi() {
  const bool busy = isBusy();
  m_progress->setVisible(busy);
  m_cancel->setVisible(busy);
  m_cancel->setEnabled(m_tensorJobRunning);  // opening a file lists its catalog only: not cancellable
  if (m_openJobs > 0 && !m_tensorJobRunning)
    m_progress->setRange(0, 0);  // indeterminate
  else
    m_progress->setRange(0, 100);
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
      .arg(QStringLiteral(TBB_VERSION_STRING), QString::fromLatin1(TBB_runtime_version()));
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
  for (const QUrl& url : event->mimeData()->urls()) openFile(url.toLocalFile());
  event->acceptProposedAction();
}

}  // namespace quench::app
