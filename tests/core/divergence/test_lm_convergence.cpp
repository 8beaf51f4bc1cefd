// The running sampled estimate of KL per token (MATH.md §9): checkpoints by hand, every point equal
// to sampledLmKl with that many samples (one running estimate), an i.i.d. model whose per-token
// KL is the same for every sequence (estimate exact, stderr 0 at every point), and a bigram model
// whose estimate approaches KL_joint / n.
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "common/fuzzy.h"
#include "core/divergence/lm_convergence.h"

using namespace quench;

namespace {
ExplicitLm parse(const char* text) {
  auto r = ExplicitLm::fromJson(nlohmann::json::parse(text), "test");
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(*r);
}
}  // namespace

class TestLmConvergence : public QObject {
  Q_OBJECT
 private slots:
  void checkpoints() {
    // 2·10^(k/8) rounded: 2.67→3, 3.56→4, 4.74→5, 6.32→6, 8.43→8, 11.2→11, 15.0→15, 20, 26.7→27,
    // 35.6→36, 47.4→47, 63.2→63, 84.3→84, then 100.
    const std::vector<std::size_t> want{2, 3, 4, 5, 6, 8, 11, 15, 20, 27, 36, 47, 63, 84, 100};
    QCOMPARE(convergenceCheckpoints(100, 8), want);
    QCOMPARE(convergenceCheckpoints(2, 8), std::vector<std::size_t>{2});
    QVERIFY(convergenceCheckpoints(1).empty());
  }

  void iidCoin() {
    // Fair coin P vs loaded coin Q = (0.9, 0.1) at every position: each sequence's per-token KL is
    // ½ln(½/0.9) + ½ln(½/0.1) = ½ln(25/9), so every point is exact with stderr 0.
    const ExplicitLm p = parse(R"({"vocab": ["H", "T"], "next": {"": [0.5, 0.5]}})");
    const ExplicitLm q = parse(R"({"vocab": ["H", "T"], "next": {"": [0.9, 0.1]}})");
    auto c = sampledLmKlCurve(p, q, 4, 1000, 7);
    QVERIFY(c);
    QCOMPARE(c->back().samples, std::size_t{1000});
    for (const SampledKlPoint& pt : *c) {
      QUENCH_COMPARE_NEAR(pt.perToken, 0.5 * std::log(25.0 / 9.0), 1e-12, 0);
      QVERIFY(pt.stderr < 1e-9);
    }
  }

  void bigramConverges() {
    const ExplicitLm p = parse(R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.5, 0.5]}})");
    const ExplicitLm q = parse(R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.75, 0.25], "B": [0.5, 0.5]}})");
    // Per position after the first: P(A) = ½ → ½·KL((½,½)‖(¾,¼)) = ¼ln(4/3); n = 3 gives
    // KL_joint = 2·¼ln(4/3), per token ⅓ of it.
    const double perToken = 0.5 * std::log(4.0 / 3.0) / 3.0;
    auto c = sampledLmKlCurve(p, q, 3, 20000, 11);
    QVERIFY(c);
    for (const SampledKlPoint& pt : *c) {
      auto direct = sampledLmKl(p, q, 3, pt.samples, 11);
      QVERIFY(direct);
      QCOMPARE(pt.perToken, direct->perToken);
      QCOMPARE(pt.stderr, direct->stderr);
    }
    const SampledKlPoint& last = c->back();
    QVERIFY2(std::fabs(last.perToken - perToken) < 4 * last.stderr,
             qPrintable(QString("%1 vs %2 ± %3").arg(last.perToken).arg(perToken).arg(last.stderr)));
    // The standard error shrinks like 1/√S: from ~200 samples to 20000 by about 10×.
    const auto at200 = std::find_if(c->begin(), c->end(), [](const SampledKlPoint& p) { return p.samples >= 200; });
    QVERIFY(at200 != c->end());
    QVERIFY2(last.stderr < at200->stderr / 5,
             qPrintable(QString("%1 vs %2 at %3").arg(last.stderr).arg(at200->stderr).arg(at200->samples)));
  }

  void cancels() {
    const ExplicitLm p = parse(R"({"vocab": ["H", "T"], "next": {"": [0.5, 0.5]}})");
    std::stop_source stop;
    stop.request_stop();
    auto c = sampledLmKlCurve(p, p, 4, 1000, 7, 8, Work{stop.get_token(), {}});
    QVERIFY(!c);
    QVERIFY(!sampledLmKlCurve(p, p, 4, 1, 7));
  }
};

QTEST_MAIN(TestLmConvergence)
#include "test_lm_convergence.moc"
