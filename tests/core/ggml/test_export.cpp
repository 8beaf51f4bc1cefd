// GGUF export against llama-quantize: re-quantizing the shared source-f32.gguf must give, byte for
// byte, the whole files llama-quantize wrote (pure/, imatrix/ with its quantize.imatrix.* keys,
// and mix/), key/values and tensor order included. Also: F16 sources, requantization of a block
// source, cancellation and refusal leave no file, the output never replaces its source.
#include <QtTest/QtTest>
#include <QTemporaryDir>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/fuzzy.h"
#include "core/ggml/export.h"
#include "core/ggml/quants.h"
#include "core/io/gguf_writer.h"
#include "core/tensor/dtype.h"

using namespace quench;
using namespace quench::ggml;

namespace {

const QString kDir = QStringLiteral("gguf/llama-quantize/");
std::string shared(const QString& rel) { return test::sharedData(kDir + rel).toStdString(); }

std::vector<std::uint8_t> bytesOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Where two byte strings first differ, as text ("" when equal).
std::string firstDifference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a == b) return {};
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return "sizes " + std::to_string(a.size()) + " / " + std::to_string(b.size()) + ", first difference at byte " + std::to_string(i);
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT

  QTemporaryDir m_dir;
  Imatrix m_imatrix;
  std::string tmp(const std::string& n) { return (m_dir.path() + "/").toStdString() + n; }

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    auto m = readImatrix(shared("imatrix.gguf"));
    QVERIFY(m.ok());
    m_imatrix = std::move(*m);
  }

  void wholeFilesIdentical_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QString>("type");
    for (const char* d : {"pure", "imatrix"})
      for (const char* t : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
        QTest::newRow((std::string(d) + "/" + t).c_str()) << d << t;
    for (const char* t : {"Q3_K_M", "Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"}) QTest::newRow((std::string("mix/") + t).c_str()) << "mix" << t;
  }
  void wholeFilesIdentical() {
    QFETCH(QString, dir);
    QFETCH(QString, type);
    ExportOptions opt;
    opt.fileType = *fileTypeFromName(type.toStdString());
    opt.mix.pure = dir != "mix";
    if (dir == "imatrix") {
      opt.imatrix = &m_imatrix;
      opt.imatrixFileName = "imatrix.gguf";  // as the command gave it
    }
    const std::string out = tmp(dir.toStdString() + "-" + type.toStdString() + ".gguf");
    auto plan = exportGguf(shared("source-f32.gguf"), out, opt);
    QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message.c_str());
    const std::string diff = firstDifference(bytesOf(out), bytesOf(shared(dir + "/" + type + ".gguf")));
    QVERIFY2(diff.empty(), diff.c_str());
    if (dir == "imatrix") {
      QCOMPARE(plan->warnings.size(), std::size_t{2});  // output.weight, token_embd.weight: no entry
      int used = 0;
      for (const auto& t : plan->tensors) used += t.importance;
      QCOMPARE(used, 14);
    }
    std::filesystem::remove(out);
  }

  // An F16 source quantizes like its exactly-widened floats; F16 and BF16 outputs round like ggml.
  void halfSourcesAndOutputs() {
    auto src = openGgufFile(shared("source-f32.gguf"));
    QVERIFY(src.ok());
    std::vector<GgufTensorData> tensors;
    std::vector<std::vector<float>> widened;
    for (std::size_t i = 0; i < src->header.tensors.size(); ++i) {
      const auto& t = src->header.tensors[i];
      const auto d = src->tensorData(i);
      std::vector<float> f(d.size() / 4);
      std::memcpy(f.data(), d.data(), d.size());
      GgufTensorData out{{t.name, t.ne, t.ne.size() > 1 ? Type::F16 : Type::F32}, {}};
      if (t.ne.size() > 1) {
        for (float& v : f) {
          const std::uint16_t h = fp32ToFp16(v);
          out.data.push_back(static_cast<std::uint8_t>(h & 0xff));
          out.data.push_back(static_cast<std::uint8_t>(h >> 8));
          v = quench::halfToFloat(h);
        }
      } else {
        out.data.assign(d.begin(), d.end());
      }
      widened.push_back(std::move(f));
      tensors.push_back(std::move(out));
    }
    const std::string f16 = tmp("source-f16.gguf");
    QVERIFY(writeGguf(f16, src->header.kv, tensors).ok());
    ExportOptions opt;
    opt.fileType = FileType::MOSTLY_Q4_K_M;
    opt.mix.pure = true;
    const std::string out = tmp("from-f16.gguf");
    QVERIFY(exportGguf(f16, out, opt).ok());
    auto q = openGgufFile(out);
    QVERIFY(q.ok());
    const auto i = *q->find("blk.0.ffn_down.weight");
    const auto si = *src->find("blk.0.ffn_down.weight");
    std::vector<std::uint8_t> want(q->header.tensors[i].bytes);
    QVERIFY(quantizeRows(Type::Q4_K, widened[si], 256, 768, {}, want).ok());
    const auto got = q->tensorData(i);
    QVERIFY(std::equal(got.begin(), got.end(), want.begin(), want.end()));
    // --type BF16: 2-D weights to bf16, norms F32, general.file_type 32.
    opt.fileType = FileType::MOSTLY_BF16;
    const std::string bf = tmp("bf16.gguf");
    QVERIFY(exportGguf(shared("source-f32.gguf"), bf, opt).ok());
    auto b = openGgufFile(bf);
    QVERIFY(b.ok());
    QCOMPARE(b->header.find("general.file_type")->toUInt(), std::optional<std::uint64_t>(32));
    const auto bi = *b->find("output.weight");
    QCOMPARE(b->header.tensors[bi].type, static_cast<std::uint32_t>(Type::BF16));
    QCOMPARE(b->header.tensors[*b->find("output_norm.weight")].type, 0u);
    const auto bytes = b->tensorData(bi);
    std::vector<float> orig(512 * 256);
    std::memcpy(orig.data(), src->tensorData(*src->find("output.weight")).data(), orig.size() * 4);
    for (std::size_t k = 0; k < orig.size(); k += 97)
      QCOMPARE(int(bytes[2 * k] | (bytes[2 * k + 1] << 8)), int(fp32ToBf16(orig[k])));
  }

  // A block-quantized source is requantized only when allowed (as llama-quantize
  // --allow-requantize), through Quench's decoder.
  void requantize() {
    ExportOptions opt;
    opt.fileType = FileType::MOSTLY_Q4_0;
    opt.mix.pure = true;
    const std::string out = tmp("requant.gguf");
    auto refused = exportGguf(shared("pure/Q8_0.gguf"), out, opt);
    QVERIFY(!refused.ok());
    QVERIFY(refused.error().message.find("requantizing from Q8_0") != std::string::npos);
    QVERIFY(!std::filesystem::exists(out));
    opt.allowRequantize = true;
    QVERIFY(exportGguf(shared("pure/Q8_0.gguf"), out, opt).ok());
    auto f = openGgufFile(out);
    QVERIFY(f.ok());
    QCOMPARE(f->header.tensors[0].type, static_cast<std::uint32_t>(Type::Q4_0));
  }

  void cancelLeavesNothing() {
    ExportOptions opt;
    opt.fileType = FileType::MOSTLY_Q6_K;
    opt.mix.pure = true;
    const std::string out = tmp("cancelled.gguf");
    std::stop_source stop;
    int calls = 0;
    Work work{stop.get_token(), [&](double, double) {
                if (++calls == 3) stop.request_stop();
              }};
    auto r = exportGguf(shared("source-f32.gguf"), out, opt, work);
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("cancelled") != std::string::npos);
    QVERIFY(!std::filesystem::exists(out));
    for (const auto& e : std::filesystem::directory_iterator(m_dir.path().toStdString()))
      QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }

  void refusals() {
    ExportOptions opt;
    opt.fileType = FileType::MOSTLY_Q4_K_M;
    opt.mix.pure = true;
    // The output never replaces its source.
    const std::string copy = tmp("copy.gguf");
    std::filesystem::copy_file(shared("source-f32.gguf"), copy, std::filesystem::copy_options::overwrite_existing);
    QVERIFY(!exportGguf(copy, copy, opt).ok());
    // A type Quench does not write (IQ3_XS's base type IQ3_S).
    opt.fileType = FileType::MOSTLY_IQ3_XS;
    auto r = exportGguf(shared("source-f32.gguf"), tmp("iq3.gguf"), opt);
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("IQ3_S") != std::string::npos);
    // Q2_K_S needs an importance matrix (llama-quantize refuses too).
    opt.fileType = FileType::MOSTLY_Q2_K_S;
    QVERIFY(!exportGguf(shared("source-f32.gguf"), tmp("q2ks.gguf"), opt).ok());
    opt.imatrix = &m_imatrix;
    QVERIFY(exportGguf(shared("source-f32.gguf"), tmp("q2ks.gguf"), opt).ok());
    // An imatrix entry of the wrong width is refused.
    Imatrix wrong = m_imatrix;
    wrong.entries[0].sums.resize(128);
    opt.imatrix = &wrong;
    opt.fileType = FileType::MOSTLY_Q4_0;
    QVERIFY(!exportGguf(shared("source-f32.gguf"), tmp("wrong.gguf"), opt).ok());
  }
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"
