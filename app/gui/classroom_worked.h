#pragma once
// The Classroom's worked quantization (MATH.md §2): a short vector, a partition, s, b, L, U per part
// and a rounding mode → the step-by-step board table with per-part totals (core/quant/worked.h),
// the proposals by absmax and min-max, and the equivalent quench-cli command line.
#include <array>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "app/gui/classroom_tool.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

class QComboBox;
class QLineEdit;
class QSpinBox;
class QTableWidget;

namespace quench::widgets {
class WorkedQuantizationView;
}

namespace quench::app {

class WorkedQuantizationTool : public ClassroomTool {
  Q_OBJECT
 public:
  explicit WorkedQuantizationTool(QWidget* parent = nullptr);

  /// Values "1.2, -0.55", parts "0,1;2,3" ("" = one part), the rounding and one (s, b, L, U) per part.
  void setInputs(const QString& values, const QString& parts, Rounding rounding, const std::vector<PartParams>& params);
  /// The k-bit grid the "Set grid" button writes (symmetric [−M, M] or unsigned [0, 2^k − 1]).
  void setGridChoice(int bits, bool symmetric);
  /// Propose s (b = 0, [−M, M] kept from the part's current U) by absmax for every part.
  void proposeAbsmax();
  /// Propose s and b by min-max on every part's current [L, U].
  void proposeMinMax();
  /// Parse the vector and parts, call `propose` with each part's values and write what it
  /// returns into that part's row, then recompute the table.
  void proposeEachPart(const std::function<Result<PartParams>(int part, std::span<const double> values)>& propose);
  /// The equivalent quench-cli command line.
  QString cliCommand() const;

  widgets::WorkedQuantizationView* view() const { return m_view; }

  QString fileStem() const override { return QStringLiteral("worked-quantization"); }
  QCustomPlot* plot() const override;
  QString tableText(widgets::TableFormat format, QString* error) const override;
  void recompute() override;
  QJsonObject saveState() const override;
  void restoreState(const QJsonObject& state) override;

 protected:
  QList<QWidget*> selfScaling() const override;
  void presentationChanged(bool on, double scale) override;

 private:
  void syncPartRows();
  /// The scale storage the user picked (none: s as typed, MATH.md §2's textbook form).
  std::optional<ScaleFormat> scaleFormat() const;
  std::vector<PartParams> typedParams(QString* error) const;
  void setParamRow(int row, const PartParams& p);

  QLineEdit* m_values;
  QLineEdit* m_parts;
  QComboBox* m_rounding;
  QComboBox* m_scaleFormat;
  // Parameter rows of parts that the Parts field dropped while being edited, by part index, so that
  // "0,1;2,3" → "0,1" → "0,1;2,3" gives part 1 its own s, b, L, U back (not a copy of part 0's).
  std::vector<std::array<QString, 4>> m_dropped;
  QTableWidget* m_params;
  QSpinBox* m_gridBits;
  QComboBox* m_gridKind;
  QLabel* m_cli;
  widgets::WorkedQuantizationView* m_view;
};

}  // namespace quench::app
