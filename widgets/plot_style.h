#pragma once
// One style for every plot (GUI.md "Figures"): the Okabe–Ito colour-blind-safe palette, original
// data in a neutral colour, accents for reconstructions and grids.
#include <QColor>
#include <QPalette>

class QCPAxisRect;
class QCustomPlot;

namespace quench::widgets {

/// Okabe & Ito (2008), "Color Universal Design".
namespace okabeIto {
inline const QColor kOrange{0xE6, 0x9F, 0x00};
inline const QColor kSkyBlue{0x56, 0xB4, 0xE9};
inline const QColor kBluishGreen{0x00, 0x9E, 0x73};
inline const QColor kYellow{0xF0, 0xE4, 0x42};
inline const QColor kBlue{0x00, 0x72, 0xB2};
inline const QColor kVermilion{0xD5, 0x5E, 0x00};
inline const QColor kReddishPurple{0xCC, 0x79, 0xA7};
inline const QColor kBlack{0x00, 0x00, 0x00};
}  // namespace okabeIto

/// Neutral colour for original data: the palette's text colour (black on light, near-white on
/// dark), so the plot follows the platform's light/dark scheme.
QColor neutralColor(const QPalette& palette);

/// Background, axes, tick labels and grid of `plot` from `palette`; the grid is drawn faintly.
/// Every axis rect of the plot is styled (stacked panels included).
void applyPlotStyle(QCustomPlot& plot, const QPalette& palette);
/// The axes, tick labels and grid of one axis rect (what applyPlotStyle does for each).
void applyAxisRectStyle(QCPAxisRect& rect, const QPalette& palette);

}  // namespace quench::widgets
