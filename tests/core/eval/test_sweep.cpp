// Sweeps and per-tensor sensitivity (core/eval/sweep.h) and the per-position records of an
// evaluation (PositionRecord), on stories260K: a two-point sweep equals two separate
// evaluateRecipe calls; the records' KL of one position equals KL recomputed here from the two
// models' logits in double; the records' means equal the summary; the points a setting makes;
// progress over the whole sweep; cancelling between and inside points.
#include <QtTest/QtTest>

#include <cmath>
#include <limits>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/eval/sweep.h"
#include "core/quant/codebook_method.h"
#include "core/quant/integer_method.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString::fromUtf8(rel)).toStdString(); }

const char* kInt4 = R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4}]})";

// KL(softmax(p) ‖ softmax(q)) of one row, in double, straight from the definition.
double klOfLogits(const float* p, const float* q, int n) {
  double mp = -HUGE_VAL, mq = -HUGE_VAL;
  for (int i = 0; i < n; ++i) {
    mp = std::max(mp, double(p[i]));
    mq = std::max(mq, double(q[i]));
  }
  double zp = 0, zq = 0;
  for (int i = 0; i < n; ++i) {
    zp += std::exp(double(p[i]) - mp);
    zq += std::exp(double(q[i]) - mq);
  }
  double kl = 0;
  for (int i = 0; i < n; ++i) {
    const double lp = double(p[i]) - mp - std::log(zp), lq = double(q[i]) - mq - std::log(zq);
    kl += std::exp(lp) * (lp - lq);
  }
  return kl;
}

void compareSummaries(const TokenSummary& a, const TokenSummary& b) {
  QCOMPARE(a.tokens, b.tokens);
  QCOMPARE(a.klMean, b.klMean);
  QCOMPARE(a.klStderr, b.klStderr);
  QCOMPARE(a.klP99, b.klP99);
  QCOMPARE(a.klMax, b.klMax);
  QCOMPARE(a.jsMean, b.jsMean);
  QCOMPARE(a.top1Agreement, b.top1Agreement);
  QCOMPARE(a.pplQ, b.pplQ);
  QCOMPARE(a.deltaPRms, b.deltaPRms);
}
}  // namespace

class TestSweep : public QObject {
  Q_OBJECT
 private slots:
  void axisAndPoints() {
    auto a = parseSweepAxis("bits=2,4,,8");
    QVERIFY(a.ok());
    QCOMPARE(a->name, std::string("bits"));
    QCOMPARE(a->values, (std::vector<std::string>{"2", "4", "8"}));
    for (const char* bad : {"bits", "=2,4", "bits=", "bits=,,"}) {
      auto b = parseSweepAxis(bad);
      QVERIFY2(!b.ok(), bad);
    }
    QVERIFY(parseSweepAxis("bits").error().message.find("NAME=V1,V2") != std::string::npos);

    const Recipe base = test::orDie(recipeFromJson(kInt4));
    auto bits = sweepPoints(base, {"bits", {"2", "8"}}, 1.5);
    QVERIFY(bits.ok());
    QCOMPARE(bits->size(), std::size_t{2});
    QCOMPARE((*bits)[0].label, std::string("2"));
    QCOMPARE((*bits)[0].recipe.rules.at(0).params.as<IntSettings>().bits, 2);
    QCOMPARE((*bits)[1].recipe.rules.at(0).params.as<IntSettings>().bits, 8);
    QCOMPARE((*bits)[1].temperature, 1.5);  // the fixed temperature of the other points
    // Only the swept key changes.
    Recipe expect = base;
    expect.rules[0].params.as<IntSettings>().bits = 8;
    QCOMPARE((*bits)[1].recipe, expect);

    auto group = sweepPoints(base, {"group", {"32"}});
    QVERIFY(group.ok());
    QCOMPARE((*group)[0].recipe.rules[0].params.as<IntSettings>().partition.text, std::string("group:32"));
    auto clip = sweepPoints(base, {"clip", {"99.9"}});
    QVERIFY(clip.ok());
    QCOMPARE(clip->at(0).recipe.rules[0].params.as<IntSettings>().calibration.method, CalibrationMethod::Percentile);
    QCOMPARE(clip->at(0).recipe.rules[0].params.as<IntSettings>().calibration.percentile, 99.9);
    auto temp = sweepPoints(base, {"temperature", {"0.5", "2"}});
    QVERIFY(temp.ok());
    QCOMPARE(temp->at(0).temperature, 0.5);
    QCOMPARE(temp->at(1).temperature, 2.0);
    QCOMPARE(temp->at(1).recipe, base);
    auto nf4 = sweepPoints(test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4"}]})")),
                           {"block", {"32", "128"}});
    QVERIFY(nf4.ok());
    QCOMPARE(nf4->at(1).recipe.rules[0].params.as<CodebookSettings>().block, std::size_t{128});

    // Every rule of a two-rule recipe gets the setting.
    auto two = sweepPoints(
        test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "blk.0.*", "method": "int", "bits": 8},
                                                     {"tensors": "*", "method": "int", "bits": 6}]})")),
        {"bits", {"3"}});
    QVERIFY(two.ok());
    QCOMPARE(two->at(0).recipe.rules[0].params.as<IntSettings>().bits, 3);
    QCOMPARE(two->at(0).recipe.rules[1].params.as<IntSettings>().bits, 3);
    QCOMPARE(two->at(0).recipe.rules[0].tensors, std::string("blk.0.*"));

    // Bad values name the point; a base valid only once the setting is applied is accepted.
    auto bad = sweepPoints(base, {"bits", {"4", "99"}});
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("bits=99") == 0, bad.error().message.c_str());
    QVERIFY(!sweepPoints(base, {"temperature", {"0"}}).ok());
    QVERIFY(!sweepPoints(base, {"temperature", {"warm"}}).ok());
    QVERIFY(!sweepPoints(base, {"no_such_key", {"1"}}).ok());
    QVERIFY(!sweepPoints(Recipe{}, {"bits", {"4"}}).ok());
    auto fixed = sweepPoints(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 99}]})",
                             {"bits", {"4"}});
    QVERIFY(fixed.ok());
    QCOMPARE(fixed->at(0).recipe, test::orDie(recipeFromJson(kInt4)));
    QCOMPARE(sweepValueJson("4"), std::string("4"));
    QCOMPARE(sweepValueJson("e2m1"), std::string("\"e2m1\""));
    QCOMPARE(sweepValueJson("true"), std::string("true"));
  }

  void perTensor() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto all = perTensorPoints(m, test::orDie(recipeFromJson(kInt4)));
    QVERIFY(all.ok());
    // token_embd (tied with the classifier: once) + 7 matrices × 5 layers, in load order.
    QCOMPARE(all->size(), std::size_t(1 + 7 * m.config.nLayers));
    QCOMPARE(all->front().label, m.fileTensorName("token_embd.weight"));
    for (const SweepPoint& p : *all) {
      QCOMPARE(p.recipe.rules.size(), std::size_t{1});
      QCOMPARE(p.recipe.rules[0].tensors, p.label);
      QCOMPARE(p.recipe.rules[0].params.as<IntSettings>().bits, 4);
    }
    // The rules' globs narrow the tensors (layer 0's matrices only), each tensor with the rule
    // that selects it first.
    auto narrow = perTensorPoints(
        m, test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "blk.0.attn*", "method": "int", "bits": 3},
                                                          {"tensors": "blk.0.*", "method": "int", "bits": 5}]})")));
    QVERIFY(narrow.ok());
    QCOMPARE(narrow->size(), std::size_t{7});
    QCOMPARE(narrow->at(0).label, std::string("blk.0.attn_q.weight"));
    QCOMPARE(narrow->at(0).recipe.rules[0].params.as<IntSettings>().bits, 3);
    QCOMPARE(narrow->at(6).label, std::string("blk.0.ffn_up.weight"));
    QCOMPARE(narrow->at(6).recipe.rules[0].params.as<IntSettings>().bits, 5);
    QVERIFY(!perTensorPoints(m, test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "nothing", "method": "int"}]})")))
                 .ok());
  }

  void sweepEqualsSeparateEvaluations() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    QVERIFY(p.ok());
    auto seqs = sampleSequences(**p, 3, 40, 1, 5);
    QVERIFY(seqs.ok());
    auto points = sweepPoints(test::orDie(recipeFromJson(kInt4)), {"bits", {"3", "6"}});
    QVERIFY(points.ok());

    std::vector<std::pair<double, double>> reports;
    std::vector<std::size_t> delivered;
    const Work watch{{}, [&](double done, double total) { reports.emplace_back(done, total); }};
    auto swept = runSweep(
        m, SweepData{&**p, &*seqs, nullptr}, *points,
        [&](std::size_t i, const SweepPoint& pt, const RecipeEvaluation& e) -> Status {
          delivered.push_back(i);
          if (&pt != &(*points)[i] || e.summary.tokens != 120) return makeError("wrong point delivered");
          return {};
        },
        watch, /*keepPositions=*/true);
    QVERIFY2(swept.ok(), swept.ok() ? "" : swept.error().message.c_str());
    QCOMPARE(delivered, (std::vector<std::size_t>{0, 1}));
    QCOMPARE(swept->size(), std::size_t{2});

    // Each point is exactly `eval` of its recipe (P's logits were cached: P ran once).
    for (std::size_t i = 0; i < 2; ++i) {
      auto alone = evaluateRecipe(m, (*points)[i].recipe, &**p, *seqs, nullptr);
      QVERIFY(alone.ok());
      compareSummaries((*swept)[i].summary, alone->summary);
      QCOMPARE((*swept)[i].bitsPerParam, alone->bitsPerParam);
      QCOMPARE((*swept)[i].tensorsTransformed, alone->tensorsTransformed);
    }
    // Fewer bits move Q further from P.
    QVERIFY((*swept)[0].summary.klMean > (*swept)[1].summary.klMean);

    // One progress over the whole sweep: P's logits (1 step) + 2 points, never going back.
    QVERIFY(!reports.empty());
    for (std::size_t i = 0; i < reports.size(); ++i) {
      QCOMPARE(reports[i].second, 3.0);
      if (i) QVERIFY(reports[i].first >= reports[i - 1].first);
    }
    QCOMPARE(reports.back().first, 3.0);

    // Without the cache (budget 0) the figures are the same.
    auto uncached = runSweep(m, SweepData{&**p, &*seqs, nullptr}, *points, {}, {}, false, 0);
    QVERIFY(uncached.ok());
    compareSummaries((*uncached)[0].summary, (*swept)[0].summary);
  }

  void positionRecords() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    QVERIFY(p.ok());
    auto seqs = sampleSequences(**p, 2, 33, 1, 9);
    QVERIFY(seqs.ok());
    EvaluateOptions o;
    o.keepPositions = true;
    auto e = evaluateRecipe(m, test::orDie(recipeFromJson(kInt4)), &**p, *seqs, nullptr, o);
    QVERIFY(e.ok());
    const auto& rec = e->positions;
    QCOMPARE(rec.size(), std::size_t{66});
    QCOMPARE(e->summary.tokens, rec.size());

    // Row order: sequence by sequence, position by position, tokens from the sequence.
    for (std::size_t i = 0; i < rec.size(); ++i) {
      const std::size_t s = i / 33, pos = i % 33;
      QCOMPARE(rec[i].sequence, s);
      QCOMPARE(rec[i].position, pos);
      QCOMPARE(rec[i].token, (*seqs)[s][pos]);
      QCOMPARE(rec[i].nextToken, pos + 1 < 33 ? (*seqs)[s][pos + 1] : kNoToken);
      QCOMPARE(std::isnan(rec[i].pTrue), pos + 1 == 33);
    }

    // One position recomputed from the two models' logits, in double, from the definition.
    auto q = loadQuantized(m, test::orDie(recipeFromJson(kInt4)));
    QVERIFY(q.ok());
    auto lp = (*p)->logitsFor((*seqs)[1]);
    auto lq = q->transformer->logitsFor((*seqs)[1]);
    QVERIFY(lp.ok() && lq.ok());
    for (int pos : {0, 7, 31}) {
      const double kl = klOfLogits(lp->row(pos).data(), lq->row(pos).data(), m.config.vocabSize);
      QUENCH_COMPARE_NEAR(rec[33 + std::size_t(pos)].kl, kl, 1e-4, 1e-9);
    }

    // The summary's means from the records: KL, JS, top-1, Δp, PPL(P).
    double kl = 0, js = 0, top1 = 0, dp = 0, lnP = 0;
    std::size_t scored = 0;
    for (const PositionRecord& r : rec) {
      kl += r.kl;
      js += r.js;
      top1 += r.top1Same;
      if (!std::isnan(r.pTrue)) {
        ++scored;
        dp += r.qTrue - r.pTrue;
        lnP += std::log(r.pTrue);
      }
    }
    const double n = double(rec.size());
    QCOMPARE(scored, e->summary.withTrue);
    QUENCH_COMPARE_NEAR(kl / n, e->summary.klMean, 1e-12, 0);
    QUENCH_COMPARE_NEAR(js / n, e->summary.jsMean, 1e-12, 0);
    QUENCH_COMPARE_NEAR(top1 / n, e->summary.top1Agreement, 1e-12, 0);
    QUENCH_COMPARE_NEAR(dp / double(scored), e->summary.deltaPMean, 1e-9, 1e-15);
    QUENCH_COMPARE_NEAR(std::exp(-lnP / double(scored)), e->summary.pplP, 1e-9, 0);

    // Keeping the records does not change the figures.
    auto plain = evaluateRecipe(m, test::orDie(recipeFromJson(kInt4)), &**p, *seqs, nullptr);
    QVERIFY(plain.ok());
    QVERIFY(plain->positions.empty());
    compareSummaries(plain->summary, e->summary);
  }

  void largestAndHistogram() {
    std::vector<PositionRecord> r(6);
    const double kl[] = {0.5, 2.0, std::numeric_limits<double>::infinity(), 2.0, 0.0, 1.0};
    for (std::size_t i = 0; i < r.size(); ++i) r[i].kl = kl[i];
    // +∞ first, ties keep row order, then the rest.
    QCOMPARE(largestKlPositions(r, 4), (std::vector<std::size_t>{2, 1, 3, 5}));
    QCOMPARE(largestKlPositions(r, 100).size(), std::size_t{6});
    QVERIFY(largestKlPositions({}, 3).empty());
    // Bins of width 0.5 over [0, 2]: {0.0}, {0.5}, {1.0}, {2.0, 2.0} (the top edge is in the last).
    const Histogram h = klHistogram(r, 4);
    QCOMPARE(h.lo, 0.0);
    QCOMPARE(h.hi, 2.0);
    QCOMPARE(h.counts, (std::vector<std::uint64_t>{1, 1, 1, 2}));
    QCOMPARE(h.inf, std::uint64_t{1});
  }

  void cancelBetweenAndInsidePoints() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    QVERIFY(p.ok());
    auto seqs = sampleSequences(**p, 4, 32, 1, 2);
    QVERIFY(seqs.ok());
    auto points = sweepPoints(test::orDie(recipeFromJson(kInt4)), {"bits", {"2", "3", "4"}});
    QVERIFY(points.ok());

    // Stop after the first point: the sweep ends with "cancelled" before the second.
    std::stop_source stop;
    int delivered = 0;
    auto r = runSweep(m, SweepData{&**p, &*seqs, nullptr}, *points,
                      [&](std::size_t, const SweepPoint&, const RecipeEvaluation&) -> Status {
                        ++delivered;
                        stop.request_stop();
                        return {};
                      },
                      Work{stop.get_token(), {}});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.find("cancelled") != std::string::npos, r.error().message.c_str());
    QCOMPARE(delivered, 1);

    // Stop at the first progress report inside the first point: no point is delivered.
    std::stop_source inside;
    delivered = 0;
    int reports = 0;
    auto r2 = runSweep(m, SweepData{&**p, &*seqs, nullptr}, *points,
                       [&](std::size_t, const SweepPoint&, const RecipeEvaluation&) -> Status {
                         ++delivered;
                         return {};
                       },
                       Work{inside.get_token(), [&](double, double) {
                              ++reports;
                              inside.request_stop();
                            }});
    QVERIFY(!r2.ok());
    QVERIFY2(r2.error().message.find("cancelled") != std::string::npos, r2.error().message.c_str());
    QCOMPARE(delivered, 0);
    QVERIFY(reports >= 1);

    // A callback's error stops the sweep with that error.
    auto r3 = runSweep(m, SweepData{&**p, &*seqs, nullptr}, *points,
                       [&](std::size_t, const SweepPoint&, const RecipeEvaluation&) -> Status {
                         return makeError("the page was closed");
                       });
    QVERIFY(!r3.ok());
    QCOMPARE(r3.error().message, std::string("the page was closed"));
  }

  void llamaKldPositions() {
    // Against llama.cpp's base file: one record per scored row, chunk by chunk, positions from
    // ⌊n_ctx/2⌋ on, tokens from the file.
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(base.ok());
    EvaluateOptions o;
    o.keepPositions = true;
    auto e = evaluateRecipe(m, Recipe{}, nullptr, {}, &*base, o);
    QVERIFY(e.ok());
    QCOMPARE(e->positions.size(), e->summary.tokens);
    const auto& r0 = e->positions.front();
    QCOMPARE(r0.sequence, std::size_t{0});
    QCOMPARE(r0.position, base->firstScoredPosition());
    QCOMPARE(r0.nextToken, base->trueNextToken(0, 0));
    QCOMPARE(r0.token, std::int32_t(base->chunkTokens(0)[base->firstScoredPosition()]));
    QCOMPARE(e->positions.back().sequence, std::size_t(base->nChunk() - 1));
    double kl = 0;
    for (const auto& r : e->positions) kl += r.kl;
    QUENCH_COMPARE_NEAR(kl / double(e->positions.size()), e->summary.klMean, 1e-9, 0);
  }
};

QTEST_APPLESS_MAIN(TestSweep)
#include "test_sweep.moc"
