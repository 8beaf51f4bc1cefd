#pragma once
// The histogram view: the original weights (neutral bars) with the reconstruction overlaid (an
// accent step line) on the same bins, or the error x~ − x alone; the quantization grid (every
// dequantized level as a thin line, thinned when dense), the clip lines s(L − b) and s(U − b), the
// saturated mass in vermilion with its count; linear or log counts; zoom (wheel) and pan (drag);
// a part selector that asks the app for one part's histograms. It shows core results (Histogram,
// levels, counts) filled by the app off the GUI thread; it computes nothing.
#include <QWidget>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/stats/histogram.h"

class QCheckBox;
class QComboBox;
class QCPBars;
class QCPGraph;
class QCPItemStraightLine;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QSpinBox;
class QToolButton;

namespace quench::widgets {

/// Everything the histogram view shows for one tensor (or one part of it) under one recipe.
/// A plain value: fill it on a worker thread, hand it to HistogramView::setOverlay on the GUI thread.
struct HistogramOverlayData {
  QString tensorName;   ///< e.g. "blk.0.attn_q.weight" (the title names it)
  QString recipeLabel;  ///< e.g. "int4 sym absmax row" (the title names it); empty: no recipe yet
  /// Histogram of the original values x. Required (an empty `counts` means "no data").
  Histogram original;
  /// Histogram of the reconstruction x~ on the SAME bins as `original` (same lo, hi, bin count);
  /// empty counts: no reconstruction yet (only the original is drawn).
  Histogram reconstruction;
  /// Histogram of the error x~ − x (its own range); shown in HistogramMode::Error.
  Histogram error;
  /// Every dequantized level s·(n − b) for n = L..U, ascending, in weight units. Empty when the
  /// shown data has no single grid (e.g. the whole tensor under a per-row partition): no grid drawn.
  std::vector<double> levels;
  /// Clip lines in weight units: s·(L − b) and s·(U − b). NaN (the default): no clip lines.
  double clipLow = std::numeric_limits<double>::quiet_NaN();
  double clipHigh = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t saturated = 0;  ///< elements clipped by the quantizer (core's count, exact)
  std::uint64_t total = 0;      ///< elements shown (numel of the tensor or of the part); 0: no label
  int part = -1;                ///< −1: the whole tensor; otherwise the part index shown
  int partCount = 1;            ///< parts of the recipe's partition (sizes the part selector)
};

enum class HistogramMode {
  Overlay,  ///< original bars + reconstruction line + grid + clip lines + saturated mass
  Error,    ///< the error x~ − x histogram alone
};

class HistogramView : public QWidget {
  Q_OBJECT
 public:
  /// More grid lines than this in the visible x range are thinned to every k-th level.
  static constexpr int kMaxGridLines = 60;

  explicit HistogramView(QWidget* parent = nullptr);

  /// Show `histogram` of tensor `title` (the original only: no reconstruction, grid or clip
  /// lines). Resets the zoom.
  void setHistogram(const Histogram& histogram, const QString& title);
  /// Show an original/reconstruction/error overlay. The zoom is reset when the tensor or the part
  /// changes (or nothing was shown), kept otherwise, so that a parameter change keeps the view.
  void setOverlay(const HistogramOverlayData& data);
  const HistogramOverlayData& overlay() const { return m_data; }
  /// Remove the data; `message` is shown as the title (e.g. "Select a tensor").
  void clear(const QString& message = QString());
  /// Counts on a logarithmic axis ("count (log)") or a linear one ("count").
  void setLogScale(bool log);
  bool logScale() const { return m_log; }
  /// Overlay (original + reconstruction) or the error alone; also switchable in the control row.
  void setMode(HistogramMode mode);
  HistogramMode mode() const { return m_mode; }
  /// Fit both axes to the data and forget the user's zoom.
  void resetZoom();
  /// True after the user zoomed or panned (wheel, drag) since the last fit: new data then keeps
  /// the user's ranges and a "zoomed" marker shows beside Reset. Otherwise every new tensor, part or
  /// result refits both axes to the data (issue 13: a y axis cut below the peak).
  bool zoomed() const { return m_zoomed; }
  /// Heavy-tailed: more than half of the non-empty bins hold less than 1 % of the peak bin's
  /// count, i.e. on a linear axis most of the occupied range is drawn below one pixel in a
  /// 100-pixel-high plot and the histogram looks like one spike. Log counts show those bins.
  static bool heavyTailed(const Histogram& h);
  /// Choose log or linear counts by heavyTailed() for every new tensor (the default) until the
  /// user picks a scale (setLogScale, the check box, Ctrl+L); true to hand the choice back.
  void setAutoLogScale(bool on);
  bool autoLogScale() const { return m_autoLog; }

  QCustomPlot* plot() const { return m_plot; }
  /// The original's bars (all bins; bins beyond the clip lines are drawn again in vermilion).
  QCPBars* bars() const { return m_bars; }
  /// The bins of the original beyond the clip lines (vermilion), in Overlay mode.
  QCPBars* saturatedBars() const { return m_satBars; }
  /// The reconstruction's counts as a step line on the original's bins.
  QCPGraph* reconstructionGraph() const { return m_recon; }
  /// The error histogram's bars (Error mode).
  QCPBars* errorBars() const { return m_errorBars; }
  /// Grid lines drawn now (after thinning to the visible range), at these x positions.
  const std::vector<QCPItemStraightLine*>& gridLines() const { return m_gridLines; }
  /// Every k-th level is drawn (1: all of them).
  int gridStride() const { return m_gridStride; }
  QCPItemStraightLine* clipLowLine() const { return m_clipLow; }
  QCPItemStraightLine* clipHighLine() const { return m_clipHigh; }
  /// "saturated: 1,234 of 16.8 M (0.0074 %)"; empty when total is 0.
  QString saturationText() const;
  /// "grid: every 4th of 255 levels shown" when thinned; empty otherwise.
  QString gridNote() const;
  QString title() const;

 signals:
  void logScaleChanged(bool log);
  void modeChanged(HistogramMode mode);
  /// The user picked a part in the selector (−1: the whole tensor). The app computes that part's
  /// histograms and calls setOverlay with data.part = part.
  void partRequested(int part);

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();
  void updateValueAxis();
  void updateOutsideNote();
  void rebuild();
  void updateGrid();
  void updateTitle();
  void updateLegend();
  void setZoomed(bool zoomed);
  /// Both axes to the data (the clip lines included) without touching the zoomed flag.
  void fitAxes();
  void applyLogScale(bool log);

  QComboBox* m_modeBox;
  QCheckBox* m_logBox;
  QSpinBox* m_partBox;
  QToolButton* m_resetButton;
  QLabel* m_note;
  QLabel* m_satLabel;
  QCustomPlot* m_plot;
  QCPBars* m_bars;
  QCPBars* m_satBars;
  QCPBars* m_errorBars;
  QCPGraph* m_recon;
  QCPGraph* m_gridLegend;  // empty graphs that only give the legend an entry for line items
  QCPGraph* m_clipLegend;
  QCPItemStraightLine* m_clipLow;
  QCPItemStraightLine* m_clipHigh;
  std::vector<QCPItemStraightLine*> m_gridLines;
  int m_gridStride = 1;
  QCPTextElement* m_title;
  HistogramOverlayData m_data;
  HistogramMode m_mode = HistogramMode::Overlay;
  bool m_hasData = false;
  bool m_log = false;
  bool m_updatingPart = false;
  bool m_zoomed = false;   ///< the user changed the ranges since the last fit
  bool m_fitting = false;  ///< our own range changes (not the user's)
  bool m_autoLog = true;
  bool m_applyingLog = false;  ///< emitting logScaleChanged (its echo is not a user choice)
  QLabel* m_zoomedLabel;
  QLabel* m_hint;          ///< first-start hint, shown while no tensor is selected
};

}  // namespace quench::widgets
