// The Classroom's Training tool as a teacher uses it: presets fill the form, a short run's plotted
// points equal `quench-cli train … --json` for the same request (the independent process is the
// reference; a pause in the middle changes nothing), the saved models are byte for byte the CLI's
// `--out`, pause holds the step counter, stop ends the run and keeps its curves, closing the tool
// mid-run (running or paused) returns at once, presentation mode scales fonts and lines.
#include <QtTest/QtTest>

#include <QCheckBox>
#include <QGroupBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QTemporaryDir>
#include <qcustomplot.h>

#include <cmath>
#include <memory>

#include "app/gui/classroom_page.h"
#include "app/gui/training_tool.h"
#include "common/cli_run.h"
#include "widgets/training_curves_view.h"

using quench::app::ClassroomPage;
using quench::app::TrainingTool;
using View = quench::widgets::TrainingCurvesView;

namespace {

QString corpusFile(const char* name) {
  return QFileInfo(QStringLiteral(QUENCH_SHARED_DATA "/corpus/") + QLatin1String(name)).canonicalFilePath();
}
QString demoLm() { return QFileInfo(QStringLiteral(QUENCH_SOURCE_DIR "/resources/demo-lm")).canonicalFilePath(); }

// A short request: small batches of short windows, few held-out tokens (seconds, not minutes).
TrainingTool::Settings shortRun(TrainingTool::Mode mode) {
  TrainingTool::Settings s;
  s.mode = mode;
  s.model = demoLm();
  s.data = TrainingTool::Data::Text;
  s.texts = {corpusFile("persuasion.txt")};
  s.dim = 16;
  s.hidden = 40;
  s.layers = 1;
  s.heads = 2;
  s.kvHeads = 1;
  s.runs = QStringLiteral("T=1; T=4; hard");
  s.bits = 3;
  s.steps = 6;
  s.batch = 2;
  s.seqLen = 16;
  s.lr = mode == TrainingTool::Mode::Qat ? 1e-3 : 3e-3;
  s.warmup = 2;
  s.evalEvery = 3;
  s.seed = 7;
  s.evalTokens = 128;
  return s;
}

bool waitIdle(const TrainingTool& tool, int ms = 240000) {
  QElapsedTimer t;
  t.start();
  while (tool.isRunning() && t.elapsed() < ms) QTest::qWait(20);
  return !tool.isRunning();
}

QJsonObject cliJson(const QStringList& args) {
  const quench::test::Run r = quench::test::runCli(args);
  if (r.exitCode != 0) qWarning("quench-cli failed: %s", r.err.constData());
  return QJsonDocument::fromJson(r.out).object();
}

// Exact equality of two doubles (QCOMPARE on doubles is a fuzzy compare).
#define EXACT(actual, expected)                                                                           \
  do {                                                                                                    \
    const double a_ = (actual), e_ = (expected);                                                          \
    QVERIFY2(a_ == e_, qPrintable(QStringLiteral("%1 = %2, expected %3").arg(#actual).arg(a_, 0, 'g', 17).arg(e_, 0, 'g', 17))); \
  } while (false)

// Every plotted point of every run equals the CLI's curve (exact doubles: the same code, the same
// seed, and nlohmann's shortest round-trip printing).
void compareCurves(const View& view, const QJsonObject& cli) {
  const QJsonArray runs = cli[QStringLiteral("runs")].toArray();
  QCOMPARE(view.runCount(), int(runs.size()));
  for (int r = 0; r < runs.size(); ++r) {
    const QJsonObject run = runs[r].toObject();
    QCOMPARE(view.runLabels()[r], run[QStringLiteral("label")].toString());
    const QJsonArray curve = run[QStringLiteral("curve")].toArray();
    QVERIFY(curve.size() >= 3);
    QCOMPARE(view.graph(View::kKl, r)->dataCount(), int(curve.size()));
    QCOMPARE(view.graph(View::kPerplexity, r)->dataCount(), int(curve.size()));
    QCOMPARE(view.graph(View::kTop1, r)->dataCount(), int(curve.size()));
    int losses = 0;
    for (int i = 0; i < curve.size(); ++i) {
      const QJsonObject p = curve[i].toObject();
      const double step = p[QStringLiteral("step")].toDouble();
      EXACT(view.graph(View::kKl, r)->data()->at(i)->key, step);
      EXACT(view.graph(View::kKl, r)->data()->at(i)->value, p[QStringLiteral("kl")].toDouble());
      EXACT(view.graph(View::kPerplexity, r)->data()->at(i)->value, p[QStringLiteral("ppl")].toDouble());
      EXACT(view.graph(View::kTop1, r)->data()->at(i)->value, p[QStringLiteral("top1")].toDouble());
      const QJsonValue loss = p[QStringLiteral("train_loss")];
      if (loss.isNull()) continue;  // step 0, an untrained run: not drawn
      EXACT(view.graph(View::kLoss, r)->data()->at(losses)->key, step);
      EXACT(view.graph(View::kLoss, r)->data()->at(losses)->value, loss.toDouble());
      ++losses;
    }
    QCOMPARE(view.graph(View::kLoss, r)->dataCount(), losses);
  }
}

QByteArray fileBytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestTrainingTool : public QObject {
  Q_OBJECT
 private slots:
  void presetsFillTheForm() {
    TrainingTool tool;
    const QStringList names = tool.presetNames();
    QCOMPARE(names.size(), 2);
    QVERIFY(names[0].startsWith(QLatin1String("Distil the demo LM into a 2-layer 32-wide student")));
    QVERIFY(names[1].startsWith(QLatin1String("int3 PTQ vs QAT")));

    QVERIFY(tool.applyPreset(1));
    TrainingTool::Settings s = tool.settings();
    QCOMPARE(s.mode, TrainingTool::Mode::Qat);
    QCOMPARE(s.model, demoLm());
    QCOMPARE(s.data, TrainingTool::Data::Text);
    QCOMPARE(s.texts, QStringList({corpusFile("prideprejudice.txt"), corpusFile("persuasion.txt")}));
    QCOMPARE(s.bits, 3);
    QCOMPARE(s.steps, 300);
    QCOMPARE(s.lr, 1e-3);
    QCOMPARE(s.evalEvery, 10);
    QCOMPARE(s.batch, 8);
    QCOMPARE(s.seqLen, 64);
    QVERIFY(tool.findChild<QGroupBox*>(QStringLiteral("student"))->isHidden() && !tool.cliArguments().contains(QStringLiteral("--dim")));
    QVERIFY(tool.cliArguments().join(QLatin1Char(' ')).contains(QLatin1String("--method int --bits 3 --steps 300")));

    QVERIFY(tool.applyPreset(0));
    s = tool.settings();
    QCOMPARE(s.mode, TrainingTool::Mode::Distill);
    QCOMPARE(s.dim, 32);
    QCOMPARE(s.hidden, 88);
    QCOMPARE(s.layers, 2);
    QCOMPARE(s.heads, 2);
    QCOMPARE(s.kvHeads, 1);
    QVERIFY(s.tied);
    QVERIFY(!s.teacherInit);
    QCOMPARE(s.runs, QStringLiteral("T=1; T=4; hard"));
    QCOMPARE(s.lr, 3e-3);
    QCOMPARE(s.seed, 1ULL);
    QCOMPARE(s.evalTokens, 4096);
    QVERIFY(!tool.applyPreset(2));
    QVERIFY(!tool.applyPreset(-1));
  }

  void settingsRoundTripAndCli() {
    TrainingTool tool;
    TrainingTool::Settings s = shortRun(TrainingTool::Mode::Distill);
    s.tied = false;
    s.teacherInit = true;
    s.data = TrainingTool::Data::Samples;
    s.sampleTrain = 12;
    tool.setSettings(s);
    const TrainingTool::Settings back = tool.settings();
    QCOMPARE(back.tied, false);
    QCOMPARE(back.teacherInit, true);
    QCOMPARE(back.data, TrainingTool::Data::Samples);
    QCOMPARE(back.sampleTrain, 12);
    QCOMPARE(back.runs, s.runs);
    QCOMPARE(tool.cliArguments(),
             QStringList({"train", "distill", demoLm(), "--sample-train", "12", "--dim", "16", "--hidden", "40",
                          "--layers", "1", "--heads", "2", "--kv-heads", "1", "--untied", "--init", "teacher", "--runs",
                          "T=1; T=4; hard", "--steps", "6", "--batch", "2", "--seq-len", "16", "--lr", "0.003",
                          "--warmup", "2", "--eval-every", "3", "--eval-tokens", "128", "--seed", "7"}));
  }

  void invalidFormShowsItsError() {
    TrainingTool tool;
    TrainingTool::Settings s = shortRun(TrainingTool::Mode::Distill);
    s.runs = QStringLiteral("T=1; T=oops");
    tool.setSettings(s);
    QVERIFY(!tool.start());
    QVERIFY(!tool.isRunning());
    QVERIFY2(tool.errorText().contains(QLatin1String("'oops' is not a number")), qPrintable(tool.errorText()));
    s = shortRun(TrainingTool::Mode::Distill);
    s.model = QStringLiteral("/nonexistent/model");
    tool.setSettings(s);
    QSignalSpy done(&tool, &TrainingTool::finished);
    QVERIFY(tool.start());
    QVERIFY(waitIdle(tool));
    QCOMPARE(done.size(), 1);
    QCOMPARE(done[0][0].toBool(), false);
    QVERIFY2(tool.errorText().contains(QLatin1String("/nonexistent/model")), qPrintable(tool.errorText()));
  }

  void distillationCurvesEqualTheCli() {
    TrainingTool tool;
    tool.setSettings(shortRun(TrainingTool::Mode::Distill));
    QSignalSpy done(&tool, &TrainingTool::finished);
    QVERIFY(tool.start());
    // Paused from the start: the worker holds after its first step, then resumes. The curves must
    // not depend on it.
    tool.setPaused(true);
    QTest::qWait(600);
    QVERIFY(tool.isRunning());
    QVERIFY2(tool.stepsDone() <= 1, qPrintable(QString::number(tool.stepsDone())));
    tool.setPaused(false);
    QVERIFY(waitIdle(tool));
    QCOMPARE(done.size(), 1);
    QCOMPARE(done[0][0].toBool(), true);
    QCOMPARE(tool.stepsDone(), 6);
    QVERIFY(tool.canSave());

    QTemporaryDir tmp;
    const QString cliOut = tmp.filePath(QStringLiteral("cli")), guiOut = tmp.filePath(QStringLiteral("gui"));
    const QJsonObject cli = cliJson(tool.cliArguments() << QStringLiteral("--json") << QStringLiteral("--out") << cliOut);
    QVERIFY(!cli.isEmpty());
    QCOMPARE(cli[QStringLiteral("runs")].toArray().size(), 3);
    compareCurves(*tool.curves(), cli);
    if (QTest::currentTestFailed()) return;
    // The teacher's perplexity line on the perplexity panel.
    EXACT(tool.curves()->referenceGraph()->data()->at(0)->value, cli[QStringLiteral("teacher_ppl")].toDouble());

    QSignalSpy saved(&tool, &TrainingTool::saved);
    tool.saveModels(guiOut);
    QVERIFY(saved.wait(60000));
    QCOMPARE(saved[0][0].toString(), QString());
    for (const char* run : {"T1", "T4", "hard"})
      for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"}) {
        const QString rel = QStringLiteral("/%1/%2").arg(QLatin1String(run), QLatin1String(file));
        const QByteArray a = fileBytes(guiOut + rel), b = fileBytes(cliOut + rel);
        QVERIFY2(!a.isEmpty(), qPrintable(guiOut + rel));
        QVERIFY2(a == b, qPrintable(rel));
      }
  }

  void qatCurvesEqualTheCliAndPtqIsFlat() {
    TrainingTool tool;
    tool.setSettings(shortRun(TrainingTool::Mode::Qat));
    QVERIFY(tool.start());
    QVERIFY(waitIdle(tool));
    QVERIFY2(tool.errorText().isEmpty(), qPrintable(tool.errorText()));
    QTemporaryDir tmp;
    const QJsonObject cli =
        cliJson(tool.cliArguments() << QStringLiteral("--json") << QStringLiteral("--out") << tmp.filePath("cli"));
    QVERIFY(!cli.isEmpty());
    compareCurves(*tool.curves(), cli);
    if (QTest::currentTestFailed()) return;
    const View& v = *tool.curves();
    QCOMPARE(v.runLabels(), QStringList({"PTQ int3", "QAT int3"}));
    // PTQ: evaluated once, the same KL at every point, no training loss.
    const QCPGraph* ptq = v.graph(View::kKl, 0);
    for (int i = 1; i < ptq->dataCount(); ++i) EXACT(ptq->data()->at(i)->value, ptq->data()->at(0)->value);
    QCOMPARE(v.graph(View::kLoss, 0)->dataCount(), 0);
    // QAT starts where PTQ is (the same quantized weights).
    EXACT(v.graph(View::kKl, 1)->data()->at(0)->value, ptq->data()->at(0)->value);
    // Saved: the QAT reconstruction, byte for byte the CLI's.
    QSignalSpy saved(&tool, &TrainingTool::saved);
    tool.saveModels(tmp.filePath("gui"));
    QVERIFY(saved.wait(60000));
    QCOMPARE(saved[0][0].toString(), QString());
    const QByteArray a = fileBytes(tmp.filePath("gui/model.safetensors"));
    QVERIFY(!a.isEmpty());
    QVERIFY(a == fileBytes(tmp.filePath("cli/model.safetensors")));
  }

  void pauseHoldsAndStopEnds() {
    TrainingTool tool;
    TrainingTool::Settings s = shortRun(TrainingTool::Mode::Distill);
    s.runs = QStringLiteral("T=1");
    s.steps = 100000;
    s.evalEvery = 1000;
    tool.setSettings(s);
    QSignalSpy done(&tool, &TrainingTool::finished);
    QVERIFY(tool.start());
    QTRY_VERIFY_WITH_TIMEOUT(tool.stepsDone() >= 3, 120000);
    tool.setPaused(true);
    QVERIFY(tool.isPaused());
    QTest::qWait(400);  // the step under way when paused still arrives
    const int held = tool.stepsDone();
    QTest::qWait(800);
    QCOMPARE(tool.stepsDone(), held);
    QVERIFY(tool.isRunning());
    tool.setPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(tool.stepsDone() > held + 2, 60000);
    tool.stop();
    QVERIFY(waitIdle(tool, 30000));
    QCOMPARE(done.size(), 1);
    QCOMPARE(done[0][0].toBool(), false);
    QVERIFY2(done[0][1].toString().startsWith(QLatin1String("Stopped at step")), qPrintable(done[0][1].toString()));
    QVERIFY(!tool.canSave());
    // The curves stay: step 0 of the run.
    QCOMPARE(tool.curves()->graph(View::kKl, 0)->dataCount(), 1);
    // The form is usable again.
    QVERIFY(tool.findChild<QPushButton*>(QStringLiteral("start"))->isEnabled());
  }

  void stopWhilePausedAndCloseMidRun() {
    TrainingTool::Settings s = shortRun(TrainingTool::Mode::Distill);
    s.runs = QStringLiteral("T=1");
    s.steps = 100000;
    s.evalEvery = 1000;
    {
      TrainingTool tool;
      tool.setSettings(s);
      QVERIFY(tool.start());
      QTRY_VERIFY_WITH_TIMEOUT(tool.stepsDone() >= 1, 120000);
      tool.setPaused(true);
      QTest::qWait(200);
      tool.stop();
      QVERIFY(waitIdle(tool, 10000));
    }
    for (bool paused : {false, true}) {
      auto tool = std::make_unique<TrainingTool>();
      tool->setSettings(s);
      QVERIFY(tool->start());
      QTRY_VERIFY_WITH_TIMEOUT(tool->stepsDone() >= 1, 120000);
      if (paused) tool->setPaused(true);
      QElapsedTimer t;
      t.start();
      tool.reset();  // closing the window: cancels and waits for the worker
      QVERIFY2(t.elapsed() < 10000, qPrintable(QString::number(t.elapsed())));
    }
  }

  void presentationScalesFontsAndLines() {
    TrainingTool tool;
    tool.setSettings(shortRun(TrainingTool::Mode::Qat));
    QVERIFY(tool.start());
    QVERIFY(waitIdle(tool));
    const double w = tool.curves()->graph(View::kKl, 1)->pen().widthF();
    const auto* start = tool.findChild<QPushButton*>(QStringLiteral("start"));
    const double pt = start->font().pointSizeF();
    tool.setPresentation(true);
    QVERIFY(tool.curves()->graph(View::kKl, 1)->pen().widthF() > 1.5 * w);
    QCOMPARE(start->font().pointSizeF(), pt * 1.6);
    QCOMPARE(tool.curves()->panel(View::kKl)->axis(QCPAxis::atLeft)->labelFont().pointSizeF(), pt * 1.6);
    tool.setPresentation(false);
    QCOMPARE(tool.curves()->graph(View::kKl, 1)->pen().widthF(), w);
  }

  // The README's screenshots of both presets after a full run (QUENCH_WRITE_SCREENSHOTS=1; minutes),
  // and the presets' measured wall and CPU times.
  void presetScreenshots() {
    if (!qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS")) QSKIP("QUENCH_WRITE_SCREENSHOTS not set");
    ClassroomPage page;
    page.setCurrentTool(ClassroomPage::kTraining);
    TrainingTool* tool = page.trainingTool();
    const char* names[] = {"distill", "qat"};
    for (int p = 0; p < 2; ++p) {
      QVERIFY(tool->applyPreset(p));
      page.resize(1920, 1200);
      page.show();
      QElapsedTimer t;
      t.start();
      QVERIFY(tool->start());
      QVERIFY(waitIdle(*tool, 900000));
      qInfo("preset %d: %.1f s wall in the GUI; %s", p, t.elapsed() / 1000.0, qPrintable(tool->statusText()));
      for (QSize size : {QSize(1920, 1200), QSize(1280, 720)}) {
        page.resize(size);
        QTest::qWait(200);
        tool->curves()->plot()->replot();
        const QImage img = page.grab().toImage();
        QVERIFY(img.save(QStringLiteral(QUENCH_SOURCE_DIR "/resources/screenshots/tab-classroom-training-%1-%2.png")
                             .arg(QLatin1String(names[p]))
                             .arg(size.width())));
      }
      if (p == 0) {  // presentation mode, as projected in a lecture hall
        page.resize(1920, 1200);
        page.setPresentation(true);
        QTest::qWait(200);
        tool->curves()->plot()->replot();
        QVERIFY(page.grab().toImage().save(
            QStringLiteral(QUENCH_SOURCE_DIR "/resources/screenshots/tab-classroom-training-distill-presentation.png")));
        page.setPresentation(false);
      }
    }
  }
};

QTEST_MAIN(TestTrainingTool)
#include "test_training_tool.moc"
