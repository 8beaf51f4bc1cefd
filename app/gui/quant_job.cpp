#include "app/gui/quant_job.h"

#include "app/gui/job_runner.h"

namespace quench::app {

QuantOutcome computeQuantOutcome(const QuantRequest& request, QuantScratch& scratch, const Work& work) {
  QuantOutcome out;
  static_cast<eval::QuantView&>(out) = eval::computeQuantView(request, scratch, work);
  out.generation = request.generation;
  out.recipeLabel = QString::fromStdString(request.params.label());
  if (request.tensor) out.tensorName = QString::fromStdString(request.tensor->name);
  out.llmInt8Error = QString::fromStdString(out.activationsError);
  return out;
}

QuantJob::QuantJob(QObject* parent)
    : QObject(parent), m_scratch(std::make_shared<QuantScratch>()), m_runner(new JobRunner(JobPolicy::Coalesce, this)) {}

QuantJob::~QuantJob() {
  // The worker uses m_scratch (shared) and nothing of `this`; still wait so no thread outlives us.
  m_runner->shutdown();
}

void QuantJob::submit(QuantRequest request) {
  // Coalesce: while one computation runs, this request waits, replacing an older waiting one; the
  // waiting one starts before the finished one is applied.
  JobCallbacks<QuantOutcome> cb;
  cb.result = [this](const QuantOutcome& outcome) { emit finished(outcome); };
  cb.failed = [this, generation = request.generation](const QString& what) {
    QuantOutcome failed;
    failed.generation = generation;
    failed.error = what.toStdString();
    emit finished(failed);
  };
  m_runner->start<QuantOutcome>(
      [request = std::move(request), scratch = m_scratch](QPromise<QuantOutcome>&, std::stop_token stop) {
        return computeQuantOutcome(request, *scratch, Work{stop, {}});
      },
      cb);
}

void QuantJob::cancel() { m_runner->cancel(); }

bool QuantJob::isRunning() const { return m_runner->isRunning(); }

bool QuantJob::hasPending() const { return m_runner->hasPending(); }

}  // namespace quench::app
