// ggml quantizers against llama.cpp's own output: every tensor of the shared source-f32.gguf
// re-quantized with each type, without and with the shared importance matrix, must equal byte
// for byte what llama-quantize --pure wrote (../shared/data/gguf/llama-quantize/{pure,imatrix}).
// Plus hand-made blocks whose bytes follow from the format, the fp16/bf16 conversions against
// Quench's independent IEEE conversions, and the argument checks.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/ggml/quants.h"
#include "core/io/gguf_file.h"
#include "core/io/imatrix.h"
#include "core/tensor/dtype.h"

using namespace quench;
using ggml::Type;

namespace {

const QString kDir = QStringLiteral("gguf/llama-quantize/");

std::vector<float> floatsOf(std::span<const std::uint8_t> b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

/// Which base type llama-quantize --pure gives every 2-D tensor for a file-type name.
Type baseType(const QString& name) {
  if (name == "Q3_K_M") return Type::Q3_K;
  if (name == "Q4_K_M") return Type::Q4_K;
  if (name == "Q5_K_M") return Type::Q5_K;
  return *ggml::typeFromName(name.toStdString());
}

}  // namespace

class TestQuants : public QObject {
  Q_OBJECT

  GgufFile m_source;
  Imatrix m_imatrix;

  /// Re-quantize every tensor of `file` from the source and compare bytes; returns the number of
  /// quantized tensors compared.
  int compareFile(const QString& rel, Type expected, bool withImatrix) {
    auto f = openGgufFile(test::sharedData(kDir + rel).toStdString());
    if (!f) {
      QTest::qFail(f.error().message.c_str(), __FILE__, __LINE__);
      return -1;
    }
    int quantized = 0;
    for (std::size_t i = 0; i < f->header.tensors.size(); ++i) {
      const GgufTensorInfo& t = f->header.tensors[i];
      const auto si = m_source.find(t.name);
      if (!si) {
        QTest::qFail(("no source tensor " + t.name).c_str(), __FILE__, __LINE__);
        return -1;
      }
      const auto type = static_cast<Type>(t.type);
      if (t.ne.size() == 2) {
        if (type != expected) {
          QTest::qFail((t.name + " has type " + std::string(ggml::typeInfo(type).name)).c_str(), __FILE__, __LINE__);
          return -1;
        }
        ++quantized;
      }
      const std::vector<float> src = floatsOf(m_source.tensorData(*si));
      const auto cols = static_cast<std::int64_t>(t.ne[0]);
      const auto rows = static_cast<std::int64_t>(src.size()) / cols;
      std::vector<float> importance;
      if (withImatrix && type != Type::F32)
        if (const ImatrixEntry* e = m_imatrix.find(t.name)) importance = importanceOf(m_imatrix, *e);
      std::vector<std::uint8_t> out(t.bytes);
      const Status s = ggml::quantizeRows(type, src, rows, cols, importance, out);
      if (!s) {
        QTest::qFail((t.name + ": " + s.error().message).c_str(), __FILE__, __LINE__);
        return -1;
      }
      const auto want = f->tensorData(i);
      if (!std::equal(out.begin(), out.end(), want.begin(), want.end())) {
        std::size_t at = 0;
        while (at < out.size() && out[at] == want[at]) ++at;
        QTest::qFail((rel.toStdString() + ": " + t.name + " differs first at byte " + std::to_string(at) + " of " +
                      std::to_string(out.size()) + " (block " + std::to_string(at / ggml::typeInfo(type).blockBytes) + ")")
                         .c_str(),
                     __FILE__, __LINE__);
        return -1;
      }
    }
    return quantized;
  }

 private slots:
  void initTestCase() {
    auto src = openGgufFile(test::sharedData(kDir + "source-f32.gguf").toStdString());
    QVERIFY2(src.ok(), src.ok() ? "" : src.error().message.c_str());
    m_source = std::move(*src);
    auto im = readImatrix(test::sharedData(kDir + "imatrix.gguf").toStdString());
    QVERIFY2(im.ok(), im.ok() ? "" : im.error().message.c_str());
    m_imatrix = std::move(*im);
    QCOMPARE(m_imatrix.entries.size(), std::size_t{14});
  }

  void llamaQuantizeFiles_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("imatrix");
    for (const char* t : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"}) {
      QTest::newRow((std::string("pure/") + t).c_str()) << QString(t) << false;
      QTest::newRow((std::string("imatrix/") + t).c_str()) << QString(t) << true;
    }
  }
  // Every tensor (16 quantized matrices and the 5 F32 norms) byte for byte.
  void llamaQuantizeFiles() {
    QFETCH(QString, type);
    QFETCH(bool, imatrix);
    const int n = compareFile((imatrix ? "imatrix/" : "pure/") + type + ".gguf", baseType(type), imatrix);
    QCOMPARE(n, 16);
  }

  // The importance matrix must change the bytes of every type that uses it, else the imatrix
  // test above would not show anything.
  void importanceChangesTheResult() {
    const auto si = m_source.find("blk.0.ffn_down.weight");
    QVERIFY(si.has_value());
    const std::vector<float> src = floatsOf(m_source.tensorData(*si));
    const std::vector<float> w = importanceOf(m_imatrix, *m_imatrix.find("blk.0.ffn_down.weight"));
    for (Type t : ggml::quantizableTypes()) {
      std::vector<std::uint8_t> a(*ggml::rowBytes(t, 768) * 256), b(a.size());
      QVERIFY(ggml::quantizeRows(t, src, 256, 768, {}, a).ok());
      QVERIFY(ggml::quantizeRows(t, src, 256, 768, w, b).ok());
      QCOMPARE(a != b, ggml::usesImportance(t));
    }
  }

  // Q8_0 by hand: amax 127 → d = 1 (fp16 0x3C00), codes = round(x).
  void q8_0ByHand() {
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j * 4 - 64) + 0.25f;
    x[31] = 127.0f;  // amax
    std::vector<std::uint8_t> y(34);
    QVERIFY(ggml::quantizeRows(Type::Q8_0, x, 1, 32, {}, y).ok());
    QCOMPARE(int(y[0] | (y[1] << 8)), 0x3C00);
    for (int j = 0; j < 31; ++j) QCOMPARE(int(static_cast<std::int8_t>(y[2 + j])), j * 4 - 64);
    QCOMPARE(int(static_cast<std::int8_t>(y[33])), 127);
  }

  // Q4_0 by hand: the element of largest |x| is -8·d exactly; x = d·(q − 8).
  void q4_0ByHand() {
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[j] = 0.5f * static_cast<float>((j % 16) - 8);  // q = j % 16
    x[0] = 4.0f;  // max |x| = 4 → d = 4/−8 = −0.5: codes are 8 − 2x
    std::vector<std::uint8_t> y(18);
    QVERIFY(ggml::quantizeRows(Type::Q4_0, x, 1, 32, {}, y).ok());
    QCOMPARE(int(y[0] | (y[1] << 8)), int(ggml::fp32ToFp16(-0.5f)));
    for (int j = 0; j < 16; ++j) {
      const int q0 = 8 - static_cast<int>(2 * x[j]), q1 = 8 - static_cast<int>(2 * x[16 + j]);
      QCOMPARE(int(y[2 + j]), std::min(15, q0) | (std::min(15, q1) << 4));
    }
  }

  // IQ4_NL: elements that are code-book levels times a power of two are coded exactly by the
  // reference (one scale) and by llama-quantize's search alike.
  void iq4nlOnTheGrid() {
    const std::int8_t levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[j] = 0.125f * levels[(j * 7) % 16];
    std::vector<std::uint8_t> ref(18), search(18);
    QVERIFY(ggml::quantizeRowsReference(Type::IQ4_NL, x, 1, 32, ref).ok());
    QVERIFY(ggml::quantizeRows(Type::IQ4_NL, x, 1, 32, {}, search).ok());
    for (const auto& y : {ref, search}) {
      QCOMPARE(int(y[0] | (y[1] << 8)), int(ggml::fp32ToFp16(0.125f)));
      for (int j = 0; j < 16; ++j) QCOMPARE(int(y[2 + j]), ((j * 7) % 16) | ((((j + 16) * 7) % 16) << 4));
    }
  }

  // fp16 against Quench's own IEEE conversion on 2^20 spread bit patterns (every exponent and
  // rounding case: the low 12 bits run through all values for some exponents).
  void fp16MatchesIeee() {
    for (std::uint64_t k = 0; k < (1u << 20); ++k) {
      const auto bits = static_cast<std::uint32_t>((k * 4093u) ^ (k << 12));
      const float f = std::bit_cast<float>(bits);
      const std::uint16_t h = ggml::fp32ToFp16(f);
      if (std::isnan(f)) {
        QCOMPARE(int(h), int(((bits >> 16) & 0x8000u) | 0x7E00u));
      } else if (h != floatToHalf(f)) {
        QFAIL(qPrintable(QString("fp16 of %1 (0x%2): 0x%3, IEEE 0x%4").arg(double(f)).arg(bits, 8, 16, QChar('0'))
                             .arg(h, 4, 16).arg(floatToHalf(f), 4, 16)));
      }
    }
    QCOMPARE(int(ggml::fp32ToFp16(65519.0f)), 0x7BFF);  // largest finite below the rounding edge
    QCOMPARE(int(ggml::fp32ToFp16(65520.0f)), 0x7C00);  // halfway to 2^16: rounds to inf
    QCOMPARE(int(ggml::fp32ToFp16(std::ldexp(1.0f, -25))), 0x0000);  // tie to even: 0
    QCOMPARE(int(ggml::fp32ToFp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f))), 0x0001);
  }

  void bf16MatchesIeee() {
    for (std::uint64_t k = 0; k < (1u << 20); ++k) {
      const auto bits = static_cast<std::uint32_t>((k * 4093u) ^ (k << 12));
      const float f = std::bit_cast<float>(bits);
      if (std::isnan(f)) QCOMPARE(int(ggml::fp32ToBf16(f)), int((bits >> 16) | 64u));
      else QCOMPARE(int(ggml::fp32ToBf16(f)), int(floatToBf16(f)));
    }
  }

  void refusesBadArguments() {
    std::vector<float> x(64, 1.0f);
    std::vector<std::uint8_t> y(*ggml::rowBytes(Type::Q4_K, 256));
    QVERIFY(!ggml::quantizeRows(Type::Q4_K, x, 1, 64, {}, y).ok());      // 64 is not a multiple of 256
    QVERIFY(!ggml::quantizeRows(Type::IQ2_XXS, x, 1, 64, {}, y).ok());  // not written by Quench
    std::vector<std::uint8_t> q8(68);
    QVERIFY(ggml::quantizeRows(Type::Q8_0, x, 1, 64, {}, q8).ok());
    QVERIFY(!ggml::quantizeRows(Type::Q8_0, x, 1, 64, {}, std::span(q8).first(67)).ok());
    std::vector<float> w(63, 1.0f);
    QVERIFY(!ggml::quantizeRows(Type::Q4_0, x, 1, 64, w, q8).ok());  // importance of the wrong width
    x[37] = std::numeric_limits<float>::quiet_NaN();
    const Status s = ggml::quantizeRows(Type::Q8_0, x, 2, 32, {}, q8);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.find("row 1, column 5") != std::string::npos);
  }

  // Hostile magnitudes: huge finite values may make ggml's scales overflow, never crash; the
  // validation llama-quantize runs then rejects what it would reject.
  void extremeValuesDoNotCrash() {
    std::vector<float> x(256);
    for (int j = 0; j < 256; ++j) x[j] = (j % 2 ? 1 : -1) * 3.0e38f / static_cast<float>(j + 1);
    for (Type t : ggml::quantizableTypes()) {
      std::vector<std::uint8_t> y(*ggml::rowBytes(t, 256));
      QVERIFY(ggml::quantizeRows(t, x, 1, 256, {}, y).ok());
      std::vector<float> w(256, 1.0e30f);
      QVERIFY(ggml::quantizeRows(t, x, 1, 256, w, y).ok());
      (void)ggml::validateRowData(t, y);
    }
    std::vector<std::uint8_t> y(34);
    std::vector<float> big(32, 1.0e7f);  // d = 1e7/127 > 65504 overflows fp16
    QVERIFY(ggml::quantizeRows(Type::Q8_0, big, 1, 32, {}, y).ok());
    QVERIFY(!ggml::validateRowData(Type::Q8_0, y).ok());
  }

  // quantizeMatrix splits rows over threads: the same bytes as the serial loop, and it stops.
  void parallelEqualsSerial() {
    const auto si = m_source.find("blk.1.ffn_up.weight");
    const std::vector<float> src = floatsOf(m_source.tensorData(*si));
    std::vector<std::uint8_t> a(*ggml::rowBytes(Type::Q4_K, 256) * 768), b(a.size());
    QVERIFY(ggml::quantizeRows(Type::Q4_K, src, 768, 256, {}, a).ok());
    double last = 0;
    Work w;
    w.progress = [&](double done, double total) { last = std::max(last, done / total); };
    QVERIFY(ggml::quantizeMatrix(Type::Q4_K, src, 768, 256, {}, b, w).ok());
    QVERIFY(a == b);
    QCOMPARE(last, 1.0);
    std::stop_source stop;
    stop.request_stop();
    QVERIFY(!ggml::quantizeMatrix(Type::Q4_K, src, 768, 256, {}, b, Work{stop.get_token(), {}}).ok());
  }
};

QTEST_GUILESS_MAIN(TestQuants)
#include "test_quants.moc"
