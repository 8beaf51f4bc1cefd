#pragma once
// The workbench's File ▸ Export actions, out of the main window: the current view's figure, the
// recipe as quench-cli reads it, the quantized model (core's quantizeModel, the writer quench-cli
// quantize --recipe --out uses, in the background with progress and Cancel), and the figures
// table. It owns the export job; the window shows what it reports (status line, busy label,
// progress, error dialogs).
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "core/io/reader.h"

class QCustomPlot;
class QWidget;

namespace quench::widgets {
class FiguresPanel;
}

namespace quench::app {

class JobRunner;
class WorkbenchModel;

class ExportController : public QObject {
  Q_OBJECT
 public:
  /// `dialogParent` parents the file dialogs; `currentPlot` gives the plot of the current tab
  /// (null when it has none); `currentReader` the file of the selected tensor (null: none).
  ExportController(QWidget* dialogParent, const WorkbenchModel* model, widgets::FiguresPanel* figures,
                   std::function<QCustomPlot*()> currentPlot,
                   std::function<std::shared_ptr<const TensorReader>()> currentReader);
  ~ExportController() override;

  /// The current tab's plot to `fileName` (format from the suffix) at the single-column preset;
  /// "" on success, else the message.
  QString exportCurrentFigure(const QString& fileName);
  /// The recipe as the CLI reads it; "" on success, else the message.
  QString exportRecipe(const QString& fileName);
  /// The recipe applied to every tensor of the selected tensor's file, the model written to
  /// `fileName` (.safetensors, .h5/.hdf5) in the background; quantizedExported follows.
  void exportQuantized(const QString& fileName);

  bool isRunning() const;
  void cancel();
  /// Stop and wait for the export job (the window's destructor).
  void shutdown();

  // The File menu's dialogs.
  void figureDialog();
  void recipeDialog();
  void quantizedDialog();
  void figuresTableDialog();

 signals:
  /// A line for the status bar.
  void status(const QString& message, int timeoutMs);
  /// The export job started or ended (`label`: what the busy label says; "" when done).
  void busyChanged(const QString& label);
  void progressChanged(double fraction);
  /// An error worth a dialog.
  void failed(const QString& title, const QString& message);
  /// exportQuantized finished: `error` is empty on success, "cancelled" after Cancel.
  void quantizedExported(const QString& fileName, const QString& error);

 private:
  QWidget* m_parent;
  const WorkbenchModel* m_model;
  widgets::FiguresPanel* m_figures;
  std::function<QCustomPlot*()> m_currentPlot;
  std::function<std::shared_ptr<const TensorReader>()> m_currentReader;
  JobRunner* m_jobs;  ///< writing the quantized model, one at a time (refused while one runs)
};

}  // namespace quench::app
