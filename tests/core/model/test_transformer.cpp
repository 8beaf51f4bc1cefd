// The Llama runtime on the three published models in ../shared/data/models: greedy text of
// stories260K, llama2.c vs GGUF logits, TinyStories-656K against tools/reference_llama.py (an
// independent NumPy forward pass), and the building blocks (RMSNorm, RoPE pairing) by hand.
#include <QtTest/QtTest>

#include <cmath>
#include <set>
#include <vector>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/model/model_loader.h"

using namespace quench;
using namespace quench::model;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString::fromUtf8(rel)).toStdString(); }

std::unique_ptr<Transformer> loadOrDie(const ModelFiles& files) {
  auto t = loadTransformer(files);
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(t).value();
}

// Greedy continuation of `prompt` for `steps` tokens; returns the generated ids only.
std::vector<int> greedy(Transformer& t, std::vector<int> prompt, int steps) {
  std::vector<int> out;
  int pos = 0;
  for (std::size_t i = 0; i + 1 < prompt.size(); ++i) t.forward(prompt[i], pos++);
  int token = prompt.back();
  for (int s = 0; s < steps; ++s) {
    const auto logits = t.forward(token, pos++);
    token = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(token);
  }
  return out;
}

// One golden row of tools/reference_llama.py: position, argmax id, its logit, logits of ids 0..4.
struct Golden {
  int pos;
  int argmax;
  double top;
  double first[5];
};
}  // namespace

class TestTransformer : public QObject {
  Q_OBJECT
 private slots:
  void rmsNormByHand() {
    // x = (1, 2, 3, 4): mean square 7.5; eps 0.5 → scale 1/sqrt(8) ; gain (1, 1, 2, −1).
    const float x[4] = {1, 2, 3, 4}, g[4] = {1, 1, 2, -1};
    float out[4];
    rmsNorm(x, g, 4, 0.5f, out);
    const double s = 1.0 / std::sqrt(8.0);
    QUENCH_COMPARE_NEAR(out[0], 1 * s, 1e-6, 0);
    QUENCH_COMPARE_NEAR(out[2], 6 * s, 1e-6, 0);
    QUENCH_COMPARE_NEAR(out[3], -4 * s, 1e-6, 0);
  }

  void ropePairings() {
    // head_dim 4, theta 100: pair 0 turns by pos·1, pair 1 by pos·100^(−1/2) = pos/10.
    const float inv[2] = {1.0f, 0.1f};
    float adj[4] = {1, 0, 1, 0};  // adjacent pairs (v0, v1), (v2, v3)
    applyRope(adj, 4, 3, inv, RopeStyle::AdjacentPairs);
    QUENCH_COMPARE_NEAR(adj[0], std::cos(3.0), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(adj[1], std::sin(3.0), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(adj[2], std::cos(0.3), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(adj[3], std::sin(0.3), 1e-6, 1e-7);
    float half[4] = {1, 1, 0, 0};  // halves: pairs (v0, v2), (v1, v3)
    applyRope(half, 4, 3, inv, RopeStyle::Halves);
    QUENCH_COMPARE_NEAR(half[0], std::cos(3.0), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(half[2], std::sin(3.0), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(half[1], std::cos(0.3), 1e-6, 1e-7);
    QUENCH_COMPARE_NEAR(half[3], std::sin(0.3), 1e-6, 1e-7);
  }

  void stories260KConfig() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    const ModelConfig& c = m.config;
    QCOMPARE(c.dim, 64);
    QCOMPARE(c.hiddenDim, 172);
    QCOMPARE(c.nLayers, 5);
    QCOMPARE(c.nHeads, 8);
    QCOMPARE(c.nKvHeads, 4);
    QCOMPARE(c.vocabSize, 512);
    QCOMPARE(c.seqLen, 512);
    QVERIFY(c.sharedClassifier);
    QCOMPARE(m.tokenizer->vocabSize(), 512);
  }

  void stories260KGreedyText() {
    // The sentence shared/data/README.md gives for greedy decoding from BOS.
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto t = loadOrDie(m);
    std::vector<int> ids{1};
    const auto gen = greedy(*t, ids, 40);
    ids.insert(ids.end(), gen.begin(), gen.end());
    auto text = m.tokenizer->decode(ids);
    QVERIFY(text.ok());
    QVERIFY2(text->rfind("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.", 0) == 0,
             text->c_str());
  }

  void stories260KMatchesNumpyReference() {
    // /usr/bin/python3 tools/reference_llama.py llama2c ../shared/data/models/stories260K/stories260K.bin 1 403 407 261 378 432 383 286
    const Golden golden[] = {
        {0, 403, 17.0235152, {-6.22291391, 8.40434166, -6.22373887, -6.22254398, -6.22195318}},
        {3, 378, 18.8743878, {-6.71425485, -6.05302697, -6.71503879, -6.71449429, -6.71443158}},
        {7, 261, 19.51595, {-9.04545455, 1.45270051, -9.04570879, -9.04525409, -9.04409671}},
    };
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto t = loadOrDie(m);
    const std::vector<int> tokens{1, 403, 407, 261, 378, 432, 383, 286};
    auto logits = t->logitsFor(tokens);
    QVERIFY(logits.ok());
    for (const Golden& g : golden) {
      Eigen::Index arg;
      logits->row(g.pos).maxCoeff(&arg);
      QCOMPARE(static_cast<int>(arg), g.argmax);
      QUENCH_COMPARE_NEAR((*logits)(g.pos, g.argmax), g.top, 0, 1e-4);
      for (int v = 0; v < 5; ++v) QUENCH_COMPARE_NEAR((*logits)(g.pos, v), g.first[v], 0, 1e-4);
    }
  }

  void ggufMatchesLlama2c() {
    // Same weights in two containers (GGUF's converter copies wq/wk unpermuted, both rotate
    // adjacent pairs): logits must agree to float rounding over a 40-token sequence.
    const ModelFiles a = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    const ModelFiles b = test::orDie(openModel(shared("models/stories260K-gguf/stories260K.gguf")));
    QCOMPARE(b.format, std::string("gguf"));
    QCOMPARE(b.config.normEps, 1e-5f);
    auto ta = loadOrDie(a), tb = loadOrDie(b);
    std::vector<int> tokens = a.tokenizer->encode("Once upon a time, a big dog named Max found a red ball in the garden.", true, false);
    QCOMPARE(tokens, b.tokenizer->encode("Once upon a time, a big dog named Max found a red ball in the garden.", true, false));
    auto la = ta->logitsFor(tokens), lb = tb->logitsFor(tokens);
    QVERIFY(la.ok() && lb.ok());
    const double maxDiff = (*la - *lb).cwiseAbs().maxCoeff();
    QVERIFY2(maxDiff < 1e-5, qPrintable(QString::number(maxDiff)));
    QVERIFY(la->cwiseAbs().maxCoeff() > 1.0);  // not trivially zero
  }

  void tinyStoriesMatchesNumpyReference() {
    // /usr/bin/python3 tools/reference_llama.py hf ../shared/data/models/TinyStories-656K 1 147 201 282 215 286 598 1662 356
    // (HF rotate-half RoPE, eps 1e-6, tied lm_head, float64 NumPy without a KV cache.)
    const Golden golden[] = {
        {0, 147, 14.7816701, {0.0291303919, -0.201051605, -0.447121999, 1.91639218, -2.57866746}},
        {2, 282, 17.7053417, {0.847803508, 1.46003223, -10.4024132, 0.585077125, 1.26842017}},
        {5, 598, 10.0683489, {-3.67406308, 0.342124248, -6.77900856, -5.16894596, -3.12162281}},
        {8, 499, 9.5521802, {-2.73441501, 1.98470724, -5.52168313, -3.25345678, -4.59905405}},
    };
    const ModelFiles m = test::orDie(openModel(shared("models/TinyStories-656K")));
    QCOMPARE(m.format, std::string("hf"));
    QCOMPARE(m.config.rope, RopeStyle::Halves);
    QCOMPARE(m.config.normEps, 1e-6f);
    auto t = loadOrDie(m);
    const std::vector<int> tokens{1, 147, 201, 282, 215, 286, 598, 1662, 356};
    auto logits = t->logitsFor(tokens);
    QVERIFY(logits.ok());
    for (const Golden& g : golden) {
      Eigen::Index arg;
      logits->row(g.pos).maxCoeff(&arg);
      QCOMPARE(static_cast<int>(arg), g.argmax);
      QUENCH_COMPARE_NEAR((*logits)(g.pos, g.argmax), g.top, 0, 1e-4);
      for (int v = 0; v < 5; ++v) QUENCH_COMPARE_NEAR((*logits)(g.pos, v), g.first[v], 0, 1e-4);
    }
  }

  void tinyStoriesGreedyText() {
    const ModelFiles m = test::orDie(openModel(shared("models/TinyStories-656K")));
    auto t = loadOrDie(m);
    std::vector<int> ids{m.tokenizer->bosId()};
    const auto gen = greedy(*t, ids, 20);
    ids.insert(ids.end(), gen.begin(), gen.end());
    auto text = m.tokenizer->decode(ids);
    QVERIFY(text.ok());
    // Same continuation as the NumPy reference's greedy loop.
    QVERIFY2(text->rfind("Once upon a time, there was a little girl named Lily. She had a toy car", 0) == 0, text->c_str());
  }

  void ggmlBlocksStayBlocks() {
    // llama.cpp's own per-tensor mix (llama-quantize Q4_K_M, shared data) runs with every matrix
    // kept as its blocks, decoded a 256-column panel at a time inside the products: the logits are
    // bit for bit those of the same model with every tensor converted to float32 first (the
    // reader's decoding, itself checked against gguf-py value for value in core/io's tests).
    const ModelFiles m = test::orDie(openModel(shared("gguf/llama-quantize/mix/Q4_K_M.gguf")));
    auto t = loadOrDie(m);
    std::set<DType> types;
    for (int l = 0; l < m.config.nLayers; ++l) {
      const LayerWeights& w = t->layerWeights(l);
      for (const WeightMatrix* x : {&w.wq, &w.wk, &w.wv, &w.wo, &w.gate, &w.up, &w.down}) {
        QVERIFY2(isBlockDType(x->dtype()), dtypeName(x->dtype()).data());
        QVERIFY(x->fileBacked());
        types.insert(x->dtype());
      }
    }
    QVERIFY(types.size() >= 2);  // a mix of block types
    const std::vector<int> tokens{1, 15, 200, 37, 99, 410, 8, 3, 77, 256, 500, 12};
    auto inPlace = t->logitsFor(tokens);
    QVERIFY(inPlace.ok());
    auto floats = loadTransformer(m, {}, m.fileFetch());
    QVERIFY(floats.ok());
    QVERIFY((*floats)->layerWeights(0).wq.dtype() == DType::F32);
    auto converted = (*floats)->logitsFor(tokens);
    QVERIFY(converted.ok());
    QVERIFY(*inPlace == *converted);
    // One token at a time (the products' unpacked path for ≤ 4 rows) gives the prefill's logits
    // exactly: the products sum in the same order whatever the number of rows.
    const auto first = t->forward(tokens[0], 0);
    QVERIFY(inPlace->row(0) == Eigen::Map<const Eigen::RowVectorXf>(first.data(), static_cast<Eigen::Index>(first.size())));
  }

  void logitsForRejectsBadInput() {
    const ModelFiles m = test::orDie(openModel(shared("models/stories260K/stories260K.bin")));
    auto t = loadOrDie(m);
    const std::vector<int> bad{1, 512};
    auto r = t->logitsFor(bad);
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("512") != std::string::npos);
    const std::vector<int> tooLong(513, 1);
    QVERIFY(!t->logitsFor(tooLong).ok());
    std::stop_source stop;
    stop.request_stop();
    QVERIFY(!t->logitsFor(std::vector<int>{1, 2, 3}, Work{stop.get_token(), {}}).ok());
  }
};

QTEST_APPLESS_MAIN(TestTransformer)
#include "test_transformer.moc"
