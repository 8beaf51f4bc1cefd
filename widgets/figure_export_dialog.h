#pragma once
// The "Export figure…" dialog: a size preset (paper single column 3.5 in, double column 7 in,
// slide 16:9, custom width × height in inches), the resolution in dpi, and a file name whose suffix
// (.png/.svg/.pdf) picks the format. Accepting writes the plot with exportFigure
// (widgets/figure_export.h); a failure is shown in the dialog, which stays open.
#include <QDialog>

#include "widgets/figure_export.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QCustomPlot;

namespace quench::widgets {

class FigureExportDialog : public QDialog {
  Q_OBJECT
 public:
  /// `plot` must outlive the dialog. `suggestedName` (e.g. "histogram-attn_q.png") fills the file
  /// name field; the last directory and settings used are remembered in QSettings.
  explicit FigureExportDialog(QCustomPlot* plot, const QString& suggestedName = QString(),
                              QWidget* parent = nullptr);

  void setPreset(FigurePreset preset);
  FigurePreset preset() const;
  /// Width and height in inches for FigurePreset::Custom (switches to it).
  void setCustomSize(double widthInches, double heightInches);
  void setDpi(int dpi);
  /// The size that will be written (the preset's, or the custom one), at the chosen dpi.
  FigureSize figureSize() const;
  void setFileName(const QString& fileName);
  QString fileName() const;
  /// Write the figure now; "" on success, else the message (also shown in the dialog).
  QString exportNow();
  /// The message of the last failed export ("" after a success).
  QString lastError() const { return m_error; }

  /// Opens the dialog for `plot` (window-modal, deleted on close) and returns it.
  static FigureExportDialog* openFor(QCustomPlot* plot, const QString& suggestedName, QWidget* parent);

 public slots:
  /// Exports; closes the dialog on success, keeps it open with the message on failure.
  void accept() override;

 signals:
  /// A figure was written to `fileName`.
  void exported(const QString& fileName);

 private:
  void syncSizeFields();
  void updateInfo();
  void browse();

  QCustomPlot* m_plot;
  QComboBox* m_presetBox;
  QDoubleSpinBox* m_width;
  QDoubleSpinBox* m_height;
  QSpinBox* m_dpi;
  QLineEdit* m_file;
  QLabel* m_info;
  QLabel* m_errorLabel;
  QString m_error;
  bool m_syncing = false;
};

}  // namespace quench::widgets
