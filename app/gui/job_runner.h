#pragma once
// One helper for every background job of the workbench (STYLE.md §3, ARCHITECTURE.md "app/gui"):
// a job body runs on Qt's global thread pool with a QPromise for progress and results and a
// std::stop_token that core watches; what it produces is handed to callbacks on the GUI thread.
// A JobRunner owns one kind of job and says what a new request does to the one running:
//  - Supersede: the newest request wins. The running job is asked to stop and whatever it still
//    delivers is dropped; the new one starts at once (file reading, model jobs, explicit LMs).
//  - Coalesce: the running job finishes and is delivered; while it runs only the newest request
//    waits, replacing any older waiting one (quantization while a slider is dragged).
//  - Parallel: every job runs and is delivered (opening several files at once).
// cancel() asks the running job(s) to stop (they are still delivered, so a page can say
// "Cancelled") and drops a waiting request. The destructor cancels and waits for every worker,
// so no thread outlives the runner; owners whose workers could touch members they destroy first
// call shutdown() at the top of their own destructor.
// An exception thrown by a body (bad_alloc on a huge model, ...) never crosses the thread: it is
// caught on the worker and handed to the `failed` callback as text (STYLE.md §9).
#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "core/exec/progress.h"

namespace quench::app {

/// The progress range every job's promise gets before its body runs.
inline constexpr int kJobProgressSteps = 1000;

/// A core Work whose progress covers [start, start + span] of the job's 0..1, reported on
/// `promise` (QPromise ignores values that do not advance, so a stage that restarts or reports
/// from several threads never moves the bar backwards, and throttles what reaches the GUI).
template <typename T>
Work promiseWork(QPromise<T>& promise, std::stop_token stop, double start = 0.0, double span = 1.0) {
  return Work{std::move(stop), [p = &promise, start, span](double done, double total) {
                const double f = total > 0 ? std::clamp(done / total, 0.0, 1.0) : 0.0;
                p->setProgressValue(static_cast<int>(std::lround(kJobProgressSteps * (start + span * f))));
              }};
}

/// What a job hands back; each callback runs on the GUI thread and may be empty. A job that adds
/// one result (the usual case) uses `result`; a job that reports as it goes (a sweep's points)
/// uses `update`.
template <typename T>
struct JobCallbacks {
  std::function<void(const T&)> update;        ///< each result as soon as it is added (the job still runs)
  std::function<void(const T&)> result;        ///< else each result once the job has ended, in order
  std::function<void(const QString&)> failed;  ///< the body threw: its what(), after the results
  std::function<void()> finished;              ///< last, also when cancelled (never when superseded)
};

enum class JobPolicy { Supersede, Coalesce, Parallel };

class JobRunner : public QObject {
  Q_OBJECT
 public:
  explicit JobRunner(JobPolicy policy, QObject* parent = nullptr);
  ~JobRunner() override;

  /// Run `body` off the GUI thread under this runner's policy. `body` is called as
  /// body(QPromise<T>&, std::stop_token) and either returns a T (added as the job's one result)
  /// or returns nothing and adds its results itself. The promise's progress range is
  /// [0, kJobProgressSteps] (see promiseWork).
  template <typename T, typename Body>
  void start(Body body, JobCallbacks<T> callbacks = {}) {
    auto launch = [this, body = std::move(body), callbacks = std::move(callbacks)]() mutable {
      launchNow<T>(std::move(body), std::move(callbacks));
    };
    if (m_policy == JobPolicy::Coalesce && m_live > 0) {
      m_pending = std::move(launch);  // an older waiting request is simply replaced
      return;
    }
    if (m_policy == JobPolicy::Supersede && m_live > 0) {
      m_stop.request_stop();  // the running job stops promptly; what it delivers is dropped
      ++m_generation;
      m_live = 0;  // no runningChanged: the new job takes its place at once
    }
    launch();
  }

  /// Ask the running job(s) to stop (they still deliver, marked by their stop token) and drop a
  /// waiting request.
  void cancel();
  /// Stop the running job(s) and drop whatever they would still deliver (a waiting request too):
  /// the runner is idle at once, as if they had never started.
  void discard();
  /// cancel() and wait for every worker; nothing is delivered afterwards. Idempotent.
  void shutdown();

  /// True from start() until the end of the last job whose results will be delivered (a
  /// superseded job no longer counts; a waiting Coalesce request does).
  bool isRunning() const { return m_live > 0 || static_cast<bool>(m_pending); }
  /// True while a Coalesce request waits for the running one.
  bool hasPending() const { return static_cast<bool>(m_pending); }

 signals:
  /// Progress of the newest job, 0..1.
  void progressChanged(double fraction);
  /// isRunning() changed.
  void runningChanged(bool running);

 private:
  template <typename T, typename Body>
  void launchNow(Body body, JobCallbacks<T> callbacks) {
    if (m_closed) return;
    if (m_stop.stop_requested()) m_stop = std::stop_source();
    const std::uint64_t generation = m_generation;
    const std::stop_token stop = m_stop.get_token();
    setLive(m_live + 1);
    auto* watcher = new QFutureWatcher<T>(this);
    auto error = std::make_shared<QString>();  // written by the worker before it finishes
    auto current = [this, generation] { return generation == m_generation && !m_closed; };
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, watcher, current](int value) {
      if (!current()) return;
      const int lo = watcher->progressMinimum(), hi = watcher->progressMaximum();
      emit progressChanged(hi > lo ? double(value - lo) / double(hi - lo) : 0.0);
    });
    if (callbacks.update)
      connect(watcher, &QFutureWatcherBase::resultsReadyAt, this,
              [watcher, current, update = callbacks.update](int begin, int end) {
                if (!current()) return;
                for (int i = begin; i < end; ++i) update(watcher->resultAt(i));
              });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, current, error, cb = std::move(callbacks)] {
      watcher->deleteLater();
      if (!current()) return;  // superseded (already uncounted) or shut down
      // A waiting Coalesce request starts before the result is applied, so the worker is busy
      // again while the GUI thread replots; otherwise isRunning() is false from here on.
      if (m_pending) {
        auto next = std::move(m_pending);
        m_pending = nullptr;
        --m_live;  // no runningChanged: the next job takes its place at once
        next();
      } else {
        setLive(m_live - 1);
      }
      if (!cb.update && cb.result)
        for (int i = 0; i < watcher->future().resultCount(); ++i) cb.result(watcher->resultAt(i));
      if (!error->isEmpty() && cb.failed) cb.failed(*error);
      if (cb.finished) cb.finished();
    });
    watcher->setFuture(QtConcurrent::run([body = std::move(body), stop, error](QPromise<T>& promise) mutable {
      promise.setProgressRange(0, kJobProgressSteps);
      try {
        if constexpr (std::is_void_v<std::invoke_result_t<Body&, QPromise<T>&, std::stop_token>>)
          body(promise, stop);
        else
          promise.addResult(body(promise, stop));
      } catch (const std::exception& e) {
        *error = QString::fromLocal8Bit(e.what());
      } catch (...) {
        *error = QStringLiteral("unknown error");
      }
    }));
  }

  void setLive(int live);

  JobPolicy m_policy;
  std::stop_source m_stop;
  std::uint64_t m_generation = 0;
  int m_live = 0;  ///< started jobs whose results will be delivered and that have not ended
  std::function<void()> m_pending;
  bool m_closed = false;
};

}  // namespace quench::app
