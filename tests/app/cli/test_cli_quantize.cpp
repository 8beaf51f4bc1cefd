// quench-cli quantize driven as a process: the textbook numbers (computed by hand in
// tests/core/quant/test_integer.cpp), the tensor and recipe forms against the library, --out,
// and bad arguments giving one line on stderr and exit code 1.
#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <nlohmann/json.hpp>
#include <cstring>
#include <random>

#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/quant/integer.h"

namespace {
using quench::test::Run;
using quench::test::runCli;

nlohmann::json runJson(const QStringList& args) {
  const Run r = runCli(args);
  if (r.exitCode != 0) qFatal("quench-cli %s failed: %s", qPrintable(args.join(' ')), r.err.constData());
  return nlohmann::json::parse(r.out.toStdString());
}

void expectFailure(const QStringList& args, const char* needle) {
  const Run r = runCli(args);
  QCOMPARE(r.exitCode, 1);
  QVERIFY(r.out.isEmpty());
  QVERIFY2(r.err.trimmed().count('\n') == 0, r.err.constData());
  QVERIFY2(r.err.contains(needle), r.err.constData());
}

std::vector<float> normal(std::size_t n, unsigned seed) {
  std::vector<float> v(n);
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (float& x : v) x = nd(gen);
  return v;
}

const QStringList kTextbook{"quantize", "--values", "1.2,-0.55,0.07,2.31", "--parts", "0,1;2,3",
                            "--scale", "0.01,0.1", "--zero", "0,1", "--clip", "127,7", "--json"};
}  // namespace

class TestCliQuantize : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  QString m_file;

 private slots:
  void initTestCase() {
    m_file = m_dir.filePath("w.safetensors");
    std::vector<float> bad = normal(16, 9);
    bad[5] = NAN;
    QVERIFY(quench::writeSafetensors(m_file.toStdString(),
                                     {quench::OutTensor::fromFloats("w", {32, 256}, normal(32 * 256, 1)),
                                      quench::OutTensor::fromFloats("v", {8, 64}, normal(8 * 64, 2)),
                                      quench::OutTensor::fromFloats("bias", {32}, normal(32, 3)),
                                      quench::OutTensor::fromFloats("bad", {4, 4}, bad)})
                .ok());
  }

  void textbook() {
    // By hand in double (MATH.md §2's textbook form; Python floats are the same doubles):
    // 1.2/0.01 = 120.0 → x~ = 0.01·120 = 1.2, error 0; −0.55/0.01 = −55.0 → −0.55;
    // 0.07/0.1 = 0.7000000000000001 → 1, +1 = 2 → x~ = 0.1·1 = 0.1; 2.31/0.1 = 23.099999999999998
    // → 23 + 1 = 24 > 7: saturated, code 7, x~ = 0.1·6 = 0.6000000000000001.
    const auto j = runJson(kTextbook);
    QCOMPARE(j["codes"], nlohmann::json::parse("[120, -55, 2, 7]"));
    QCOMPARE(j["saturated"], nlohmann::json::parse("[false, false, false, true]"));
    QCOMPARE(j["x_over_s"][0].get<double>(), 120.0);
    QCOMPARE(j["x_over_s"][2].get<double>(), 0.7000000000000001);
    QCOMPARE(j["dequantized"][0].get<double>(), 1.2);
    QCOMPARE(j["error"][0].get<double>(), 0.0);
    QCOMPARE(j["dequantized"][1].get<double>(), -0.55);
    QCOMPARE(j["dequantized"][2].get<double>(), 0.1);
    QCOMPARE(j["dequantized"][3].get<double>(), 0.6000000000000001);
    QCOMPARE(j["parts"].size(), std::size_t{2});
    QCOMPARE(j["parts"][1]["zero_point"].get<int>(), 1);
    QCOMPARE(j["parts"][1]["clip_low"].get<int>(), -7);
    QCOMPARE(j["parts"][1]["clip_high"].get<int>(), 7);
    QCOMPARE(j["parts"][1]["saturated"].get<int>(), 1);
    QCOMPARE(j["parts"][0]["scale"].get<double>(), 0.01);  // as typed, not fp32's 0.0099999998
    QCOMPARE(j["total"]["bits_per_param"].get<double>(), 25.0);
  }

  // The text output prints the board's numbers as shortest round-trip decimals and marks ties.
  void textbookText() {
    const Run r = runCli({"quantize", "--values", "1.2,1.15,1.25", "--parts", "0;1;2", "--scale", "0.01,0.1,0.5"});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split('\n');
    QCOMPARE(lines.at(0), QStringLiteral("1.2 / 0.01 = 120 -> code 120 -> 1.2 (error 0)"));
    QCOMPARE(lines.at(1), QStringLiteral("1.15 / 0.1 = 11.499999999999998 -> code 11 -> 1.1 (error -0.04999999999999982)"));
    QCOMPARE(lines.at(2), QStringLiteral("1.25 / 0.5 = 2.5 -> code 2 -> 1 (error -0.25) (tie)"));
    // 0.25/0.1 is 2.5 only after the double division rounded: marked as such, in JSON too.
    auto j = runJson({"quantize", "--values", "0.25,1.25", "--parts", "0;1", "--scale", "0.1,0.5", "--json"});
    QCOMPARE(j["tie"], nlohmann::json::parse(R"(["division", "exact"])"));
    // --scale-format stores s: fp32's 0.01 is 0.009999999776482582.
    j = runJson({"quantize", "--values", "1.2", "--scale", "0.01", "--scale-format", "fp32", "--json"});
    QCOMPARE(j["parts"][0]["scale"].get<double>(), static_cast<double>(0.01f));
  }

  void textbookRounding() {
    // 0.5/1 and 2.5/1 are ties: even → 0, 2; away → 1, 3.
    auto j = runJson({"quantize", "--values", "0.5,2.5,-2.5", "--scale", "1", "--json"});
    QCOMPARE(j["codes"], nlohmann::json::parse("[0, 2, -2]"));
    j = runJson({"quantize", "--values", "0.5,2.5,-2.5", "--scale", "1", "--round", "away", "--json"});
    QCOMPARE(j["codes"], nlohmann::json::parse("[1, 3, -3]"));
    j = runJson({"quantize", "--values", "3,300", "--scale", "1", "--clip", "0:255", "--json"});
    QCOMPARE(j["codes"], nlohmann::json::parse("[3, 255]"));
  }

  void textbookErrors() {
    const QStringList base{"quantize", "--values", "1.2,-0.55,0.07,2.31", "--scale", "0.01,0.1"};
    expectFailure(base + QStringList{"--parts", "0,1;1,2,3"}, "index 1 is in part 0 and in part 1");
    expectFailure(base + QStringList{"--parts", "0,1;3"}, "index 2 is in no part");
    expectFailure(base + QStringList{"--parts", "0,1;2,7"}, "out of range");
    expectFailure({"quantize", "--values", "1,2", "--parts", "0;1", "--scale", "0,0.1"}, "scale must be a positive number");
    expectFailure({"quantize", "--values", "1,2", "--parts", "0;1", "--scale", "-1,0.1"}, "scale must be a positive number");
    expectFailure({"quantize", "--values", "1,2", "--parts", "0;1", "--scale", "0.1"}, "1 values for 2 parts");
    expectFailure({"quantize", "--values", "1,x", "--scale", "0.1"}, "'x' is not a number");
    expectFailure({"quantize", "--values", "1,nan", "--scale", "0.1"}, "element 1 is NaN");
    expectFailure({"quantize", "--values", "1", "--scale", "0.1", "--round", "sideways"}, "--round: unknown 'sideways'");
    // --bits: a typed clip must be storable in K-bit codes (2^K levels); K must be a supported width.
    expectFailure({"quantize", "--values", "1,2", "--parts", "0;1", "--scale", "0.1,0.1", "--clip", "127,7", "--bits", "4"},
                  "--clip: part 0: [-127, 127] has 255 levels, more than a 4-bit code holds (16)");
    expectFailure({"quantize", "--values", "1,2", "--parts", "0;1", "--scale", "0.1,0.1", "--clip", "7,0:16", "--bits", "4"},
                  "part 1: [0, 16] has 17 levels");
    expectFailure({"quantize", "--values", "1", "--scale", "0.1", "--bits", "9"}, "--bits: 9 is not 2..8 or 16");
    // Options of the other form are refused, not ignored.
    expectFailure({"quantize", "--values", "1", "--scale", "0.1", "--method", "nf4"},
                  "--method applies to the tensor form");
    expectFailure({"quantize", "--values", "1", "--scale", "0.1", "--partition", "row"},
                  "--partition applies to the tensor form");
    expectFailure({"quantize", m_file, "--tensor", "w", "--scale", "0.1"}, "--scale belongs to the textbook form");
    expectFailure({"quantize", m_file, "--tensor", "w", "--clip", "7"}, "--clip belongs to the textbook form");
  }

  // --bits K without --clip: every part gets the K-bit grid, signed or (--asymmetric) unsigned.
  void textbookBits() {
    auto j = runJson({"quantize", "--values", "0.52,2,-0.9", "--scale", "0.1", "--bits", "4", "--json"});
    // ±7: 5.2 → 5, 20 → 7 (saturated), −9 → −7 (saturated).
    QCOMPARE(j["codes"], nlohmann::json::parse("[5, 7, -7]"));
    QCOMPARE(j["saturated"], nlohmann::json::parse("[false, true, true]"));
    QCOMPARE(j["parts"][0]["clip_low"].get<int>(), -7);
    QCOMPARE(j["parts"][0]["clip_high"].get<int>(), 7);
    j = runJson({"quantize", "--values", "0.52,2,-0.9", "--scale", "0.1", "--zero", "9", "--bits", "4", "--asymmetric",
                 "--json"});
    // [0, 15] with b = 9: 5 + 9 = 14, 20 + 9 → 15 (saturated), −9 + 9 = 0.
    QCOMPARE(j["codes"], nlohmann::json::parse("[14, 15, 0]"));
    QCOMPARE(j["saturated"], nlohmann::json::parse("[false, true, false]"));
    QCOMPARE(j["parts"][0]["clip_high"].get<int>(), 15);
    // Q4_0's mirrored grid [−7, 8] has 16 levels: it is a 4-bit clip. 0.8/0.1 → 8, −0.9/0.1 → −9 → −7.
    j = runJson({"quantize", "--values", "0.8,-0.9", "--scale", "0.1", "--clip", "-7:8", "--bits", "4", "--json"});
    QCOMPARE(j["codes"], nlohmann::json::parse("[8, -7]"));
    QCOMPARE(j["saturated"], nlohmann::json::parse("[false, true]"));
  }

  void tensorForm() {
    const auto j = runJson({"quantize", m_file, "--tensor", "w", "--bits", "4", "--partition", "group:64",
                            "--asymmetric", "--json"});
    for (const char* key : {"numel", "mse", "rmse", "max_abs_error", "sqnr_db", "cosine", "saturated",
                            "saturated_fraction", "bits_per_param", "nan", "inf", "parts"})
      QVERIFY2(j.contains(key), key);
    QCOMPARE(j["numel"].get<int>(), 32 * 256);
    QCOMPARE(j["parts"].size(), std::size_t{32 * 4});
    for (const char* key : {"size", "scale", "zero_point", "clip_low", "clip_high", "saturated"})
      QVERIFY2(j["parts"][0].contains(key), key);
    QCOMPARE(j["bits_per_param"].get<double>(), (64 * 4 + 32 + 4) / 64.0);
    // Same figures as the library on the same data.
    const auto w = normal(32 * 256, 1);
    quench::IntegerParams p{4, false, *quench::parseCalibration("minmax")};
    auto r = quench::quantizeInteger(w, *quench::Partition::groups(32, 256, 64), p);
    QCOMPARE(j["mse"].get<double>(), r->total.mse);
    QCOMPARE(j["saturated"].get<std::uint64_t>(), r->total.saturated);
    QCOMPARE(j["parts"][3]["scale"].get<double>(), r->parts[3].params.scale);
    QCOMPARE(j["parts"][3]["zero_point"].get<std::int64_t>(), r->parts[3].params.zeroPoint);
  }

  void otherMethods() {
    auto j = runJson({"quantize", m_file, "--tensor", "w", "--method", "nf4", "--json"});
    QCOMPARE(j["bits_per_param"].get<double>(), 4.5);
    j = runJson({"quantize", m_file, "--tensor", "w", "--method", "nf4", "--double-quant", "--json"});
    QVERIFY(j["bits_per_param"].get<double>() < 4.5);
    j = runJson({"quantize", m_file, "--tensor", "w", "--method", "float", "--format", "e4m3", "--json"});
    QCOMPARE(j["bits_per_param"].get<double>(), 8.0);
    j = runJson({"quantize", m_file, "--tensor", "w", "--method", "prune", "--sparsity", "0.5", "--json"});
    QVERIFY(j["mse"].get<double>() > 0);
    // Outlier-column report: τ = 0.17 picks the columns whose max |w| reaches it.
    j = runJson({"quantize", m_file, "--tensor", "w", "--threshold", "0.17", "--json"});
    QCOMPARE(j["column_max_abs"].size(), std::size_t{256});
    std::size_t count = 0;
    for (const auto& v : j["column_max_abs"]) count += v.get<double>() >= 0.17;
    QCOMPARE(j["outlier_columns"].size(), count);
  }

  void tensorErrors() {
    expectFailure({"quantize", m_file, "--tensor", "nope"}, "no tensor named 'nope'");
    expectFailure({"quantize", m_file, "--tensor", "w", "--method", "int5"}, "unknown method 'int5'");
    expectFailure({"quantize", m_file, "--tensor", "w", "--bits", "9"}, "bits must be 2..8 or 16");
    expectFailure({"quantize", m_file, "--tensor", "w", "--bits", "1"}, "bits must be 2..8 or 16");
    expectFailure({"quantize", m_file, "--tensor", "w", "--partition", "group:0"}, "bad group size");
    expectFailure({"quantize", m_file, "--tensor", "w", "--calib", "percentile:200"}, "bad percentile");
    expectFailure({"quantize", m_file, "--tensor", "w", "--method", "nf4", "--bits", "4"}, "--bits does not apply");
    expectFailure({"quantize", m_file, "--tensor", "bad"}, "element 5 is NaN");
    expectFailure({"quantize", m_dir.filePath("missing.safetensors"), "--tensor", "w"}, "missing.safetensors");
    expectFailure({"quantize", m_file}, "--tensor NAME is required");
  }

  void recipeAndOut() {
    const QString recipe = m_dir.filePath("r.json");
    QFile f(recipe);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"quench_recipe": 1, "rules": [{"tensors": "w", "method": "int", "bits": 4},
               {"tensors": "bias", "method": "int", "bits": 8, "partition": "tensor"}]})");
    f.close();
    const QString out = m_dir.filePath("out.safetensors");
    const auto j = runJson({"quantize", m_file, "--recipe", recipe, "--out", out, "--codes", "--json"});
    // w (rule 0) and bias (1-D, named exactly by rule 1); v matches nothing, bad is not named.
    QCOMPARE(j["tensors"].size(), std::size_t{2});
    QCOMPARE(j["tensors"][0]["tensor"].get<std::string>(), std::string("w"));
    QCOMPARE(j["tensors"][1]["tensor"].get<std::string>(), std::string("bias"));
    const double n0 = 32 * 256, n1 = 32;
    QUENCH_COMPARE_NEAR(j["total"]["bits_per_param"].get<double>(),
                        ((4 + 32.0 / 256) * n0 + (8 + 32.0 / 32) * n1) / (n0 + n1), 1e-15, 0);
    QUENCH_COMPARE_NEAR(j["total"]["mse"].get<double>(),
                        (j["tensors"][0]["mse"].get<double>() * n0 + j["tensors"][1]["mse"].get<double>() * n1) / (n0 + n1),
                        1e-12, 0);
    auto reader = quench::openTensorFile(out.toStdString());
    QVERIFY(reader.ok());
    const auto w = (*reader)->readFloat("w");
    auto r = quench::quantizeInteger(normal(32 * 256, 1), quench::Partition::rows(32, 256), quench::IntegerParams{4});
    QCOMPARE(w->values, r->reconstruction);
    QCOMPARE((*reader)->readFloat("w.codes")->values.at(17), static_cast<float>(r->codes[17]));
    QCOMPARE((*reader)->readFloat("w.scales")->values.size(), std::size_t{32});
    QCOMPARE((*reader)->readFloat("v")->values, normal(8 * 64, 2));  // untouched tensors copied
    bool hasRecipe = false;
    for (const auto& [k, v] : (*reader)->metadata()) hasRecipe = hasRecipe || (k == "quench_recipe" && v.find("\"bits\": 4") != std::string::npos);
    QVERIFY(hasRecipe);
    // A recipe selecting the NaN tensor fails with the tensor's name.
    QFile g(recipe);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int"}]})");
    g.close();
    expectFailure({"quantize", m_file, "--recipe", recipe}, "bad: quantize: element 5 is NaN");
    QFile h(recipe);
    QVERIFY(h.open(QIODevice::WriteOnly));
    h.write(R"({"quench_recipe": 3, "rules": []})");
    h.close();
    expectFailure({"quantize", m_file, "--recipe", recipe}, "unsupported schema version 3");
  }

  // The README's CLI spellings of llama.cpp's Q8_0/Q4_0 and MXFP4: --out holds exactly the
  // reconstruction of tools/golden_ggml_mx.py's blocks (decoded by the GGUF reader).
  void llamaCppAndMxFlags() {
    const QString golden = quench::test::testData("quant/ggml_mx_golden.gguf");
    auto reader = quench::openTensorFile(golden.toStdString());
    QVERIFY(reader.ok());
    const struct {
      QStringList flags;
      const char* want;
    } cases[] = {
        {{"--bits", "8", "--partition", "group:32", "--calib", "absmax", "--round", "away", "--scale-format", "fp16",
          "--arithmetic", "ggml"},
         "x.q8_0"},
        {{"--bits", "4", "--partition", "group:32", "--calib", "signed-max", "--round", "up", "--scale-format", "fp16",
          "--arithmetic", "ggml"},
         "x.q4_0"},
        {{"--method", "float", "--format", "e2m1", "--block", "32"}, "x.mx_e2m1"},
    };
    for (const auto& c : cases) {
      const QString out = m_dir.filePath("ggml.safetensors");
      const auto j = runJson(QStringList{"quantize", golden, "--tensor", "x"} + c.flags + QStringList{"--out", out, "--json"});
      QVERIFY(j.contains("mse"));
      auto written = quench::openTensorFile(out.toStdString());
      QVERIFY(written.ok());
      const auto got = (*written)->readFloat("x")->values;
      const auto want = (*reader)->readFloat(std::string_view(c.want))->values;
      QCOMPARE(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::memcmp(&got[i], &want[i], sizeof(float)) == 0, qPrintable(QString("%1 at %2").arg(c.want).arg(i)));
    }
    expectFailure({"quantize", golden, "--tensor", "x", "--asymmetric", "--arithmetic", "ggml"}, "needs \"symmetric\": true");
    expectFailure({"quantize", golden, "--tensor", "x", "--method", "nf4", "--arithmetic", "ggml"},
                  "--arithmetic does not apply to --method nf4");
  }
};

QTEST_GUILESS_MAIN(TestCliQuantize)
#include "test_cli_quantize.moc"
