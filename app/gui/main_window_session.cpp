// MainWindow's sessions (session.h): what is saved, and the restore that reopens every file,
// the recipe, pins and view settings before the selected tensor is read and quantized.
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
#include <QSettings>
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
// The tabs as sessions name them, in Tab order.
const char* const kTabKeys[] = {"histogram", "saturation", "outliers", "nf4", "error", "divergence", "classroom"};
}  // namespace

Session MainWindow::currentSession() const {
  Session s;
  for (const auto& [id, path] : m_files->paths()) {
    if (id == m_model->fileId() && m_model->tensor()) s.selectedFile = int(s.files.size());
    s.files.append(Session::File{path, id == m_files->demoFileId()});
  }
  if (m_model->tensor()) s.selectedTensor = m_model->tensorName();
  s.recipe = m_model->recipe();
  s.pins = m_figures->pinsToJson();
  s.tab = QString::fromLatin1(kTabKeys[std::max(0, m_tabs->currentIndex())]);
  s.logScale = m_histogram->logScale();
  s.histogramMode =
      m_histogram->mode() == widgets::HistogramMode::Error ? QStringLiteral("error") : QStringLiteral("overlay");
  s.part = m_model->part();
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
  m_files->clear();
  m_metadataFileId = 0;
  m_model->clearTensor();
  m_tensorEpoch = m_quantGeneration + 1;
  m_histogram->clear(tr("Restoring session…"));
  m_stats->clear();
  m_figures->clearCurrent();
  updateBusyUi();

  m_restore = session;
  m_restoreWaitingForPlots = false;
  m_restoreIds = QVector<int>(session.files.size(), 0);
  m_restoreOutstanding = 0;
  m_restoreModelFile = -1;
  m_model->setRecipe(session.recipe.rules.empty() ? Recipe{{RecipeRule{"*", MethodParams{}}}} : session.recipe);
  if (!session.divergencePage.isEmpty()) m_modelPage->restoreState(session.divergencePage);
  if (!session.classroomPage.isEmpty()) m_classroomPage->restoreState(session.classroomPage);
  if (const QString e = m_figures->pinsFromJson(session.pins); !e.isEmpty())
    statusBar()->showMessage(tr("Pins not restored: %1").arg(e), 8000);
  for (int i = 0; i < kTabCount; ++i)
    if (session.tab == QLatin1String(kTabKeys[i])) m_tabs->setCurrentIndex(i);
  m_histogram->setLogScale(session.logScale);
  m_histogram->setMode(session.histogramMode == QLatin1String("error") ? widgets::HistogramMode::Error
                                                                        : widgets::HistogramMode::Overlay);
  m_model->setPart(session.part);
  const QString modelPath = session.divergencePage.value(QStringLiteral("model")).toString();
  for (int i = 0; i < session.files.size(); ++i) {
    if (session.files[i].demo) {
      m_restoreIds[i] = ensureDemo();
      continue;
    }
    if (!modelPath.isEmpty() && session.files[i].path == modelPath && m_restoreModelFile < 0) {
      m_restoreModelFile = i;  // listModelTensors gives its id
      ++m_restoreOutstanding;
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
  m_model->selectCurrentRule();
  if (id && !s.selectedTensor.isEmpty())
    showError(tr("Session"), tr("The session's tensor “%1” is not in its file any more.").arg(s.selectedTensor));
  m_restore.reset();
  emit sessionRestored();
}

}  // namespace quench::app
