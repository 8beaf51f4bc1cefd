#include "widgets/figure_export_dialog.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace quench::widgets {

namespace {
constexpr FigurePreset kPresets[] = {FigurePreset::SingleColumn, FigurePreset::DoubleColumn, FigurePreset::Slide,
                                     FigurePreset::Custom};
}

FigureExportDialog::FigureExportDialog(QCustomPlot* plot, const QString& suggestedName, QWidget* parent)
    : QDialog(parent),
      m_plot(plot),
      m_presetBox(new QComboBox(this)),
      m_width(new QDoubleSpinBox(this)),
      m_height(new QDoubleSpinBox(this)),
      m_dpi(new QSpinBox(this)),
      m_file(new QLineEdit(this)),
      m_info(new QLabel(this)),
      m_errorLabel(new QLabel(this)) {
  setWindowTitle(tr("Export figure"));
  setObjectName(QStringLiteral("figureExportDialog"));
  m_presetBox->setObjectName(QStringLiteral("preset"));
  for (FigurePreset p : kPresets) m_presetBox->addItem(presetName(p), static_cast<int>(p));
  for (QDoubleSpinBox* box : {m_width, m_height}) {
    box->setRange(0.5, 100.0);
    box->setDecimals(2);
    box->setSingleStep(0.25);
    box->setSuffix(tr(" in"));
  }
  m_width->setObjectName(QStringLiteral("widthInches"));
  m_height->setObjectName(QStringLiteral("heightInches"));
  m_dpi->setObjectName(QStringLiteral("dpi"));
  m_dpi->setRange(10, 2400);
  m_dpi->setSuffix(tr(" dpi"));
  m_dpi->setToolTip(tr("Pixels per inch of the PNG (SVG and PDF are vector figures of the same size)"));
  m_file->setObjectName(QStringLiteral("fileName"));
  m_file->setToolTip(tr("The suffix picks the format: .png, .svg or .pdf"));
  m_errorLabel->setObjectName(QStringLiteral("exportError"));
  m_errorLabel->setStyleSheet(QStringLiteral("color: #D55E00"));
  m_errorLabel->setWordWrap(true);
  m_info->setObjectName(QStringLiteral("exportInfo"));

  auto* browse = new QPushButton(tr("Browse…"), this);
  auto* fileRow = new QHBoxLayout;
  fileRow->addWidget(m_file, 1);
  fileRow->addWidget(browse);
  auto* sizeRow = new QHBoxLayout;
  sizeRow->addWidget(m_width);
  sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
  sizeRow->addWidget(m_height);

  auto* form = new QFormLayout;
  form->addRow(tr("Size preset"), m_presetBox);
  form->addRow(tr("Width × height"), sizeRow);
  form->addRow(tr("Resolution"), m_dpi);
  form->addRow(tr("File"), fileRow);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(m_info);
  layout->addWidget(m_errorLabel);
  layout->addWidget(buttons);

  QSettings settings;
  const QString dir = settings.value(QStringLiteral("figureExport/dir"), QDir::homePath()).toString();
  m_dpi->setValue(settings.value(QStringLiteral("figureExport/dpi"), 300).toInt());
  const int presetIndex = std::clamp(settings.value(QStringLiteral("figureExport/preset"), 0).toInt(), 0, 3);
  m_width->setValue(settings.value(QStringLiteral("figureExport/width"), 3.5).toDouble());
  m_height->setValue(settings.value(QStringLiteral("figureExport/height"), 3.5 / 1.5).toDouble());
  m_presetBox->setCurrentIndex(presetIndex);
  const QString name = suggestedName.isEmpty() ? QStringLiteral("figure.png") : suggestedName;
  m_file->setText(QFileInfo(name).isAbsolute() ? name : QDir(dir).filePath(name));

  connect(m_presetBox, &QComboBox::currentIndexChanged, this, [this] { syncSizeFields(); });
  auto toCustom = [this] {
    if (m_syncing) return;
    m_syncing = true;
    m_presetBox->setCurrentIndex(3);
    m_syncing = false;
    updateInfo();
  };
  connect(m_width, &QDoubleSpinBox::valueChanged, this, toCustom);
  connect(m_height, &QDoubleSpinBox::valueChanged, this, toCustom);
  connect(m_dpi, &QSpinBox::valueChanged, this, [this] { updateInfo(); });
  connect(m_file, &QLineEdit::textChanged, this, [this] { updateInfo(); });
  connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
  connect(buttons, &QDialogButtonBox::accepted, this, &FigureExportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  syncSizeFields();
}

FigureExportDialog* FigureExportDialog::openFor(QCustomPlot* plot, const QString& suggestedName, QWidget* parent) {
  auto* dialog = new FigureExportDialog(plot, suggestedName, parent);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->open();
  return dialog;
}

void FigureExportDialog::syncSizeFields() {
  if (m_syncing) return;
  const FigurePreset p = preset();
  if (p != FigurePreset::Custom) {
    m_syncing = true;
    const FigureSize s = presetSize(p, m_dpi->value());
    m_width->setValue(s.widthInches);
    m_height->setValue(s.heightInches);
    m_syncing = false;
  }
  updateInfo();
}

void FigureExportDialog::setPreset(FigurePreset preset) {
  for (int i = 0; i < m_presetBox->count(); ++i)
    if (m_presetBox->itemData(i).toInt() == static_cast<int>(preset)) m_presetBox->setCurrentIndex(i);
}

FigurePreset FigureExportDialog::preset() const {
  return static_cast<FigurePreset>(m_presetBox->currentData().toInt());
}

void FigureExportDialog::setCustomSize(double widthInches, double heightInches) {
  m_syncing = true;
  m_presetBox->setCurrentIndex(3);
  m_width->setValue(widthInches);
  m_height->setValue(heightInches);
  m_syncing = false;
  updateInfo();
}

void FigureExportDialog::setDpi(int dpi) { m_dpi->setValue(dpi); }

FigureSize FigureExportDialog::figureSize() const {
  return presetSize(preset(), m_dpi->value(), FigureSize{m_width->value(), m_height->value(), m_dpi->value()});
}

void FigureExportDialog::setFileName(const QString& fileName) { m_file->setText(fileName); }
QString FigureExportDialog::fileName() const { return m_file->text().trimmed(); }

void FigureExportDialog::updateInfo() {
  const FigureSize s = figureSize();
  FigureFormat format;
  QString what;
  if (!formatFromFileName(fileName(), &format))
    what = tr("the file name must end in .png, .svg or .pdf");
  else if (format == FigureFormat::Png)
    what = tr("PNG, %1 × %2 pixels").arg(s.widthPixels()).arg(s.heightPixels());
  else
    what = tr("%1, %2 × %3 in (vector)")
               .arg(format == FigureFormat::Svg ? QStringLiteral("SVG") : QStringLiteral("PDF"))
               .arg(s.widthInches, 0, 'g', 4)
               .arg(s.heightInches, 0, 'g', 4);
  m_info->setText(what);
}

void FigureExportDialog::browse() {
  const QString chosen = QFileDialog::getSaveFileName(this, tr("Export figure"), fileName(),
                                                      tr("Figures (*.png *.svg *.pdf)"));
  if (!chosen.isEmpty()) m_file->setText(chosen);
}

QString FigureExportDialog::exportNow() {
  m_error.clear();
  const QString name = fileName();
  FigureFormat format;
  if (!m_plot)
    m_error = tr("there is no plot to export");
  else if (name.isEmpty())
    m_error = tr("choose a file name");
  else if (!formatFromFileName(name, &format))
    m_error = tr("%1: the file name must end in .png, .svg or .pdf").arg(QFileInfo(name).fileName());
  else
    m_error = exportFigure(*m_plot, name, format, figureSize());
  m_errorLabel->setText(m_error);
  if (m_error.isEmpty()) {
    QSettings settings;
    settings.setValue(QStringLiteral("figureExport/dir"), QFileInfo(name).absolutePath());
    settings.setValue(QStringLiteral("figureExport/dpi"), m_dpi->value());
    settings.setValue(QStringLiteral("figureExport/preset"), m_presetBox->currentIndex());
    settings.setValue(QStringLiteral("figureExport/width"), m_width->value());
    settings.setValue(QStringLiteral("figureExport/height"), m_height->value());
    emit exported(name);
  }
  return m_error;
}

void FigureExportDialog::accept() {
  if (exportNow().isEmpty()) QDialog::accept();
}

}  // namespace quench::widgets
