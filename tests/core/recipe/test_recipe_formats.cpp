// The recipes that reproduce llama.cpp's Q8_0/Q4_0 and the OCP MX formats, bit for bit, against
// tests/data/quant/ggml_mx_golden.gguf: written by tools/golden_ggml_mx.py, an independent NumPy
// implementation of ggml's reference quantizers (blocks stored as real Q8_0/Q4_0 GGUF blocks,
// dequantized here by Quench's GGUF reader) and of OCP MX v1.0 §6.3. The input holds random
// blocks and edge blocks: exact ties, one-ulp near ties, all zeros, signed zeros, all negative,
// ±max in either order, tiny (fp16-subnormal d) and large magnitudes.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/quant/integer.h"
#include "core/quant/integer_method.h"
#include "core/recipe/recipe.h"

using namespace quench;

namespace {

// The README's recipes (one rule each; "tensors" is the only key the README leaves open).
const char* kQ8_0 = R"({"tensors": "x", "method": "int", "bits": 8, "symmetric": true, "partition": "group:32",
  "calib": "absmax", "round": "away", "scale_format": "fp16", "arithmetic": "ggml"})";
const char* kQ4_0 = R"({"tensors": "x", "method": "int", "bits": 4, "symmetric": true, "partition": "group:32",
  "calib": "signed-max", "round": "up", "scale_format": "fp16", "arithmetic": "ggml"})";

MethodParams rule(const std::string& json) {
  auto r = recipeFromJson(R"({"quench_recipe": 1, "rules": [)" + json + "]}");
  if (!r) qFatal("%s", r.error().message.c_str());
  return r->rules[0].params;
}

std::string mxRule(const std::string& format) {
  return R"({"tensors": "x", "method": "float", "format": ")" + format + R"(", "round": "even", "block": 32})";
}

// Index of the first element whose bit pattern differs (−1 when all match), and how many differ.
std::pair<std::int64_t, std::size_t> firstBitDifference(const std::vector<float>& a, const std::vector<float>& b) {
  std::int64_t first = -1;
  std::size_t count = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i])) {
      if (first < 0) first = static_cast<std::int64_t>(i);
      ++count;
    }
  return {first, count};
}

}  // namespace

class TestRecipeFormats : public QObject {
  Q_OBJECT
  std::unique_ptr<TensorReader> m_file;
  FloatTensor m_x;

  FloatTensor tensor(const std::string& name) {
    auto t = m_file->readFloat(std::string_view(name));
    if (!t) qFatal("%s", t.error().message.c_str());
    return std::move(*t);
  }

  void compareBits(const std::vector<float>& got, const std::vector<float>& want) {
    QCOMPARE(got.size(), want.size());
    const auto [first, count] = firstBitDifference(got, want);
    if (first < 0) return;  // the message below may only index an element that exists
    QFAIL(qPrintable(QStringLiteral("%1 elements differ, first %2: got %3, want %4 (x = %5)")
                         .arg(count).arg(first).arg(got[first], 0, 'g', 9).arg(want[first], 0, 'g', 9)
                         .arg(m_x.values[first], 0, 'g', 9)));
  }

 private slots:
  void initTestCase() {
    auto r = openTensorFile(test::testData("quant/ggml_mx_golden.gguf").toStdString());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    m_file = std::move(*r);
    m_x = tensor("x");
    QCOMPARE(m_x.shape, (std::vector<std::int64_t>{32, 64}));
  }

  void q8_0() {
    auto r = quantizeTensor(m_x, rule(kQ8_0));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    compareBits(r->reconstruction, tensor("x.q8_0").values);  // the GGUF reader's dequantization
    const FloatTensor codes = tensor("x.q8_0.codes");
    for (std::size_t i = 0; i < codes.values.size(); ++i)
      QCOMPARE(r->codes[i], static_cast<std::int32_t>(codes.values[i]));
    QCOMPARE(r->parts.size(), std::size_t{64});
    // 8 bits per code + one fp16 scale per 32: llama.cpp's 8.5 bits per weight.
    QCOMPARE(r->total.bitsPerParam, 8.5);
  }

  void q4_0() {
    auto r = quantizeTensor(m_x, rule(kQ4_0));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const FloatTensor want = tensor("x.q4_0");
    compareBits(r->reconstruction, want.values);
    // llama.cpp's codes (code − 8) are Quench's codes mirrored where llama.cpp's d is negative.
    const FloatTensor codes = tensor("x.q4_0.codes");
    for (std::size_t i = 0; i < codes.values.size(); ++i) {
      const PartParams& p = r->parts[i / 32].params;
      QCOMPARE(r->codes[i], ggmlMirror(p) * static_cast<std::int32_t>(codes.values[i]));
    }
    // Block 3 (extreme −2 first): grid [−8, 7], s = 0.25; block 4 (extreme +2): grid [−7, 8].
    QCOMPARE(r->parts[2].params.clipLow, std::int64_t{-8});
    QCOMPARE(r->parts[2].params.scale, 0.25);
    QCOMPARE(r->parts[3].params.clipHigh, std::int64_t{8});
    QCOMPARE(r->parts[3].params.scale, 0.25);
    // llama.cpp reconstructs code 8 of a block with d < 0 as −0.0; so does the recipe.
    std::size_t negativeZeros = 0;
    for (float v : want.values) negativeZeros += v == 0 && std::signbit(v);
    QVERIFY(negativeZeros > 32);
    QCOMPARE(r->total.bitsPerParam, 4.5);
  }

  // Without the ggml arithmetic (MATH.md §2's exact codes from the stored fp16 scale) the same
  // keys do NOT reproduce llama.cpp: the recipe key is what makes the difference.
  void exactArithmeticDiffers() {
    for (const char* text : {kQ8_0, kQ4_0}) {
      MethodParams p = rule(text);
      p.as<IntSettings>().arithmetic = CodeArithmetic::Exact;
      auto r = quantizeTensor(m_x, p);
      QVERIFY(r.ok());
      const FloatTensor want = tensor(text == kQ8_0 ? "x.q8_0" : "x.q4_0");
      QVERIFY(firstBitDifference(r->reconstruction, want.values).second > 0);
    }
  }

  void mx_data() {
    QTest::addColumn<QString>("format");
    for (const char* f : {"e4m3", "e5m2", "e3m2", "e2m3", "e2m1"}) QTest::newRow(f) << f;
  }
  void mx() {
    QFETCH(QString, format);
    const std::string f = format.toStdString();
    auto r = quantizeTensor(m_x, rule(mxRule(f)));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    compareBits(r->reconstruction, tensor("x.mx_" + f).values);
    // The shared E8M0 scale of every block with a nonzero value (an all-zero block's exponent is
    // a convention: any scale reconstructs zeros).
    const FloatTensor exps = tensor("x.mx_" + f + ".exp");
    QCOMPARE(r->parts.size(), exps.values.size());
    for (std::size_t b = 0; b < exps.values.size(); ++b) {
      bool nonzero = false;
      for (std::size_t i = b * 32; i < (b + 1) * 32; ++i) nonzero |= m_x.values[i] != 0;
      if (nonzero) QCOMPARE(r->parts[b].params.scale, std::ldexp(1.0, static_cast<int>(exps.values[b])));
    }
  }

  // A recipe that names both formats as separate rules applies each where it matches.
  void cliSpellingsParse() {
    // The same Q4_0 rule as the CLI builds it (app/cli/method_options.cpp) parses to the same params.
    auto r = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "x", "method": "int", "bits": 4,
        "partition": "group:32", "calib": "signed-max", "round": "up", "scale_format": "fp16", "arithmetic": "ggml"}]})");
    QVERIFY(r.ok());
    QCOMPARE(r->rules[0].params, rule(kQ4_0));
  }
};

QTEST_GUILESS_MAIN(TestRecipeFormats)
#include "test_recipe_formats.moc"
