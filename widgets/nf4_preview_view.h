#pragma once
// The NF4 preview: the histogram of block-normalized values x / absmax on [−1, 1] with the NF4
// levels (solid) and decision boundaries (dashed) over it, and the occupancy of every level
// against the ideal equal share for NF4, uniform INT4 and bitsandbytes FP4 side by side on the
// same data, with the block size and the storage cost. It shows a core CodebookPreview; it
// computes nothing.
#include <QWidget>
#include <vector>

#include "core/quant/codebook.h"

class QCPBars;
class QCPItemStraightLine;
class QCPTextElement;
class QCustomPlot;
class QLabel;

namespace quench::widgets {

class Nf4PreviewView : public QWidget {
  Q_OBJECT
 public:
  explicit Nf4PreviewView(QWidget* parent = nullptr);

  /// Storage figures shown next to the plots (from core's codebookBitsPerParam).
  struct Storage {
    std::size_t blockSize = 64;
    double bitsPerParam = 0;             ///< without double quantization
    double doubleQuantBitsPerParam = 0;  ///< with it
  };

  /// Show `preview`; `title` names the tensor and the recipe.
  void setPreview(const CodebookPreview& preview, const Storage& storage, const QString& title);
  void clear(const QString& message = QString());

  QCustomPlot* histogramPlot() const { return m_histPlot; }
  QCPBars* histogramBars() const { return m_histBars; }
  const std::vector<QCPItemStraightLine*>& levelLines() const { return m_levelLines; }
  const std::vector<QCPItemStraightLine*>& boundaryLines() const { return m_boundaryLines; }
  /// Occupancy plots and bars: 0 the codebook under study (NF4), 1 INT4, 2 FP4.
  QCustomPlot* occupancyPlot(int i) const { return m_occPlots[i]; }
  QCPBars* occupancyBars(int i) const { return m_occBars[i]; }
  /// The ideal share 1/levels as a horizontal line on occupancy plot i.
  QCPItemStraightLine* idealLine(int i) const { return m_idealLines[i]; }
  QString storageText() const;
  QString title() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();
  void showOccupancy(int i, const LevelOccupancy& occupancy);

  QLabel* m_storage;
  QCustomPlot* m_histPlot;
  QCPBars* m_histBars;
  QCPTextElement* m_title;
  std::vector<QCPItemStraightLine*> m_levelLines, m_boundaryLines;
  QCustomPlot* m_occPlots[3];
  QCPBars* m_occBars[3];
  QCPItemStraightLine* m_idealLines[3];
  QCPTextElement* m_occTitles[3];
};

}  // namespace quench::widgets
