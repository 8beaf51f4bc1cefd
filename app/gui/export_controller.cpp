#include "app/gui/export_controller.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QSaveFile>
#include <qcustomplot.h>

#include "app/gui/job_runner.h"
#include "app/gui/workbench_model.h"
#include "core/recipe/quantize_model.h"
#include "widgets/figure_export.h"
#include "widgets/figures_panel.h"
#include "widgets/plot_export_menu.h"

namespace quench::app {

ExportController::ExportController(QWidget* dialogParent, const WorkbenchModel* model, widgets::FiguresPanel* figures,
                                   std::function<QCustomPlot*()> currentPlot,
                                   std::function<std::shared_ptr<const TensorReader>()> currentReader)
    : QObject(dialogParent),
      m_parent(dialogParent),
      m_model(model),
      m_figures(figures),
      m_currentPlot(std::move(currentPlot)),
      m_currentReader(std::move(currentReader)),
      m_jobs(new JobRunner(JobPolicy::Parallel, this)) {
  connect(m_jobs, &JobRunner::progressChanged, this, &ExportController::progressChanged);
}

ExportController::~ExportController() { m_jobs->shutdown(); }

bool ExportController::isRunning() const { return m_jobs->isRunning(); }
void ExportController::cancel() { m_jobs->cancel(); }
void ExportController::shutdown() { m_jobs->shutdown(); }

QString ExportController::exportCurrentFigure(const QString& fileName) {
  QCustomPlot* plot = m_currentPlot();
  if (!plot) return tr("The current view has no plot");
  widgets::FigureFormat format;
  if (!widgets::formatFromFileName(fileName, &format))
    return tr("%1: choose a .png, .svg or .pdf file name").arg(fileName);
  return widgets::exportFigure(*plot, fileName, format, widgets::presetSize(widgets::FigurePreset::SingleColumn));
}

QString ExportController::exportRecipe(const QString& fileName) {
  QSaveFile f(fileName);
  if (!f.open(QIODevice::WriteOnly)) return tr("%1: cannot write: %2").arg(fileName, f.errorString());
  f.write(QByteArray::fromStdString(recipeToJson(m_model->recipe())));
  if (!f.commit()) return tr("%1: cannot write: %2").arg(fileName, f.errorString());
  return {};
}

void ExportController::exportQuantized(const QString& fileName) {
  auto reader = m_currentReader();
  if (!reader) {
    emit quantizedExported(fileName, tr("Select a tensor of the file to export first"));
    return;
  }
  if (m_jobs->isRunning()) {
    emit quantizedExported(fileName, tr("An export is already running"));
    return;
  }
  emit progressChanged(0);
  JobCallbacks<QString> done;
  done.result = [this, fileName](const QString& error) {
    emit busyChanged(QString());
    if (error.isEmpty())
      emit status(tr("Quantized tensors written to %1").arg(fileName), 8000);
    else
      emit status(tr("Export failed: %1").arg(error), 8000);
    emit quantizedExported(fileName, error);
  };
  done.failed = done.result;
  // The model through core's quantizeModel, streaming one tensor at a time.
  m_jobs->start<QString>(
      [reader, recipe = m_model->recipe(), fileName](QPromise<QString>& promise, std::stop_token stop) {
        const Work work = promiseWork(promise, stop);
        auto model = quantizeModel(*reader, recipe, QuantizeModelOptions{fileName.toStdString(), false}, work);
        if (model) return QString();
        return work.cancelled() ? QStringLiteral("cancelled") : QString::fromStdString(model.error().message);
      },
      done);
  emit busyChanged(tr("Exporting %1").arg(QFileInfo(fileName).fileName()));
}

void ExportController::figureDialog() {
  QCustomPlot* plot = m_currentPlot();
  if (!plot) {
    emit status(tr("This view has no plot to export"), 5000);
    return;
  }
  widgets::openExportDialog(plot);
}

void ExportController::recipeDialog() {
  const QString f = QFileDialog::getSaveFileName(m_parent, tr("Export recipe"), QStringLiteral("recipe.json"),
                                                 tr("Recipes (*.json)"));
  if (f.isEmpty()) return;
  if (const QString e = exportRecipe(f); !e.isEmpty())
    emit failed(tr("Could not export the recipe"), e);
  else
    emit status(tr("Recipe written to %1 (quench-cli quantize FILE --recipe %1)").arg(f), 8000);
}

void ExportController::quantizedDialog() {
  if (!m_currentReader()) {
    emit failed(tr("Nothing to export"), tr("Open a file and select one of its tensors first."));
    return;
  }
  const QString f = QFileDialog::getSaveFileName(m_parent, tr("Export quantized tensors"),
                                                 QStringLiteral("quantized.safetensors"),
                                                 tr("safetensors (*.safetensors);;HDF5 (*.h5 *.hdf5)"));
  if (f.isEmpty()) return;
  connect(
      this, &ExportController::quantizedExported, this,
      [this](const QString&, const QString& error) {
        if (!error.isEmpty() && error != QLatin1String("cancelled")) emit failed(tr("Export failed"), error);
      },
      Qt::SingleShotConnection);
  exportQuantized(f);
}

void ExportController::figuresTableDialog() {
  QString selected;
  const QString f = QFileDialog::getSaveFileName(m_parent, tr("Export figures table"), QStringLiteral("figures.csv"),
                                                 tr("CSV (*.csv);;JSON (*.json)"), &selected);
  if (f.isEmpty()) return;
  const QString e =
      f.endsWith(QLatin1String(".json"), Qt::CaseInsensitive) ? m_figures->saveJson(f) : m_figures->saveCsv(f);
  if (!e.isEmpty()) emit failed(tr("Could not export the figures"), e);
}

}  // namespace quench::app
