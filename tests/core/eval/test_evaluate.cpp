// Evaluation of quantized against original models: the F32 stories260K GGUF against llama.cpp's
// own log-probabilities (persuasion-head.kld, MATH.md §11), a model against itself, recipes that
// must and must not change the weights, and the storage figure.
#include <QtTest/QtTest>

#include <cmath>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/eval/evaluate.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString::fromUtf8(rel)).toStdString(); }

}  // namespace

class TestEvaluate : public QObject {
  Q_OBJECT
 private slots:
  void f32GgufAgainstLlamaCpp() {
    // shared/data/README.md: llama.cpp printed PPL = 61.9771 for this model and text; its F16 KV
    // cache makes a mean KL of a few 1e-6 nats the floor. 89 chunks × 63 rows = 5607 positions.
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto q = loadQuantized(m, Recipe{});
    QVERIFY(q.ok());
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(base.ok());
    TokenAccumulator acc;
    QVERIFY(compareToLlamaKld(*q->transformer, *base, m.tokenizer->bosId(), acc).ok());
    const TokenSummary s = acc.summary();
    QCOMPARE(s.tokens, std::size_t{5607});
    QCOMPARE(s.withTrue, std::size_t{5607});
    QVERIFY2(s.klMean > 5e-7 && s.klMean < 1e-5, qPrintable(QString::number(s.klMean)));
    QVERIFY(s.top1Agreement > 0.995);
    QUENCH_COMPARE_NEAR(s.pplQ, 61.9771, 1e-3, 0);
    QCOMPARE(q->bitsPerParam, 32.0);
  }

  void withoutBosSubstitutionTheFloorIsMissed() {
    // Guard for the §11 rule: feeding the stored first token instead of BOS changes the context
    // of every scored row and the KL grows by orders of magnitude.
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto q = loadQuantized(m, Recipe{});
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(q.ok() && base.ok());
    TokenAccumulator acc;
    // Token 0 (<unk>) as the "BOS" stands for any wrong first token.
    QVERIFY(compareToLlamaKld(*q->transformer, *base, 0, acc).ok());
    QVERIFY2(acc.summary().klMean > 1e-4, qPrintable(QString::number(acc.summary().klMean)));
  }

  void evaluationReportsProgressAndStopsWhenCancelled() {
    // The GUI shows this progress and cancels through the same Work (issue #4).
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    auto q = loadQuantized(m, test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4}]})")));
    QVERIFY(p.ok() && q.ok());
    auto seqs = sampleSequences(**p, 6, 24, 1, 11);
    QVERIFY(seqs.ok());

    std::vector<std::pair<double, double>> reports;
    Work watch{{}, [&](double done, double total) { reports.emplace_back(done, total); }};
    TokenAccumulator all;
    QVERIFY(compareModels(**p, *q->transformer, *seqs, all, watch).ok());
    QVERIFY(!reports.empty());
    // One unit: sequences (the forward passes inside do not report their own token counts).
    for (const auto& [done, total] : reports) QVERIFY(total == 6.0 && done >= 1 && done <= total);
    QCOMPARE(reports.back(), std::make_pair(6.0, 6.0));

    // Stop at the first report: the comparison ends with "cancelled" before the next sequence.
    std::stop_source stop;
    int calls = 0;
    Work cancelling{stop.get_token(), [&](double, double) {
                      ++calls;
                      stop.request_stop();
                    }};
    TokenAccumulator partial;
    const Status st = compareModels(**p, *q->transformer, *seqs, partial, cancelling);
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.find("cancelled") != std::string::npos, st.error().message.c_str());
    QVERIFY2(calls <= 2, qPrintable(QString::number(calls)));
    QVERIFY(partial.summary().tokens < all.summary().tokens);

    // A stop requested before the start: nothing is evaluated.
    std::stop_source early;
    early.request_stop();
    auto e = evaluateRecipe(m, Recipe{}, &**p, *seqs, nullptr, 1.0, Work{early.get_token(), {}});
    QVERIFY(!e.ok());
  }

  void modelAgainstItself() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    auto q = loadQuantized(m, Recipe{});
    QVERIFY(p.ok() && q.ok());
    auto seqs = sampleSequences(**p, 3, 40, 1, 7);
    QVERIFY(seqs.ok());
    QCOMPARE(seqs->size(), std::size_t{3});
    QCOMPARE((*seqs)[0].size(), std::size_t{40});
    QCOMPARE((*seqs)[0][0], 1);
    auto again = sampleSequences(**p, 3, 40, 1, 7);
    QCOMPARE(*again, *seqs);  // seeded
    TokenAccumulator acc;
    QVERIFY(compareModels(**p, *q->transformer, *seqs, acc).ok());
    const TokenSummary s = acc.summary();
    QCOMPARE(s.tokens, std::size_t{120});
    QCOMPARE(s.withTrue, std::size_t{117});  // the last position of each sequence has no next token
    QCOMPARE(s.klMax, 0.0);
    QCOMPARE(s.top1Agreement, 1.0);
    QCOMPARE(s.pplP, s.pplQ);
  }

  void int8RecipeChangesWeightsSlightly() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto p = loadTransformer(m);
    const Recipe int8 = test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 8}]})"));
    const Recipe int4 = test::orDie(recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4}]})"));
    auto q8 = loadQuantized(m, int8);
    auto q4 = loadQuantized(m, int4);
    QVERIFY(p.ok() && q8.ok() && q4.ok());
    // token_embd + 7 matrices × 5 layers; the 1-D norms are not selected by "*" (MATH.md §7).
    QCOMPARE(q8->tensorsTransformed, std::size_t{36});
    // Storage: 8-bit codes plus one fp32 scale per row over the matrices, norms kept at 32 bits.
    const ModelConfig& c = m.config;
    double bits = 0, params = 0;
    auto matrix = [&](double rows, double cols, double k) {
      bits += rows * (cols * k + 32);
      params += rows * cols;
    };
    for (double k : {8.0}) {
      matrix(c.vocabSize, c.dim, k);
      for (int l = 0; l < c.nLayers; ++l) {
        matrix(c.dim, c.dim, k);
        matrix(c.kvDim(), c.dim, k);
        matrix(c.kvDim(), c.dim, k);
        matrix(c.dim, c.dim, k);
        matrix(c.hiddenDim, c.dim, k);
        matrix(c.dim, c.hiddenDim, k);
        matrix(c.hiddenDim, c.dim, k);
        bits += 2 * 32.0 * c.dim;
        params += 2.0 * c.dim;
      }
      bits += 32.0 * c.dim;
      params += c.dim;
    }
    QUENCH_COMPARE_NEAR(q8->bitsPerParam, bits / params, 1e-9, 0);
    auto seqs = sampleSequences(**p, 2, 64, 1, 3);
    QVERIFY(seqs.ok());
    TokenAccumulator a8, a4;
    QVERIFY(compareModels(**p, *q8->transformer, *seqs, a8).ok());
    QVERIFY(compareModels(**p, *q4->transformer, *seqs, a4).ok());
    const double kl8 = a8.summary().klMean, kl4 = a4.summary().klMean;
    QVERIFY2(kl8 > 0 && kl8 < 1e-3, qPrintable(QString::number(kl8)));
    QVERIFY2(kl4 > 10 * kl8, qPrintable(QString("%1 vs %2").arg(kl4).arg(kl8)));
  }

  void chunking() {
    const std::vector<int> t{1, 2, 3, 4, 5, 6, 7};
    const auto c = chunkTokens(t, 3);
    QCOMPARE(c.size(), std::size_t{3});
    QCOMPARE(c[0], (std::vector<int>{1, 2, 3}));
    QCOMPARE(c[2], (std::vector<int>{7}));
  }

  void mismatchedReference() {
    // TinyStories-656K has a 2048-token vocabulary: the 512-token .kld is refused with a message.
    const ModelFiles m = test::orDie(openModel(shared("models/TinyStories-656K")));
    auto q = loadQuantized(m, Recipe{});
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(q.ok() && base.ok());
    TokenAccumulator acc;
    auto s = compareToLlamaKld(*q->transformer, *base, 1, acc);
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.find("vocabulary of 512") != std::string::npos, s.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(TestEvaluate)
#include "test_evaluate.moc"
