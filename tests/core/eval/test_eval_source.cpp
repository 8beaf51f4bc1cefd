// The one evaluation-source switch (core/eval/eval_source.h) behind `quench-cli eval/sweep` and the
// Divergence page: each kind of source builds the sequences its definition gives, cut at
// min(context, the model's context), and errors name what is missing.
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

#include "common/fuzzy.h"
#include "core/eval/eval_source.h"
#include "core/eval/evaluate.h"

using namespace quench;
using namespace quench::eval;

namespace {
using Seqs = std::vector<std::vector<int>>;

// One id per byte (its value), BOS = 1: encodings a reader checks by hand.
class ByteTokenizer final : public model::Tokenizer {
 public:
  int vocabSize() const override { return 256; }
  int bosId() const override { return 1; }
  int eosId() const override { return 2; }
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override {
    std::vector<int> ids;
    if (bos) ids.push_back(1);
    for (unsigned char c : text) ids.push_back(c);
    if (eos) ids.push_back(2);
    return ids;
  }
  std::string decodePiece(int, int token) const override { return std::string(1, char(token)); }
};

// The same ids, from a tokenizer whose file says it adds no BOS (GPT-2's byte-level BPE).
class NoBosByteTokenizer final : public model::Tokenizer {
 public:
  int vocabSize() const override { return 256; }
  int bosId() const override { return 1; }
  int eosId() const override { return 2; }
  bool addsBos() const override { return false; }
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override {
    return ByteTokenizer().encode(text, bos, eos);
  }
  std::string decodePiece(int, int token) const override { return std::string(1, char(token)); }
};

// A model without weights: what every source but sampling needs (its context and tokenizer).
model::ModelFiles byteModel(int seqLen) {
  model::ModelFiles m;
  m.path = "byte-model";
  m.config.seqLen = seqLen;
  m.tokenizer = std::make_unique<ByteTokenizer>();
  return m;
}

EvalSource source(SourceKind kind, std::string path = {}, int context = 0) {
  EvalSource s;
  s.kind = kind;
  s.path = std::move(path);
  s.context = context;
  return s;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }
}  // namespace

class TestEvalSource : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

  std::string write(const char* name, const std::string& content) {
    const std::string path = m_dir.filePath(name).toStdString();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private slots:
  void textFileCutAtTheModelsContext() {
    const model::ModelFiles m = byteModel(4);
    const std::string path = write("t.txt", "abcde");
    // BOS + a..e = 6 ids. Context 0 = the model's 4; 3 stays 3; 10 is cut to the model's 4.
    auto d = prepareEvalData(m, nullptr, source(SourceKind::TextFile, path));
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().message.c_str());
    QCOMPARE(d->sequences, (Seqs{{1, 97, 98, 99}, {100, 101}}));
    QVERIFY(!d->reference);
    auto three = prepareEvalData(m, nullptr, source(SourceKind::TextFile, path, 3));
    QCOMPARE(three->sequences, (Seqs{{1, 97, 98}, {99, 100, 101}}));
    auto ten = prepareEvalData(m, nullptr, source(SourceKind::TextFile, path, 10));
    QCOMPARE(ten->sequences, (Seqs{{1, 97, 98, 99}, {100, 101}}));
  }

  void typedTextLikeAFile() {
    const model::ModelFiles m = byteModel(8);
    EvalSource s = source(SourceKind::Text, {}, 2);
    s.text = "xyz";
    auto d = prepareEvalData(m, nullptr, s);
    QVERIFY(d.ok());
    QCOMPARE(d->sequences, (Seqs{{1, 120}, {121, 122}}));
  }

  void textWithoutBosWhenTheTokenizerAddsNone() {
    model::ModelFiles m = byteModel(4);
    m.tokenizer = std::make_unique<NoBosByteTokenizer>();
    EvalSource s = source(SourceKind::Text);
    s.text = "abcde";
    auto d = prepareEvalData(m, nullptr, s);
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().message.c_str());
    QCOMPARE(d->sequences, (Seqs{{97, 98, 99, 100}, {101}}));
  }

  void textNeedsATokenizer() {
    // A Hugging Face folder without tokenizer.json: token files work, text names the folder.
    model::ModelFiles m = byteModel(4);
    m.path = "bare-folder";
    m.tokenizer.reset();
    const std::string path = write("bare.txt", "abc");
    for (SourceKind k : {SourceKind::TextFile, SourceKind::Text}) {
      EvalSource s = source(k, path);
      s.text = "abc";
      auto d = prepareEvalData(m, nullptr, s);
      QVERIFY(!d.ok());
      QVERIFY2(contains(d.error().message, "bare-folder: the folder has no tokenizer.json"), d.error().message.c_str());
    }
    auto ids = prepareEvalData(m, nullptr, source(SourceKind::TokenFile, write("bare.ids", "5 6 7\n"), 2));
    QVERIFY(ids.ok());
    QCOMPARE(ids->sequences, (Seqs{{5, 6}, {7}}));
  }

  void tokenFileEveryLineCut() {
    const model::ModelFiles m = byteModel(512);
    auto d = prepareEvalData(m, nullptr, source(SourceKind::TokenFile, write("ids.txt", "1 2 3 4 5\n6 7\n"), 2));
    QVERIFY(d.ok());
    QCOMPARE(d->sequences, (Seqs{{1, 2}, {3, 4}, {5}, {6, 7}}));
  }

  void llamaKldNeedsNoRuntime() {
    QVERIFY(!needsOriginal(SourceKind::LlamaKld));
    for (SourceKind k : {SourceKind::TextFile, SourceKind::Text, SourceKind::TokenFile, SourceKind::Sample})
      QVERIFY(needsOriginal(k));
    const model::ModelFiles m = byteModel(512);
    const std::string kld = test::sharedData("llamacpp/persuasion-head.kld").toStdString();
    auto d = prepareEvalData(m, nullptr, source(SourceKind::LlamaKld, kld));
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().message.c_str());
    QVERIFY(d->sequences.empty());
    QVERIFY(d->reference);
    // shared/data/README.md: 89 chunks of 128 tokens.
    QCOMPARE(d->reference->nChunk(), 89);
    QCOMPARE(d->reference->nCtx(), 128);
  }

  void sampledFromTheOriginal() {
    auto m = model::openModel(test::sharedData("models/stories260K/stories260K.bin").toStdString());
    QVERIFY(m.ok());
    auto p = model::loadTransformer(*m);
    QVERIFY(p.ok());
    EvalSource s = source(SourceKind::Sample);
    s.count = 3;
    s.length = 10;
    s.seed = 5;
    auto d = prepareEvalData(*m, p->get(), s);
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().message.c_str());
    QCOMPARE(d->sequences.size(), std::size_t{3});
    for (const auto& q : d->sequences) {
      QCOMPARE(q.size(), std::size_t{10});
      QCOMPARE(q.front(), 1);  // stories260K's BOS
    }
    // Sequence i is drawn with seed + i: the same draws as sampleSequences with that seed.
    auto again = sampleSequences(**p, 3, 10, 1, 5);
    QCOMPARE(d->sequences, *again);
    auto second = sampleSequences(**p, 1, 10, 1, 6);
    QCOMPARE(d->sequences[1], second->front());
  }

  void errorsNameWhatIsMissing() {
    const model::ModelFiles m = byteModel(16);
    auto noText = prepareEvalData(m, nullptr, source(SourceKind::TextFile));
    QVERIFY(!noText.ok());
    QCOMPARE(noText.error().message, std::string("choose a text file to evaluate on"));
    auto noPaste = prepareEvalData(m, nullptr, source(SourceKind::Text));
    QCOMPARE(noPaste.error().message, std::string("paste a text to evaluate on"));
    auto noTokens = prepareEvalData(m, nullptr, source(SourceKind::TokenFile));
    QCOMPARE(noTokens.error().message, std::string("choose a token file to evaluate on"));
    auto noKld = prepareEvalData(m, nullptr, source(SourceKind::LlamaKld));
    QCOMPARE(noKld.error().message, std::string("choose a llama.cpp logits (.kld) file"));
    const std::string missing = m_dir.filePath("missing.txt").toStdString();
    auto gone = prepareEvalData(m, nullptr, source(SourceKind::TextFile, missing));
    QVERIFY(!gone.ok());
    QVERIFY2(contains(gone.error().message, "missing.txt: cannot open"), gone.error().message.c_str());
    auto noP = prepareEvalData(m, nullptr, source(SourceKind::Sample));
    QVERIFY(!noP.ok());
    QVERIFY2(contains(noP.error().message, "byte-model: "), noP.error().message.c_str());
  }
};

QTEST_MAIN(TestEvalSource)
#include "test_eval_source.moc"
