// Training runs (core/train/trainer.h, data.h, job.h): the data the demo LM was trained on is
// rebuilt token for token; the held-out evaluation reproduces the perplexity PyTorch computed
// (tests/data/demo_lm_golden.json); runs are reproducible bit for bit on any thread count and
// independent of the other runs of a set; distillation lowers the held-out KL; the PTQ baseline is
// flat and equals the quantizer's reconstruction evaluated directly; the straight-through gradient
// leaves saturated weights untouched; a saved student reopens with the same logits.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/fuzzy.h"
#include "core/exec/parallel.h"
#include "core/train/job.h"

using namespace quench;
using namespace quench::train;
namespace fs = std::filesystem;

namespace {
const fs::path kDemoDir = fs::path(QUENCH_SOURCE_DIR) / "resources" / "demo-lm";
const fs::path kCorpus = fs::path(QUENCH_SHARED_DATA) / "corpus";

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(path));
  return QJsonDocument::fromJson(f.readAll()).object();
}

// The first `bytes` of a corpus file (cut at a paragraph break) as a small training text.
fs::path smallText(const QTemporaryDir& dir, const char* name, std::size_t bytes) {
  std::ifstream in(kCorpus / name, std::ios::binary);
  std::string s(bytes, '\0');
  in.read(s.data(), static_cast<std::streamsize>(bytes));
  s.resize(s.rfind("\n\n") + 2);
  const fs::path p = fs::path(dir.path().toStdString()) / name;
  std::ofstream(p, std::ios::binary) << s;
  return p;
}

DistillRequest smallDistill(const fs::path& text) {
  DistillRequest q;
  q.teacher = kDemoDir;
  q.student.dim = 16;
  q.student.hiddenDim = 40;
  q.student.nLayers = 1;
  q.student.nHeads = 2;
  q.student.nKvHeads = 1;
  q.runs = *parseRuns("T=1; T=4; hard");
  q.options.steps = 6;
  q.options.batch = 3;
  q.options.seqLen = 24;
  q.options.evalEvery = 3;
  q.options.warmup = 2;
  q.options.lr = 1e-2;
  q.options.seed = 11;
  q.data.corpus.train = {text};
  q.data.maxEvalTokens = 200;
  return q;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The figures of two curves, timings excluded, compared exactly.
bool sameCurve(const std::vector<CurvePoint>& a, const std::vector<CurvePoint>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool lossSame = (std::isnan(a[i].trainLoss) && std::isnan(b[i].trainLoss)) || a[i].trainLoss == b[i].trainLoss;
    if (a[i].step != b[i].step || !lossSame || a[i].kl != b[i].kl || a[i].ppl != b[i].ppl || a[i].top1 != b[i].top1)
      return false;
  }
  return true;
}
}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

 private slots:
  void unwrap() {
    QCOMPARE(QString::fromStdString(unwrapParagraphs("  One\ntwo  \n\n\n three\n\n\n\n")), QStringLiteral("One two\nthree"));
    QCOMPARE(QString::fromStdString(unwrapParagraphs("a\n \nb")), QStringLiteral("a b"));  // a blank-looking line is no break
    QCOMPARE(QString::fromStdString(unwrapParagraphs("")), QString());
  }

  // The held-out part of Persuasion as tools/train_demo_lm.py cut it (the first paragraph break
  // after 95% of the file), tokenized with BOS and cut into the model's 128-token context: the
  // script's ids, and the teacher's perplexity on them is PyTorch's 36.414 (KL 0 against itself).
  void heldoutMatchesTheDemoScript() {
    const QJsonObject golden = readJson(test::testData("demo_lm_golden.json"));
    auto m = loadModel(kDemoDir);
    QVERIFY(m.ok());
    CorpusOptions c;
    c.train = {kCorpus / "persuasion.txt"};
    c.context = 128;
    auto d = corpusData(*m->files.tokenizer, c);
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().message.c_str());
    std::vector<int> flat;
    for (const auto& w : d->heldout) flat.insert(flat.end(), w.begin(), w.end());
    const QJsonArray want = golden["heldout_ids"].toArray();
    QCOMPARE(flat.size(), static_cast<std::size_t>(want.size()) + 1);
    QCOMPARE(flat[0], m->files.tokenizer->bosId());
    for (int i = 0; i < want.size(); ++i) QCOMPARE(flat[static_cast<std::size_t>(i) + 1], want[i].toInt());
    QCOMPARE(d->train.front(), m->files.tokenizer->bosId());
    QCOMPARE(d->train.back(), m->files.tokenizer->eosId());

    Network<float> net(m->layout);
    const auto logits = windowLogits(net, m->params, d->heldout);
    const HeldoutFigures f = evaluateHeldout(net, m->params, d->heldout, logits);
    QCOMPARE(static_cast<double>(f.scored), golden["heldout_scored_tokens"].toDouble());
    QUENCH_COMPARE_NEAR(f.ppl, golden["heldout_ppl"].toDouble(), 2e-5, 0.0);
    QCOMPARE(f.kl, 0.0);
    QCOMPARE(f.top1, 1.0);
  }

  // Same seed, same numbers and weights, bit for bit — with one thread and with all of them — and
  // a run's numbers do not depend on the other runs of its set.
  void reproducibleAndIndependent() {
    QTemporaryDir dir;
    const DistillRequest q = smallDistill(smallText(dir, "prideprejudice.txt", 60000));
    auto run = [&](const DistillRequest& req) {
      auto job = prepareDistill(req);
      if (!job) qFatal("%s", job.error().message.c_str());
      auto out = runTraining((*job)->setup);
      if (!out) qFatal("%s", out.error().message.c_str());
      return std::move(out).value();
    };
    const TrainOutcome a = run(q);
    TrainOutcome b;
    {
      exec::ThreadLimit one(1);
      b = run(q);
    }
    QCOMPARE(a.runs.size(), std::size_t{3});
    for (std::size_t r = 0; r < 3; ++r) {
      QCOMPARE(a.runs[r].curve.size(), std::size_t{3});  // steps 0, 3, 6
      QVERIFY(sameCurve(a.runs[r].curve, b.runs[r].curve));
      QVERIFY(sameBits(a.runs[r].master, b.runs[r].master));
      QVERIFY(std::isnan(a.runs[r].curve[0].trainLoss) && std::isfinite(a.runs[r].curve[1].trainLoss));
    }
    // Different losses, different students (the three runs do differ).
    QVERIFY(a.runs[0].curve.back().kl != a.runs[1].curve.back().kl);
    QVERIFY(a.runs[1].curve.back().kl != a.runs[2].curve.back().kl);
    DistillRequest alone = q;
    alone.runs = *parseRuns("T=4");
    const TrainOutcome c = run(alone);
    QVERIFY(sameCurve(c.runs[0].curve, a.runs[1].curve));
    QVERIFY(sameBits(c.runs[0].master, a.runs[1].master));
    DistillRequest other = q;
    other.options.seed = 12;
    QVERIFY(!sameBits(run(other).runs[1].master, a.runs[1].master));
  }

  // A student made of the teacher's first block, trained on soft labels, moves toward the teacher:
  // the held-out KL falls.
  void distillationLowersKl() {
    QTemporaryDir dir;
    DistillRequest q = smallDistill(smallText(dir, "prideprejudice.txt", 60000));
    q.student = StudentSpec{};
    q.student.dim = 64;
    q.student.hiddenDim = 176;
    q.student.nLayers = 1;
    q.student.nHeads = 4;
    q.student.nKvHeads = 2;
    q.student.init = StudentSpec::Init::TeacherLayers;
    q.runs = *parseRuns("T=1");
    q.options.steps = 12;
    q.options.evalEvery = 12;
    q.options.lr = 3e-3;
    auto job = prepareDistill(q);
    QVERIFY2(job.ok(), job.ok() ? "" : job.error().message.c_str());
    auto out = runTraining((*job)->setup);
    QVERIFY(out.ok());
    const auto& curve = out->runs[0].curve;
    QVERIFY2(curve.back().kl < 0.9 * curve.front().kl,
             qPrintable(QStringLiteral("%1 → %2").arg(curve.front().kl).arg(curve.back().kl)));
  }

  // QAT against PTQ at int3 per row: the PTQ line is flat and equals the reconstruction of every
  // matrix by quantizeTensor evaluated directly; both start at the same point; after one step
  // every weight that saturated is exactly where it was (straight-through gradient 0, no decay).
  void qatAgainstPtq() {
    QTemporaryDir dir;
    QatRequest q;
    q.model = kDemoDir;
    auto recipe = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 3,
                                      "calib": "percentile:99"}]})");
    QVERIFY(recipe.ok());
    q.recipe = *recipe;
    q.options.steps = 2;
    q.options.batch = 2;
    q.options.seqLen = 16;
    q.options.evalEvery = 1;
    q.options.lr = 1e-3;
    q.data.corpus.train = {smallText(dir, "persuasion.txt", 60000)};
    q.data.maxEvalTokens = 64;
    auto job = prepareQat(q);
    QVERIFY2(job.ok(), job.ok() ? "" : job.error().message.c_str());
    const TrainSetup& s = (*job)->setup;
    QCOMPARE(s.runs.size(), std::size_t{2});

    // The reconstruction by hand: every tensor of rank 2 through quantizeTensor.
    std::vector<float> ptq = s.studentInit;
    std::vector<unsigned char> saturated(ptq.size(), 0);
    std::size_t nSaturated = 0;
    for (std::size_t i = 0; i < s.studentLayout.tensors().size(); ++i) {
      const TensorSlot& slot = s.studentLayout.tensors()[i];
      if (!slot.matrix) continue;
      FloatTensor t{s.tensorNames[i], slot.shape(), {ptq.begin() + slot.offset, ptq.begin() + slot.offset + slot.size()}};
      auto r = quantizeTensor(t, recipe->rules[0].params);
      QVERIFY(r.ok());
      std::copy(r->reconstruction.begin(), r->reconstruction.end(), ptq.begin() + slot.offset);
      for (std::size_t k = 0; k < slot.size(); ++k) nSaturated += saturated[slot.offset + k] = r->saturated[k];
    }
    QVERIFY(nSaturated > 100);  // percentile 99 clips about 1% of each row
    Network<float> net(s.studentLayout);
    const auto teacherLogits = windowLogits(net, s.teacherParams, s.data->heldout);
    const HeldoutFigures direct = evaluateHeldout(net, ptq, s.data->heldout, teacherLogits);
    QVERIFY(direct.kl > 0.05);

    auto out = runTraining(s);
    QVERIFY(out.ok());
    const RunResult &p = out->runs[0], &qat = out->runs[1];
    QCOMPARE(p.curve.size(), std::size_t{3});
    for (const CurvePoint& pt : p.curve) {
      QCOMPARE(pt.kl, direct.kl);
      QCOMPARE(pt.ppl, direct.ppl);
      QVERIFY(std::isnan(pt.trainLoss));
    }
    QCOMPARE(qat.curve[0].kl, direct.kl);
    QVERIFY(qat.curve[2].kl != direct.kl);
    QVERIFY(sameBits(p.effective, ptq));
    // Saturated at the start → never moved (two steps, gradient 0, no weight decay).
    std::size_t moved = 0, unsatMoved = 0;
    for (std::size_t i = 0; i < ptq.size(); ++i) {
      const bool changed = qat.master[i] != s.studentInit[i];
      if (saturated[i]) moved += changed ? 1 : 0;
      else unsatMoved += changed ? 1 : 0;
    }
    // An element that saturated at step 0 but not at step 1 may move at step 2; most stay.
    QVERIFY2(moved < nSaturated / 4, qPrintable(QStringLiteral("%1 of %2 saturated weights moved").arg(moved).arg(nSaturated)));
    QVERIFY(unsatMoved > ptq.size() / 2);
  }

  // A student saved as a Hugging Face folder reopens (config, tokenizer, weights) with the same
  // logits; a teacher with adjacent-pair RoPE (llama2.c) is saved with its q/k rows permuted to
  // the halves pairing and still gives the same logits.
  void savedModelReopens() {
    QTemporaryDir dir;
    auto m = loadModel(kDemoDir);
    QVERIFY(m.ok());
    PreparedJob job;
    job.kind = "distill";
    job.teacher = std::move(m).value();
    job.setup.studentLayout = job.teacher.layout;
    RunResult run;
    run.spec.label = "copy";
    run.effective = job.teacher.params;
    for (float& v : run.effective) v *= 1.01f;
    const fs::path out = fs::path(dir.path().toStdString()) / "student";
    QVERIFY(saveRun(job, run, out).ok());
    QVERIFY(!saveRun(job, run, kDemoDir).ok());  // never over the teacher's own folder
    auto back = loadModel(out);
    QVERIFY2(back.ok(), back.ok() ? "" : back.error().message.c_str());
    QVERIFY(sameBits(back->params, run.effective));
    QCOMPARE(back->files.tokenizer->vocabSize(), job.teacher.files.tokenizer->vocabSize());

    auto llama2c = loadModel(fs::path(QUENCH_SHARED_DATA) / "models" / "stories260K" / "stories260K.bin");
    QVERIFY2(llama2c.ok(), llama2c.ok() ? "" : llama2c.error().message.c_str());
    QVERIFY(llama2c->layout.config().rope == model::RopeStyle::AdjacentPairs);
    const fs::path out2 = fs::path(dir.path().toStdString()) / "stories";
    QVERIFY(saveHfFolder(out2, llama2c->layout, llama2c->params, {}).ok());
    auto reader = openTensorFile(out2 / "model.safetensors");
    QVERIFY(reader.ok());
    model::ModelConfig hc = llama2c->layout.config();
    hc.rope = model::RopeStyle::Halves;
    const ParameterLayout hl(hc);
    std::vector<float> hp(hl.size());
    for (const TensorSlot& slot : hl.tensors()) {
      auto t = (*reader)->readFloat(hfTensorName(slot.name));
      QVERIFY2(t.ok(), slot.name.c_str());
      std::copy(t->values.begin(), t->values.end(), hp.begin() + slot.offset);
    }
    Network<float> a(llama2c->layout), b(hl);
    SequenceCache<float> ca, cb;
    const std::vector<int> ids{1, 403, 407, 261, 378, 20, 9, 300};
    a.forward(llama2c->params.data(), ids, ca);
    b.forward(hp.data(), ids, cb);
    QVERIFY((ca.logits - cb.logits).cwiseAbs().maxCoeff() < 1e-4f);
    std::ifstream cfg(out2 / "config.json");
    const std::string text((std::istreambuf_iterator<char>(cfg)), std::istreambuf_iterator<char>());
    QVERIFY(text.find("\"rms_norm_eps\": 1e-05") != std::string::npos);
  }

  // Sequences sampled from the teacher: BOS first, the asked length, the same for a seed whatever
  // the thread count, different for another seed; every drawn token has a non-negligible
  // probability under the teacher at its position.
  void sampledFromTheTeacher() {
    auto m = loadModel(kDemoDir);
    QVERIFY(m.ok());
    Network<float> net(m->layout);
    SampleOptions o;
    o.trainSequences = 3;
    o.heldoutSequences = 2;
    o.length = 12;
    o.seed = 5;
    auto a = sampledData(net, m->params.data(), m->files.tokenizer->bosId(), o);
    QVERIFY(a.ok());
    QCOMPARE(a->train.size(), std::size_t{36});
    QCOMPARE(a->heldout.size(), std::size_t{2});
    for (std::size_t i = 0; i < 3; ++i) QCOMPARE(a->train[i * 12], m->files.tokenizer->bosId());
    for (const auto& w : a->heldout) {
      QCOMPARE(w.size(), std::size_t{12});
      QCOMPARE(w.front(), m->files.tokenizer->bosId());
      SequenceCache<float> cache;
      net.forward(m->params.data(), w, cache);
      for (std::size_t t = 0; t + 1 < w.size(); ++t) {
        const auto row = cache.logits.row(static_cast<Eigen::Index>(t));
        const double lse = row.maxCoeff() + std::log((row.array() - row.maxCoeff()).cast<double>().exp().sum());
        QVERIFY(row[w[t + 1]] - lse > std::log(1e-6));
      }
    }
    {
      exec::ThreadLimit one(1);
      auto b = sampledData(net, m->params.data(), m->files.tokenizer->bosId(), o);
      QVERIFY(b.ok());
      QVERIFY(b->train == a->train && b->heldout == a->heldout);
    }
    o.seed = 6;
    auto c = sampledData(net, m->params.data(), m->files.tokenizer->bosId(), o);
    QVERIFY(c.ok());
    QVERIFY(c->train != a->train);
    o.length = 200;  // beyond the context of 128
    QVERIFY(!sampledData(net, m->params.data(), 1, o).ok());
  }

  void runListParsing() {
    auto r = parseRuns(" T=1 ; T=4;hard; T=2, alpha=0.5 ");
    QVERIFY(r.ok());
    QCOMPARE(r->size(), std::size_t{4});
    QCOMPARE(QString::fromStdString((*r)[1].label), QStringLiteral("T = 4"));
    QCOMPARE((*r)[2].loss.alpha, 0.0);
    QCOMPARE(QString::fromStdString((*r)[2].label), QStringLiteral("hard labels"));
    QCOMPARE(QString::fromStdString((*r)[3].label), QStringLiteral("T = 2, α = 0.5"));
    QCOMPARE(QString::fromStdString(runSlug((*r)[3].loss)), QStringLiteral("T2_alpha0.5"));
    QVERIFY(!parseRuns("T=0").ok());
    QVERIFY(!parseRuns("T=1; T=1").ok());
    QVERIFY(!parseRuns("alpha=2").ok());
    QVERIFY(!parseRuns("beta=1").ok());
    QVERIFY(!parseRuns(" ; ").ok());
  }

  void invalidSettingsAreErrors() {
    auto m = loadModel(kDemoDir);
    QVERIFY(m.ok());
    StudentSpec s;
    s.dim = 30;  // not divisible by 4 heads... (2 heads of 15: odd head size)
    QVERIFY(!studentConfig(m->layout.config(), s).ok());
    s = StudentSpec{};
    s.init = StudentSpec::Init::TeacherLayers;  // width 32 ≠ the teacher's 64
    QVERIFY(!studentConfig(m->layout.config(), s).ok());
    s = StudentSpec{};
    s.dim = 2048;
    s.hiddenDim = 8192;
    s.nHeads = 16;
    s.nKvHeads = 16;
    QVERIFY(!studentConfig(m->layout.config(), s).ok());  // far beyond teaching scale
    TokenData d;
    d.train = {1, 5, 6, 7};
    d.heldout = {{1, 5, 6}};
    TrainSetup t;
    t.teacherLayout = &m->layout;
    t.teacherParams = m->params;
    t.studentLayout = m->layout;
    t.studentInit = m->params;
    t.data = &d;
    t.runs = {RunSpec{"x", {}, true, {}}};
    t.options.seqLen = 16;  // longer than the 4 training tokens
    auto out = runTraining(t);
    QVERIFY(!out.ok());
    QVERIFY(QString::fromStdString(out.error().message).contains("fewer than one window"));
  }

  void otherArchitecturesAreRefused() {
    // The runtime opens Qwen2 / Llama 3 checkpoints (tests/data/model, tools/make_arch_checkpoints.py);
    // the training engine computes plain Llama only and says which feature it lacks.
    const fs::path data(QUENCH_TEST_DATA);
    auto qwen = loadModel(data / "model" / "qwen2" / "hf");
    QVERIFY(!qwen.ok());
    QVERIFY2(QString::fromStdString(qwen.error().message).contains("the qwen2 architecture"), qwen.error().message.c_str());
    auto llama3 = loadModel(data / "model" / "llama3" / "hf");
    QVERIFY(!llama3.ok());
    QVERIFY2(QString::fromStdString(llama3.error().message).contains("RoPE scaling"), llama3.error().message.c_str());
    QVERIFY(loadModel(data / "model" / "llama" / "hf").ok());  // plain Llama, two shards
  }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
