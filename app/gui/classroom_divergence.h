#pragma once
// The Classroom's KL/JS calculator (MATH.md §8): two pmfs → every term, the sums, the mixture, in
// nats or bits (core/divergence/pmf_terms.h).
#include "app/gui/classroom_tool.h"

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace quench::widgets {
class DivergenceCalculatorView;
}

namespace quench::app {

class DivergenceTool : public ClassroomTool {
  Q_OBJECT
 public:
  explicit DivergenceTool(QWidget* parent = nullptr);

  /// p and q as typed ("1/2, 1/2"), whether to normalize them, and the unit (bits or nats).
  void setInputs(const QString& p, const QString& q, bool normalize, bool bits);

  widgets::DivergenceCalculatorView* view() const { return m_view; }

  QString fileStem() const override { return QStringLiteral("kl-js"); }
  QCustomPlot* plot() const override;
  QString tableText(widgets::TableFormat format, QString* error) const override;
  void recompute() override;
  QJsonObject saveState() const override;
  void restoreState(const QJsonObject& state) override;

 protected:
  QList<QWidget*> selfScaling() const override;
  void presentationChanged(bool on, double scale) override;

 private:
  QLineEdit* m_p;
  QLineEdit* m_q;
  QCheckBox* m_normalize;
  QComboBox* m_units;
  widgets::DivergenceCalculatorView* m_view;
};

}  // namespace quench::app
