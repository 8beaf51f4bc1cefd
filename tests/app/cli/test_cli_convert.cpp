// quench-cli convert, driven as a process (issue 11): the sharded fixture (tools/make_hf_fixtures.py)
// to each format with --tensors and --dtype, progress on stderr, --json on stdout; a GGUF's Q8_0
// tensor dequantized to f32 equal to llama.cpp's (gguf-py's, in ../shared/data/gguf); bad input and
// bad options as one line on stderr and exit code 1, OUT untouched. Value-for-value checks with
// NumPy and h5py are in tools/check_convert.py (CTest app_cli_convert_numpy).
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/io/reader.h"

using quench::dtypeSize;

namespace {
using quench::test::Run;
using quench::test::runCli;

const QString kFixture = quench::test::testData("io/hf_sharded");
const QString kAllTypes = quench::test::sharedData("gguf/all-types.gguf");
const QString kAllTypesExpected = quench::test::sharedData("gguf/all-types-expected.npz");
const QString kPureQ4 = quench::test::sharedData("gguf/llama-quantize/pure/Q4_0.gguf");

QByteArray readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
}  // namespace

class TestCliConvert : public QObject {
  Q_OBJECT
 private slots:
  void folderToNpzWithProgressAndJson() {
    QTemporaryDir tmp;
    const QString out = tmp.filePath("sel.npz");
    const Run r = runCli({"convert", kFixture, out, "--tensors", "model.layers.0.*", "--tensors", "lm_head.*", "--json"});
    QCOMPARE(r.exitCode, 0);
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["format"].get<std::string>(), std::string(".npz"));
    // Source order (shard by shard), only the selected tensors; bf16/fp8 widened to f32 by auto.
    std::vector<std::string> names, to;
    for (const auto& t : j["tensors"]) {
      names.push_back(t["name"]);
      to.push_back(t["to"]);
    }
    const std::vector<std::string> expected = {
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.input_layernorm.weight",
        "model.layers.0.mlp.up_proj.weight",      "model.layers.0.mlp.gate_proj.weight",
        "model.layers.0.mlp.down_proj.weight",    "lm_head.weight"};
    QCOMPARE(names, expected);
    QCOMPARE(to, (std::vector<std::string>{"F16", "F32", "F32", "F32", "F64", "F32"}));
    // Not a terminal: one progress line per tensor on stderr.
    QCOMPARE(r.err.count("convert: ["), qsizetype{6});
    QVERIFY2(r.err.contains("convert: [6/6] 100% lm_head.weight  BF16 -> F32  16×8"), r.err.constData());
    auto back = quench::openTensorFile(out.toStdString());
    QVERIFY(back.ok());
    QCOMPARE((*back)->tensors().size(), std::size_t{6});
  }

  void textSummaryAndQuiet() {
    QTemporaryDir tmp;
    const QString out = tmp.filePath("all.h5");
    const Run r = runCli({"convert", kFixture, out, "--dtype", "f32", "--quiet"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.err.isEmpty());
    QVERIFY2(r.out.startsWith("wrote " + out.toUtf8() + " (HDF5): 9 tensors, "), r.out.constData());
    QVERIFY2(r.out.contains("6 converted to another dtype"), r.out.constData());
  }

  void ggufQ8ToF32IsLlamaCpps() {
    if (!quench::openTensorFile(kAllTypes.toStdString()).ok())
      QSKIP("the GGUF reader does not open all-types.gguf yet (every ggml type: issue 11, GGUF part)");
    QTemporaryDir tmp;
    const QString out = tmp.filePath("q8.safetensors");
    const Run r = runCli({"convert", kAllTypes, out, "--tensors", "*.q8_0", "--dtype", "f32", "--quiet"});
    QCOMPARE(r.exitCode, 0);
    auto got = quench::openTensorFile(out.toStdString());
    auto want = quench::openTensorFile(kAllTypesExpected.toStdString());
    QVERIFY(got.ok() && want.ok());
    QCOMPARE((*got)->tensors().size(), std::size_t{2});
    for (const char* name : {"random.q8_0", "gauss.q8_0"}) {
      auto a = (*got)->readFloat(std::string_view(name));
      auto b = (*want)->readFloat(std::string_view(name));
      QVERIFY(a.ok() && b.ok());
      QCOMPARE(a->values, b->values);
    }
  }

  // A whole Q4_0 model (llama-quantize's) to .npz: the blocks dequantized to f32 as the GGUF reader
  // does (tested against llama.cpp in core_io_test_gguf), the F32 norms kept.
  void ggufModelToNpz() {
    QTemporaryDir tmp;
    const QString out = tmp.filePath("q4.npz");
    const Run r = runCli({"convert", kPureQ4, out, "--json"});
    QCOMPARE(r.exitCode, 0);
    auto src = quench::openTensorFile(kPureQ4.toStdString());
    auto got = quench::openTensorFile(out.toStdString());
    QVERIFY(src.ok() && got.ok());
    QCOMPARE((*got)->tensors().size(), (*src)->tensors().size());
    std::size_t blocks = 0;
    for (std::size_t i = 0; i < (*src)->tensors().size(); ++i) {
      const auto& t = (*src)->tensors()[i];
      const auto j = (*got)->find(t.name);
      QVERIFY(j.has_value());
      QCOMPARE((*got)->tensors()[*j].dtype, dtypeSize(t.dtype) ? t.dtype : quench::DType::F32);
      blocks += dtypeSize(t.dtype) == 0;
      auto a = (*src)->readFloat(i);
      auto b = (*got)->readFloat(*j);
      QVERIFY(a.ok() && b.ok());
      QCOMPARE(b->shape, a->shape);
      QVERIFY(b->values == a->values);
    }
    QVERIFY(blocks > 0);
  }

  void errorsAreOneLineAndLeaveOutAlone() {
    QTemporaryDir tmp;
    const QString out = tmp.filePath("keep.npz");
    QFile f(out);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("previous content");
    f.close();
    const struct {
      QStringList args;
      const char* says;
    } cases[] = {
        {{"convert", kFixture, out, "--dtype", "keep"}, "dtype BF16 cannot be stored in .npz"},
        {{"convert", kFixture, out, "--dtype", "f8"}, "--dtype: 'f8' is not one of auto, keep, f32, f16, bf16"},
        {{"convert", kFixture, out, "--tensors", "nothing*"}, "no tensor matches --tensors nothing*"},
        {{"convert", "/nonexistent/in.safetensors", out}, "/nonexistent/in.safetensors: cannot open"},
        {{"convert", kFixture, tmp.filePath("x.csv")}, "unknown output extension '.csv'"},
    };
    for (const auto& c : cases) {
      const Run r = runCli(c.args);
      QCOMPARE(r.exitCode, 1);
      QVERIFY(r.out.isEmpty());
      QCOMPARE(r.err.count('\n'), qsizetype{1});
      QVERIFY2(r.err.contains(c.says), r.err.constData());
      QCOMPARE(readAll(out), QByteArray("previous content"));
    }
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Files | QDir::NoDotAndDotDot).size(), qsizetype{1});
  }
};

QTEST_GUILESS_MAIN(TestCliConvert)
#include "test_cli_convert.moc"
