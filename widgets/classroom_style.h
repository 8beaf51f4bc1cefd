#pragma once
// Shared look of the classroom views (GUI.md "Presentation mode"): number formats as a teacher
// writes them, and the presentation scale (fonts ≈ 1.6×, thicker lines) applied to tables and plots.
#include <QFont>
#include <QString>

class QCPAxis;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QPalette;
class QTableWidget;

namespace quench::widgets {

/// Font scale of presentation mode.
inline constexpr double kPresentationScale = 1.6;

/// Shortest text that reads back as the same float32 ("1.2", not "1.20000005").
QString formatFloat32(float v);
/// Shortest decimal (ASCII '-') that reads back as the same double ("0.75", "0.3333333333333333"),
/// for editable cells whose text is the value.
QString formatExact(double v);
/// The board's number (MATH.md §2): the shortest decimal that reads back as the same double,
/// with a typographic minus ("1.2", "11.499999999999998", "−0.55", "0" for −0).
QString formatShortest(double v);
/// `digits` significant digits, exponent only when needed; ∞ / −∞ for infinities.
QString formatReal(double v, int digits = 6);

/// `base` with its point size multiplied by `scale` (and bold when asked).
QFont scaledFont(const QFont& base, double scale, bool bold = false);
/// Axis labels, tick labels and legend of `plot` at `base`·scale (ticks slightly smaller).
void applyPlotFonts(QCustomPlot& plot, const QFont& base, double scale);
/// The common look of a classroom plot at `scale`: the house plot style, fonts, a bold title and
/// a borderless legend on the base colour.
void applyClassroomPlotStyle(QCustomPlot& plot, QCPTextElement& title, const QPalette& palette, const QFont& base,
                             double scale);
/// A tick at every integer of `axis` (element and position indices).
void setIntegerTicks(QCPAxis& axis);
/// The text of cell (row, column), empty when there is none (what tests and exports read back).
QString cellText(const QTableWidget& table, int row, int column);
/// A rich-text label's text as plain text.
QString plainText(const QLabel& label);
/// Table font and row heights for `scale`; columns resized to their contents.
void applyTableScale(QTableWidget& table, const QFont& base, double scale);

}  // namespace quench::widgets
