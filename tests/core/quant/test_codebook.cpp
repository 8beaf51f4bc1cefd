// Codebook quantization (MATH.md §4): NF4 / bitsandbytes FP4 / user codebooks, blockwise absmax,
// ties, double quantization, bits per parameter and the NF4 preview data, against values computed
// by hand and the NumPy golden values of tools/golden_quant_alt.py.
#include <QtTest/QtTest>

#include <cmath>
#include <cstdio>

#include "common/fuzzy.h"
#include "core/quant/codebook.h"

using namespace quench;

namespace {

// ---- pasted from `python3 tools/golden_quant_alt.py codebook` ----
// NF4 B=64 on test_data(38417)
constexpr std::size_t kGoldenN = 38417;
constexpr char kNf4IndexHex[] = "08888888877777777666666688888888777775776666666688888888777777776666655999f8888877777766666655599988888877777762666655999988888777777666666555999888d8877777766666655999988888777777666660555999ddcbba98765543322111feeeddcba9f8765443221110eeeddccba98766543322";  // first 256
constexpr double kNf4IndexSum = 272606;
constexpr double kNf4Mse = 0.33597413280691807;
constexpr float kNf4Amax[] = {0x1.0000000000000p+5f, 0x1.6d91680000000p+4f, 0x1.6f1aa00000000p+4f, 0x1.1eb8520000000p+2f};
constexpr float kDqMean = 0x1.5d03360000000p+4f;
constexpr float kDqScales[] = {0x1.205a720000000p-3f, 0x1.20396c0000000p-3f, 0x1.20ce0a0000000p-3f};
constexpr int kDqCodes[] = {72, 7, 8, -123, 72, 6, 9, -124, 71, 6, 10, -125, 70, 5, -61, 11};  // first 16
constexpr double kDqCodeSum = -10, kDqCodeAbsSum = 24048;
constexpr double kNf4DqMse = 0.33601582046211304;
// bitsandbytes FP4 (15 distinct levels) B=64
constexpr double kFp4IndexSum = 269075;
constexpr double kFp4Mse = 1.1669862383091645;
// ---- end of pasted golden values ----

// The golden script's test tensor: float32(k)/250 with k = (i·7919) mod 2001 − 1000, every 37th
// element times 8.
std::vector<float> goldenData(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<float>(static_cast<long long>((i * 7919) % 2001) - 1000);
    x[i] = k / 250.0f;
    if (i % 37 == 0) x[i] *= 8.0f;
  }
  return x;
}

CodebookResult run(const std::vector<float>& x, std::size_t B, bool dq = false, Codebook c = nf4Codebook()) {
  CodebookParams p;
  p.codebook = std::move(c);
  p.blockSize = B;
  p.doubleQuant = dq;
  auto r = quantizeCodebook(x, p);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

}  // namespace

class TestCodebook : public QObject {
  Q_OBJECT
 private slots:
  void tables() {
    const Codebook nf4 = nf4Codebook();
    QCOMPARE(nf4.levels.size(), std::size_t{16});
    QCOMPARE(nf4.levels[1], -0.6961928009986877f);
    QCOMPARE(nf4.levels[8], 0.07958029955625534f);
    QCOMPARE(nf4.levels[14], 0.7229568362236023f);
    QCOMPARE(nf4.zeroIndex(), std::uint8_t{7});
    QCOMPARE(nf4.bits, 4);
    // bitsandbytes FP4: by magnitude pattern 0, 0.0625, 8, 12, 4, 6, 2, 3 over 12; ±0 merge
    const Codebook fp4 = fp4BnbCodebook();
    const std::vector<float> expect{-1.0f, -8 / 12.0f, -0.5f, -4 / 12.0f, -0.25f, -2 / 12.0f, -0.0625f / 12,
                                    0.0f, 0.0625f / 12, 2 / 12.0f, 0.25f, 4 / 12.0f, 0.5f, 8 / 12.0f, 1.0f};
    QCOMPARE(fp4.levels, expect);
    QCOMPARE(fp4.storedCode.front(), std::uint8_t{0b1011});  // −1: sign + 011
    QCOMPARE(fp4.storedCode.back(), std::uint8_t{0b0011});   // +1: 12/12
    QCOMPARE(fp4.storedCode[12], std::uint8_t{0b0101});      // 0.5: 6/12
    QCOMPARE(fp4.storedCode[7], std::uint8_t{0});            // +0
    QCOMPARE(fp4.zeroIndex(), std::uint8_t{7});
    QCOMPARE(fp4.bits, 4);
    QVERIFY(namedCodebook("NF4") && namedCodebook("fp4") && !namedCodebook("nf3"));
    // user codebooks are sorted and validated
    auto u = makeCodebook("mine", {0.5f, -1.0f, 1.0f, 0.0f});
    QVERIFY(u);
    QCOMPARE(u->levels, (std::vector<float>{-1.0f, 0.0f, 0.5f, 1.0f}));
    QCOMPARE(u->bits, 2);
    QCOMPARE(u->midpoints(), (std::vector<float>{-0.5f, 0.25f, 0.75f}));
    QVERIFY(!makeCodebook("dup", {0.0f, 1.0f, 1.0f}));
    QVERIFY(!makeCodebook("one", {1.0f}));
    QVERIFY(!makeCodebook("nan", {0.0f, NAN}));
    QVERIFY(!makeCodebook("big", std::vector<float>(257, 0.0f)));
  }

  void handBlocks() {
    // B = 4. Block 0: a = 1; −0.5 lies below the NF4 midpoint (−0.5251 − 0.3949)/2 = −0.4600 →
    // index 2; 0.25 below (0.2461 + 0.3379)/2 = 0.2920 → index 10.
    // Block 1: a = 4, xn = 0.5, −1, 0.25, 0.075: 0.5 < (0.4407 + 0.5626)/2 = 0.5017 → 12;
    // 0.075 > 0.0398 → 8.
    const std::vector<float> x{1.0f, -0.5f, 0.25f, 0.0f, 2.0f, -4.0f, 1.0f, 0.3f};
    const CodebookResult r = run(x, 4);
    QCOMPARE(r.codes, (std::vector<std::int32_t>{15, 2, 10, 7, 12, 0, 10, 8}));
    QCOMPARE(r.absmax, (std::vector<float>{1.0f, 4.0f}));
    QCOMPARE(r.reconstruction[1], -0.5250730514526367f);
    QCOMPARE(r.reconstruction[2], 0.24611230194568634f);
    QCOMPARE(r.reconstruction[4], 4.0f * 0.44070982933044434f);
    QCOMPARE(r.reconstruction[7], 4.0f * 0.07958029955625534f);
    QCOMPARE(r.parts.size(), std::size_t{2});
    QCOMPARE(r.parts[1].params.scale, 4.0);
    QCOMPARE(r.parts[1].params.clipHigh, std::int64_t{15});
    QVERIFY(r.saturated.empty());
    // MSE by hand over the 8 values
    double se = 0;
    const double rec[] = {1, -0.5250730514526367, 0.24611230194568634, 0, 4 * 0.44070982933044434f, -4,
                          4 * 0.24611230194568634f, 4 * 0.07958029955625534f};
    for (int i = 0; i < 8; ++i) se += (x[i] - rec[i]) * (x[i] - rec[i]);
    QUENCH_COMPARE_NEAR(r.total.mse, se / 8, 1e-6, 0);
    // all-zero block → zero level, reconstruction 0
    const CodebookResult z = run(std::vector<float>(5, 0.0f), 4);
    QCOMPARE(z.codes, std::vector<std::int32_t>(5, 7));
    QCOMPARE(z.reconstruction, std::vector<float>(5, 0.0f));
    QCOMPARE(z.absmax, (std::vector<float>{0.0f, 0.0f}));
  }

  void ties() {
    // a = 1 (first element), so x / a = x exactly: a value on midpoint i goes to index i
    // (bitsandbytes' strict `>`), the next float up to i + 1.
    for (const Codebook& c : {nf4Codebook(), fp4BnbCodebook()}) {
      const std::vector<float> mids = c.midpoints();
      for (std::size_t i = 0; i < mids.size(); ++i) {
        const std::vector<float> x{1.0f, mids[i], std::nextafter(mids[i], 2.0f), std::nextafter(mids[i], -2.0f)};
        const CodebookResult r = run(x, 4, false, c);
        QCOMPARE(r.codes[1], static_cast<std::int32_t>(i));
        QCOMPARE(r.codes[2], static_cast<std::int32_t>(i + 1));
        QCOMPARE(r.codes[3], static_cast<std::int32_t>(i));
      }
    }
  }

  void bitsPerParam() {
    QCOMPARE(codebookBitsPerParam(4, 64, false), 4.5);
    QCOMPARE(codebookBitsPerParam(4, 64, true), 4.0 + 8.0 / 64 + 32.0 / (256 * 64));  // 4.126953125
    QVERIFY(std::fabs(codebookBitsPerParam(4, 64, true) - 4.127) < 5e-4);
    QCOMPARE(codebookBitsPerParam(4, 32, false), 5.0);
    // exact figures: 4096 blocks of 64 → 16 double-quantization groups + the fp32 mean
    std::vector<float> x(4096 * 64);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * i));
    const CodebookResult plain = run(x, 64), dq = run(x, 64, true);
    QCOMPARE(plain.total.bitsPerParam, 4.5);
    QCOMPARE(plain.total.compressedBytes, std::uint64_t{x.size() / 2 + 4096 * 4});
    QCOMPARE(dq.total.bitsPerParam, 4.0 + (8.0 * 4096 + 32.0 * 16 + 32.0) / x.size());
    QCOMPARE(dq.nominalBitsPerParam, codebookBitsPerParam(4, 64, true));
    QCOMPARE(dq.dq.scales.size(), std::size_t{16});
    // double quantization costs a little accuracy, never codes
    QCOMPARE(dq.codes, plain.codes);
    QVERIFY(dq.total.mse >= plain.total.mse * 0.999 && dq.total.mse < plain.total.mse * 1.05);
  }

  void doubleQuantByHand() {
    // constants 1, 2, 3, 6: μ = 3, centered −2, −1, 0, 3, s = 3/127;
    // codes round(−84.67) = −85, round(−42.33) = −42, 0, 127
    const std::vector<float> a{1, 2, 3, 6};
    const DoubleQuant dq = doubleQuantize(a, 256);
    QCOMPARE(dq.mean, 3.0f);
    QCOMPARE(dq.scales, (std::vector<float>{static_cast<float>(3.0 / 127)}));
    QCOMPARE(dq.codes, (std::vector<std::int8_t>{-85, -42, 0, 127}));
    const double s = static_cast<float>(3.0 / 127);
    QCOMPARE(dq.absmax[0], static_cast<float>(s * -85 + 3));
    QCOMPARE(dq.absmax[3], static_cast<float>(s * 127 + 3));
    QUENCH_COMPARE_NEAR(dq.absmax[0], 1.0, 0.01, 0);
    // groups of 2: μ = 3 for both; group 0 (−2, −1): s = 2/127, codes −127, round(−63.5) = −64 (even)
    const DoubleQuant g = doubleQuantize(a, 2);
    QCOMPARE(g.scales.size(), std::size_t{2});
    QCOMPARE(g.codes[0], std::int8_t{-127});
    QCOMPARE(g.codes[1], std::int8_t{-64});
    // equal constants: scale 0, codes 0, exact
    const DoubleQuant e = doubleQuantize(std::vector<float>{2.5f, 2.5f}, 256);
    QCOMPARE(e.absmax, (std::vector<float>{2.5f, 2.5f}));
  }

  void goldenNumpy() {
    const std::vector<float> x = goldenData(kGoldenN);
    const CodebookResult r = run(x, 64);
    for (std::size_t i = 0; i < 256; ++i) {
      char hex[2] = {kNf4IndexHex[i], 0};
      QCOMPARE(r.codes[i], static_cast<std::int32_t>(std::strtol(hex, nullptr, 16)));
    }
    double sum = 0;
    for (auto c : r.codes) sum += c;
    QCOMPARE(sum, kNf4IndexSum);
    for (int b = 0; b < 4; ++b) QCOMPARE(r.absmax[b], kNf4Amax[b]);
    QUENCH_COMPARE_NEAR(r.total.mse, kNf4Mse, 1e-9, 0);

    const CodebookResult d = run(x, 64, true);
    QCOMPARE(d.dq.mean, kDqMean);
    QCOMPARE(d.dq.scales.size(), std::size(kDqScales));
    for (std::size_t g = 0; g < std::size(kDqScales); ++g) QCOMPARE(d.dq.scales[g], kDqScales[g]);
    for (int k = 0; k < 16; ++k) QCOMPARE(static_cast<int>(d.dq.codes[k]), kDqCodes[k]);
    double cs = 0, cas = 0;
    for (auto c : d.dq.codes) {
      cs += c;
      cas += std::abs(c);
    }
    QCOMPARE(cs, kDqCodeSum);
    QCOMPARE(cas, kDqCodeAbsSum);
    QUENCH_COMPARE_NEAR(d.total.mse, kNf4DqMse, 1e-9, 0);

    const CodebookResult f = run(x, 64, false, fp4BnbCodebook());
    double fs = 0;
    for (auto c : f.codes) fs += c;
    QCOMPARE(fs, kFp4IndexSum);
    QUENCH_COMPARE_NEAR(f.total.mse, kFp4Mse, 1e-9, 0);
  }

  void nonFinite() {
    // absmax over finite values (2); NaN → zero level, +inf → top level, −inf → bottom
    const std::vector<float> x{NAN, 2.0f, INFINITY, -INFINITY};
    const CodebookResult r = run(x, 4);
    QCOMPARE(r.absmax[0], 2.0f);
    QCOMPARE(r.codes, (std::vector<std::int32_t>{7, 15, 15, 0}));
    QCOMPARE(r.total.nan, std::uint64_t{1});
    QCOMPARE(r.total.inf, std::uint64_t{2});
    QCOMPARE(r.total.mse, 0.0);  // the one finite value is exact
  }

  void transformBuffers() {
    std::vector<float> x = goldenData(1000);
    std::vector<std::uint8_t> idx(1000);
    std::vector<float> amax(16), rec(1000);
    QVERIFY(codebookTransform(x, nf4Codebook(), 64, idx, amax, rec));
    const CodebookResult r = run(x, 64);
    for (std::size_t i = 0; i < x.size(); ++i) {
      QCOMPARE(static_cast<std::int32_t>(idx[i]), r.codes[i]);
      QCOMPARE(rec[i], r.reconstruction[i]);
    }
    std::vector<float> wrong(15);
    QVERIFY(!codebookTransform(x, nf4Codebook(), 64, idx, wrong, rec));
    QVERIFY(!codebookTransform(x, nf4Codebook(), 0, idx, amax, rec));
    CodebookParams p;
    p.blockSize = 0;
    QVERIFY(!quantizeCodebook(x, p));
  }

  void preview() {
    // B = 4, blocks (1, 0.5, −0.5, 0): NF4 puts them in bins 15, 12, 2, 7 (¼ each); INT4 n/7:
    // 0.5 is the midpoint of 3/7 and 4/7 → the lower (index 3 + 7); −0.5 → −4/7 (index 3)
    std::vector<float> x;
    for (int rep = 0; rep < 10; ++rep) x.insert(x.end(), {1.0f, 0.5f, -0.5f, 0.0f});
    x.push_back(NAN);
    auto p = codebookPreview(x, 4, 8);
    QVERIFY(p);
    QCOMPARE(p->values, std::uint64_t{40});
    QCOMPARE(p->normalized.counts.size(), std::size_t{8});
    QCOMPARE(p->normalized.nan, std::uint64_t{1});
    QCOMPARE(p->codebook.levels.size(), std::size_t{16});
    QCOMPARE(p->codebook.boundaries.size(), std::size_t{15});
    QCOMPARE(p->codebook.ideal, 1.0 / 16);
    std::vector<double> nf4(16, 0.0);
    nf4[15] = nf4[12] = nf4[2] = nf4[7] = 0.25;
    QCOMPARE(p->codebook.fraction, nf4);
    QUENCH_COMPARE_NEAR(p->codebook.entropyBits, 2.0, 1e-12, 0);
    std::vector<double> int4(15, 0.0);
    int4[14] = int4[10] = int4[3] = int4[7] = 0.25;
    QCOMPARE(p->int4.fraction, int4);
    QCOMPARE(p->fp4.fraction[14], 0.25);
    QCOMPARE(p->fp4.fraction[12], 0.25);
    // normal data fills NF4's bins far more evenly than INT4's
    std::vector<float> g(64 * 2000);
    std::uint64_t s = 12345;
    for (std::size_t i = 0; i + 1 < g.size(); i += 2) {  // Box–Muller with a tiny LCG
      auto u = [&] { s = s * 6364136223846793005ull + 1442695040888963407ull; return ((s >> 11) + 0.5) * 0x1.0p-53; };
      const double r = std::sqrt(-2 * std::log(u())), t = 2 * M_PI * u();
      g[i] = static_cast<float>(r * std::cos(t));
      g[i + 1] = static_cast<float>(r * std::sin(t));
    }
    auto q = codebookPreview(g, 64);
    QVERIFY(q->codebook.entropyBits > q->int4.entropyBits + 0.2);
    QVERIFY(q->codebook.entropyBits > 3.7);
  }
};

QTEST_APPLESS_MAIN(TestCodebook)
#include "test_codebook.moc"
