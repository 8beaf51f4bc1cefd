#pragma once
// Presentation mode for a plot that is not a classroom view (GUI.md "Presentation mode": fonts
// about 1.6×, thicker lines): the workbench's plots set their axis and legend fonts when they are
// built, so a larger window font alone leaves their tick labels and legends small (issue 13).
class QCustomPlot;

namespace quench::widgets {

/// Every font (axis labels, tick labels, legend, title and text items), line width (plottables,
/// axes, line items) and scatter size of `plot` becomes `factor` times what it is at factor 1.
/// The factor in effect is remembered on the plot, so calling with 1 undoes an earlier 1.6.
void setPlotScale(QCustomPlot& plot, double factor);
/// The factor setPlotScale last applied to `plot` (1 if never).
double plotScale(const QCustomPlot& plot);

}  // namespace quench::widgets
