// llama.cpp --kl-divergence-base reader (MATH.md §11) on the published persuasion-head.kld that
// llama-perplexity wrote for stories260K (89 chunks × 128 tokens, vocabulary 512), and on hostile
// variants of it.
#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <vector>

#include "common/fuzzy.h"
#include "core/divergence/kld_file.h"
#include "core/divergence/token_summary.h"

using namespace quench;

namespace {
const std::string kPath = QUENCH_SHARED_DATA "/llamacpp/persuasion-head.kld";

std::vector<std::uint8_t> readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void putI32(std::vector<std::uint8_t>& b, std::size_t at, std::int32_t v) { std::memcpy(b.data() + at, &v, 4); }

std::string parseError(std::vector<std::uint8_t> bytes) {
  auto r = LlamaKldFile::parse(MappedFile::fromBytes("hostile.kld", std::move(bytes)));
  return r ? std::string() : r.error().message;
}
}  // namespace

class TestKldFile : public QObject {
  Q_OBJECT
 private slots:
  void header() {
    auto f = LlamaKldFile::open(kPath);
    QVERIFY2(f.ok(), f ? "" : f.error().message.c_str());
    QCOMPARE(f->nCtx(), 128);
    QCOMPARE(f->nVocab(), 512);
    QCOMPARE(f->nChunk(), 89);
    QCOMPARE(f->rowsPerChunk(), std::size_t{63});
    QCOMPARE(f->rowCount(), std::size_t{5607});
    QCOMPARE(f->firstScoredPosition(), std::size_t{64});
    // Tokens as an independent NumPy read of the file shows them; the text starts with BOS (1).
    const std::int32_t c0[] = {1, 410, 460, 285, 419}, c1[] = {474, 383, 13, 260, 272};
    for (int i = 0; i < 5; ++i) {
      QCOMPARE(f->chunkTokens(0)[i], c0[i]);
      QCOMPARE(f->chunkTokens(1)[i], c1[i]);
    }
    // Row r of a chunk predicts chunk position 65 + r; the last row predicts position 127.
    QCOMPARE(f->trueNextToken(0, 0), f->chunkTokens(0)[65]);
    QCOMPARE(f->trueNextToken(88, 62), 303);
    QCOMPARE(f->trueNextToken(88, 61), 435);
  }

  void rowsArePmfs() {
    auto f = LlamaKldFile::open(kPath);
    QVERIFY(f.ok());
    std::vector<float> lp(512);
    double worst = 0;
    for (std::size_t c = 0; c < 89; ++c) {
      for (std::size_t r = 0; r < 63; ++r) {
        f->decodeRow(c, r, lp);
        double s = 0;
        for (float v : lp) s += std::exp(static_cast<double>(v));
        worst = std::max(worst, std::fabs(s - 1.0));
      }
    }
    // Each code is within scale/2 = 1.2e-4 nats of the true ln p, and the ~500 floor entries add
    // up to ~2e-5 of mass: sums within 1e-4 of 1 (measured worst 7.6e-5).
    QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
    // The floor: row (88, 62) has min_log_prob −16.45 = max − 16 and scale 16/65535.
    QUENCH_COMPARE_NEAR(f->rowMinLogProb(88, 62), -16.451826, 1e-6, 0);
    QUENCH_COMPARE_NEAR(f->rowScale(88, 62), 16.0 / 65535.0, 1e-6, 0);
  }

  void perplexityFromFile() {
    auto f = LlamaKldFile::open(kPath);
    QVERIFY(f.ok());
    const double ppl = llamaKldPerplexity(*f);
    // NumPy on the same bytes (tools/golden_divergence.py style, float32 decode): 61.8601569127.
    QUENCH_COMPARE_NEAR(ppl, 61.8601569127, 1e-9, 0);
    // llama.cpp printed 61.9771 from its unquantized log-probs. The file's are capped at the
    // row floor (max − 16 nats): 7 of the 5607 true tokens sit at code 0, so their ln p is
    // overestimated and the PPL read back is lower, by 0.19 %; the 16-bit codes add ±1.2e-4 nats.
    QVERIFY(ppl < 61.9771);
    QVERIFY2(std::fabs(ppl / 61.9771 - 1) < 0.0025, qPrintable(QString::number(ppl)));
    std::vector<float> lp(512);
    int atFloor = 0;
    for (std::size_t c = 0; c < 89; ++c) {
      for (std::size_t r = 0; r < 63; ++r) {
        f->decodeRow(c, r, lp);
        if (lp[static_cast<std::size_t>(f->trueNextToken(c, r))] == f->rowMinLogProb(c, r)) ++atFloor;
      }
    }
    QCOMPARE(atFloor, 7);
  }

  void klAgainstItself() {
    // The file against its own decoded rows: KL over the entries above −16 is the tiny
    // re-normalization gap only, and the top token always agrees.
    auto f = LlamaKldFile::open(kPath);
    QVERIFY(f.ok());
    std::vector<float> lp(512);
    TokenAccumulator acc;
    for (std::size_t c = 0; c < 89; ++c) {
      for (std::size_t r = 0; r < 63; ++r) {
        f->decodeRow(c, r, lp);
        auto row = compareRowToLlamaBase(lp, lp, RowKind::LogProbs, f->trueNextToken(c, r));
        QVERIFY(row.ok());
        acc.add(*row);
      }
    }
    const TokenSummary s = acc.summary();
    QCOMPARE(s.tokens, std::size_t{5607});
    QVERIFY(std::fabs(s.klMean) < 1e-4);
    QCOMPARE(s.top1Agreement, 1.0);
    QUENCH_COMPARE_NEAR(s.pplP, 61.8601569127, 1e-9, 0);
  }

  void hostile() {
    const std::vector<std::uint8_t> good = readAll(kPath);
    QCOMPARE(good.size(), std::size_t{5832012});
    QVERIFY(parseError(good).empty());
    {
      auto b = good;
      b[0] = 'X';
      QVERIFY(parseError(b).find("magic") != std::string::npos);
    }
    QVERIFY(parseError({good.begin(), good.begin() + 12}).find("too short") != std::string::npos);
    {
      auto b = good;
      b.resize(b.size() - 1);
      const std::string e = parseError(b);
      QVERIFY2(e.find("truncated") != std::string::npos && e.find("hostile.kld") == 0, e.c_str());
    }
    {
      auto b = good;
      b.push_back(0);
      QVERIFY(parseError(b).find("trailing") != std::string::npos);
    }
    for (const auto& [at, value, word] : std::vector<std::tuple<std::size_t, std::int32_t, const char*>>{
             {8, -5, "n_ctx"}, {8, 1, "n_ctx"}, {12, 0, "n_vocab"}, {12, 1 << 30, "n_vocab"},
             {16, 0, "n_chunk"}, {16, std::numeric_limits<std::int32_t>::max(), "size"},
             {8, 1 << 22, "size"}, {20, 512, "token 0"}, {20, -1, "token 0"}}) {
      auto b = good;
      putI32(b, at, value);
      const std::string e = parseError(b);
      QVERIFY2(e.find(word) != std::string::npos, e.c_str());
    }
    {
      auto b = good;
      const std::size_t firstRow = 20 + 4 * 89 * 128;
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(b.data() + firstRow, &nan, 4);
      QVERIFY(parseError(b).find("chunk 0 row 0") != std::string::npos);
    }
    {
      // Found by fuzz_kld (corpus/kld/regression_scale_overflows_float.kld): a scale whose
      // largest code overflows float32 while the double check passed.
      auto b = good;
      const std::size_t row = 20 + 4 * 89 * 128 + 3 * 1032;
      const float scale = 1e36f;
      std::memcpy(b.data() + row, &scale, 4);
      QVERIFY(parseError(b).find("chunk 0 row 3") != std::string::npos);
    }
    QVERIFY(!LlamaKldFile::open("/nonexistent.kld").ok());
  }
};

QTEST_APPLESS_MAIN(TestKldFile)
#include "test_kld_file.moc"
