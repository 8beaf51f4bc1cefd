// Per-token summary (MATH.md §9) against tools/golden_divergence.py on tests/data/divergence/
// {p,q}_logits.npy (64 positions × 50 tokens), incremental use, cancellation, hostile rows.
#include <QtTest/QtTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <stop_token>
#include <vector>

#include "common/fuzzy.h"
#include "core/divergence/token_summary.h"
#include "core/io/reader.h"

using namespace quench;

namespace {
std::vector<float> loadValues(const char* name) {
  auto r = openTensorFile(test::testData(name).toStdString());
  if (!r) qFatal("%s", r.error().message.c_str());
  auto t = (*r)->readFloat(std::size_t{0});
  if (!t) qFatal("%s", t.error().message.c_str());
  return t->values;
}

// The true next tokens the golden script uses: (7i + 3) mod 50.
std::vector<std::int32_t> goldenTrue(std::size_t rows) {
  std::vector<std::int32_t> t(rows);
  for (std::size_t i = 0; i < rows; ++i) t[i] = static_cast<std::int32_t>((7 * i + 3) % 50);
  return t;
}
}  // namespace

class TestTokenSummary : public QObject {
  Q_OBJECT
 private slots:
  void golden() {
    const auto p = loadValues("divergence/p_logits.npy"), q = loadValues("divergence/q_logits.npy");
    QCOMPARE(p.size(), std::size_t{64 * 50});
    TokenAccumulator acc;
    QVERIFY(acc.addRows(p, q, 50, RowKind::Logits, goldenTrue(64)).ok());
    const TokenSummary s = acc.summary();
    // Float32 elementwise kernel: 2e-6 relative (see test_row_kernel); PPL etc. are in double.
    constexpr double kRel = 5e-6;
    QCOMPARE(s.tokens, std::size_t{64});
    QCOMPARE(s.klInfinite, std::size_t{0});
    QUENCH_COMPARE_NEAR(s.klMean, 0.09211903288468637, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klStderr, 0.06853063422640655, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klMedian, 0.019529487090383046, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klP90, 0.04820930370253876, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klP95, 0.05753892922905364, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klP99, 1.6873429721876103, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klP999, 4.135203452760997, kRel, 0);
    QUENCH_COMPARE_NEAR(s.klMin, 0.0, 0, 1e-12);
    QUENCH_COMPARE_NEAR(s.klMax, 4.407187950602461, kRel, 0);
    QUENCH_COMPARE_NEAR(s.jsMean, 0.013249403598971572, kRel, 0);
    QUENCH_COMPARE_NEAR(s.top1Agreement, 0.859375, 1e-15, 0);
    QCOMPARE(s.withTrue, std::size_t{64});
    // ln P(true) = z − lse with lse from float32 exps summed in double: ~1e-9 absolute.
    QUENCH_COMPARE_NEAR(s.pplP, 1051.9010455171333, 1e-8, 0);
    QUENCH_COMPARE_NEAR(s.pplQ, 1100.3711293120843, 1e-8, 0);
    QUENCH_COMPARE_NEAR(s.pplRatio, 1.0460785584361905, 1e-8, 0);
    QUENCH_COMPARE_NEAR(s.lnPplRatio, 0.0450484664900781, 0, 1e-8);
    QUENCH_COMPARE_NEAR(s.deltaPMean, 0.0012208860187383358, 1e-7, 0);
    QUENCH_COMPARE_NEAR(s.deltaPRms, 0.006111193387178188, 1e-7, 0);
  }

  void logProbsGiveTheSame() {
    const auto p = loadValues("divergence/p_logprobs.npy"), q = loadValues("divergence/q_logprobs.npy");
    TokenAccumulator acc;
    QVERIFY(acc.addRows(p, q, 50, RowKind::LogProbs).ok());
    const TokenSummary s = acc.summary();
    QUENCH_COMPARE_NEAR(s.klMean, 0.09211903249339161, 5e-6, 0);
    QUENCH_COMPARE_NEAR(s.klMax, 4.407187890317071, 5e-6, 0);
    QUENCH_COMPARE_NEAR(s.jsMean, 0.013249403710702571, 5e-6, 0);
    QCOMPARE(s.withTrue, std::size_t{0});
  }

  void incrementalEqualsBatch() {
    // The model runtime feeds one row at a time: same summary as the batch call, and merge()
    // of two halves equals the whole.
    const auto p = loadValues("divergence/p_logits.npy"), q = loadValues("divergence/q_logits.npy");
    const auto truth = goldenTrue(64);
    TokenAccumulator batch, single, first, second;
    QVERIFY(batch.addRows(p, q, 50, RowKind::Logits, truth).ok());
    for (std::size_t i = 0; i < 64; ++i) {
      auto row = compareRow(std::span(p).subspan(i * 50, 50), std::span(q).subspan(i * 50, 50), RowKind::Logits,
                            truth[i]);
      QVERIFY(row.ok());
      single.add(*row);
      (i < 20 ? first : second).add(*row);
    }
    first.merge(second);
    for (const TokenAccumulator* a : {&single, &first}) {
      const TokenSummary s = a->summary(), b = batch.summary();
      QCOMPARE(s.tokens, b.tokens);
      QCOMPARE(s.klMean, b.klMean);
      QCOMPARE(s.klP99, b.klP99);
      QCOMPARE(s.top1Agreement, b.top1Agreement);
      QCOMPARE(s.pplQ, b.pplQ);
    }
  }

  void percentileDefinition() {
    // NumPy "linear": h = (N−1)q. For 1,2,3,4: q = 0.9 → h = 2.7 → 3 + 0.7·(4 − 3) = 3.7.
    const std::vector<double> x{1, 2, 3, 4};
    QUENCH_COMPARE_NEAR(quantileSorted(x, 0.9), 3.7, 1e-15, 0);
    QUENCH_COMPARE_NEAR(quantileSorted(x, 0.5), 2.5, 1e-15, 0);
    QCOMPARE(quantileSorted(x, 0.0), 1.0);
    QCOMPARE(quantileSorted(x, 1.0), 4.0);
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> withInf{1, inf, inf};
    QCOMPARE(quantileSorted(withInf, 0.75), inf);
  }

  void smallByHand() {
    // Row 1: P = Q → KL = JS = 0, same top. Row 2: P = (¾, ¼) via logits (ln 3, 0), Q = (½, ½):
    // KL = ¾ ln(3/2) + ¼ ln(1/2), top differs (Q ties → index 0 = P's top, so same).
    // True tokens 0 and 1: ln P = (ln ½, ln ¼), ln Q = (ln ½, ln ½).
    const float l3 = static_cast<float>(std::log(3.0));
    const std::vector<float> p{0, 0, l3, 0}, q{0, 0, 0, 0};
    TokenAccumulator acc;
    const std::vector<std::int32_t> truth{0, 1};
    QVERIFY(acc.addRows(p, q, 2, RowKind::Logits, truth).ok());
    const auto s = acc.summary();
    const double kl2 = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
    QUENCH_COMPARE_NEAR(s.klMean, kl2 / 2, 1e-6, 0);
    QUENCH_COMPARE_NEAR(s.klStderr, kl2 / 2, 1e-6, 0);  // sqrt(((kl2/2)²·2/2)/1)
    QCOMPARE(s.top1Agreement, 1.0);
    QUENCH_COMPARE_NEAR(s.pplP, std::exp(-(std::log(0.5) + std::log(0.25)) / 2), 1e-7, 0);
    QUENCH_COMPARE_NEAR(s.pplQ, 2.0, 1e-7, 0);
    QUENCH_COMPARE_NEAR(s.deltaPMean, (0.0 + 0.25) / 2, 1e-7, 0);
    QUENCH_COMPARE_NEAR(s.deltaPRms, std::sqrt(0.0625 / 2), 1e-7, 0);
  }

  void infiniteKlIsCounted() {
    const float ninf = -std::numeric_limits<float>::infinity();
    const std::vector<float> p{0, 0, 0, 0}, q{0, ninf, 0, 0};
    TokenAccumulator acc;
    QVERIFY(acc.addRows(p, q, 2, RowKind::LogProbs).ok());
    const auto s = acc.summary();
    QCOMPARE(s.klInfinite, std::size_t{1});
    QVERIFY(std::isinf(s.klMean) && std::isinf(s.klMax));
    QCOMPARE(s.klMin, 0.0);
  }

  void errors() {
    TokenAccumulator acc;
    std::vector<float> p(6, 0.0f), q(6, 0.0f);
    p[4] = std::nanf("");
    auto st = acc.addRows(p, q, 3, RowKind::Logits);
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.find("row 1") != std::string::npos, st.error().message.c_str());
    QCOMPARE(acc.size(), std::size_t{0});
    p[4] = 0;
    QVERIFY(!acc.addRows(p, std::span(q).first(5), 3, RowKind::Logits).ok());
    QVERIFY(!acc.addRows(p, q, 4, RowKind::Logits).ok());
    const std::vector<std::int32_t> bad{0, 3};
    QVERIFY(!acc.addRows(p, q, 3, RowKind::Logits, bad).ok());
    QVERIFY(!compareRow(std::span(p).first(3), std::span(q).first(2), RowKind::Logits).ok());
  }

  void cancelAndProgress() {
    std::vector<float> p(2000 * 10), q(2000 * 10);
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] = static_cast<float>(std::sin(0.1 * i));
      q[i] = static_cast<float>(std::cos(0.1 * i));
    }
    std::atomic<double> last{0};
    Work w;
    w.progress = [&](double done, double total) {
      QCOMPARE(total, 2000.0);
      double prev = last.load();
      while (done > prev && !last.compare_exchange_weak(prev, done)) {
      }
    };
    TokenAccumulator acc;
    QVERIFY(acc.addRows(p, q, 10, RowKind::Logits, {}, w).ok());
    QCOMPARE(last.load(), 2000.0);
    std::stop_source stop;
    stop.request_stop();
    Work cancelled{stop.get_token(), {}};
    TokenAccumulator other;
    auto st = other.addRows(p, q, 10, RowKind::Logits, {}, cancelled);
    QVERIFY(!st.ok());
    QCOMPARE(other.size(), std::size_t{0});
  }

  void llamaBaseFloor() {
    // Base ln p = (ln 0.6, ln 0.4 − tiny, −20): the −20 entry is at/below the −16 floor and does
    // not count in KL. Q = softmax(0, 0, 0): KL = 0.6 ln(0.6·3) + 0.4 ln(0.4·3) (tiny ignored).
    const std::vector<float> base{static_cast<float>(std::log(0.6)), static_cast<float>(std::log(0.4)), -20.0f};
    const std::vector<float> q{0, 0, 0};
    auto r = compareRowToLlamaBase(base, q, RowKind::Logits, 1);
    QVERIFY(r.ok());
    QUENCH_COMPARE_NEAR(r->kl, 0.6 * std::log(1.8) + 0.4 * std::log(1.2), 1e-6, 0);
    QUENCH_COMPARE_NEAR(r->logPTrue, std::log(0.4), 1e-6, 0);
    QUENCH_COMPARE_NEAR(r->logQTrue, -std::log(3.0), 1e-12, 0);
    // compareRow renormalizes and counts the floor entry: its KL differs by exp(−20)·(…) only.
    auto full = compareRow(base, q, RowKind::LogProbs, 1);
    QVERIFY(full.ok());
    QVERIFY(full->kl != r->kl);
  }
};

QTEST_APPLESS_MAIN(TestTokenSummary)
#include "test_token_summary.moc"
