#pragma once
// A 2-D tensor as a heat map (the value, or |error| of a reconstruction), saturated cells marked
// in vermilion, and below it the saturated share of every part of a QuantResult as bars. It shows
// a core SaturationMap (pooled by poolSaturationMap) and QuantResult parts; it computes nothing.
#include <QWidget>

#include "core/quant/types.h"
#include "core/stats/saturation_map.h"

class QCPBars;
class QCPColorMap;
class QCPColorScale;
class QCPGraph;
class QCPTextElement;
class QCustomPlot;
class QLabel;

namespace quench::widgets {

class SaturationMapView : public QWidget {
  Q_OBJECT
 public:
  /// What the map's cells hold: signed weight values (diverging colours around 0) or the
  /// magnitude of the reconstruction error (sequential colours from 0).
  enum class Quantity { Value, AbsError };

  explicit SaturationMapView(QWidget* parent = nullptr);

  /// Show `map` (cells of `quantity`) and the saturation of `parts`; `title` names the tensor and
  /// the recipe. Parts may be empty (no bars).
  void setData(const SaturationMap& map, Quantity quantity, const std::vector<PartReport>& parts,
               const QString& title);
  void clear(const QString& message = QString());

  QCustomPlot* mapPlot() const { return m_mapPlot; }
  QCustomPlot* partsPlot() const { return m_partsPlot; }
  QCPColorMap* colorMap() const { return m_colorMap; }
  /// One point per cell holding a saturated element, at the cell's centre (input coordinates).
  QCPGraph* saturationOverlay() const { return m_overlay; }
  /// Saturated share of each part in percent, key = part index.
  QCPBars* partBars() const { return m_partBars; }
  QString title() const;
  /// "N saturated of M elements (p %)".
  QString summaryText() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void applyStyle();

  QLabel* m_summary;
  QCustomPlot* m_mapPlot;
  QCustomPlot* m_partsPlot;
  QCPColorMap* m_colorMap;
  QCPColorScale* m_colorScale;
  QCPGraph* m_overlay;
  QCPBars* m_partBars;
  QCPTextElement* m_title;
  Quantity m_quantity = Quantity::Value;
};

}  // namespace quench::widgets
