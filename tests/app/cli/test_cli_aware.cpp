// quench-cli quantize --aware (issue 15's CLI contract) driven as a process on the golden data of
// tools/reference_aware.py (tests/data/quant/aware_golden.{npz,json}): the JSON keys
// layer_output_error, layer_output_error_rtn and alpha against the NumPy float64 reference, --out
// writing Ŵ under the tensor's name, --imatrix for wmse, the keys in a recipe rule, and the errors
// of missing or mismatched activations.
#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "common/cli_run.h"
#include "core/io/imatrix.h"
#include "core/io/reader.h"

namespace {
using quench::test::Run;
using quench::test::runCli;
using Json = nlohmann::json;

const QString kNpz = QStringLiteral(QUENCH_TEST_DATA "/quant/aware_golden.npz");

const Json& cases() {
  static const Json j = [] {
    std::ifstream in(QUENCH_TEST_DATA "/quant/aware_golden.json");
    return Json::parse(in);
  }();
  return j;
}

Json runJson(const QStringList& args) {
  const Run r = runCli(args);
  if (r.exitCode != 0) qFatal("quench-cli %s failed: %s", qPrintable(args.join(' ')), r.err.constData());
  return Json::parse(r.out.toStdString());
}

void expectFailure(const QStringList& args, const char* needle) {
  const Run r = runCli(args);
  QCOMPARE(r.exitCode, 1);
  QVERIFY(r.out.isEmpty());
  QVERIFY2(r.err.trimmed().count('\n') == 0, r.err.constData());
  QVERIFY2(r.err.contains(needle), r.err.constData());
}

std::vector<float> readTensor(const QString& file, const std::string& name) {
  auto r = quench::openTensorFile(file.toStdString());
  if (!r) qFatal("%s", r.error().message.c_str());
  auto t = (*r)->readFloat(name);
  if (!t) qFatal("%s", t.error().message.c_str());
  return t->values;
}

bool near(double a, double b, double rel) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)); }

// The CLI flags of a golden case's settings.
QStringList flags(const Json& s) {
  QStringList f;
  for (const auto& [key, v] : s.items()) {
    const QString flag = "--" + QString::fromStdString(key).replace('_', '-');
    if (key == "symmetric") {
      if (!v.get<bool>()) f << "--asymmetric";
    } else if (key == "act_order") {
      if (v.get<bool>()) f << flag;
    } else if (v.is_string()) {
      f << flag << QString::fromStdString(v.get<std::string>());
    } else {
      f << flag << QString::fromStdString(v.dump());
    }
  }
  return f;
}

// Reconstructions equal to the reference's up to the last bits of a scale.
void compareRecon(const std::vector<float>& got, const std::vector<float>& want) {
  QCOMPARE(got.size(), want.size());
  double maxDiff = 0, maxAbs = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    maxDiff = std::max(maxDiff, std::abs(double(got[i]) - want[i]));
    maxAbs = std::max(maxAbs, std::abs(double(want[i])));
  }
  QVERIFY2(maxDiff <= 1e-6 * maxAbs, qPrintable(QString::number(maxDiff)));
}
}  // namespace

class TestCliAware : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void contract_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"gptq_row_sym4", "gptq_actorder_group64_sym4", "awq_group64_sym4", "smoothquant_row8",
                          "rotate_row_sym4_seed7", "hqq_group64_4", "wmse_row_sym4", "gptq_w2_row_sym3_damp01"})
      QTest::newRow(n) << n;
  }
  void contract() {
    QFETCH(QString, name);
    const Json& c = cases()[name.toStdString()];
    const QString tensor = QString::fromStdString(c["tensor"].get<std::string>());
    const QString out = m_dir.filePath(name + ".safetensors");
    QStringList args{"quantize", kNpz, "--tensor", tensor};
    args << flags(c["settings"]);
    if (!c["activations"].is_null()) args << "--activations" << kNpz + ":" + QString::fromStdString(c["activations"].get<std::string>());
    args << "--json" << "--out" << out;
    const Json j = runJson(args);
    QCOMPARE(j["aware"].get<std::string>(), c["settings"]["aware"].get<std::string>());
    if (c.contains("layer_output_error")) {
      QVERIFY(near(j["layer_output_error"].get<double>(), c["layer_output_error"].get<double>(), 1e-9));
      QVERIFY(near(j["layer_output_error_rtn"].get<double>(), c["layer_output_error_rtn"].get<double>(), 1e-9));
    } else {
      QVERIFY(j["layer_output_error"].is_null());
      QVERIFY(j["layer_output_error_rtn"].is_null());
    }
    if (c.contains("alpha")) QCOMPARE(j["alpha"].get<double>(), c["alpha"].get<double>());
    else QVERIFY(j["alpha"].is_null());
    if (c.contains("zero_points"))
      for (std::size_t p = 0; p < c["zero_points"].size(); ++p)
        QCOMPARE(j["parts"][p]["zero_point"].get<double>(), c["zero_points"][p].get<double>());
    QVERIFY(near(j["mse"].get<double>(), c["mse"].get<double>(), 1e-6));
    // --out: Ŵ as float32 under the tensor's name.
    compareRecon(readTensor(out, tensor.toStdString()), readTensor(kNpz, name.toStdString() + ".recon"));
  }

  // wmse from llama.cpp's importance matrix: an imatrix whose entry "W" has Σx² = v over 1 token
  // gives the importance v of the golden case wmse_v_group64_asym3.
  void imatrix() {
    quench::Imatrix m;
    quench::ImatrixEntry e;
    e.name = "W";
    e.sums = readTensor(kNpz, "v");
    e.counts = {1};
    m.entries.push_back(e);
    m.datasets = {"test"};
    m.chunkCount = 1;
    m.chunkSize = 1;
    const QString path = m_dir.filePath("w.imatrix.gguf");
    QVERIFY(quench::writeImatrix(path.toStdString(), m).ok());
    const QString out = m_dir.filePath("wmse_v.safetensors");
    const Json j = runJson({"quantize", kNpz, "--tensor", "W", "--bits", "3", "--asymmetric", "--partition", "group:64",
                            "--aware", "wmse", "--imatrix", path, "--json", "--out", out});
    QCOMPARE(j["aware"].get<std::string>(), std::string("wmse"));
    QVERIFY(j["layer_output_error"].is_null());
    compareRecon(readTensor(out, "W"), readTensor(kNpz, "wmse_v_group64_asym3.recon"));
    expectFailure({"quantize", kNpz, "--tensor", "W2", "--aware", "wmse", "--imatrix", path}, "has no entry for 'W2'");
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "gptq", "--imatrix", path, "--activations", kNpz + ":X"},
                  "--imatrix applies to --aware wmse");
  }

  // The same keys in a recipe rule; data-free steps run in a recipe, the others say what they need.
  void recipe() {
    const QString path = m_dir.filePath("hqq.json");
    {
      std::ofstream f(path.toStdString());
      f << R"({"quench_recipe": 1, "rules": [{"tensors": "W", "method": "int", "bits": 4, "partition": "group:64", "aware": "hqq"}]})";
    }
    const QString out = m_dir.filePath("hqq.safetensors");
    const Json j = runJson({"quantize", kNpz, "--recipe", path, "--json", "--out", out});
    QCOMPARE(j["tensors"].size(), std::size_t{1});
    QCOMPARE(j["tensors"][0]["aware"].get<std::string>(), std::string("hqq"));
    QCOMPARE(j["tensors"][0]["method"]["aware"].get<std::string>(), std::string("hqq"));
    compareRecon(readTensor(out, "W"), readTensor(kNpz, "hqq_group64_4.recon"));
    const QString gptq = m_dir.filePath("gptq.json");
    {
      std::ofstream f(gptq.toStdString());
      f << R"({"quench_recipe": 1, "rules": [{"tensors": "W", "method": "int", "bits": 4, "aware": "gptq", "damp": 0.05}]})";
    }
    expectFailure({"quantize", kNpz, "--recipe", gptq}, "gptq: needs the activations X");
  }

  void errors() {
    for (const char* step : {"gptq", "awq", "smoothquant"})
      expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", step},
                    qPrintable(QString("--aware %1 needs --activations FILE:NAME").arg(step)));
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "wmse"}, "needs --activations FILE:NAME (the layer's inputs X, tokens × in features) or --imatrix FILE");
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "gptq", "--activations", kNpz + ":X2"},
                  "the activations have 96 features, the weight has 256 input columns");
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "sparsegpt", "--activations", kNpz + ":X"},
                  "--aware");
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "awq", "--alpha", "1.5", "--activations", kNpz + ":X"},
                  "--alpha: alpha must be in [0, 1]");
    expectFailure({"quantize", kNpz, "--tensor", "W", "--aware", "gptq", "--damp", "-1", "--activations", kNpz + ":X"},
                  "--damp");
  }
};

QTEST_GUILESS_MAIN(TestCliAware)
#include "test_cli_aware.moc"
