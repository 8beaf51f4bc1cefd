#pragma once
// "Export figure…" for any QCustomPlot: a context-menu entry (right click on the plot) that opens
// FigureExportDialog on that plot. Every view of quench_widgets installs it on its plots; other
// views (and the main window's Ctrl+E) can use the same entry points.
#include <QString>

class QAction;
class QCustomPlot;

namespace quench::widgets {

/// Adds the "Export figure…" action to `plot`'s context menu (Qt::ActionsContextMenu) and returns
/// it. `suggestedName` is the default file name (e.g. "histogram.png"); it can be changed later
/// with setSuggestedFigureName. Installing twice returns the existing action.
QAction* installExportMenu(QCustomPlot* plot, const QString& suggestedName = QString());
/// The action installed on `plot`, or nullptr.
QAction* exportAction(const QCustomPlot* plot);
/// The default file name offered when `plot` is exported (e.g. named after the tensor).
void setSuggestedFigureName(QCustomPlot* plot, const QString& name);
QString suggestedFigureName(const QCustomPlot* plot);
/// Opens the export dialog for `plot` now (what the action does); for a toolbar/menu "Export figure".
void openExportDialog(QCustomPlot* plot);

}  // namespace quench::widgets
