// openModel on malformed checkpoints, configs and missing tokenizers: clear errors naming the file,
// never a crash; and the tokenizer discovery rules for llama2.c checkpoints.
#include <QtTest/QtTest>

#include <QFile>
#include <QTemporaryDir>

#include <cstring>
#include <filesystem>

#include "common/fuzzy.h"
#include "core/model/model_loader.h"

using namespace quench;
using namespace quench::model;
namespace fs = std::filesystem;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString::fromUtf8(rel)).toStdString(); }

QByteArray readAll(const std::string& path) {
  QFile f(QString::fromStdString(path));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", path.c_str());
  return f.readAll();
}

void writeFile(const fs::path& p, const QByteArray& bytes) {
  QFile f(QString::fromStdString(p.string()));
  if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", p.string().c_str());
  f.write(bytes);
}

void expectError(const fs::path& model, const char* needle, const fs::path& tokenizer = {}) {
  auto r = openModel(model, tokenizer);
  QVERIFY2(!r.ok(), model.string().c_str());
  QVERIFY2(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
}

// Copy TinyStories-656K into `dir` with config.json replaced by `config` (others unchanged).
fs::path hfCopy(const QTemporaryDir& tmp, const QByteArray& config) {
  const fs::path dir = fs::path(tmp.path().toStdString()) / "hf";
  fs::create_directories(dir);
  for (const char* f : {"model.safetensors", "tokenizer.json"})
    writeFile(dir / f, readAll(shared("models/TinyStories-656K/") + f));
  writeFile(dir / "config.json", config);
  return dir;
}
}  // namespace

class TestModelLoader : public QObject {
  Q_OBJECT
 private slots:
  void tokenizerDiscovery() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const QByteArray bin = readAll(shared("models/stories260K/stories260K.bin"));
    writeFile(dir / "m.bin", bin);
    expectError(dir / "m.bin", "no tokenizer.bin or tok*.bin");
    // Given explicitly.
    QVERIFY(openModel(dir / "m.bin", shared("models/stories260K/tok512.bin")).ok());
    // Found beside it as tok*.bin.
    writeFile(dir / "tok512.bin", readAll(shared("models/stories260K/tok512.bin")));
    auto m = openModel(dir / "m.bin");
    QVERIFY(m.ok());
    QCOMPARE(m->format, std::string("llama2c"));
    QCOMPARE(m->tokenizer->vocabSize(), 512);
    // A tokenizer of another vocabulary size is refused.
    QByteArray small = readAll(shared("models/stories260K/tok512.bin"));
    small.chop(10);
    writeFile(dir / "tokenizer.bin", small);  // tokenizer.bin takes precedence over tok*.bin
    expectError(dir / "m.bin", "tokenizer.bin");
  }

  void malformedCheckpoints() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    writeFile(dir / "tok512.bin", readAll(shared("models/stories260K/tok512.bin")));
    const QByteArray bin = readAll(shared("models/stories260K/stories260K.bin"));
    writeFile(dir / "truncated.bin", bin.left(5000));
    expectError(dir / "truncated.bin", "truncated.bin");
    QByteArray heads = bin;
    const std::int32_t three = 3;  // n_heads 3 does not divide dim 64
    std::memcpy(heads.data() + 12, &three, 4);
    writeFile(dir / "heads.bin", heads);
    expectError(dir / "heads.bin", "heads.bin");
    writeFile(dir / "empty.bin", QByteArray());
    expectError(dir / "empty.bin", "empty.bin");
    expectError(dir / "missing.bin", "no such file");
    // A NaN in a weight is reported when the weights are loaded.
    QByteArray nan = bin;
    const float q = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(nan.data() + 28 + 4 * 100, &q, 4);  // element 100 of the token embedding
    writeFile(dir / "nan.bin", nan);
    auto m = openModel(dir / "nan.bin");
    QVERIFY(m.ok());
    auto t = loadTransformer(*m);
    QVERIFY(!t.ok());
    QVERIFY2(t.error().message.find("token_embd.weight") != std::string::npos, t.error().message.c_str());
    QVERIFY(t.error().message.find("non-finite") != std::string::npos);
  }

  void notALanguageModel() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const fs::path st = dir / "x.safetensors";
    writeFile(st, readAll(shared("models/TinyStories-656K/model.safetensors")));
    expectError(st, "not a language model");
    expectError(dir, "no model.safetensors");
  }

  void malformedHfConfig() {
    const QByteArray good = readAll(shared("models/TinyStories-656K/config.json"));
    {
      QTemporaryDir tmp;
      QVERIFY(openModel(hfCopy(tmp, good)).ok());
    }
    {
      QTemporaryDir tmp;
      expectError(hfCopy(tmp, "{ not json"), "config.json: not a JSON object");
    }
    {
      QTemporaryDir tmp;
      QByteArray c = good;
      c.replace("\"num_attention_heads\": 8", "\"num_attention_heads\": 7");
      expectError(hfCopy(tmp, c), "n_heads 7");
    }
    {
      QTemporaryDir tmp;
      QByteArray c = good;
      c.replace("\"hidden_size\": 128", "\"hidden_size\": \"big\"");
      expectError(hfCopy(tmp, c), "hidden_size");
    }
    {
      QTemporaryDir tmp;
      QByteArray c = good;
      c.replace("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"");
      expectError(hfCopy(tmp, c), "model_type");
    }
    {
      // A config whose sizes disagree with the tensors fails when the weights load, naming both.
      QTemporaryDir tmp;
      QByteArray c = good;
      c.replace("\"intermediate_size\": 384", "\"intermediate_size\": 256");
      auto m = openModel(hfCopy(tmp, c));
      QVERIFY(m.ok());
      auto t = loadTransformer(*m);
      QVERIFY(!t.ok());
      QVERIFY2(t.error().message.find("model.layers.0.mlp.gate_proj.weight") != std::string::npos ||
                   t.error().message.find("ffn_gate") != std::string::npos,
               t.error().message.c_str());
    }
  }

  void hfFolderWithoutTokenizerOpens() {
    // Issue 11: tokenizer.json is optional. Without it the model opens (and runs on token files);
    // BOS comes from config.json. A tokenizer.json that is there but broken is still an error.
    QTemporaryDir tmp;
    const fs::path dir = hfCopy(tmp, readAll(shared("models/TinyStories-656K/config.json")));
    fs::remove(dir / "tokenizer.json");
    auto m = openModel(dir);
    QVERIFY2(m.ok(), m ? "" : m.error().message.c_str());
    QVERIFY(m->tokenizer == nullptr);
    QCOMPARE(m->bosId(), 1);
    auto t = loadTransformer(*m);
    QVERIFY(t.ok());
    QVERIFY((*t)->logitsFor(std::vector<int>{1, 147, 201}).ok());
    writeFile(dir / "tokenizer.json", "{");
    expectError(dir, "tokenizer.json");
  }

  void hfNameMapping() {
    auto m = openModel(shared("models/TinyStories-656K"));
    QVERIFY(m.ok());
    // Tied embeddings stored once as lm_head.weight.
    QCOMPARE(m->fileTensorName("token_embd.weight"), std::string("lm_head.weight"));
    QCOMPARE(m->fileTensorName("blk.1.attn_k.weight"), std::string("model.layers.1.self_attn.k_proj.weight"));
    QCOMPARE(m->fileTensorName("blk.0.ffn_norm.weight"), std::string("model.layers.0.post_attention_layernorm.weight"));
    QCOMPARE(m->fileTensorName("output_norm.weight"), std::string("model.norm.weight"));
    for (const auto& name : canonicalWeightNames(m->config))
      QVERIFY2(m->reader->find(m->fileTensorName(name)).has_value(), name.c_str());
  }
};

QTEST_APPLESS_MAIN(TestModelLoader)
#include "test_model_loader.moc"
