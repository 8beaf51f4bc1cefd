// llama.cpp importance matrices: the shared imatrix.gguf (llama-imatrix on source-f32.gguf) and
// imatrix.dat (the same matrix converted by llama-imatrix --output-format dat, n_ctx 512) read to
// the same importance; each re-encoded gives its file back byte for byte, and the GGUF one
// converted to .dat gives llama-imatrix's .dat byte for byte; hostile files are errors.
#include <QtTest/QtTest>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>

#include "common/fuzzy.h"
#include "core/io/gguf_writer.h"
#include "core/io/imatrix.h"
#include "io_test_support.h"

using namespace quench;

namespace {
std::string shared(const char* rel) { return test::sharedData(QString("gguf/llama-quantize/") + rel).toStdString(); }

Imatrix readOrDie(const std::string& path) {
  auto m = readImatrix(path);
  if (!m) qFatal("%s", m.error().message.c_str());
  return std::move(*m);
}

void putI32(std::vector<std::uint8_t>& b, std::int32_t v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  b.insert(b.end(), p, p + 4);
}
}  // namespace

class TestImatrix : public QObject {
  Q_OBJECT

 private slots:
  void readsBothFormats() {
    const Imatrix g = readOrDie(shared("imatrix.gguf"));
    QCOMPARE(g.format, Imatrix::Format::Gguf);
    QVERIFY(g.hasMetadata);
    QCOMPARE(g.datasets, std::vector<std::string>{"persuasion-head.txt"});
    QCOMPARE(g.chunkCount, 89);  // imatrix.log: 89 chunks of 128 tokens
    QCOMPARE(g.chunkSize, 128);
    QCOMPARE(g.entries.size(), std::size_t{14});  // 7 matrices × 2 layers (no output.weight)
    QCOMPARE(g.entries.front().name, std::string("blk.0.attn_k.weight"));
    for (const auto& e : g.entries) {
      QCOMPARE(e.counts, std::vector<std::int64_t>{89 * 128});
      QCOMPARE(e.columns(), e.name.find("ffn_down") != std::string::npos ? std::size_t{768} : std::size_t{256});
    }
    const Imatrix d = readOrDie(shared("imatrix.dat"));
    QCOMPARE(d.format, Imatrix::Format::Legacy);
    QCOMPARE(d.datasets, g.datasets);
    QCOMPARE(d.chunkCount, 22);  // 11392 tokens / 512
    QCOMPARE(d.entries.size(), g.entries.size());
    for (const auto& e : d.entries) QCOMPARE(e.counts, std::vector<std::int64_t>{23});  // ⌈11392 / 512⌉
  }

  // Same matrix: the .dat values are (sum/count)·ncall in float, so the importance llama-quantize
  // derives from either file agrees to a float rounding or two.
  void formatsAgree() {
    const Imatrix g = readOrDie(shared("imatrix.gguf"));
    const Imatrix d = readOrDie(shared("imatrix.dat"));
    std::size_t exact = 0, total = 0;
    for (std::size_t i = 0; i < g.entries.size(); ++i) {
      QCOMPARE(d.entries[i].name, g.entries[i].name);
      const auto a = importanceOf(g, g.entries[i]);
      const auto b = importanceOf(d, d.entries[i]);
      QCOMPARE(a.size(), b.size());
      for (std::size_t j = 0; j < a.size(); ++j) {
        QUENCH_COMPARE_NEAR(b[j], a[j], 3e-7, 0.0);
        // The stored value itself is exactly llama-imatrix's float expression.
        QCOMPARE(d.entries[i].sums[j], (g.entries[i].sums[j] / 11392.0f) * 23.0f);
        QCOMPARE(a[j], g.entries[i].sums[j] / 11392.0f);
        exact += a[j] == b[j];
        ++total;
      }
    }
    QVERIFY(total == 14 * 256 + 2 * 512);
    qInfo("importance equal to the last bit in %zu of %zu columns", exact, total);
  }

  void roundTripsByteForByte() {
    const auto gBytes = test::fileBytes(shared("imatrix.gguf"));
    const auto dBytes = test::fileBytes(shared("imatrix.dat"));
    const Imatrix g = readOrDie(shared("imatrix.gguf"));
    const Imatrix d = readOrDie(shared("imatrix.dat"));
    auto g2 = encodeImatrixGguf(g);
    QVERIFY(g2.ok());
    QVERIFY(*g2 == gBytes);
    auto d2 = encodeImatrixDat(d);
    QVERIFY(d2.ok());
    QVERIFY(*d2 == dBytes);
    // llama-imatrix --in-file imatrix.gguf --output-format dat (its n_ctx was 512).
    auto conv = encodeImatrixDat(g, {512});
    QVERIFY(conv.ok());
    QVERIFY(*conv == dBytes);
    // Without a chunk size the GGUF's own (128): ncall 89, as llama-imatrix computing --output-format dat.
    auto own = encodeImatrixDat(g);
    QVERIFY(own.ok());
    auto ownParsed = parseImatrix(*own, "own.dat");
    QVERIFY(ownParsed.ok());
    QCOMPARE(ownParsed->chunkCount, 89);
    QCOMPARE(ownParsed->entries[0].counts, std::vector<std::int64_t>{89});
    // .dat → GGUF as llama-imatrix loads it: sums·chunk, counts ncall·chunk.
    auto back = encodeImatrixGguf(d, {512});
    QVERIFY(back.ok());
    auto b = parseImatrix(*back, "back.gguf");
    QVERIFY(b.ok());
    QCOMPARE(b->chunkSize, 512);
    QCOMPARE(b->chunkCount, 23);
    QCOMPARE(b->entries[3].counts, std::vector<std::int64_t>{23 * 512});
    QCOMPARE(b->entries[3].sums[5], d.entries[3].sums[5] * 512.0f);
    QVERIFY(!encodeImatrixGguf(d).ok());  // a legacy file has no chunk size of its own
  }

  void writesThroughTheExtension() {
    QTemporaryDir dir;
    const Imatrix g = readOrDie(shared("imatrix.gguf"));
    const std::string gp = (dir.path() + "/m.gguf").toStdString(), dp = (dir.path() + "/m.dat").toStdString();
    QVERIFY(writeImatrix(gp, g).ok());
    QVERIFY(writeImatrix(dp, g, {512}).ok());
    QVERIFY(test::fileBytes(gp) == test::fileBytes(shared("imatrix.gguf")));
    QVERIFY(test::fileBytes(dp) == test::fileBytes(shared("imatrix.dat")));
  }

  // Expert tensors: one row of sums and one count per expert; a matrix that saw no token weighs 1.
  void expertsAndEmptyMatrices() {
    Imatrix m;
    m.chunkSize = 4;
    m.chunkCount = 2;
    m.datasets = {"a.txt", "b.txt"};
    m.entries.push_back({"blk.0.ffn_up_exps.weight", {4, 8, 12, 16, 5, 6, 7, 8}, {8, 0}});
    m.entries.push_back({"blk.0.zero.weight", {1, 2}, {0}});
    const auto w = importanceOf(m, m.entries[0]);
    QCOMPARE(w, (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f, 1.0f, 1.0f, 1.0f, 1.0f}));
    auto g = encodeImatrixGguf(m);
    QVERIFY(g.ok());
    auto back = parseImatrix(*g, "experts.gguf");
    QVERIFY(back.ok());
    QCOMPARE(back->entries[0].sums, m.entries[0].sums);
    QCOMPARE(back->entries[0].counts, m.entries[0].counts);
    QCOMPARE(back->datasets, m.datasets);
    auto d = encodeImatrixDat(m);
    QVERIFY(d.ok());
    auto dat = parseImatrix(*d, "experts.dat");
    QVERIFY(dat.ok());
    QCOMPARE(dat->entries.size(), std::size_t{1});  // the all-zero entry is left out
    QCOMPARE(dat->entries[0].counts, std::vector<std::int64_t>{2});  // ⌈8/4⌉
    QCOMPARE(dat->entries[0].sums, (std::vector<float>{1, 2, 3, 4, 2, 2, 2, 2}));  // (s/c)·2, empty expert 1·2
    QCOMPARE(dat->datasets, std::vector<std::string>{"b.txt"});  // the format holds one: the last
  }

  void hostileLegacyFiles() {
    const auto good = test::fileBytes(shared("imatrix.dat"));
    // Every prefix that cuts an entry is an error (the trailer alone is optional).
    std::size_t entriesEnd = 4;
    {
      const Imatrix d = readOrDie(shared("imatrix.dat"));
      for (const auto& e : d.entries) entriesEnd += 12 + e.name.size() + 4 * e.sums.size();
    }
    for (std::size_t n = 0; n < entriesEnd; ++n)
      QVERIFY2(!parseImatrix(std::span(good).first(n), "cut.dat").ok(), qPrintable(QString::number(n)));
    for (std::size_t n = entriesEnd; n <= good.size(); ++n) QVERIFY(parseImatrix(std::span(good).first(n), "tail.dat").ok());
    auto bad = [](std::vector<std::uint8_t> b) { return !parseImatrix(b, "bad.dat").ok(); };
    std::vector<std::uint8_t> b;
    putI32(b, 0x7fffffff);  // lying entry count
    QVERIFY(bad(b));
    b.clear();
    putI32(b, 1); putI32(b, -5);  // negative name length
    QVERIFY(bad(b));
    b.clear();
    putI32(b, 1); putI32(b, 1); b.push_back('w'); putI32(b, 1); putI32(b, -1);  // negative nval
    QVERIFY(bad(b));
    b.clear();
    putI32(b, 1); putI32(b, 1); b.push_back('w'); putI32(b, 1); putI32(b, 0x40000000);  // nval past the end
    QVERIFY(bad(b));
    b.clear();
    putI32(b, 2);
    for (int i = 0; i < 2; ++i) { putI32(b, 1); b.push_back('w'); putI32(b, 1); putI32(b, 1); putI32(b, 0); }  // "w" twice
    QVERIFY(bad(b));
  }

  void hostileGgufFiles() {
    auto gguf = [](std::vector<GgufTensorData> tensors) {
      QTemporaryDir dir;
      const std::string p = (dir.path() + "/x.gguf").toStdString();
      if (!writeGguf(p, {{"general.type", GgufValue::string("imatrix")}}, tensors)) qFatal("write");
      return parseImatrix(test::fileBytes(p), "x.gguf");
    };
    auto f32 = [](std::vector<float> v) {
      std::vector<std::uint8_t> b(v.size() * 4);
      std::memcpy(b.data(), v.data(), b.size());
      return b;
    };
    using ggml::Type;
    QVERIFY(gguf({{{"w.in_sum2", {4}, Type::F32}, f32({1, 2, 3, 4})}, {{"w.counts", {1}, Type::F32}, f32({3})}}).ok());
    QVERIFY(!gguf({{{"w.in_sum2", {4}, Type::F32}, f32({1, 2, 3, 4})}}).ok());                                      // no counts
    QVERIFY(!gguf({{{"w.in_sum2", {3}, Type::F32}, f32({1, 2, 3})}, {{"w.counts", {2}, Type::F32}, f32({1, 1})}}).ok());  // 3 sums, 2 matrices
    QVERIFY(!gguf({{{"w.in_sum2", {4}, Type::F32}, f32({1, 2, 3, 4})}, {{"w.counts", {1}, Type::F32}, f32({-1})}}).ok());
    QVERIFY(!gguf({{{"w.in_sum2", {4}, Type::F32}, f32({1, 2, 3, 4})}, {{"w.counts", {1}, Type::F32}, f32({NAN})}}).ok());
    QVERIFY(!gguf({{{"w.in_sum2", {4}, Type::F16}, std::vector<std::uint8_t>(8)}, {{"w.counts", {1}, Type::F32}, f32({1})}}).ok());
    QVERIFY(!gguf({{{"unrelated", {1}, Type::F32}, f32({1})}}).ok());
    QVERIFY(!parseImatrix(std::vector<std::uint8_t>{'G', 'G', 'U', 'F', 3, 0}, "short.gguf").ok());
  }
};

QTEST_GUILESS_MAIN(TestImatrix)
#include "test_imatrix.moc"
