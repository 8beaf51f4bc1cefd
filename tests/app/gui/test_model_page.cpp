// The Divergence page (issue 6, "Model views") driven as a user would, on the published
// stories260K: the figures it shows after an evaluation and a sweep are the ones `quench-cli eval`
// and `quench-cli sweep` print for the same inputs (an independent process, JSON parsed here);
// a running sweep stops promptly on Cancel and the page is usable again; a newer request wins;
// bad models and bad settings give a message on the page; the session state round-trips.
#include <qcustomplot.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest/QtTest>

#include <QDir>
#include <QFile>
#include <cmath>

#include "app/gui/model_page.h"
#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/quant/integer_method.h"
#include "widgets/curves_view.h"
#include "widgets/evaluation_view.h"
#include "widgets/model_info_view.h"
#include "widgets/sensitivity_view.h"

using namespace quench;
using quench::app::ModelPage;
using quench::test::runCli;
using quench::test::sharedData;

namespace {
constexpr int kTimeoutMs = 60000;

const QString kBin = sharedData("models/stories260K/stories260K.bin");
const QString kTok = sharedData("models/stories260K/tok512.bin");
const QString kGguf = sharedData("models/stories260K-gguf/stories260K.gguf");
const QString kHf = sharedData("models/TinyStories-656K");

// Waits for the page's next jobFinished and returns its message ("" on timeout).
QString waitJob(ModelPage& page, int timeoutMs = kTimeoutMs) {
  QSignalSpy done(&page, &ModelPage::jobFinished);
  if (!done.wait(timeoutMs)) return {};
  return done.takeFirst().at(0).toString();
}

// `quench-cli ARGS --json` parsed.
QJsonObject cliJson(const QStringList& args) {
  const quench::test::Run r = runCli(args + QStringList{"--json"});
  if (r.exitCode != 0) qWarning("quench-cli failed: %s", r.err.constData());
  return QJsonDocument::fromJson(r.out).object();
}

// The CLI's number as the page shows it (6 significant digits, EvaluationView's format).
QString shown(double v, int precision = 6) { return QString::number(v, 'g', precision); }

Recipe intRecipe(int bits) {
  Recipe r;
  MethodParams p = MethodParams::defaults("int");
  p.as<IntSettings>().bits = bits;
  r.rules.push_back(RecipeRule{"*", p});
  return r;
}

app::SourceSettings sampled(int count, int length, int seed) {
  app::SourceSettings s;
  s.kind = app::SourceKind::Sample;
  s.count = count;
  s.length = length;
  s.seed = std::uint64_t(seed);
  return s;
}
}  // namespace

class TestModelPage : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

  // A page with stories260K open (fails the test when it does not open).
  bool openStories(ModelPage& page) {
    QSignalSpy opened(&page, &ModelPage::modelOpened);
    page.openModel(kBin);
    const QString msg = waitJob(page);
    if (opened.count() != 1) qWarning("open: %s", qPrintable(msg));
    return opened.count() == 1 && opened.at(0).at(0).toString() == kBin;
  }

 private slots:
  void initTestCase() { QVERIFY(m_dir.isValid()); }

  void opensModelAndShowsArchitecture() {
    ModelPage page;
    QVERIFY(openStories(page));
    QVERIFY(!page.isBusy());
    // The tensors for the main window's browser: the 48 of stories260K (README, data/README).
    const auto reader = page.tensorReader();
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t{48});
    QVERIFY(reader->find("blk.4.ffn_down.weight").has_value());
    // Architecture from the published facts: dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads,
    // vocabulary 512, context 512.
    const widgets::ModelInfoView* info = page.modelInfoView();
    QVERIFY(info->table()->rowCount() >= 8);
    QString all;
    for (int r = 0; r < info->table()->rowCount(); ++r)
      all += info->table()->item(r, 0)->text() + '=' + info->table()->item(r, 1)->text() + ';';
    for (const char* v : {"=64;", "=172;", "=5;", "=8;", "=4;", "=512;"})
      QVERIFY2(all.contains(QLatin1String(v)), qPrintable(all));
    QVERIFY(page.message().contains("stories260K.bin"));
  }

  void badModelGivesMessage() {
    ModelPage page;
    QSignalSpy errors(&page, &ModelPage::errorShown);
    QSignalSpy opened(&page, &ModelPage::modelOpened);
    // A truncated llama2.c header.
    const QString bad = m_dir.filePath("broken.bin");
    {
      QFile f(bad);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(QByteArray("\x40\x00\x00\x00\xac", 5));
    }
    page.openModel(bad);
    QString msg = waitJob(page);
    QVERIFY2(msg.contains("broken.bin"), qPrintable(msg));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(opened.count(), 0);
    QVERIFY(!page.tensorReader());
    QCOMPARE(page.message(), msg);
    // A path that does not exist, and work asked for without a model: messages, no crash.
    page.openModel(m_dir.filePath("missing.gguf"));
    msg = waitJob(page);
    QVERIFY2(msg.contains("missing.gguf"), qPrintable(msg));
    page.evaluate();
    QVERIFY(page.message().contains("Open a model"));
    page.runSweep();
    QVERIFY(page.message().contains("Open a model"));
    QVERIFY(!page.isBusy());
    // The page still opens a good model afterwards.
    QVERIFY(openStories(page));
  }

  // Issue 13: a model that fails to open leaves the working model loaded and its path shown.
  void failedOpenKeepsTheWorkingModel() {
    ModelPage page;
    QVERIFY(openStories(page));
    const auto before = page.tensorReader();
    QVERIFY(before);
    QSignalSpy errors(&page, &ModelPage::errorShown);
    page.openModel(m_dir.filePath("missing.gguf"));
    const QString msg = waitJob(page);
    QVERIFY2(msg.contains("missing.gguf"), qPrintable(msg));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(page.modelPath(), kBin);
    const auto after = page.tensorReader();
    QVERIFY(after);
    QCOMPARE(after->tensors().size(), before->tensors().size());
  }

  void evaluationMatchesCli() {
    ModelPage page;
    page.resize(1400, 900);
    QVERIFY(openStories(page));
    page.setRecipe(intRecipe(4));
    page.setSourceSettings(sampled(4, 64, 1));
    QSignalSpy progress(&page, &ModelPage::progress);
    page.evaluate();
    QVERIFY(page.isBusy());
    const QString msg = waitJob(page);
    QVERIFY2(msg.startsWith("Evaluated"), qPrintable(msg));
    QVERIFY(progress.count() >= 2);
    QCOMPARE(progress.last().at(0).toDouble(), 1.0);

    const QJsonObject j = cliJson({"eval", kBin, "--method", "int", "--bits", "4", "--sample", "4", "--length", "64",
                                   "--seed", "1"});
    QCOMPARE(j["tokens"].toInt(), 256);
    const widgets::EvaluationView* v = page.evaluationView();
    QCOMPARE(v->figureText("positions"), QString::number(j["tokens"].toInt()));
    QCOMPARE(v->figureText("mean KL(P‖Q)"), shown(j["kl_mean"].toDouble()) + " ± " + shown(j["kl_stderr"].toDouble(), 3));
    const std::pair<const char*, const char*> same[] = {
        {"median KL", "kl_median"}, {"p90 KL", "kl_p90"}, {"p95 KL", "kl_p95"}, {"p99 KL", "kl_p99"},
        {"p99.9 KL", "kl_p999"},    {"min KL", "kl_min"}, {"max KL", "kl_max"}, {"mean JS", "js_mean"},
        {"PPL(P)", "ppl_p"},        {"PPL(Q)", "ppl_q"},  {"PPL(Q)/PPL(P)", "ppl_ratio"}};
    for (const auto& [figure, key] : same) QCOMPARE(v->figureText(figure), shown(j[key].toDouble()));
    QCOMPARE(v->figureText("top-1 agreement"), shown(100.0 * j["top1_agreement"].toDouble(), 5));
    QCOMPARE(v->figureText("bits per parameter"), shown(j["bits_per_param"].toDouble(), 5));
    QCOMPARE(v->figureText("tensors transformed"), QString::number(j["tensors_transformed"].toInt()));

    // The plots hold the same data: the histogram counts every position, and the KL along each
    // of the 4 sequences, averaged over all of them, is the CLI's mean KL.
    double counted = 0;
    for (auto it = v->histogramBars()->data()->constBegin(); it != v->histogramBars()->data()->constEnd(); ++it)
      counted += it->value;
    QCOMPARE(counted, 256.0);
    QCOMPARE(v->sequenceCount(), 4);
    double sum = 0;
    int n = 0;
    for (int s = 0; s < v->sequenceCount(); ++s) {
      const_cast<widgets::EvaluationView*>(v)->setSequence(s);
      for (auto it = v->positionGraph()->data()->constBegin(); it != v->positionGraph()->data()->constEnd(); ++it) {
        sum += it->value;
        ++n;
      }
    }
    QCOMPARE(n, 256);
    QUENCH_COMPARE_NEAR(sum / n, j["kl_mean"].toDouble(), 1e-12, 0);
  }

  void sweepMatchesCliAndPointsArriveAsTheyFinish() {
    ModelPage page;
    QVERIFY(openStories(page));
    page.setRecipe(intRecipe(8));
    page.setSourceSettings(sampled(2, 64, 1));
    page.setSweep("bits", "2,4,8");
    for (const QString& f : {"int4 group:128", "nf4", "fp4"}) page.setFamilyEnabled(f, false);
    page.setFamilyEnabled("current recipe", true);
    QStringList order;  // what arrived, in order
    connect(&page, &ModelPage::pointShown, this, [&](const QString&, const QString& label) { order << label; });
    connect(&page, &ModelPage::jobFinished, this, [&](const QString&) { order << "finished"; });
    page.runSweep();
    const QString msg = waitJob(page);
    QVERIFY2(msg.startsWith("Swept 3 points"), qPrintable(msg));
    QCOMPARE(order, (QStringList{"2", "4", "8", "finished"}));

    const QJsonObject j = cliJson({"sweep", kBin, "--method", "int", "--vary", "bits=2,4,8", "--sample", "2",
                                   "--length", "64", "--seed", "1"});
    const QJsonArray pts = j["points"].toArray();
    QCOMPARE(pts.size(), 3);
    const widgets::CurvesView* c = page.curvesView();
    QCOMPARE(c->seriesCount(), 1);
    QCOMPARE(c->points(0).size(), std::size_t{3});
    for (int i = 0; i < 3; ++i) {
      const widgets::CurvePoint& p = c->points(0)[std::size_t(i)];
      const QJsonObject q = pts[i].toObject();
      QCOMPARE(p.x, q["value"].toDouble());
      // The same computation in two processes: equal to the last bit.
      QCOMPARE(p.klMean, q["kl_mean"].toDouble());
      QCOMPARE(p.jsMean, q["js_mean"].toDouble());
      QCOMPARE(p.klP99, q["kl_p99"].toDouble());
      QCOMPARE(p.top1Disagreement, q["top1_disagreement"].toDouble());
      QCOMPARE(p.bitsPerParam, q["bits_per_param"].toDouble());
    }
    // What is drawn: mean KL against bits, then against bits per parameter.
    const QCPGraph* g = c->graph(0);
    QCOMPARE(g->dataCount(), 3);
    for (int i = 0; i < 3; ++i) {
      QCOMPARE(g->data()->at(i)->key, pts[i].toObject()["value"].toDouble());
      QCOMPARE(g->data()->at(i)->value, pts[i].toObject()["kl_mean"].toDouble());
    }
    page.curvesView()->setXAxis(widgets::CurvesView::XAxis::BitsPerParam);
    for (int i = 0; i < 3; ++i) QCOMPARE(g->data()->at(i)->key, pts[i].toObject()["bits_per_param"].toDouble());
  }

  void familiesOverlaidOverGroupOrBlockSize() {
    // int4 group-wise, NF4 and FP4 over one size axis: int takes it as its group, the codebooks
    // as their block; the NF4 curve is `quench-cli sweep --method nf4 --vary block=...`.
    ModelPage page;
    QVERIFY(openStories(page));
    page.setSourceSettings(sampled(2, 32, 3));
    page.setSweep(app::kGroupOrBlock, "32,64");
    page.setFamilyEnabled("current recipe", false);
    for (const QString& f : {"int4 group:128", "nf4", "fp4"}) page.setFamilyEnabled(f, true);
    page.runSweep();
    const QString msg = waitJob(page);
    QVERIFY2(msg.startsWith("Swept 6 points"), qPrintable(msg));
    const widgets::CurvesView* c = page.curvesView();
    QCOMPARE(c->seriesCount(), 3);
    const QJsonArray nf4 = cliJson({"sweep", kBin, "--method", "nf4", "--vary", "block=32,64", "--sample", "2",
                                    "--length", "32", "--seed", "3"})["points"]
                               .toArray();
    const QJsonArray int4 = cliJson({"sweep", kBin, "--method", "int", "--bits", "4", "--vary", "group=32,64",
                                     "--sample", "2", "--length", "32", "--seed", "3"})["points"]
                                .toArray();
    QCOMPARE(nf4.size(), 2);
    QCOMPARE(int4.size(), 2);
    for (int i = 0; i < 2; ++i) {
      QCOMPARE(c->points(0)[std::size_t(i)].klMean, int4[i].toObject()["kl_mean"].toDouble());
      QCOMPARE(c->points(0)[std::size_t(i)].bitsPerParam, int4[i].toObject()["bits_per_param"].toDouble());
      QCOMPARE(c->points(1)[std::size_t(i)].klMean, nf4[i].toObject()["kl_mean"].toDouble());
      QCOMPARE(c->points(1)[std::size_t(i)].bitsPerParam, nf4[i].toObject()["bits_per_param"].toDouble());
    }
    // A setting a family cannot take is reported, not silently dropped: bits on nf4/fp4.
    page.setRecipe(intRecipe(8));
    page.setSweep("bits", "4,8");
    page.setFamilyEnabled("current recipe", true);
    page.runSweep();
    const QString skipped = waitJob(page);
    QVERIFY2(skipped.contains("Skipped") && skipped.contains("nf4") && skipped.contains("fp4"), qPrintable(skipped));
    // In words, not the recipe parser's "rules[0].bits: unknown key for method 'nf4'".
    QVERIFY2(skipped.contains("nf4 has no bits setting to sweep"), qPrintable(skipped));
    QVERIFY2(!skipped.contains("rules[0]") && !skipped.contains("unknown key"), qPrintable(skipped));
    QCOMPARE(page.curvesView()->seriesCount(), 2);  // current recipe and int4 group:128
    // Bad values: an error naming the point, before any model work.
    page.setFamilyEnabled("int4 group:128", false);
    page.setSweep("bits", "4,99");
    page.runSweep();
    const QString bad = waitJob(page);
    QVERIFY2(bad.contains("bits=99"), qPrintable(bad));
  }

  void cancelStopsPromptlyAndPageStaysUsable() {
    ModelPage page;
    QVERIFY(openStories(page));
    // A long sweep: 2 families × 7 values (nf4 and fp4 take no bits) on 32 sequences of 256 tokens (tens of seconds).
    page.setSourceSettings(sampled(32, 256, 7));
    page.setSweep("bits", "2,3,4,5,6,7,8");
    for (const QString& f : {"current recipe", "int4 group:128", "nf4", "fp4"}) page.setFamilyEnabled(f, true);
    QSignalSpy points(&page, &ModelPage::pointShown);
    QSignalSpy progress(&page, &ModelPage::progress);
    page.runSweep();
    QVERIFY(page.isBusy());
    QVERIFY(page.cancelButton()->isEnabled());
    // Let it get going: the event loop runs (the window stays responsive) while it works.
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3, 20000);
    QElapsedTimer timer;
    timer.start();
    QSignalSpy done(&page, &ModelPage::jobFinished);
    QTest::mouseClick(page.cancelButton(), Qt::LeftButton);
    QVERIFY(done.wait(5000));
    const qint64 ms = timer.elapsed();
    QVERIFY2(ms < 2000, qPrintable(QString::number(ms)));
    const QString msg = done.takeFirst().at(0).toString();
    QVERIFY2(msg.startsWith("Cancelled"), qPrintable(msg));
    QCOMPARE(page.message(), msg);
    QVERIFY(!page.isBusy());
    QVERIFY(!page.cancelButton()->isEnabled());
    QVERIFY(points.count() < 14);  // nf4 and fp4 have no bits: 2 families × 7
    // The worker really stopped: the thread pool is idle.
    QVERIFY(QThreadPool::globalInstance()->waitForDone(2000));
    // Usable again: a small evaluation runs to the end.
    page.setSourceSettings(sampled(1, 16, 0));
    page.setRecipe(intRecipe(8));
    page.evaluate();
    const QString again = waitJob(page);
    QVERIFY2(again.startsWith("Evaluated"), qPrintable(again));
    QCOMPARE(page.evaluationView()->figureText("positions"), QString("16"));
  }

  void newestRequestWins() {
    ModelPage page;
    QVERIFY(openStories(page));
    page.setSourceSettings(sampled(16, 256, 2));
    page.setSweep("bits", "2,3,4,5,6,7,8");
    page.setFamilyEnabled("current recipe", true);
    QSignalSpy finished(&page, &ModelPage::jobFinished);
    page.runSweep();
    // Before the sweep is done, ask for an evaluation: the sweep is dropped, the evaluation shown.
    page.setSourceSettings(sampled(1, 32, 0));
    page.setRecipe(intRecipe(4));
    page.evaluate();
    QVERIFY(finished.wait(kTimeoutMs));
    QTest::qWait(200);
    QCOMPARE(finished.count(), 1);
    QVERIFY2(finished.at(0).at(0).toString().startsWith("Evaluated"), qPrintable(finished.at(0).at(0).toString()));
    QCOMPARE(page.evaluationView()->figureText("positions"), QString("32"));
  }

  void sensitivitySortedLikeCli() {
    ModelPage page;
    QVERIFY(openStories(page));
    page.setRecipe(intRecipe(4));
    page.setSourceSettings(sampled(1, 32, 0));
    page.runSensitivity();
    const QString msg = waitJob(page);
    QVERIFY2(msg.startsWith("Sensitivity of 36 tensors"), qPrintable(msg));
    const QJsonArray pts = cliJson({"sweep", kBin, "--method", "int", "--bits", "4", "--per-tensor", "--sample", "1",
                                    "--length", "32", "--seed", "0"})["points"]
                               .toArray();
    QCOMPARE(pts.size(), 36);
    QMap<QString, double> cli;
    QMap<QString, double> cliJs;
    for (const auto& p : pts) {
      cli[p.toObject()["tensor"].toString()] = p.toObject()["kl_mean"].toDouble();
      cliJs[p.toObject()["tensor"].toString()] = p.toObject()["js_mean"].toDouble();
    }
    const auto& entries = page.sensitivityView()->entries();
    QCOMPARE(entries.size(), std::size_t{36});
    for (std::size_t i = 0; i < entries.size(); ++i) {
      QVERIFY2(cli.contains(entries[i].tensor), qPrintable(entries[i].tensor));
      QCOMPARE(entries[i].figures.klMean, cli[entries[i].tensor]);
      QCOMPARE(entries[i].figures.jsMean, cliJs[entries[i].tensor]);
      if (i > 0) QVERIFY(entries[i - 1].figures.klMean >= entries[i].figures.klMean);
    }
  }

  void compareTwoModels() {
    ModelPage page;
    QVERIFY(openStories(page));
    page.setSourceSettings(sampled(2, 32, 4));
    // The GGUF copy holds bit-identical weights: Q = P, so every divergence is exactly 0, at
    // any temperature.
    page.openSecondModel(kGguf);
    QVERIFY2(waitJob(page).startsWith("Opened"), qPrintable(page.message()));
    QCOMPARE(page.candidate(), ModelPage::Candidate::SecondModel);
    page.setTemperature(2.0);
    page.evaluate();
    const QString msg = waitJob(page);
    QVERIFY2(msg.startsWith("Evaluated"), qPrintable(msg));
    const widgets::EvaluationView* v = page.evaluationView();
    QCOMPARE(v->figureText("positions"), QString("64"));
    QCOMPARE(v->figureText("max KL"), QString("0"));
    QCOMPARE(v->figureText("top-1 agreement"), QString("100"));
    QCOMPARE(v->figureText("PPL(Q)/PPL(P)"), QString("1"));
    // A model with another vocabulary (2048 tokens): a message, no crash.
    page.openSecondModel(kHf);
    QVERIFY(waitJob(page).startsWith("Opened"));
    page.evaluate();
    const QString bad = waitJob(page);
    QVERIFY2(bad.contains("vocabular"), qPrintable(bad));
  }

  void sessionStateRoundTrips() {
    ModelPage page;
    QVERIFY(openStories(page));
    app::SourceSettings s = sampled(3, 48, 9);
    page.setSourceSettings(s);
    page.setTemperature(1.5);
    page.setSweep("clip", "99,99.9");
    page.setFamilyEnabled("nf4", true);
    const QJsonObject state = page.saveState();
    QCOMPARE(state["model"].toString(), kBin);

    ModelPage restored;
    QSignalSpy opened(&restored, &ModelPage::modelOpened);
    restored.restoreState(state);
    QVERIFY(opened.wait(kTimeoutMs));
    QCOMPARE(restored.modelPath(), kBin);
    const app::SourceSettings r = restored.sourceSettings();
    QCOMPARE(int(r.kind), int(app::SourceKind::Sample));
    QCOMPARE(r.count, 3);
    QCOMPARE(r.length, 48);
    QCOMPARE(r.seed, std::uint64_t{9});
    QCOMPARE(restored.temperature(), 1.5);
    QCOMPARE(restored.sweepSetting(), QString("clip"));
    QCOMPARE(restored.sweepValues(), QString("99,99.9"));
    QCOMPARE(restored.enabledFamilies(), page.enabledFamilies());
    QCOMPARE(restored.saveState(), state);
  }

  void prefixSpaceSettingAndTokenizerNote() {
    // Issue 11: the TinyStories-656K option is a setting of the page, kept in the session; the
    // note names the tokenizer, or says the folder has none.
    ModelPage page;
    QSignalSpy opened(&page, &ModelPage::modelOpened);
    page.openModel(kHf);
    QVERIFY(opened.wait(kTimeoutMs));
    QVERIFY2(page.tokenizerNote()->text().startsWith("Tokenizer: tokenizer.json BPE"), qPrintable(page.tokenizerNote()->text()));
    QVERIFY(!page.tokenizerNote()->text().contains("no prefix space"));
    page.setNoPrefixSpace(true);  // reopens the model with the option
    QVERIFY(opened.wait(kTimeoutMs));
    QVERIFY2(page.tokenizerNote()->text().contains("no prefix space"), qPrintable(page.tokenizerNote()->text()));
    const QJsonObject state = page.saveState();
    QCOMPARE(state["no_prefix_space"].toBool(), true);
    ModelPage restored;
    QSignalSpy reopened(&restored, &ModelPage::modelOpened);
    restored.restoreState(state);
    QVERIFY(reopened.wait(kTimeoutMs));
    QVERIFY(restored.noPrefixSpace());
    QVERIFY(restored.tokenizerNote()->text().contains("no prefix space"));

    // A Hugging Face folder without tokenizer.json opens; text sources say why they cannot run.
    const QString dir = m_dir.filePath("no-tokenizer");
    QVERIFY(QDir().mkpath(dir));
    for (const char* f : {"config.json", "model.safetensors"})
      QVERIFY(QFile::copy(kHf + "/" + f, dir + "/" + f));
    ModelPage bare;
    QSignalSpy bareOpened(&bare, &ModelPage::modelOpened);
    bare.openModel(dir);
    QVERIFY(bareOpened.wait(kTimeoutMs));
    QVERIFY2(bare.tokenizerNote()->text().startsWith("No tokenizer.json"), qPrintable(bare.tokenizerNote()->text()));
    app::SourceSettings text;
    text.kind = app::SourceKind::Text;
    text.text = "Once upon a time";
    bare.setSourceSettings(text);
    bare.evaluate();
    QVERIFY2(waitJob(bare).contains("has no tokenizer.json"), qPrintable(bare.message()));
    bare.setSourceSettings(sampled(1, 8, 1));  // sampled sequences need no tokenizer
    bare.evaluate();
    const QString done = waitJob(bare);
    QVERIFY2(!done.contains("tokenizer") && !bare.message().contains("rror"), qPrintable(done));
  }

  void screenshotAfterEvaluationAndSweep() {
    ModelPage page;
    page.resize(1400, 900);
    QVERIFY(openStories(page));
    page.setRecipe(intRecipe(4));
    page.setSourceSettings(sampled(4, 64, 1));
    page.setSweep("bits", "2,3,4,5,6,8");
    page.setFamilyEnabled("current recipe", true);
    page.setFamilyEnabled("int4 group:128", true);
    page.runSweep();
    QVERIFY(waitJob(page).startsWith("Swept"));
    page.evaluate();
    QVERIFY(waitJob(page).startsWith("Evaluated"));
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    const QString dir = qEnvironmentVariable("QUENCH_SCREENSHOT_DIR");
    if (!dir.isEmpty()) {
      QVERIFY(page.grab().save(dir + "/model-page-evaluation.png"));
      page.showView(ModelPage::View::Curves);
      QVERIFY(page.grab().save(dir + "/model-page-curves.png"));
      page.showView(ModelPage::View::Evaluation);
    }
    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(page.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/tab-divergence.png"));
  }
};

QTEST_MAIN(TestModelPage)
#include "test_model_page.moc"
