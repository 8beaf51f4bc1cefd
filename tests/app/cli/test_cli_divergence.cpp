// quench-cli divergence and lm-divergence, driven as processes: JSON figures against
// tools/golden_divergence.py (NumPy) and bad input giving one line on stderr and exit code 1.
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "common/cli_run.h"
#include "common/fuzzy.h"

namespace {
using quench::test::Run;
using quench::test::runCli;

nlohmann::json runJson(const QStringList& args) {
  const Run r = runCli(args);
  if (r.exitCode != 0) qFatal("quench-cli %s failed: %s", qPrintable(args.join(' ')), r.err.constData());
  return nlohmann::json::parse(r.out.toStdString());
}

// One error line on stderr, nothing on stdout, exit 1; the line contains `needle`.
void expectFailure(const QStringList& args, const char* needle) {
  const Run r = runCli(args);
  QCOMPARE(r.exitCode, 1);
  QVERIFY(r.out.isEmpty());
  QVERIFY2(r.err.trimmed().count('\n') == 0, r.err.constData());
  QVERIFY2(r.err.contains(needle), r.err.constData());
}

const QString kP = quench::test::testData("divergence/p_logits.npy");
const QString kQ = quench::test::testData("divergence/q_logits.npy");
}  // namespace

class TestCliDivergence : public QObject {
  Q_OBJECT
 private slots:
  void pmfs() {
    const auto j = runJson({"divergence", "--p", "0.5,0.3,0.2", "--q", "0.4,0.4,0.2", "--json"});
    QUENCH_COMPARE_NEAR(j["kl"].get<double>(), 0.025267153921570557, 1e-13, 0);
    QUENCH_COMPARE_NEAR(j["kl_reverse"].get<double>(), 0.025815408455028527, 1e-13, 0);
    QUENCH_COMPARE_NEAR(j["js"].get<double>(), 0.006367198333995728, 1e-13, 0);
    QUENCH_COMPARE_NEAR(j["js_sqrt"].get<double>(), 0.07979472622921722, 1e-13, 0);
  }

  void pmfOptions() {
    auto j = runJson({"divergence", "--p", "0.5,0.3,0.2", "--q", "0.4,0.4,0.2", "--bits", "--json"});
    QUENCH_COMPARE_NEAR(j["kl"].get<double>(), 0.036452797660027965, 1e-13, 0);
    QCOMPARE(j["unit"].get<std::string>(), std::string("bits"));
    j = runJson({"divergence", "--p", "0.5,0.3,0.2", "--q", "0.4,0.4,0.2", "--temperature", "2", "--json"});
    QUENCH_COMPARE_NEAR(j["kl"].get<double>(), 0.005969392953298123, 1e-13, 0);
    QUENCH_COMPARE_NEAR(j["js"].get<double>(), 0.001496931561303105, 1e-13, 0);
    // 5,3,2 and 4,4,2 normalized are the pmfs above.
    j = runJson({"divergence", "--p", "5,3,2", "--q", "4,4,2", "--normalize", "--json"});
    QUENCH_COMPARE_NEAR(j["kl"].get<double>(), 0.025267153921570557, 1e-13, 0);
    // P > 0 = Q: KL is reported as infinite, the reverse is ln 2.
    j = runJson({"divergence", "--p", "0.5,0.5,0", "--q", "1,0,0", "--json"});
    QCOMPARE(j["kl"].get<std::string>(), std::string("inf"));
    QUENCH_COMPARE_NEAR(j["kl_reverse"].get<double>(), 0.6931471805599453, 1e-15, 0);
  }

  void logitFiles() {
    // HDF5 dataset for Q, .npy for P: the same matrices as the golden script's.
    const auto j = runJson({"divergence", "--p-logits", kP, "--q-logits",
                            quench::test::testData("divergence/logits.h5") + ":q", "--json"});
    constexpr double kRel = 5e-6;  // float32 elementwise kernel, double sums
    QCOMPARE(j["tokens"].get<int>(), 64);
    QUENCH_COMPARE_NEAR(j["kl_mean"].get<double>(), 0.09211903288468637, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_stderr"].get<double>(), 0.06853063422640655, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_median"].get<double>(), 0.019529487090383046, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_p90"].get<double>(), 0.04820930370253876, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_p95"].get<double>(), 0.05753892922905364, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_p99"].get<double>(), 1.6873429721876103, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_p999"].get<double>(), 4.135203452760997, kRel, 0);
    QUENCH_COMPARE_NEAR(j["kl_min"].get<double>(), 0.0, 0, 1e-12);
    QUENCH_COMPARE_NEAR(j["kl_max"].get<double>(), 4.407187950602461, kRel, 0);
    QUENCH_COMPARE_NEAR(j["js_mean"].get<double>(), 0.013249403598971572, kRel, 0);
    QUENCH_COMPARE_NEAR(j["top1_agreement"].get<double>(), 0.859375, 1e-15, 0);
  }

  void logProbFiles() {
    const auto j = runJson({"divergence", "--p-logits", quench::test::testData("divergence/p_logprobs.npy"),
                            "--q-logits", quench::test::testData("divergence/q_logprobs.npy"), "--logprobs", "--json"});
    QUENCH_COMPARE_NEAR(j["kl_mean"].get<double>(), 0.09211903249339161, 5e-6, 0);
    QUENCH_COMPARE_NEAR(j["js_mean"].get<double>(), 0.013249403710702571, 5e-6, 0);
  }

  void lmDivergence() {
    const auto j = runJson({"lm-divergence", quench::test::testData("divergence/lm_p.json"),
                            quench::test::testData("divergence/lm_q.json"), "--length", "4", "--samples", "20000",
                            "--seed", "7", "--json"});
    QUENCH_COMPARE_NEAR(j["kl_joint"].get<double>(), 0.2329573667101371, 1e-13, 0);
    QUENCH_COMPARE_NEAR(j["js_joint"].get<double>(), 0.05476975143812524, 1e-13, 0);
    const double klc[] = {0.025267153921570557, 0.036273704283119636, 0.08403327622081003, 0.08738323228463689};
    const double jsc[] = {0.006367198333995728, 0.009283524373705691, 0.018400388552428114, 0.020718640177995722};
    QCOMPARE(j["kl_chain"].size(), std::size_t{4});
    for (int i = 0; i < 4; ++i) {
      QUENCH_COMPARE_NEAR(j["kl_chain"][i].get<double>(), klc[i], 1e-13, 0);
      QUENCH_COMPARE_NEAR(j["js_chain"][i].get<double>(), jsc[i], 1e-13, 0);
    }
    const double z = (j["kl_sampled"].get<double>() - 0.2329573667101371 / 4) / j["kl_sampled_stderr"].get<double>();
    QVERIFY2(std::fabs(z) < 4, qPrintable(QString::number(z)));
  }

  void errors() {
    expectFailure({"divergence", "--p", "0.5,0.3,0.1", "--q", "0.4,0.4,0.2"}, "--p: probabilities sum to");
    expectFailure({"divergence", "--p", "0.5,0.5", "--q", "0.4,0.4,0.2"}, "entries");
    expectFailure({"divergence", "--p", "0.5,x", "--q", "0.5,0.5"}, "not a number");
    expectFailure({"divergence", "--p", "1.5,-0.5", "--q", "0.5,0.5", "--normalize"}, ">= 0");
    expectFailure({"divergence", "--p", "0.5,0.5", "--q", "0.5,0.5", "--temperature", "0"}, "temperature");
    expectFailure({"divergence", "--p", "0.5,0.5"}, "--q");
    expectFailure({"divergence", "--p-logits", kP, "--q-logits", quench::test::testData("divergence/q_logits_short.npy")},
                  "shapes must match");
    expectFailure({"divergence", "--p-logits", kP, "--q-logits", "/nonexistent/q.npy"}, "--q-logits");
    expectFailure({"divergence", "--p-logits", kP, "--q-logits", quench::test::testData("divergence/logits.h5")},
                  "2 tensors");
    expectFailure({"divergence", "--p-logits", kP, "--q-logits", quench::test::testData("divergence/logits.h5") + ":nope"},
                  "nope");
    expectFailure({"lm-divergence", quench::test::testData("divergence/lm_p.json"),
                   quench::test::testData("divergence/lm_q.json"), "--length", "20"},
                  "2^24");
    expectFailure({"lm-divergence", kP, quench::test::testData("divergence/lm_q.json"), "--length", "2"}, "JSON");
  }
};

QTEST_GUILESS_MAIN(TestCliDivergence)
#include "test_cli_divergence.moc"
