// quench-cli train distill|qat, driven as a process: the JSON curves and their reproducibility for
// a seed; the saved students and the QAT reconstruction open in Quench's inference runtime
// (`quench-cli logits`) with the training engine's logits, and their held-out KL is the one the
// curve reported; the PTQ baseline equals `quench-cli eval` of the same recipe on the same tokens;
// bad input is one clear error.
#include <QtTest/QtTest>

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/train/job.h"

using namespace quench;
using namespace quench::train;
namespace fs = std::filesystem;

namespace {
using quench::test::Run;
using quench::test::runCli;

const QString kDemo = QStringLiteral(QUENCH_SOURCE_DIR "/resources/demo-lm");

// The first ~60 KB of Pride and Prejudice, cut at a paragraph break.
QString smallText(const QTemporaryDir& dir) {
  std::ifstream in(fs::path(QUENCH_SHARED_DATA) / "corpus" / "prideprejudice.txt", std::ios::binary);
  std::string s(60000, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(s.rfind("\n\n") + 2);
  const QString p = dir.filePath("text.txt");
  std::ofstream(p.toStdString(), std::ios::binary) << s;
  return p;
}

// The held-out windows the CLI evaluated on (same options → same windows), as a tokens file.
std::vector<std::vector<int>> heldout(const QString& text, int context, std::size_t maxTokens) {
  auto m = loadModel(kDemo.toStdString());
  if (!m) qFatal("%s", m.error().message.c_str());
  CorpusOptions c;
  c.train = {text.toStdString()};
  c.context = context;
  c.maxHeldoutTokens = maxTokens;
  auto d = corpusData(*m->files.tokenizer, c);
  if (!d) qFatal("%s", d.error().message.c_str());
  return d->heldout;
}

QString tokensFile(const QTemporaryDir& dir, const std::vector<std::vector<int>>& windows) {
  const QString p = dir.filePath("heldout_tokens.txt");
  std::ofstream f(p.toStdString());
  for (const auto& w : windows) {
    for (int id : w) f << id << ' ';
    f << '\n';
  }
  return p;
}

// The figures of a curve without its timings.
nlohmann::json figures(const nlohmann::json& run) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : run["curve"])
    out.push_back({p["step"], p["tokens"], p["train_loss"], p["kl"], p["ppl"], p["top1"]});
  return out;
}

// Held-out KL of the model in `dir` (opened by the training engine) against the teacher.
double engineKl(const QString& dir, const std::vector<std::vector<int>>& windows) {
  auto t = loadModel(kDemo.toStdString());
  auto s = loadModel(dir.toStdString());
  if (!t || !s) qFatal("cannot open the models");
  Network<float> tn(t->layout), sn(s->layout);
  return evaluateHeldout(sn, s->params, windows, windowLogits(tn, t->params, windows)).kl;
}

// `quench-cli logits` (the inference runtime) on the saved folder against the training engine.
void runtimeLogitsMatchEngine(const QTemporaryDir& tmp, const QString& dir, const std::vector<std::vector<int>>& windows) {
  const QString tokens = tokensFile(tmp, {windows.front()}), out = tmp.filePath("logits.safetensors");
  const Run r = runCli({"logits", dir, "--tokens", tokens, "--out", out});
  QVERIFY2(r.exitCode == 0, r.err.constData());
  auto reader = openTensorFile(out.toStdString());
  QVERIFY(reader.ok());
  auto logits = (*reader)->readFloat(std::string_view("logits"));
  QVERIFY(logits.ok());
  auto s = loadModel(dir.toStdString());
  QVERIFY(s.ok());
  Network<float> net(s->layout);
  SequenceCache<float> cache;
  net.forward(s->params.data(), windows.front(), cache);
  QCOMPARE(static_cast<Eigen::Index>(logits->shape[0]), cache.logits.rows());
  QCOMPARE(static_cast<Eigen::Index>(logits->shape[1]), cache.logits.cols());
  float worst = 0;
  for (Eigen::Index i = 0; i < cache.logits.size(); ++i)
    worst = std::max(worst, std::fabs(cache.logits.data()[i] - logits->values[static_cast<std::size_t>(i)]));
  QVERIFY2(worst < 1e-4f, qPrintable(QString::number(worst)));
}
}  // namespace

class TestCliTrain : public QObject {
  Q_OBJECT
 private slots:
  void distill() {
    QTemporaryDir tmp;
    const QString text = smallText(tmp);
    const QStringList args{"train", "distill", kDemo, "--text", text, "--runs", "T=1; hard", "--dim", "16",
                           "--hidden", "40", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--steps", "4",
                           "--batch", "2", "--seq-len", "16", "--eval-every", "2", "--eval-tokens", "64",
                           "--warmup", "1", "--lr", "0.01", "--seed", "3", "--json"};
    const Run a = runCli(args + QStringList{"--out", tmp.filePath("a")});
    QVERIFY2(a.exitCode == 0, a.err.constData());
    const auto j = nlohmann::json::parse(a.out.toStdString());
    QCOMPARE(j["command"].get<std::string>(), std::string("distill"));
    QCOMPARE(j["student"]["parameters"].get<int>(), 768 * 16 + 16 * 2 + 16 * 16 + 2 * 8 * 16 + 16 * 16 + 3 * 40 * 16 + 16);
    QCOMPARE(j["runs"].size(), std::size_t{2});
    QCOMPARE(j["runs"][0]["label"].get<std::string>(), std::string("T = 1"));
    QCOMPARE(j["runs"][1]["label"].get<std::string>(), std::string("hard labels"));
    QCOMPARE(j["runs"][1]["alpha"].get<double>(), 0.0);
    const auto& curve = j["runs"][0]["curve"];
    QCOMPARE(curve.size(), std::size_t{3});
    QVERIFY(curve[0]["train_loss"].is_null());
    QCOMPARE(curve[2]["step"].get<int>(), 4);
    QCOMPARE(curve[2]["tokens"].get<int>(), 4 * 2 * 16);
    QVERIFY(curve[2]["kl"].get<double>() < curve[0]["kl"].get<double>());
    const QString modelT1 = QString::fromStdString(j["runs"][0]["model"].get<std::string>());
    QCOMPARE(modelT1, tmp.filePath("a") + "/T1");
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
      QVERIFY2(QFile::exists(modelT1 + "/" + f), f);
    QVERIFY(QFile::exists(tmp.filePath("a") + "/hard/model.safetensors"));

    // The same seed gives the same figures (timings aside) and the same weights.
    const Run b = runCli(args + QStringList{"--out", tmp.filePath("b")});
    QCOMPARE(b.exitCode, 0);
    const auto jb = nlohmann::json::parse(b.out.toStdString());
    for (int r = 0; r < 2; ++r) QCOMPARE(figures(jb["runs"][r]).dump(), figures(j["runs"][r]).dump());
    QFile fa(modelT1 + "/model.safetensors"), fb(tmp.filePath("b") + "/T1/model.safetensors");
    QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
    QVERIFY(fa.readAll() == fb.readAll());

    // The saved student: the runtime's logits are the engine's, and its held-out KL is the curve's.
    const auto windows = heldout(text, 16, 64);
    runtimeLogitsMatchEngine(tmp, modelT1, windows);
    QCOMPARE(engineKl(modelT1, windows), curve[2]["kl"].get<double>());
  }

  void qat() {
    QTemporaryDir tmp;
    const QString text = smallText(tmp), out = tmp.filePath("qat");
    const Run r = runCli({"train", "qat", kDemo, "--text", text, "--method", "int", "--bits", "3", "--steps", "3",
                          "--batch", "2", "--seq-len", "16", "--eval-every", "1", "--eval-tokens", "64", "--out", out,
                          "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["runs"].size(), std::size_t{2});
    QCOMPARE(j["runs"][0]["label"].get<std::string>(), std::string("PTQ int3"));
    QCOMPARE(j["runs"][1]["label"].get<std::string>(), std::string("QAT int3"));
    QVERIFY(j["runs"][0]["model"].is_null());
    QCOMPARE(QString::fromStdString(j["runs"][1]["model"].get<std::string>()), out);
    const auto &ptq = j["runs"][0]["curve"], &qatCurve = j["runs"][1]["curve"];
    QCOMPARE(ptq.size(), std::size_t{4});
    for (const auto& p : ptq) QCOMPARE(p["kl"].get<double>(), ptq[0]["kl"].get<double>());  // flat
    QCOMPARE(qatCurve[0]["kl"].get<double>(), ptq[0]["kl"].get<double>());                 // same start
    QVERIFY(qatCurve[3]["kl"].get<double>() < ptq[0]["kl"].get<double>());

    // PTQ's KL is what `quench-cli eval` (the inference runtime with the recipe) measures on the
    // same windows.
    const auto windows = heldout(text, 16, 64);
    const Run e = runCli({"eval", kDemo, "--method", "int", "--bits", "3", "--tokens", tokensFile(tmp, windows),
                          "--context", "16", "--json"});
    QVERIFY2(e.exitCode == 0, e.err.constData());
    const auto je = nlohmann::json::parse(e.out.toStdString());
    QUENCH_COMPARE_NEAR(je["kl_mean"].get<double>(), ptq[0]["kl"].get<double>(), 1e-4, 0.0);
    QUENCH_COMPARE_NEAR(je["ppl_q"].get<double>(), ptq[0]["ppl"].get<double>(), 1e-5, 0.0);
    QUENCH_COMPARE_NEAR(je["top1_agreement"].get<double>(), ptq[0]["top1"].get<double>(), 0.0, 2.0 / 64);

    // The exported reconstruction: the runtime's logits are the engine's, its KL the curve's last.
    runtimeLogitsMatchEngine(tmp, out, windows);
    QCOMPARE(engineKl(out, windows), qatCurve[3]["kl"].get<double>());
  }

  // Training on sequences sampled from the teacher: no text needed, reproducible for a seed.
  void sampledData() {
    const QStringList args{"train", "distill", kDemo, "--sample-train", "6", "--sample-heldout", "2", "--dim", "16",
                           "--hidden", "40", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--steps", "2",
                           "--batch", "2", "--seq-len", "16", "--eval-every", "1", "--seed", "4", "--json"};
    const Run a = runCli(args), b = runCli(args);
    QVERIFY2(a.exitCode == 0, a.err.constData());
    const auto ja = nlohmann::json::parse(a.out.toStdString()), jb = nlohmann::json::parse(b.out.toStdString());
    QCOMPARE(ja["training_tokens"].get<int>(), 6 * 17);  // --sample-length defaults to seq-len + 1
    QCOMPARE(ja["heldout_windows"].get<int>(), 2);
    QCOMPARE(ja["heldout_positions"].get<int>(), 2 * 16);  // windows cut to the evaluation context
    QVERIFY(QString::fromStdString(ja["data"].get<std::string>()).contains("sampled from the teacher"));
    QCOMPARE(figures(ja["runs"][0]).dump(), figures(jb["runs"][0]).dump());
  }

  void errors() {
    QTemporaryDir tmp;
    const QString text = smallText(tmp);
    Run r = runCli({"train", "distill", kDemo, "--steps", "1"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("no data"), r.err.constData());
    r = runCli({"train", "distill", kDemo, "--text", text, "--runs", "T=1; beta=2"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("unknown key 'beta'"), r.err.constData());
    r = runCli({"train", "distill", kDemo, "--text", text, "--init", "teacher", "--dim", "32"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("teacher's width"), r.err.constData());
    r = runCli({"train", "qat", kDemo, "--text", text});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("--method"), r.err.constData());
    r = runCli({"train", "distill", kDemo, "--text", text, "--steps", "1", "--out", kDemo});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("refusing"), r.err.constData());
  }
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "test_cli_train.moc"
