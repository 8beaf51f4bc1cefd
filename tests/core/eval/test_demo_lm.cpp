// The demo model in resources/demo-lm (made by tools/train_demo_lm.py) loads in Quench exactly as
// PyTorch ran it: the figures in tests/data/demo_lm_golden.json were computed by that script's
// float64 PyTorch model from the same files, and Quench (float32) must reproduce them: token ids,
// logits, held-out perplexity through the evaluation path, and greedy tokens.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <optional>
#include <vector>

#include "common/fuzzy.h"
#include "core/divergence/token_summary.h"
#include "core/eval/evaluate.h"
#include "core/model/model_loader.h"
#include "core/model/sampler.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;
namespace fs = std::filesystem;

namespace {
const fs::path kDemoDir = fs::path(QUENCH_SOURCE_DIR) / "resources" / "demo-lm";

QByteArray readAll(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(path));
  return f.readAll();
}

std::vector<int> ints(const QJsonValue& v) {
  std::vector<int> out;
  for (const QJsonValue& x : v.toArray()) out.push_back(x.toInt(-1));
  return out;
}

// tools/train_demo_lm.py's unwrap(): the lines of each paragraph (paragraphs end at 2+ newlines)
// trimmed and joined by one space, empty ones dropped, paragraphs joined by one newline.
QByteArray unwrap(const QByteArray& text) {
  QStringList paras;
  for (const QString& p : QString::fromUtf8(text).split(QRegularExpression(QStringLiteral("\n{2,}")))) {
    QStringList lines;
    for (const QString& l : p.split('\n'))
      if (!l.trimmed().isEmpty()) lines << l.trimmed();
    if (!lines.isEmpty()) paras << lines.join(' ');
  }
  return paras.join('\n').toUtf8();
}

QByteArray idsText(const std::vector<int>& ids) {
  QByteArray s;
  for (int id : ids) s += QByteArray::number(id) + ' ';
  return s;
}
}  // namespace

class TestDemoLm : public QObject {
  Q_OBJECT
  QJsonObject m_golden;
  std::optional<ModelFiles> m_files;

  std::unique_ptr<Transformer> load() {
    auto t = loadTransformer(*m_files);
    if (!t) qFatal("%s", t.error().message.c_str());
    return std::move(t).value();
  }

 private slots:
  void initTestCase() {
    m_golden = QJsonDocument::fromJson(readAll(test::testData("demo_lm_golden.json"))).object();
    QVERIFY(!m_golden.isEmpty());
    auto files = openModel(kDemoDir);
    QVERIFY2(files.ok(), files.ok() ? "" : files.error().message.c_str());
    m_files = std::move(files).value();
  }

  // The folder is a Hugging Face Llama with a tied embedding, small enough to ship (≤ 5 MB), and
  // every weight is exactly a bfloat16 (the low 16 bits of its float32 are zero).
  void folderAndWeights() {
    QCOMPARE(QString::fromStdString(m_files->format), QStringLiteral("hf"));
    QVERIFY(m_files->config.sharedClassifier);
    QVERIFY(m_files->config.rope == RopeStyle::Halves);
    std::uintmax_t bytes = 0;
    for (const char* f : {"model.safetensors", "config.json", "tokenizer.json", "README.md"}) {
      QVERIFY2(fs::exists(kDemoDir / f), f);
      bytes += fs::file_size(kDemoDir / f);
    }
    QVERIFY2(bytes <= 5u * 1000 * 1000, qPrintable(QString::number(bytes)));
    std::size_t params = 0;
    for (std::size_t i = 0; i < m_files->reader->tensors().size(); ++i) {
      auto t = m_files->reader->readFloat(i);
      QVERIFY(t.ok());
      for (float v : t->values) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        QVERIFY2((bits & 0xFFFFu) == 0, t->name.c_str());
      }
      params += t->values.size();
    }
    QVERIFY(params > 100000);
  }

  void tokenizesLikeTheScript() {
    const Tokenizer& tok = *m_files->tokenizer;
    const QByteArray sentence = m_golden["test_sentence"].toString().toUtf8();
    const std::vector<int> expected = ints(m_golden["test_sentence_ids"]);
    const std::vector<int> got = tok.encode(sentence.toStdString(), false, false);
    QCOMPARE(idsText(got), idsText(expected));
    auto text = tok.decode(got);
    QVERIFY(text.ok());
    QCOMPARE(QByteArray::fromStdString(*text), sentence);
    QCOMPARE(idsText(tok.encode(m_golden["greedy_prompt"].toString().toStdString(), true, false)),
             idsText(ints(m_golden["greedy_prompt_ids"])));
    // Text outside the training alphabet goes to byte pieces and back unchanged.
    const std::string odd = "Caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve";
    auto back = tok.decode(tok.encode(odd, false, false));
    QVERIFY(back.ok());
    QCOMPARE(QByteArray::fromStdString(*back), QByteArray::fromStdString(odd));
  }

  // Quench's float32 logits against PyTorch's float64 ones at every position of the sentence.
  void logitsMatchPyTorch() {
    auto model = load();
    std::vector<int> ids{m_files->tokenizer->bosId()};
    for (int id : ints(m_golden["test_sentence_ids"])) ids.push_back(id);
    auto logits = model->logitsFor(ids);
    QVERIFY(logits.ok());
    const std::vector<int> logitIds = ints(m_golden["logit_ids"]);
    const QJsonArray positions = m_golden["positions"].toArray();
    QCOMPARE(static_cast<std::size_t>(positions.size()), ids.size());
    for (int i = 0; i < positions.size(); ++i) {
      const QJsonObject p = positions[i].toObject();
      const auto row = logits->row(i);
      Eigen::Index argmax = 0;
      row.maxCoeff(&argmax);
      QCOMPARE(static_cast<int>(argmax), p["argmax"].toInt());
      const double mx = row.maxCoeff();
      const double lse = mx + std::log((row.array() - static_cast<float>(mx)).cast<double>().exp().sum());
      QUENCH_COMPARE_NEAR(lse, p["logsumexp"].toDouble(), 1e-5, 1e-4);
      const QJsonArray want = p["logits"].toArray();
      QCOMPARE(static_cast<std::size_t>(want.size()), logitIds.size());
      for (std::size_t k = 0; k < logitIds.size(); ++k)
        QUENCH_COMPARE_NEAR(row[logitIds[k]], want[static_cast<int>(k)].toDouble(), 1e-5, 1e-4);
    }
  }

  // The held-out text (the end of Persuasion, unwrapped) tokenizes to the script's ids, and the evaluation
  // path of `quench-cli eval --text` (BOS, chunks of the model's context, each from an empty
  // cache) gives the script's perplexity.
  void heldoutPerplexity() {
    const QByteArray all = readAll(test::sharedData(m_golden["heldout_file"].toString()));
    const QByteArray heldout = unwrap(all.mid(m_golden["heldout_start_char"].toInt()));
    QVERIFY(heldout.size() > 10000);
    std::vector<int> ids = m_files->tokenizer->encode(heldout.toStdString(), true, false);
    const std::vector<int> expected = ints(m_golden["heldout_ids"]);
    QCOMPARE(ids.size(), expected.size() + 1);
    QVERIFY(std::equal(expected.begin(), expected.end(), ids.begin() + 1));
    const int context = m_golden["heldout_context"].toInt();
    QCOMPARE(context, m_files->config.seqLen);
    auto p = load(), q = load();
    TokenAccumulator acc;
    QVERIFY(compareModels(*p, *q, chunkTokens(ids, context), acc).ok());
    const TokenSummary s = acc.summary();
    QCOMPARE(static_cast<double>(s.withTrue), m_golden["heldout_scored_tokens"].toDouble());
    QUENCH_COMPARE_NEAR(s.pplP, m_golden["heldout_ppl"].toDouble(), 2e-5, 0.0);
    QVERIFY(s.klMax < 1e-12);  // P and Q are the same model
  }

  // Greedy decoding gives the script's tokens (the script checks that no step is a near tie).
  void greedyTokens() {
    QVERIFY(m_golden["greedy_min_top2_gap"].toDouble() > 1e-3);
    auto model = load();
    const std::vector<int> prompt = ints(m_golden["greedy_prompt_ids"]);
    const std::vector<int> expected = ints(m_golden["greedy_ids"]);
    GenerateOptions g;
    g.maxNewTokens = static_cast<int>(expected.size());
    g.temperature = 0.0f;
    g.stopAtEos = false;
    auto out = generate(*model, prompt, g, m_files->tokenizer->bosId(), m_files->tokenizer->eosId());
    QVERIFY(out.ok());
    QCOMPARE(idsText(*out), idsText(expected));
    auto text = m_files->tokenizer->decode(*out);
    QVERIFY(text.ok());
    QCOMPARE(QString::fromStdString(*text), m_golden["greedy_text"].toString());
  }
};

QTEST_GUILESS_MAIN(TestDemoLm)
#include "test_demo_lm.moc"
