// quench-cli inspect, driven as a process: the JSON catalog of the published stories260K GGUF,
// --stats figures against NumPy, and bad input (missing, truncated) giving one line on stderr and
// a non-zero exit.
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
}  // namespace

class TestCliInspect : public QObject {
  Q_OBJECT
 private slots:
  void ggufCatalogJson();
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
  QVERIFY(!down->contains("min"));  // stats only with --stats
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
