#pragma once
// Export of any QCustomPlot as PNG, SVG or PDF at a chosen physical size (GUI.md "Figures":
// paper single column 3.5 in, double column 7 in, slide 16:9, custom). The three formats render
// the same plot at the same size in inches, so a figure looks the same in each.
#include <QString>
#include <QStringList>

class QCustomPlot;

namespace quench::widgets {

enum class FigurePreset {
  SingleColumn,  ///< 3.5 in wide (a journal's single column), 3:2 aspect
  DoubleColumn,  ///< 7 in wide (full page width), 2:1 aspect
  Slide,         ///< 10 in × 5.625 in (16:9)
  Custom,        ///< the caller's width and height
};

enum class FigureFormat { Png, Svg, Pdf };

/// Physical size and resolution of an exported figure.
struct FigureSize {
  double widthInches = 3.5;
  double heightInches = 3.5 / 1.5;
  int dpi = 300;  ///< pixels per inch (PNG) and the resolution fonts are laid out at

  /// Width and height in pixels at dpi (rounded to the nearest pixel).
  int widthPixels() const;
  int heightPixels() const;
};

/// The size of a preset (Custom returns `custom` unchanged).
FigureSize presetSize(FigurePreset preset, int dpi = 300, FigureSize custom = {});
/// "single column (3.5 in)", ... for menus.
QString presetName(FigurePreset preset);
/// The format a file name asks for by its suffix (.png/.svg/.pdf, case-insensitive); false when
/// the suffix is none of them.
bool formatFromFileName(const QString& fileName, FigureFormat* format);

/// Write `plot` to `fileName` in `format` at `size`. The plot is laid out at the physical size:
/// its on-screen fonts (in points) keep their size in inches, so a 3.5 in figure has readable
/// text. Returns an empty string on success, otherwise a message naming the file and the problem.
QString exportFigure(QCustomPlot& plot, const QString& fileName, FigureFormat format, const FigureSize& size);

/// What does not fit when `plot` is exported at `size`, after the fitting exportFigure does
/// (titles wrap or shrink, legends restack or shrink): a title, legend entry or tick label leaving
/// the canvas or overlapping another text, a legend cut or leaving its axes, an axis label longer
/// than the canvas. Empty when the figure lays out cleanly. The plot is left as it was.
QStringList figureLayoutProblems(QCustomPlot& plot, const FigureSize& size);

}  // namespace quench::widgets
