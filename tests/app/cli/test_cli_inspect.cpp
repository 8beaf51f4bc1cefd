// quench-cli inspect, driven as a process: the JSON catalog of the published stories260K GGUF,
// llama-quantize's Q4_K_M files (types and bits per weight as llama.cpp's log states them), a
// vocabulary-only GGUF (metadata only, arrays summarized), --stats figures against NumPy, and bad
// input (missing, truncated) giving one line on stderr and a non-zero exit.
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "common/cli_run.h"
#include "common/fuzzy.h"

namespace {
using quench::test::Run;
using quench::test::runCli;

const nlohmann::json* findTensor(const nlohmann::json& j, const std::string& name) {
  for (const auto& t : j["tensors"])
    if (t["name"] == name) return &t;
  return nullptr;
}

const QString kGguf = quench::test::sharedData("models/stories260K-gguf/stories260K.gguf");
const QString kBin = quench::test::sharedData("models/stories260K/stories260K.bin");
const QString kMixQ4KM = quench::test::sharedData("gguf/llama-quantize/mix/Q4_K_M.gguf");
const QString kVocabGpt2 = quench::test::sharedData("tokenizers/ggml-vocab-gpt-2.gguf");
}  // namespace

class TestCliInspect : public QObject {
  Q_OBJECT
 private slots:
  void ggufCatalogJson();
  void quantizedTypesAndBitsPerWeight();
  void vocabularyOnlyGguf();
  void textListsTypesAndMetadata();
  void statsMatchNumpy();
  void llama2cStatsEqualGguf();
  void missingFile();
  void truncatedFiles();
};

void TestCliInspect::ggufCatalogJson() {
  const Run r = runCli({"inspect", kGguf, "--json"});
  QCOMPARE(r.exitCode, 0);
  QVERIFY(r.err.isEmpty());
  const auto j = nlohmann::json::parse(r.out.toStdString());
  QCOMPARE(j["file"].get<std::string>(), kGguf.toStdString());
  QCOMPARE(j["format"].get<std::string>(), std::string("gguf"));
  QCOMPARE(j["tensors"].size(), std::size_t{48});
  const auto* down = findTensor(j, "blk.0.ffn_down.weight");
  QVERIFY(down);
  QCOMPARE((*down)["dtype"].get<std::string>(), std::string("F32"));
  QCOMPARE((*down)["shape"].get<std::vector<std::int64_t>>(), (std::vector<std::int64_t>{64, 172}));
  QCOMPARE((*down)["bytes"].get<std::uint64_t>(), std::uint64_t{64 * 172 * 4});
  QCOMPARE((*down)["bits_per_weight"].get<double>(), 32.0);
  QVERIFY(!down->contains("min"));  // stats only with --stats
  // Every GGUF key, typed; arrays summarized (512 tokens: the first 8).
  const auto& meta = j["metadata"];
  QCOMPARE(meta["general.architecture"].get<std::string>(), std::string("llama"));
  QCOMPARE(meta["llama.embedding_length"].get<int>(), 64);
  QCOMPARE(meta["tokenizer.ggml.tokens"]["length"].get<int>(), 512);
  QCOMPARE(meta["tokenizer.ggml.tokens"]["first"].size(), std::size_t{8});
  QCOMPARE(meta["tokenizer.ggml.tokens"]["first"][1].get<std::string>(), std::string("<s>"));
}

void TestCliInspect::quantizedTypesAndBitsPerWeight() {
  // llama-quantize's own Q4_K_M mix of a small Llama; its log: output.weight and blk.1.attn_v,
  // blk.1.ffn_down "converting to q6_K", the other matrices q4_K, the norms kept f32.
  const Run r = runCli({"inspect", kMixQ4KM, "--json"});
  QCOMPARE(r.exitCode, 0);
  const auto j = nlohmann::json::parse(r.out.toStdString());
  QCOMPARE(j["tensors"].size(), std::size_t{21});
  struct Want { const char* name; const char* dtype; double bpw; std::uint64_t bytes; };
  for (const Want& w : {Want{"output.weight", "Q6_K", 6.5625, 512 * 256 / 256 * 210},
                        Want{"token_embd.weight", "Q4_K", 4.5, 512 * 256 / 256 * 144},
                        Want{"blk.1.ffn_down.weight", "Q6_K", 6.5625, 256 * 768 / 256 * 210},
                        Want{"blk.0.ffn_down.weight", "Q4_K", 4.5, 256 * 768 / 256 * 144},
                        Want{"output_norm.weight", "F32", 32.0, 256 * 4}}) {
    const auto* t = findTensor(j, w.name);
    QVERIFY2(t, w.name);
    QCOMPARE((*t)["dtype"].get<std::string>(), std::string(w.dtype));
    QCOMPARE((*t)["bits_per_weight"].get<double>(), w.bpw);
    QCOMPARE((*t)["bytes"].get<std::uint64_t>(), w.bytes);
  }
  QVERIFY((*findTensor(j, "token_embd.weight"))["layout"].get<std::string>().rfind("Q4_K: super-blocks of 256", 0) == 0);
  QCOMPARE(j["metadata"]["general.file_type"].get<int>(), 15);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
}

void TestCliInspect::vocabularyOnlyGguf() {
  // llama.cpp's GPT-2 vocabulary file: no tensors, 16 keys (gguf-py lists the same).
  const Run r = runCli({"inspect", kVocabGpt2, "--json"});
  QCOMPARE(r.exitCode, 0);
  QVERIFY(r.err.isEmpty());
  const auto j = nlohmann::json::parse(r.out.toStdString());
  QCOMPARE(j["tensors"].size(), std::size_t{0});
  const auto& meta = j["metadata"];
  QCOMPARE(meta.size(), std::size_t{16});
  QCOMPARE(meta["tokenizer.ggml.model"].get<std::string>(), std::string("gpt2"));
  QCOMPARE(meta["tokenizer.ggml.pre"].get<std::string>(), std::string("gpt-2"));
  QCOMPARE(meta["tokenizer.ggml.bos_token_id"].get<int>(), 50256);
  QCOMPARE(meta["tokenizer.ggml.tokens"]["length"].get<int>(), 50257);
  QCOMPARE(meta["tokenizer.ggml.tokens"]["first"][0].get<std::string>(), std::string("!"));
  QCOMPARE(meta["tokenizer.ggml.merges"]["length"].get<int>(), 50000);
  QCOMPARE(meta["tokenizer.ggml.merges"]["first"][0].get<std::string>(), std::string("\xC4\xA0 t"));  // "Ġ t"
  QCOMPARE(meta["tokenizer.ggml.token_type"]["element_type"].get<std::string>(), std::string("int32"));
  QVERIFY(r.out.size() < 20000);  // summarized: not 100k strings
}

void TestCliInspect::textListsTypesAndMetadata() {
  const Run r = runCli({"inspect", kMixQ4KM});
  QCOMPARE(r.exitCode, 0);
  const QString out = QString::fromUtf8(r.out);
  // 1 130 240 bytes for 1 836 288 weights (gguf-py's GGUFReader): 4.924 bits per weight;
  // llama-quantize printed "quant size = 1.08 MiB (4.92 BPW)" for this file.
  QVERIFY2(out.startsWith(kMixQ4KM + " (gguf, 21 tensors, 4.924 bits per weight)\n"), qPrintable(out.left(200)));
  QVERIFY(QRegularExpression(QStringLiteral("\n  output\\.weight +Q6_K +6\\.5625 +512×256 +107520 B\n")).match(out).hasMatch());
  QVERIFY(QRegularExpression(QStringLiteral("\n  token_embd\\.weight +Q4_K +4\\.5 +512×256 +73728 B\n")).match(out).hasMatch());
  QVERIFY(out.contains("\nmetadata (20 keys)\n"));  // the source's 19 and general.quantization_version
  QVERIFY(QRegularExpression(QStringLiteral("\n  tokenizer\\.ggml\\.tokens +string\\[512\\] +\\[\"<unk>\", \"<s>\", ")).match(out).hasMatch());
  QVERIFY(QRegularExpression(QStringLiteral("\n  llama\\.block_count +uint32 +2\n")).match(out).hasMatch());
}

void TestCliInspect::statsMatchNumpy() {
  // NumPy on the same file (float64 over the float32 values, population std):
  //   a = np.frombuffer(b, '<f4', count=172*64, offset=14176 + 719360).astype(np.float64)
  // (data section at 14176, blk.2.ffn_down.weight at 719360 in it, both from a struct.unpack
  // parse of the header) gives the figures below.
  const Run r = runCli({"inspect", kGguf, "--stats", "--json"});
  QCOMPARE(r.exitCode, 0);
  const auto j = nlohmann::json::parse(r.out.toStdString());
  const auto* t = findTensor(j, "blk.2.ffn_down.weight");
  QVERIFY(t);
  QCOMPARE((*t)["min"].get<double>(), -0.6306376457214355);
  QCOMPARE((*t)["max"].get<double>(), 0.6620076894760132);
  QCOMPARE((*t)["absmax"].get<double>(), 0.6620076894760132);
  QUENCH_COMPARE_NEAR((*t)["mean"].get<double>(), -0.0003653250906864638, 1e-11, 0);
  QUENCH_COMPARE_NEAR((*t)["std"].get<double>(), 0.12512518338067413, 1e-12, 0);
  QCOMPARE((*t)["nan"].get<std::uint64_t>(), std::uint64_t{0});
  QCOMPARE((*t)["inf"].get<std::uint64_t>(), std::uint64_t{0});
}

void TestCliInspect::llama2cStatsEqualGguf() {
  // Same weights, bit for bit: the same figures under the same names.
  const Run g = runCli({"inspect", kGguf, "--stats", "--json"});
  const Run b = runCli({"inspect", kBin, "--stats", "--json"});
  QCOMPARE(g.exitCode, 0);
  QCOMPARE(b.exitCode, 0);
  auto jg = nlohmann::json::parse(g.out.toStdString());
  auto jb = nlohmann::json::parse(b.out.toStdString());
  QCOMPARE(jb["format"].get<std::string>(), std::string("llama2c"));
  QCOMPARE(jb["tensors"].size(), std::size_t{48});
  QVERIFY(jb["tensors"] == jg["tensors"]);
}

void TestCliInspect::missingFile() {
  const Run r = runCli({"inspect", "/nonexistent/model.gguf"});
  QVERIFY(r.exitCode != 0);
  QVERIFY(r.out.isEmpty());
  QCOMPARE(r.err.count('\n'), 1);
  QVERIFY2(r.err.contains("/nonexistent/model.gguf"), r.err.constData());
}

void TestCliInspect::truncatedFiles() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  for (const QString& src : {kGguf, kBin}) {
    QFile in(src);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray all = in.readAll();
    // Cut inside the header and inside the tensor data.
    for (qsizetype cut : {qsizetype{20}, all.size() / 2, all.size() - 1}) {
      const QString path = dir.filePath(QStringLiteral("cut_%1_%2").arg(cut).arg(QFileInfo(src).fileName()));
      QFile out(path);
      QVERIFY(out.open(QIODevice::WriteOnly));
      out.write(all.left(cut));
      out.close();
      for (const QStringList& args : {QStringList{"inspect", path}, QStringList{"inspect", path, "--stats", "--json"}}) {
        const Run r = runCli(args);
        QVERIFY2(r.exitCode != 0, qPrintable(path));
        QVERIFY(r.out.isEmpty());
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.startsWith("quench-cli: " + path.toUtf8() + ": "), r.err.constData());
      }
    }
  }
}

QTEST_GUILESS_MAIN(TestCliInspect)
#include "test_cli_inspect.moc"
