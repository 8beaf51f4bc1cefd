// The token sequences an evaluation runs on (core/eval/eval_data.h), shared by quench-cli and the
// workbench's Divergence page: token files parsed strictly, lines and texts cut into chunks.
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

#include "core/eval/eval_data.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;

namespace {
using Seqs = std::vector<std::vector<int>>;

// One id per byte (its value), BOS = 1: encodings a reader checks by hand.
class ByteTokenizer final : public Tokenizer {
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
}  // namespace

class TestEvalData : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

  std::string write(const char* name, const std::string& content) {
    const std::string path = m_dir.filePath(name).toStdString();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private slots:
  void tokenFileLinesAndErrors() {
    auto ok = readTokenFile(write("ok.txt", "1 2 3\n\n  4\t5  \n"));
    QVERIFY(ok.ok());
    QCOMPARE(*ok, (Seqs{{1, 2, 3}, {4, 5}}));
    auto bad = readTokenFile(write("bad.txt", "1 2\n3 x4 5\n"));
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("bad.txt:2: 'x4' is not a token id") != std::string::npos,
             bad.error().message.c_str());
    auto empty = readTokenFile(write("empty.txt", " \n\n"));
    QVERIFY(!empty.ok());
    QVERIFY(empty.error().message.find("no token ids") != std::string::npos);
    auto missing = readTokenFile(m_dir.filePath("missing.txt").toStdString());
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().message.find("missing.txt: cannot open") != std::string::npos);
  }

  void linesCutIntoChunks() {
    QCOMPARE(lineSequences({{1, 2, 3, 4, 5}, {6, 7}}, 2), (Seqs{{1, 2}, {3, 4}, {5}, {6, 7}}));
    QCOMPARE(lineSequences({{1, 2, 3}}, 8), (Seqs{{1, 2, 3}}));
  }

  void textWithBosCutIntoChunks() {
    const ByteTokenizer t;
    // BOS + 'a'..'e' = 6 ids, chunks of 4: the BOS starts the first chunk only.
    QCOMPARE(textSequences(t, "abcde", 4), (Seqs{{1, 97, 98, 99}, {100, 101}}));
    auto text = readFile(write("t.txt", std::string("x\0y", 3)));
    QVERIFY(text.ok());
    QCOMPARE(text->size(), std::size_t{3});  // binary-safe
  }
};

QTEST_MAIN(TestEvalData)
#include "test_eval_data.moc"
