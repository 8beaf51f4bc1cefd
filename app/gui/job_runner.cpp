#include "app/gui/job_runner.h"

namespace quench::app {

JobRunner::JobRunner(JobPolicy policy, QObject* parent) : QObject(parent), m_policy(policy) {}

JobRunner::~JobRunner() { shutdown(); }

void JobRunner::cancel() {
  const bool was = isRunning();
  m_pending = nullptr;
  m_stop.request_stop();
  if (was != isRunning()) emit runningChanged(isRunning());
}

void JobRunner::discard() {
  const bool was = isRunning();
  m_pending = nullptr;
  m_stop.request_stop();
  ++m_generation;
  m_live = 0;
  if (was) emit runningChanged(false);
}

void JobRunner::shutdown() {
  m_closed = true;
  cancel();
  for (QFutureWatcherBase* w : findChildren<QFutureWatcherBase*>(Qt::FindDirectChildrenOnly)) w->waitForFinished();
}

void JobRunner::setLive(int live) {
  const bool was = isRunning();
  m_live = live;
  if (was != isRunning()) emit runningChanged(isRunning());
}

}  // namespace quench::app
