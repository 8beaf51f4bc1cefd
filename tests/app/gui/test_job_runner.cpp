// JobRunner (app/gui/job_runner.h): what each policy delivers, in which order, and what cancel,
// discard and shutdown do. Bodies wait on latches the test opens, so the order of events is
// decided by the test, not by the scheduler.
#include <QtTest/QtTest>

#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <vector>

#include "app/gui/job_runner.h"

using namespace quench;
using namespace quench::app;

namespace {

// A gate a body blocks on until the test opens it.
struct Gate {
  std::latch open{1};
  void release() { open.count_down(); }
};

// A body that waits for `gate` (when given) and returns `value`, or -1 when stopped first.
auto waitingBody(std::shared_ptr<Gate> gate, int value) {
  return [gate, value](QPromise<int>&, std::stop_token stop) {
    if (gate) gate->open.wait();
    return stop.stop_requested() ? -1 : value;
  };
}

struct Record {
  std::vector<int> results;
  int finished = 0;
  QStringList failures;
  JobCallbacks<int> callbacks() {
    JobCallbacks<int> cb;
    cb.result = [this](const int& v) { results.push_back(v); };
    cb.finished = [this] { ++finished; };
    cb.failed = [this](const QString& e) { failures << e; };
    return cb;
  }
};

}  // namespace

class TestJobRunner : public QObject {
  Q_OBJECT
 private slots:
  void supersedeDropsTheOlderJob() {
    JobRunner runner(JobPolicy::Supersede);
    Record first, second;
    auto gate = std::make_shared<Gate>();
    runner.start<int>(waitingBody(gate, 1), first.callbacks());
    QVERIFY(runner.isRunning());
    runner.start<int>(waitingBody(nullptr, 2), second.callbacks());
    QTRY_COMPARE(second.finished, 1);
    QCOMPARE(second.results, std::vector<int>{2});
    QVERIFY(!runner.isRunning());
    gate->release();  // the superseded job ends (stopped) and delivers nothing
    runner.shutdown();
    QCoreApplication::processEvents();
    QVERIFY(first.results.empty());
    QCOMPARE(first.finished, 0);
  }

  void coalesceKeepsOnlyTheNewestWaitingRequest() {
    JobRunner runner(JobPolicy::Coalesce);
    Record a, b, c;
    auto gate = std::make_shared<Gate>();
    runner.start<int>(waitingBody(gate, 1), a.callbacks());
    runner.start<int>(waitingBody(nullptr, 2), b.callbacks());  // waits
    QVERIFY(runner.hasPending());
    runner.start<int>(waitingBody(nullptr, 3), c.callbacks());  // replaces b
    gate->release();
    QTRY_COMPARE(c.finished, 1);
    QCOMPARE(a.results, std::vector<int>{1});  // the running one is delivered
    QVERIFY(b.results.empty());
    QCOMPARE(b.finished, 0);
    QCOMPARE(c.results, std::vector<int>{3});
    QVERIFY(!runner.isRunning());
  }

  void coalesceStartsTheWaitingRequestBeforeDelivering() {
    JobRunner runner(JobPolicy::Coalesce);
    auto gate = std::make_shared<Gate>();
    bool runningAtDelivery = false;
    JobCallbacks<int> first;
    first.result = [&](const int&) { runningAtDelivery = runner.isRunning() && !runner.hasPending(); };
    Record second;
    runner.start<int>(waitingBody(gate, 1), first);
    runner.start<int>(waitingBody(nullptr, 2), second.callbacks());
    gate->release();
    QTRY_COMPARE(second.finished, 1);
    QVERIFY(runningAtDelivery);
  }

  void parallelDeliversEveryJob() {
    JobRunner runner(JobPolicy::Parallel);
    Record a, b;
    runner.start<int>(waitingBody(nullptr, 1), a.callbacks());
    runner.start<int>(waitingBody(nullptr, 2), b.callbacks());
    QTRY_VERIFY(a.finished == 1 && b.finished == 1);
    QCOMPARE(a.results, std::vector<int>{1});
    QCOMPARE(b.results, std::vector<int>{2});
    QVERIFY(!runner.isRunning());
  }

  void cancelStillDeliversDiscardDoesNot() {
    JobRunner runner(JobPolicy::Supersede);
    Record cancelled;
    auto gate = std::make_shared<Gate>();
    runner.start<int>(waitingBody(gate, 1), cancelled.callbacks());
    runner.cancel();
    gate->release();
    QTRY_COMPARE(cancelled.finished, 1);
    QCOMPARE(cancelled.results, std::vector<int>{-1});  // the body saw the stop

    Record discarded;
    auto gate2 = std::make_shared<Gate>();
    runner.start<int>(waitingBody(gate2, 2), discarded.callbacks());
    runner.discard();
    QVERIFY(!runner.isRunning());
    gate2->release();
    runner.shutdown();
    QCoreApplication::processEvents();
    QCOMPARE(discarded.finished, 0);
  }

  void streamedUpdatesAndProgress() {
    JobRunner runner(JobPolicy::Supersede);
    std::vector<int> updates;
    bool done = false;
    QList<double> progress;
    connect(&runner, &JobRunner::progressChanged, this, [&](double f) { progress << f; });
    JobCallbacks<int> cb;
    cb.update = [&](const int& v) { updates.push_back(v); };
    cb.finished = [&] { done = true; };
    runner.start<int>(
        [](QPromise<int>& promise, std::stop_token stop) {
          const Work work = promiseWork(promise, stop);
          for (int i = 1; i <= 3; ++i) {
            promise.addResult(i * 10);
            work.report(i, 3);
          }
        },
        cb);
    QTRY_VERIFY(done);
    QCOMPARE(updates, (std::vector<int>{10, 20, 30}));
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last(), 1.0);  // the last step always reaches the GUI
  }

  void exceptionsBecomeFailures() {
    JobRunner runner(JobPolicy::Parallel);
    Record r;
    runner.start<int>([](QPromise<int>&, std::stop_token) -> int { throw std::runtime_error("out of memory"); },
                      r.callbacks());
    QTRY_COMPARE(r.finished, 1);
    QCOMPARE(r.failures, QStringList{"out of memory"});
    QVERIFY(r.results.empty());
  }

  void shutdownWaitsForTheWorker() {
    std::atomic<bool> ended{false};
    {
      JobRunner runner(JobPolicy::Supersede);
      runner.start<int>(
          [&ended](QPromise<int>&, std::stop_token stop) {
            while (!stop.stop_requested()) QThread::msleep(1);
            QThread::msleep(20);
            ended = true;
            return 0;
          },
          {});
    }  // the destructor stops the body and waits for it
    QVERIFY(ended);
  }
};

QTEST_MAIN(TestJobRunner)
#include "test_job_runner.moc"
