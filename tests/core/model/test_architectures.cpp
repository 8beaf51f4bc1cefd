// Every architecture Quench runs, from both formats, against an independent float64 reference:
// tests/data/model/<case>/{hf/, model.gguf} are small random-weight checkpoints written by
// tools/make_arch_checkpoints.py (bf16, sharded like the Hub's where the case says so; the GGUF
// laid out as llama.cpp's converter does), and golden.json holds the logits
// tools/reference_decoder.py computed for both (NumPy, float64, the transformers / llama.cpp
// definitions). Each feature is also dropped on purpose to show that the golden depends on it.
//
// Tolerance: |quench − reference| ≤ 3e−5 + 3e−6·|reference| per logit, i.e. about 50 float32
// roundoffs (unit 6e−8) of the logit's own size plus 500 of a unit logit. Quench computes in float32
// from the same stored values (dot products of ≤ 64 terms, two layers, RMSNorm, softmax) and the
// logits reach ~35, where one roundoff is 2e−6; the goldens carry 9 significant digits. Measured:
// at most 6e−6 over all cases. A dropped feature moves logits by far more (each check below
// requires > 0.05), and even the bf16 rounding of Gemma's √hidden (1e−4 relative) shows.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>
#include <filesystem>
#include <functional>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/model/decoder.h"
#include "core/model/model_loader.h"

using namespace quench;
using namespace quench::model;
namespace fs = std::filesystem;

namespace {

constexpr double kAbs = 3e-5, kRel = 3e-6;

std::string caseDir(const QString& kase) { return test::testData("model/" + kase).toStdString(); }

std::string modelPath(const QString& kase, const QString& format) {
  return caseDir(kase) + (format == "hf" ? "/hf" : "/model.gguf");
}

struct Golden {
  std::vector<int> tokens;
  std::vector<std::vector<double>> logits;  // (positions, vocab)
};

Golden golden(const QString& kase, const QString& format) {
  QFile f(QString::fromStdString(caseDir(kase) + "/golden.json"));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open golden of %s", qPrintable(kase));
  const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
  Golden g;
  for (const auto& t : o["tokens"].toArray()) g.tokens.push_back(t.toInt());
  for (const auto& row : o[format].toArray()) {
    std::vector<double> r;
    for (const auto& v : row.toArray()) r.push_back(v.toDouble());
    g.logits.push_back(std::move(r));
  }
  return g;
}

Matrix runOrDie(const ModelFiles& files, std::span<const int> tokens) {
  auto t = loadTransformer(files);
  if (!t) qFatal("%s", t.error().message.c_str());
  auto l = (*t)->logitsFor(tokens);
  if (!l) qFatal("%s", l.error().message.c_str());
  return std::move(l).value();
}

// Largest excess of |got − want| over the tolerance (≤ 0: within), and the largest |got − want|.
std::pair<double, double> compare(const Matrix& got, const Golden& g) {
  double excess = -1, maxDiff = 0;
  for (std::size_t p = 0; p < g.logits.size(); ++p)
    for (std::size_t v = 0; v < g.logits[p].size(); ++v) {
      const double want = g.logits[p][v];
      const double d = std::fabs(got(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(v)) - want);
      excess = std::max(excess, d - (kAbs + kRel * std::fabs(want)));
      maxDiff = std::max(maxDiff, d);
    }
  return {excess, maxDiff};
}

// Logits with `change` applied to the opened config move away from the golden by more than 0.05.
void expectFeatureMatters(const QString& kase, const QString& format, const std::function<void(ModelConfig&)>& change,
                          const char* what) {
  ModelFiles m = test::orDie(openModel(modelPath(kase, format)));
  const Golden g = golden(kase, format);
  change(m.config);
  const Matrix got = runOrDie(m, g.tokens);
  const double diff = compare(got, g).second;
  QVERIFY2(diff > 0.05, qPrintable(kase + "/" + format + " without " + what + ": max diff only " + QString::number(diff)));
}

void writeFile(const fs::path& p, const QByteArray& bytes) {
  QFile f(QString::fromStdString(p.string()));
  if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", p.string().c_str());
  f.write(bytes);
}

QByteArray readAll(const fs::path& p) {
  QFile f(QString::fromStdString(p.string()));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", p.string().c_str());
  return f.readAll();
}

// A copy of a case's hf folder with its config.json edited by `edit`.
fs::path editedCopy(const QTemporaryDir& tmp, const QString& kase, const std::function<void(QByteArray&)>& edit) {
  const fs::path src = caseDir(kase) + "/hf", dst = fs::path(tmp.path().toStdString()) / "hf";
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src)) fs::copy_file(e.path(), dst / e.path().filename());
  QByteArray cfg = readAll(dst / "config.json");
  edit(cfg);
  writeFile(dst / "config.json", cfg);
  return dst;
}

void expectOpenError(const fs::path& path, const char* needle) {
  auto r = openModel(path);
  QVERIFY2(!r.ok(), path.string().c_str());
  QVERIFY2(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
}

const char* kCases[] = {"llama", "llama3", "llama-linear-bias", "mistral", "qwen2", "qwen3", "gemma", "phi3"};

}  // namespace

class TestArchitectures : public QObject {
  Q_OBJECT
 private slots:
  void matchesReference_data() {
    QTest::addColumn<QString>("kase");
    QTest::addColumn<QString>("format");
    for (const char* k : kCases)
      for (const char* f : {"hf", "gguf"}) QTest::newRow((std::string(k) + "/" + f).c_str()) << QString(k) << QString(f);
  }

  void matchesReference() {
    QFETCH(QString, kase);
    QFETCH(QString, format);
    const ModelFiles m = test::orDie(openModel(modelPath(kase, format)));
    QCOMPARE(QString::fromStdString(m.format), format);
    const Golden g = golden(kase, format);
    QCOMPARE(g.logits.size(), g.tokens.size());
    const Matrix got = runOrDie(m, g.tokens);
    const auto [excess, maxDiff] = compare(got, g);
    QVERIFY2(excess <= 0, qPrintable("max |quench − reference| = " + QString::number(maxDiff)));
    qInfo("%s/%s: max |quench − reference| = %.3g", qPrintable(kase), qPrintable(format), maxDiff);
  }

  void configsAsDeclared() {
    // What each case's config turns into (the fields the equations use).
    const ModelConfig llama = test::orDie(openModel(modelPath("llama", "gguf"))).config;
    QCOMPARE(llama.rope, RopeStyle::AdjacentPairs);  // llama.cpp's converter permuted q/k
    QCOMPARE(test::orDie(openModel(modelPath("llama", "hf"))).config.rope, RopeStyle::Halves);
    const ModelConfig mistral = test::orDie(openModel(modelPath("mistral", "hf"))).config;
    QCOMPARE(mistral.arch, Architecture::Mistral);
    QCOMPARE(mistral.slidingWindow, 24);
    QCOMPARE(test::orDie(openModel(modelPath("mistral", "gguf"))).config.arch, Architecture::Llama);  // converted as llama
    const ModelConfig qwen3 = test::orDie(openModel(modelPath("qwen3", "hf"))).config;
    QVERIFY(qwen3.qkNorm);
    QCOMPARE(qwen3.headDim(), 16);
    QCOMPARE(qwen3.qDim(), 64);
    const ModelConfig gemma = test::orDie(openModel(modelPath("gemma", "hf"))).config;
    QCOMPARE(gemma.activation, Activation::GeluTanh);
    QVERIFY(gemma.normAddsOne && gemma.sharedClassifier);
    QCOMPARE(gemma.embedScale, 5.65625f);  // √32 = 5.65685… rounded to bf16
    QCOMPARE(test::orDie(openModel(modelPath("gemma", "gguf"))).config.embedScale, std::sqrt(32.0f));
    const ModelConfig phi3 = test::orDie(openModel(modelPath("phi3", "hf"))).config;
    QVERIFY(phi3.fusedQkv && phi3.fusedGateUp);
    QCOMPARE(phi3.rotaryDims(), 4);
    const ModelConfig llama3 = test::orDie(openModel(modelPath("llama3", "gguf"))).config;
    QCOMPARE(llama3.ropeFreqDivisors.size(), std::size_t{4});
  }

  void droppedFeaturesChangeTheAnswer() {
    using C = ModelConfig;
    expectFeatureMatters("llama3", "hf", [](C& c) { c.ropeScaling = RopeScaling::None; }, "llama3 rope scaling");
    expectFeatureMatters("llama3", "gguf", [](C& c) { c.ropeFreqDivisors.clear(); c.ropeScaling = RopeScaling::None; },
                         "rope_freqs");
    expectFeatureMatters("llama-linear-bias", "hf", [](C& c) { c.ropeScaling = RopeScaling::None; }, "linear scaling");
    expectFeatureMatters("llama-linear-bias", "gguf", [](C& c) { c.ropeScaling = RopeScaling::None; }, "linear scaling");
    expectFeatureMatters("llama-linear-bias", "hf", [](C& c) { c.qkvBias = c.outBias = false; }, "attention biases");
    expectFeatureMatters("llama-linear-bias", "hf", [](C& c) { c.mlpBias = false; }, "MLP biases");
    expectFeatureMatters("llama", "gguf", [](C& c) { c.rope = RopeStyle::Halves; }, "adjacent-pair RoPE");
    expectFeatureMatters("llama", "hf", [](C& c) { c.rope = RopeStyle::AdjacentPairs; }, "rotate-half RoPE");
    expectFeatureMatters("qwen2", "hf", [](C& c) { c.qkvBias = false; }, "q/k/v biases");
    expectFeatureMatters("qwen2", "gguf", [](C& c) { c.qkvBias = false; }, "q/k/v biases");
    expectFeatureMatters("qwen3", "hf", [](C& c) { c.qkNorm = false; }, "q/k norms");
    expectFeatureMatters("qwen3", "gguf", [](C& c) { c.qkNorm = false; }, "q/k norms");
    expectFeatureMatters("gemma", "hf", [](C& c) { c.normAddsOne = false; }, "1 + w norms");
    expectFeatureMatters("gemma", "hf", [](C& c) { c.embedScale = 1.0f; }, "the embedding scale");
    expectFeatureMatters("gemma", "gguf", [](C& c) { c.embedScale = 1.0f; }, "the embedding scale");
    expectFeatureMatters("gemma", "hf", [](C& c) { c.activation = Activation::Silu; }, "GeGLU");
    expectFeatureMatters("phi3", "hf", [](C& c) { c.ropeDims = 0; }, "partial rotary");
    expectFeatureMatters("phi3", "gguf", [](C& c) { c.ropeDims = 0; }, "partial rotary");
  }

  void gemmaNormalizerRoundedAsTransformers() {
    // √32 in float32 instead of bf16 changes the result measurably: the reference follows
    // transformers' torch.tensor(√hidden, dtype=bfloat16).
    ModelFiles m = test::orDie(openModel(modelPath("gemma", "hf")));
    const Golden g = golden("gemma", "hf");
    m.config.embedScale = std::sqrt(32.0f);
    const double excess = compare(runOrDie(m, g.tokens), g).first;
    QVERIFY2(excess > 0, "the bf16 rounding of √hidden is not visible at the test's tolerance");
  }

  void slidingWindowRefusedBeyondIt() {
    // Mistral's window is 24: 24 tokens are exact (full attention = windowed attention), 25 are
    // refused with a message naming the window, by logitsFor and by generate's prefill alike.
    const ModelFiles m = test::orDie(openModel(modelPath("mistral", "hf")));
    auto t = loadTransformer(m);
    QVERIFY(t.ok());
    const std::vector<int> fits(24, 5), over(25, 5);
    QVERIFY((*t)->logitsFor(fits).ok());
    auto r = (*t)->logitsFor(over);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.find("sliding window of 24") != std::string::npos, r.error().message.c_str());
    QCOMPARE(exactContext(m.config), 24);
  }

  void tokenByTokenMatchesPrefill() {
    // The KV cache across blocks: one token at a time gives the prefill's logits.
    for (const char* kase : {"qwen3", "phi3", "gemma"}) {
      const ModelFiles m = test::orDie(openModel(modelPath(kase, "hf")));
      const Golden g = golden(kase, "hf");
      auto t = loadTransformer(m);
      QVERIFY(t.ok());
      Matrix steps(static_cast<Eigen::Index>(g.tokens.size()), m.config.vocabSize);
      for (std::size_t p = 0; p < g.tokens.size(); ++p) {
        const auto row = (*t)->forward(g.tokens[p], static_cast<int>(p));
        std::copy(row.begin(), row.end(), steps.row(static_cast<Eigen::Index>(p)).data());
      }
      QVERIFY2(compare(steps, g).first <= 0, kase);
    }
  }

  void unsupportedConfigsAreNamed() {
    {
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "llama", [](QByteArray& c) { c.replace("\"llama\"", "\"gpt_neox\""); }),
                      "model_type \"gpt_neox\" is not supported");
    }
    {
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "llama3", [](QByteArray& c) { c.replace("\"llama3\"", "\"yarn\""); }),
                      "type \"yarn\" is not supported");
    }
    {
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "mistral", [](QByteArray& c) {
                        c.replace("\"sliding_window\"", "\"attention_bias\": true, \"sliding_window\"");
                      }),
                      "attention_bias");
    }
    {
      // Qwen2's biases under a llama config: the file holds tensors the config does not declare.
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "qwen2", [](QByteArray& c) { c.replace("\"qwen2\"", "\"llama\""); }),
                      "self_attn.q_proj.bias' is not part of a llama model");
    }
    {
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "llama", [](QByteArray& c) { c.replace("\"silu\"", "\"relu\""); }),
                      "\"hidden_act\" \"relu\" is not supported");
    }
    {
      QTemporaryDir tmp;
      expectOpenError(editedCopy(tmp, "qwen2", [](QByteArray& c) {
                        c.replace("\"use_sliding_window\": false", "\"use_sliding_window\": false, \"partial_rotary_factor\": 0.5");
                      }),
                      "partial_rotary_factor");
    }
    {
      // A GGUF of an architecture llama.cpp has but Quench does not compute.
      QTemporaryDir tmp;
      QByteArray g = readAll(caseDir("qwen2") + "/model.gguf");
      const QByteArray from("\x05\0\0\0\0\0\0\0qwen2", 13), to("\x05\0\0\0\0\0\0\0bloom", 13);
      QVERIFY(g.contains(from));
      g.replace(from, to);
      const fs::path p = fs::path(tmp.path().toStdString()) / "m.gguf";
      writeFile(p, g);
      expectOpenError(p, "GGUF architecture 'bloom' is not supported");
    }
  }

  void layerByLayerBatch() {
    // The per-layer engine as a layer-streamed evaluation uses it: two sequences in one batch,
    // weights loaded per layer, the observer seeing every linear's input. The logits equal
    // logitsFor's exactly (the products are batch-invariant), and both match the reference.
    const ModelFiles m = test::orDie(openModel(modelPath("qwen2", "gguf")));
    const Golden g = golden("qwen2", "gguf");
    const std::vector<int> a(g.tokens.begin(), g.tokens.begin() + 12), b = g.tokens;
    std::vector<int> both = a;
    both.insert(both.end(), b.begin(), b.end());
    const std::vector<SequenceRows> seqs{{0, 12, 0}, {12, static_cast<int>(b.size()), 0}};
    Decoder dec(m.config);
    auto globals = loadModelWeights(m);
    QVERIFY(globals.ok());
    Matrix x;
    QVERIFY(dec.embed(*globals, both, x).ok());
    std::map<LinearSite, Eigen::Index> cols;
    int calls = 0;
    const LinearInputObserver observe = [&](int, LinearSite site, const Matrix& in) {
      QCOMPARE(in.rows(), x.rows());
      cols[site] = in.cols();
      ++calls;
    };
    for (int l = 0; l < m.config.nLayers; ++l) {
      auto w = loadLayerWeights(m, l);
      QVERIFY(w.ok());
      QVERIFY(dec.runLayer(*w, l, x, seqs, {}, observe).ok());
    }
    QCOMPARE(calls, 4 * m.config.nLayers);
    QCOMPARE(cols[LinearSite::AttentionIn], Eigen::Index{32});
    QCOMPARE(cols[LinearSite::AttentionOut], Eigen::Index{32});
    QCOMPARE(cols[LinearSite::MlpIn], Eigen::Index{32});
    QCOMPARE(cols[LinearSite::MlpHidden], Eigen::Index{64});
    Matrix logits;
    dec.logits(*globals, x, {}, logits);
    const Matrix alone = runOrDie(m, b);
    QVERIFY(logits.bottomRows(static_cast<Eigen::Index>(b.size())) == alone);
    QVERIFY(compare(alone, g).first <= 0);
    const Matrix first = runOrDie(m, a);
    QVERIFY(logits.topRows(12) == first);
  }

  void streamedWeightsGiveTheSameLogits() {
    // Releasing each layer's mapped pages after use (how an 8B model runs in little memory) only
    // makes the next pass fault them in again: the logits are bit for bit the same, twice.
    const ModelFiles m = test::orDie(openModel(modelPath("llama", "gguf")));
    const Golden g = golden("llama", "gguf");
    auto t = loadTransformer(m);
    QVERIFY(t.ok());
    QVERIFY(!(*t)->streamWeights());  // a small model is not streamed by default
    QVERIFY((*t)->layerWeights(0).wq.fileBacked());
    auto plain = (*t)->logitsFor(g.tokens);
    (*t)->setStreamWeights(true);
    auto first = (*t)->logitsFor(g.tokens), second = (*t)->logitsFor(g.tokens);
    QVERIFY(plain.ok() && first.ok() && second.ok());
    QVERIFY(*first == *plain);
    QVERIFY(*second == *plain);
  }

  void layerOverrides() {
    // A caller's replacement of one tensor is used for that layer only; the file's values as
    // floats give the same logits, zeros do not.
    const ModelFiles m = test::orDie(openModel(modelPath("llama", "hf")));
    const Golden g = golden("llama", "hf");
    auto run = [&](const TensorOverride& o) {
      Decoder dec(m.config);
      auto globals = loadModelWeights(m);
      Matrix x;
      if (!dec.embed(*globals, g.tokens, x)) qFatal("embed");
      const SequenceRows seq{0, static_cast<int>(g.tokens.size()), 0};
      for (int l = 0; l < m.config.nLayers; ++l) {
        auto w = loadLayerWeights(m, l, o);
        if (!w) qFatal("%s", w.error().message.c_str());
        if (!dec.runLayer(*w, l, x, {&seq, 1})) qFatal("runLayer");
      }
      Matrix out;
      dec.logits(*globals, x, {}, out);
      return out;
    };
    const Matrix base = run({});
    const std::string target = "blk.1.ffn_down.weight";
    const Matrix same = run([&](const std::string& n) -> Result<std::optional<FloatTensor>> {
      if (n != target) return std::optional<FloatTensor>();
      auto t = m.reader->readFloat(m.fileTensorName(n));
      if (!t) return t.error();
      return std::optional<FloatTensor>(std::move(t).value());
    });
    QVERIFY(same == base);
    const Matrix zeroed = run([&](const std::string& n) -> Result<std::optional<FloatTensor>> {
      if (n != target) return std::optional<FloatTensor>();
      FloatTensor t;
      t.shape = {32, 64};
      t.values.assign(32 * 64, 0.0f);
      return std::optional<FloatTensor>(std::move(t));
    });
    QVERIFY((zeroed - base).cwiseAbs().maxCoeff() > 0.05);
    auto bad = loadLayerWeights(m, 1, [&](const std::string& n) -> Result<std::optional<FloatTensor>> {
      if (n != target) return std::optional<FloatTensor>();
      FloatTensor t;
      t.shape = {64, 32};
      t.values.assign(64 * 32, 0.0f);
      return std::optional<FloatTensor>(std::move(t));
    });
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("model.layers.1.mlp.down_proj.weight") != std::string::npos, bad.error().message.c_str());
  }
};

QTEST_APPLESS_MAIN(TestArchitectures)
#include "test_architectures.moc"
