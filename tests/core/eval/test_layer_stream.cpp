// Layer-streamed evaluation (core/eval/layer_stream.h) against the whole-model evaluation
// (evaluateRecipe, itself tested against llama.cpp and by hand): the same figures bit for bit on
// the shared models and on the random-weight checkpoints of every architecture, through packed
// and blocked (KV-cached) sequences, at a temperature, and against llama.cpp's .kld; scoring as
// llama-perplexity does against its own output; progress, cancellation and errors.
#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <random>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/eval/eval_data.h"
#include "core/eval/layer_stream.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString::fromUtf8(rel)).toStdString(); }
std::string local(const char* rel) { return test::testData(QString::fromUtf8(rel)).toStdString(); }

const char* kInt4 = R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4, "partition": "group:16"}]})";

// Seeded ids in [0, vocab) for sequences of the given lengths (BOS-free on purpose: any ids).
std::vector<std::vector<int>> randomSequences(int vocab, std::initializer_list<int> lengths, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> id(0, vocab - 1);
  std::vector<std::vector<int>> out;
  for (int n : lengths) {
    std::vector<int> s(static_cast<std::size_t>(n));
    for (int& t : s) t = id(rng);
    out.push_back(std::move(s));
  }
  return out;
}

// Doubles equal to the last bit (NaN equal to NaN: P(true) of positions without a next token).
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

#define SAME(a, b) QVERIFY2(same((a), (b)), qPrintable(QStringLiteral("%1: %2 vs %3").arg(#a).arg((a), 0, 'g', 17).arg((b), 0, 'g', 17)))

void compareEvaluations(const RecipeEvaluation& s, const RecipeEvaluation& w) {
  const TokenSummary &a = s.summary, &b = w.summary;
  QCOMPARE(a.tokens, b.tokens);
  QCOMPARE(a.klInfinite, b.klInfinite);
  QCOMPARE(a.withTrue, b.withTrue);
  SAME(a.klMean, b.klMean);
  SAME(a.klStderr, b.klStderr);
  SAME(a.klMedian, b.klMedian);
  SAME(a.klP99, b.klP99);
  SAME(a.klMax, b.klMax);
  SAME(a.klMin, b.klMin);
  SAME(a.jsMean, b.jsMean);
  SAME(a.top1Agreement, b.top1Agreement);
  SAME(a.pplP, b.pplP);
  SAME(a.pplQ, b.pplQ);
  SAME(a.deltaPMean, b.deltaPMean);
  SAME(a.deltaPRms, b.deltaPRms);
  SAME(s.bitsPerParam, w.bitsPerParam);
  QCOMPARE(s.tensorsTransformed, w.tensorsTransformed);
  QCOMPARE(s.positions.size(), w.positions.size());
  for (std::size_t i = 0; i < s.positions.size(); ++i) {
    const PositionRecord &x = s.positions[i], &y = w.positions[i];
    QCOMPARE(x.sequence, y.sequence);
    QCOMPARE(x.position, y.position);
    QCOMPARE(x.token, y.token);
    QCOMPARE(x.nextToken, y.nextToken);
    SAME(x.kl, y.kl);
    SAME(x.js, y.js);
    SAME(x.pTrue, y.pTrue);
    SAME(x.qTrue, y.qTrue);
    QCOMPARE(x.top1Same, y.top1Same);
  }
}
}  // namespace

class TestLayerStream : public QObject {
  Q_OBJECT
 private slots:
  void sameFiguresAsTheWholeModelEvaluation_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("block");
    QTest::addColumn<double>("temperature");
    // llama2.c (tied classifier), GGUF, Hugging Face (tied lm_head), and every architecture's
    // random checkpoint (untied, biases, 1 + w norms, fused tensors, q/k norms, rope scaling).
    QTest::newRow("stories260K.bin") << QString::fromStdString(shared("models/stories260K/stories260K.bin")) << 512 << 1.0;
    QTest::newRow("stories260K.bin blocks of 7") << QString::fromStdString(shared("models/stories260K/stories260K.bin")) << 7
                                                << 1.0;
    QTest::newRow("stories260K.gguf T=1.7") << QString::fromStdString(shared("models/stories260K-gguf/stories260K.gguf"))
                                           << 512 << 1.7;
    QTest::newRow("TinyStories-656K") << QString::fromStdString(shared("models/TinyStories-656K")) << 512 << 1.0;
    for (const char* kase : {"llama", "llama3", "llama-linear-bias", "mistral", "qwen2", "qwen3", "gemma", "phi3"}) {
      const std::string hf = local((std::string("model/") + kase + "/hf").c_str());
      const std::string gguf = local((std::string("model/") + kase + "/model.gguf").c_str());
      QTest::newRow((std::string(kase) + " hf").c_str()) << QString::fromStdString(hf) << 512 << 1.0;
      QTest::newRow((std::string(kase) + " gguf blocks of 5").c_str()) << QString::fromStdString(gguf) << 5 << 1.0;
    }
  }

  void sameFiguresAsTheWholeModelEvaluation() {
    QFETCH(QString, path);
    QFETCH(int, block);
    QFETCH(double, temperature);
    const ModelFiles m = test::orDie(openModel(path.toStdString()));
    // Lengths within every model's exact context (Mistral's window of 24): packed together,
    // split across blocks, one of a single position.
    const int cap = exactContext(m.config);
    const auto seqs = randomSequences(m.config.vocabSize, {std::min(cap, 20), 3, std::min(cap, 24), 1, 9}, 7);
    auto p = loadTransformer(m);
    QVERIFY(p.ok());
    for (const Recipe& recipe : {test::orDie(recipeFromJson(kInt4)), Recipe{}}) {
      EvaluateOptions wo;
      wo.temperature = temperature;
      wo.keepPositions = true;
      auto whole = evaluateRecipe(m, recipe, &**p, seqs, nullptr, wo);
      QVERIFY2(whole.ok(), whole.ok() ? "" : whole.error().message.c_str());
      StreamedOptions so;
      so.temperature = temperature;
      so.keepPositions = true;
      so.blockTokens = block;
      auto streamed = evaluateStreamed(m, recipe, seqs, nullptr, so);
      QVERIFY2(streamed.ok(), streamed.ok() ? "" : streamed.error().message.c_str());
      QVERIFY(streamed->depth.empty());
      compareEvaluations(streamed->evaluation, *whole);
      if (recipe.rules.empty()) {
        QCOMPARE(streamed->evaluation.summary.klMax, 0.0);  // Q = P exactly
        QCOMPARE(streamed->evaluation.tensorsTransformed, std::size_t{0});
      } else {
        QVERIFY(streamed->evaluation.summary.klMean > 0);
      }
    }
  }

  void againstLlamaCppKldLikeTheWholeModel() {
    // 89 chunks × 63 scored rows of llama.cpp's own log-probabilities (shared/data/README.md).
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(base.ok());
    for (const Recipe& recipe : {Recipe{}, test::orDie(recipeFromJson(kInt4))}) {
      EvaluateOptions wo;
      wo.keepPositions = true;
      auto whole = evaluateRecipe(m, recipe, nullptr, {}, &*base, wo);
      QVERIFY(whole.ok());
      StreamedOptions so;
      so.keepPositions = true;
      auto streamed = evaluateStreamed(m, recipe, {}, &*base, so);
      QVERIFY2(streamed.ok(), streamed.ok() ? "" : streamed.error().message.c_str());
      QCOMPARE(streamed->evaluation.summary.tokens, std::size_t{5607});
      compareEvaluations(streamed->evaluation, *whole);
    }
  }

  void progressInLayersAndCancellation() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    const auto seqs = randomSequences(512, {30, 30}, 3);
    std::vector<std::pair<double, double>> seen;
    Work watch{{}, [&](double d, double t) { seen.emplace_back(d, t); }};
    QVERIFY(evaluateStreamed(m, test::orDie(recipeFromJson(kInt4)), seqs, nullptr, {}, watch).ok());
    // (done, L + 3) with L = 5: heads 1, 2, layers 3..7, comparison 8.
    QCOMPARE(seen.size(), std::size_t{8});
    for (std::size_t i = 0; i < seen.size(); ++i) {
      QCOMPARE(seen[i].first, double(i + 1));
      QCOMPARE(seen[i].second, 8.0);
    }
    std::stop_source stop;
    Work cancelling{stop.get_token(), [&](double d, double) {
                      if (d >= 3) stop.request_stop();  // after the first layer
                    }};
    auto e = evaluateStreamed(m, test::orDie(recipeFromJson(kInt4)), seqs, nullptr, {}, cancelling);
    QVERIFY(!e.ok());
    QCOMPARE(QString::fromStdString(e.error().message), QStringLiteral("cancelled"));
  }

  void scoresLikeLlamaPerplexity_data() {
    QTest::addColumn<int>("context");
    QTest::addColumn<int>("chunks");
    QTest::addColumn<double>("ppl");
    QTest::addColumn<double>("error");
    // LD_LIBRARY_PATH=/work/ext/llama.cpp/build/bin llama-perplexity -m stories260K.gguf
    //   -f persuasion-head.txt -c C -b C -t 2 (llama.cpp 3f545bec), "Final estimate: PPL = ... +/- ...":
    QTest::newRow("C=128") << 128 << 89 << 61.9775 << 2.81024;
    QTest::newRow("C=64") << 64 << 179 << 72.0078 << 3.37458;
  }

  void scoresLikeLlamaPerplexity() {
    QFETCH(int, context);
    QFETCH(int, chunks);
    QFETCH(double, ppl);
    QFETCH(double, error);
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto text = readFile(shared("llamacpp/persuasion-head.txt"));
    QVERIFY(text.ok());
    auto seqs = perplexityChunks(*m.tokenizer, *text, context);
    QVERIFY(seqs.ok());
    QCOMPARE(int(seqs->size()), chunks);
    if (context == 128) {  // the very tokens llama-perplexity stored in its .kld, first one BOS
      auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
      QVERIFY(base.ok());
      for (std::size_t c = 0; c < seqs->size(); ++c) {
        const auto stored = base->chunkTokens(c);
        QCOMPARE((*seqs)[c].size(), stored.size());
        QCOMPARE((*seqs)[c][0], m.tokenizer->bosId());
        QVERIFY(std::equal(stored.begin() + 1, stored.end(), (*seqs)[c].begin() + 1));
      }
    }
    StreamedOptions o;
    o.llamaPerplexityRows = true;
    o.keepPositions = true;
    auto e = evaluateStreamed(m, Recipe{}, *seqs, nullptr, o);
    QVERIFY(e.ok());
    // Positions C/2 .. C − 2 of every chunk.
    const std::size_t rows = std::size_t(chunks) * std::size_t(context - 1 - context / 2);
    QCOMPARE(e->perplexity.count, rows);
    QCOMPARE(e->evaluation.summary.tokens, rows);
    QCOMPARE(e->evaluation.positions.front().position, std::size_t(context / 2));
    QCOMPARE(e->evaluation.positions.back().position, std::size_t(context - 2));
    // Within 0.01 % of llama.cpp (its F16 KV cache and reductions differ from our float32).
    QUENCH_COMPARE_NEAR(e->perplexity.pplP, ppl, 1e-4, 0);
    QUENCH_COMPARE_NEAR(e->perplexity.pplPError, error, 1e-3, 0);
    QVERIFY(e->perplexity.pplQ == e->perplexity.pplP);  // Q = P
    // The summary's PPL is the same mean over the same rows.
    QUENCH_COMPARE_NEAR(e->evaluation.summary.pplP, e->perplexity.pplP, 1e-12, 0);
    // Too short a text for the context is llama-perplexity's error too.
    auto shortText = perplexityChunks(*m.tokenizer, "Once upon a time.", 128);
    QVERIFY(!shortText.ok());
    QVERIFY2(shortText.error().message.find("needs at least 256") != std::string::npos, shortText.error().message.c_str());
  }

  void errorsNameTheProblem() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    auto base = LlamaKldFile::open(shared("llamacpp/persuasion-head.kld"));
    QVERIFY(base.ok());
    StreamedOptions depth;
    depth.propagated = true;
    auto e = evaluateStreamed(m, Recipe{}, {}, &*base, depth);
    QVERIFY(!e.ok() && e.error().message.find("reference file") != std::string::npos);
    StreamedOptions hot;
    hot.temperature = 2;
    e = evaluateStreamed(m, Recipe{}, {}, &*base, hot);
    QVERIFY(!e.ok() && e.error().message.find("temperature 1") != std::string::npos);
    e = evaluateStreamed(m, Recipe{}, {{1, 2, 512}}, nullptr);
    QVERIFY(!e.ok());
    QVERIFY2(e.error().message.find("sequence 1: token id 512 at position 2 is outside the vocabulary [0, 512)") !=
                 std::string::npos,
             e.error().message.c_str());
    const int n = m.config.seqLen;
    e = evaluateStreamed(m, Recipe{}, {std::vector<int>(static_cast<std::size_t>(n) + 1, 1)}, nullptr);
    QVERIFY(!e.ok());
    const std::string expected =
        "sequence 1: " + std::to_string(n + 1) + " tokens exceed the model's context of " + std::to_string(n);
    QVERIFY2(e.error().message.find(expected) != std::string::npos, e.error().message.c_str());
  }
};

QTEST_GUILESS_MAIN(TestLayerStream)
#include "test_layer_stream.moc"
