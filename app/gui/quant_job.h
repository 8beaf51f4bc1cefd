#pragma once
// The background work behind a recipe change: core's computeQuantView (core/eval/quant_view.h:
// quantize the selected tensor with the rule's parameters, then derive what the visible views
// show) on a worker thread, with the texts the window shows.
//
// QuantJob runs one computation at a time on a worker thread and coalesces (a JobRunner with
// JobPolicy::Coalesce): while one runs only the newest pending request is kept, so dragging a
// slider never queues stale work. The tensor is read once by the window and shared; the quantizer
// writes into buffers the job keeps between requests, so a re-quantization of the same tensor
// allocates nothing large.
#include <QObject>
#include <QString>
#include <cstdint>
#include <memory>

#include "core/eval/quant_view.h"
#include "core/exec/progress.h"
#include "core/recipe/recipe.h"

namespace quench::app {

class JobRunner;

// Which derived data a request asks for (eval::QuantViewParts).
using eval::kViewAll;
using eval::kViewErrorHist;
using eval::kViewNf4;
using eval::kViewOutliers;
using eval::kViewOverlay;
using eval::kViewSaturation;

struct QuantRequest : eval::QuantViewRequest {
  std::uint64_t generation = 0;  ///< echoed in the outcome; the window drops outdated ones
};

/// What the window applies: core's figures and view data, plus its texts.
struct QuantOutcome : eval::QuantView {
  std::uint64_t generation = 0;
  QString tensorName;
  QString recipeLabel;   ///< MethodParams::label(): "int8 sym · row · absmax" (titles name the tensor and the recipe)
  QString llmInt8Error;  ///< activationsError: why the activations could not be used with this weight
};

/// Buffers reused from one request to the next (only one computation runs at a time).
using QuantScratch = eval::QuantViewScratch;

/// eval::computeQuantView of `request` with the outcome's texts (on any thread). Errors of the
/// parameters come back in `error`.
QuantOutcome computeQuantOutcome(const QuantRequest& request, QuantScratch& scratch, const Work& work = {});

/// Runs computeQuantView off the GUI thread, one at a time, newest pending request wins.
class QuantJob : public QObject {
  Q_OBJECT
 public:
  explicit QuantJob(QObject* parent = nullptr);
  ~QuantJob() override;

  /// Start `request` now, or keep it as the one pending request if a computation is running.
  void submit(QuantRequest request);
  /// Stop the running computation and drop the pending request.
  void cancel();
  bool isRunning() const;
  bool hasPending() const;

 signals:
  /// A computation ended (also when cancelled or rejected); emitted on the GUI thread.
  void finished(const quench::app::QuantOutcome& outcome);

 private:
  std::shared_ptr<QuantScratch> m_scratch;
  JobRunner* m_runner;  ///< JobPolicy::Coalesce
};

}  // namespace quench::app
