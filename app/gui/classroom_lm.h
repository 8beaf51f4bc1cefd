#pragma once
// The Classroom's explicit LM (MATH.md §9): two small next-token tables and a length n → exact
// joint KL/JS, the chain-rule terms, and the sampled estimate converging
// (core/divergence/explicit_lm.h, lm_convergence.h). The computation runs off the GUI thread, the
// newest request winning; edits are debounced by 150 ms.
#include <QElapsedTimer>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "app/gui/classroom_tool.h"
#include "core/divergence/explicit_lm.h"
#include "core/divergence/lm_convergence.h"

class QSpinBox;
class QTimer;

namespace quench::widgets {
class ExplicitLmEditor;
class LmDivergenceView;
}  // namespace quench::widgets

namespace quench::app {

class JobRunner;

class ExplicitLmTool : public ClassroomTool {
  Q_OBJECT
 public:
  explicit ExplicitLmTool(QWidget* parent = nullptr);
  ~ExplicitLmTool() override;

  /// Sequence length n, the largest number of sampled sequences and the seed; recomputes.
  void setSettings(int length, int maxSamples, quint64 seed);
  /// P and Q (ExplicitLm JSON) and the length n; recomputes.
  void setModels(const nlohmann::json& p, const nlohmann::json& q, int length);
  /// True while the computation runs or an edit waits for it.
  bool busy() const;

  widgets::ExplicitLmEditor* editor() const { return m_editor; }
  widgets::LmDivergenceView* view() const { return m_view; }

  QString fileStem() const override { return QStringLiteral("explicit-lm"); }
  QCustomPlot* plot() const override;
  QString tableText(widgets::TableFormat format, QString* error) const override;
  /// Start the computation now (the running one is superseded).
  void recompute() override;
  QJsonObject saveState() const override;
  void restoreState(const QJsonObject& state) override;

 protected:
  QList<QWidget*> selfScaling() const override;
  void presentationChanged(bool on, double scale) override;

 private:
  struct Outcome {
    QString error;
    std::optional<LmDivergence> exact;
    std::vector<SampledKlPoint> curve;
    std::size_t length = 0;
    std::uint64_t seed = 0;
    bool cancelled = false;
  };

  void schedule();
  void apply(const Outcome& out);

  widgets::ExplicitLmEditor* m_editor;
  QSpinBox* m_length;
  QSpinBox* m_samples;
  QSpinBox* m_seed;
  widgets::LmDivergenceView* m_view;
  QTimer* m_timer;
  JobRunner* m_jobs;  ///< the computation, newest request wins (JobPolicy::Supersede)
  QElapsedTimer m_started;  ///< of the running computation, for the time left
};

}  // namespace quench::app
