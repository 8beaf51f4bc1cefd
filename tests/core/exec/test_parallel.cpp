// core/exec/parallel.h: every index visited exactly once, a reduction joined in chunk order (the
// same float sum on one thread and on all, equal to the chunked sum written out by hand), the
// per-thread accumulators, and the thread limit.
#include <QtTest/QtTest>

#include <atomic>
#include <numeric>
#include <vector>

#include "core/exec/parallel.h"

using namespace quench;

class TestParallel : public QObject {
  Q_OBJECT
 private slots:
  void everyIndexOnce() {
    for (std::size_t grain : {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{5000}}) {
      std::vector<std::atomic<int>> seen(3001);
      exec::parallelFor(1, 3001, grain, [&](exec::Range r) {
        QVERIFY(r.begin >= 1 && r.end <= 3001 && r.begin < r.end);
        for (std::size_t i = r.begin; i < r.end; ++i) seen[i].fetch_add(1);
      });
      QCOMPARE(seen[0].load(), 0);
      for (std::size_t i = 1; i < seen.size(); ++i) QCOMPARE(seen[i].load(), 1);
    }
    int calls = 0;
    exec::parallelFor(5, 5, 1, [&](exec::Range) { ++calls; });
    exec::parallelFor(9, 3, 1, [&](exec::Range) { ++calls; });
    QCOMPARE(calls, 0);  // empty and reversed ranges run nothing
  }

  void reductionInChunkOrder() {
    // x = (1, 2^-24 × 15), chunks of 4. A sequential float sum stays 1 (1 + 2^-24 ties to even);
    // chunk 0 is 1, chunks 1..3 are 4·2^-24 = 2^-22 each (exact), and joining them in order gives
    // 1 + 3·2^-22 (each step exact: 2^-22 is two ulps of 1).
    std::vector<float> x(16, 0x1p-24f);
    x[0] = 1.0f;
    auto sum = [&] {
      return exec::parallelReduce(
          0, x.size(), 4, 0.0f,
          [&](exec::Range r, float acc) {
            for (std::size_t i = r.begin; i < r.end; ++i) acc += x[i];
            return acc;
          },
          [](float a, float b) { return a + b; });
    };
    const float all = sum();
    QCOMPARE(all, 1.0f + 3 * 0x1p-22f);
    float sequential = 0;
    for (float v : x) sequential += v;
    QCOMPARE(sequential, 1.0f);
    {
      exec::ThreadLimit one(1);
      QCOMPARE(exec::concurrency(), std::size_t{1});
      QCOMPARE(sum(), all);
    }
    // Integer partials: the sum of 0..999 in chunks of 64.
    const auto total = exec::parallelReduce(
        0, 1000, 64, std::uint64_t{0},
        [](exec::Range r, std::uint64_t acc) {
          for (std::size_t i = r.begin; i < r.end; ++i) acc += i;
          return acc;
        },
        [](std::uint64_t a, std::uint64_t b) { return a + b; });
    QCOMPARE(total, std::uint64_t{999 * 1000 / 2});
    QCOMPARE(exec::parallelReduce(3, 3, 8, 7, [](exec::Range, int a) { return a + 1; }, [](int a, int b) { return a + b; }),
             7);
  }

  void perThreadAccumulators() {
    exec::PerThread<std::vector<std::uint64_t>> counts([] { return std::vector<std::uint64_t>(4, 0); });
    exec::parallelFor(0, 100000, 1024, [&](exec::Range r) {
      auto& c = counts.local();
      for (std::size_t i = r.begin; i < r.end; ++i) ++c[i % 4];
    });
    std::vector<std::uint64_t> sum(4, 0);
    int threads = 0;
    counts.forEach([&](const std::vector<std::uint64_t>& c) {
      ++threads;
      for (int k = 0; k < 4; ++k) sum[std::size_t(k)] += c[std::size_t(k)];
    });
    QVERIFY(threads >= 1 && std::size_t(threads) <= exec::concurrency());
    QCOMPARE(sum, (std::vector<std::uint64_t>(4, 25000)));
  }

  void versions() {
    QVERIFY(!exec::threadLibraryVersion().empty());
    QVERIFY(exec::threadLibraryRuntimeVersion().starts_with(exec::threadLibraryVersion().substr(0, 4)));
  }
};

QTEST_MAIN(TestParallel)
#include "test_parallel.moc"
