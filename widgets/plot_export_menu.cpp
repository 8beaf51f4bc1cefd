#include "widgets/plot_export_menu.h"

#include <qcustomplot.h>

#include <QAction>
#include <QRegularExpression>

#include "widgets/figure_export_dialog.h"

namespace quench::widgets {

namespace {

constexpr char kActionName[] = "exportFigureAction";
constexpr char kNameProperty[] = "quenchFigureName";

// A file name from a title: tensor names hold dots and slashes; keep what every file system takes.
QString safeFileName(const QString& name) {
  QString s = name.trimmed();
  s.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._+-]+")), QStringLiteral("-"));
  s.remove(QRegularExpression(QStringLiteral("^-+|-+$")));
  return s.isEmpty() ? QStringLiteral("figure") : s;
}

}  // namespace

QAction* exportAction(const QCustomPlot* plot) {
  if (!plot) return nullptr;
  for (QAction* a : plot->actions())
    if (a->objectName() == QLatin1String(kActionName)) return a;
  return nullptr;
}

void setSuggestedFigureName(QCustomPlot* plot, const QString& name) {
  if (plot) plot->setProperty(kNameProperty, name);
}

QString suggestedFigureName(const QCustomPlot* plot) {
  QString name = plot ? plot->property(kNameProperty).toString() : QString();
  QFileInfo info(name);
  const QString suffix = info.suffix().toLower();
  const bool known = suffix == QLatin1String("png") || suffix == QLatin1String("svg") || suffix == QLatin1String("pdf");
  return known ? safeFileName(info.completeBaseName()) + QLatin1Char('.') + suffix
               : safeFileName(name) + QStringLiteral(".png");
}

void openExportDialog(QCustomPlot* plot) {
  if (!plot) return;
  FigureExportDialog::openFor(plot, suggestedFigureName(plot), plot->window());
}

QAction* installExportMenu(QCustomPlot* plot, const QString& suggestedName) {
  if (!plot) return nullptr;
  if (!suggestedName.isEmpty()) setSuggestedFigureName(plot, suggestedName);
  if (QAction* existing = exportAction(plot)) return existing;
  auto* action = new QAction(QObject::tr("Export figure…"), plot);
  action->setObjectName(QLatin1String(kActionName));
  action->setToolTip(QObject::tr("Save this plot as PNG, SVG or PDF at a paper or slide size"));
  QObject::connect(action, &QAction::triggered, plot, [plot] { openExportDialog(plot); });
  plot->addAction(action);
  plot->setContextMenuPolicy(Qt::ActionsContextMenu);
  return action;
}

}  // namespace quench::widgets
