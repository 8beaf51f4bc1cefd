// The training engine's decoder (core/train/network.h):
//  - its forward pass gives the logits PyTorch computed in float64 for the demo LM
//    (tests/data/demo_lm_golden.json, written by tools/train_demo_lm.py);
//  - its backward pass agrees, for every element of every parameter tensor, with central finite
//    differences of the loss in float64 on tiny models (tied and separate output, both RoPE
//    pairings, grouped and full KV heads), for the distillation loss of MATH.md §16;
//  - on the demo LM itself its gradients equal PyTorch's autograd in float64
//    (tests/data/train/train_golden.json, written by tools/train_golden.py).
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <filesystem>
#include <vector>

#include "common/fuzzy.h"
#include "core/train/loss.h"
#include "core/train/model_io.h"
#include "core/train/network.h"
#include "core/train/rng.h"

using namespace quench;
using namespace quench::train;
namespace fs = std::filesystem;

namespace {
const fs::path kDemoDir = fs::path(QUENCH_SOURCE_DIR) / "resources" / "demo-lm";

QJsonObject readJson(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", qPrintable(path));
  return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<int> ints(const QJsonValue& v) {
  std::vector<int> out;
  for (const QJsonValue& x : v.toArray()) out.push_back(x.toInt(-1));
  return out;
}

// A tiny model with random weights for the gradient check (weights N(0, 0.5²), gains 1 + N(0, 0.2²)).
struct Tiny {
  ParameterLayout layout;
  std::vector<double> params;
  std::vector<int> tokens, labels;
  std::vector<double> teacher;  // (n, vocab) logits
};

Tiny makeTiny(bool tied, model::RopeStyle rope, int heads, int kvHeads, float theta, std::uint64_t seed) {
  model::ModelConfig c;
  c.dim = 4 * heads;
  c.hiddenDim = 12;
  c.nLayers = 2;
  c.nHeads = heads;
  c.nKvHeads = kvHeads;
  c.vocabSize = 11;
  c.seqLen = 8;
  c.normEps = 1e-5f;
  c.ropeTheta = theta;
  c.rope = rope;
  c.sharedClassifier = tied;
  Tiny t{ParameterLayout(c), {}, {}, {}, {}};
  Rng rng(seed);
  t.params.resize(t.layout.size());
  for (const TensorSlot& s : t.layout.tensors())
    for (std::size_t i = 0; i < s.size(); ++i)
      t.params[s.offset + i] = s.matrix ? 0.5 * rng.normal() : 1.0 + 0.2 * rng.normal();
  const int n = 6;
  for (int i = 0; i < n; ++i) {
    t.tokens.push_back(static_cast<int>(rng.below(11)));
    t.labels.push_back(static_cast<int>(rng.below(11)));
  }
  for (int i = 0; i < n * c.vocabSize; ++i) t.teacher.push_back(2.0 * rng.normal());
  return t;
}

// L(θ) = mean over positions of the §16 loss; fills grad with dL/dθ when given.
double lossAndGrad(const Network<double>& net, const Tiny& t, const std::vector<double>& params, const LossSpec& spec,
                   std::vector<double>* grad) {
  SequenceCache<double> cache;
  net.forward(params.data(), t.tokens, cache);
  const int n = static_cast<int>(t.tokens.size()), V = net.layout().config().vocabSize;
  MatrixT<double> dz(n, V);
  double loss = 0;
  for (int r = 0; r < n; ++r)
    loss += distillRow<double>(cache.logits.row(r).data(), t.teacher.data() + r * V, t.labels[r], V, spec, 1.0 / n,
                               dz.row(r).data())
                .loss;
  if (grad) {
    grad->assign(params.size(), 0.0);
    net.backward(params.data(), cache, dz, grad->data());
  }
  return loss / n;
}
}  // namespace

class TestNetwork : public QObject {
  Q_OBJECT

 private slots:
  // Logits of the demo LM at every position of the golden sentence, against PyTorch's float64.
  void forwardMatchesPyTorch() {
    const QJsonObject golden = readJson(test::testData("demo_lm_golden.json"));
    auto m = loadModel(kDemoDir);
    QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
    QCOMPARE(m->layout.size(), std::size_t{141632});
    Network<float> net(m->layout);
    std::vector<int> ids{m->files.tokenizer->bosId()};
    for (int id : ints(golden["test_sentence_ids"])) ids.push_back(id);
    SequenceCache<float> cache;
    net.forward(m->params.data(), ids, cache);
    const std::vector<int> logitIds = ints(golden["logit_ids"]);
    const QJsonArray positions = golden["positions"].toArray();
    QCOMPARE(static_cast<std::size_t>(positions.size()), ids.size());
    for (int i = 0; i < positions.size(); ++i) {
      const QJsonObject p = positions[i].toObject();
      const auto row = cache.logits.row(i);
      Eigen::Index argmax = 0;
      row.maxCoeff(&argmax);
      QCOMPARE(static_cast<int>(argmax), p["argmax"].toInt());
      const double mx = row.maxCoeff();
      const double lse = mx + std::log((row.array() - static_cast<float>(mx)).cast<double>().exp().sum());
      QUENCH_COMPARE_NEAR(lse, p["logsumexp"].toDouble(), 1e-5, 1e-4);
      const QJsonArray want = p["logits"].toArray();
      for (std::size_t k = 0; k < logitIds.size(); ++k)
        QUENCH_COMPARE_NEAR(row[logitIds[k]], want[static_cast<int>(k)].toDouble(), 1e-5, 1e-4);
    }
  }

  void gradientsMatchFiniteDifferences_data() {
    QTest::addColumn<bool>("tied");
    QTest::addColumn<bool>("halves");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<double>("theta");
    QTest::addColumn<double>("alpha");
    QTest::addColumn<double>("temperature");
    QTest::newRow("tied, halves, GQA 2:1, mixed loss") << true << true << 2 << 1 << 10000.0 << 0.6 << 2.5;
    QTest::newRow("separate output, adjacent pairs, MHA") << false << false << 2 << 2 << 50.0 << 0.3 << 1.0;
    QTest::newRow("tied, adjacent, GQA 4:2, soft only T=4") << true << false << 4 << 2 << 100.0 << 1.0 << 4.0;
    QTest::newRow("separate output, halves, hard labels only") << false << true << 4 << 1 << 10000.0 << 0.0 << 1.0;
  }

  // Every element of every tensor: backpropagation against the fourth-order central difference
  // (8(L(θ + h e_i) − L(θ − h e_i)) − (L(θ + 2h e_i) − L(θ − 2h e_i))) / 12h in float64, h = 1e-4
  // (the two-point difference's h² error reached 2e-7 relative where an embedding row has a small
  // norm and RMSNorm curves sharply). Truncation and rounding errors stay below 1e-8 relative; a
  // wrong backward formula is off by the gradient's own order. Each tensor's gradient must also be
  // clearly non-zero, so the comparison cannot pass vacuously.
  void gradientsMatchFiniteDifferences() {
    QFETCH(bool, tied);
    QFETCH(bool, halves);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(double, theta);
    QFETCH(double, alpha);
    QFETCH(double, temperature);
    const Tiny t = makeTiny(tied, halves ? model::RopeStyle::Halves : model::RopeStyle::AdjacentPairs, heads, kvHeads,
                            static_cast<float>(theta), 17 + heads * 3 + kvHeads);
    Network<double> net(t.layout);
    const LossSpec spec{temperature, alpha};
    std::vector<double> grad;
    lossAndGrad(net, t, t.params, spec, &grad);
    const double h = 1e-4;
    double worst = 0;
    std::vector<double> p = t.params;
    QStringList wrong;  // every tensor that fails, so a broken formula shows where it acts
    for (const TensorSlot& s : t.layout.tensors()) {
      double maxErr = 0, maxGrad = 0;
      for (std::size_t i = s.offset; i < s.offset + s.size(); ++i) {
        auto at = [&](double offset) {
          p[i] = t.params[i] + offset;
          const double l = lossAndGrad(net, t, p, spec, nullptr);
          p[i] = t.params[i];
          return l;
        };
        const double fd = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
        maxErr = std::max(maxErr, std::fabs(fd - grad[i]));
        maxGrad = std::max(maxGrad, std::fabs(fd));
      }
      QVERIFY2(maxGrad > 1e-4, qPrintable(QString::fromStdString(s.name) + ": gradient vanishes"));
      worst = std::max(worst, maxErr / maxGrad);
      if (!(maxErr <= 1e-7 * maxGrad))
        wrong << QStringLiteral("%1 (%2 of %3)").arg(QString::fromStdString(s.name)).arg(maxErr, 0, 'g', 3).arg(maxGrad, 0, 'g', 3);
    }
    QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("max |fd − backprop| (of max |grad|) too large in ") + wrong.join(", ")));
    qInfo("%zu tensors, %zu values: worst max|fd − backprop| / max|grad| = %.2e", t.layout.tensors().size(),
          t.layout.size(), worst);
  }

  void gradientsMatchPyTorch_data() {
    QTest::addColumn<QString>("which");
    QTest::newRow("cross-entropy, whole model") << QStringLiteral("ce_full");
    QTest::newRow("distillation, first block against the whole model") << QStringLiteral("kd_first_block");
  }

  // The demo LM's real weights, float32 engine against float64 autograd: loss to 1e-6, every
  // tensor's gradient norm to 1e-4 and its first values and largest entry to 1e-4 of that norm.
  void gradientsMatchPyTorch() {
    QFETCH(QString, which);
    const QJsonObject g = readJson(test::testData("train/train_golden.json"))["gradients"].toObject();
    const QJsonObject c = g[which].toObject();
    const std::vector<int> ids = ints(g["tokens"]);
    auto teacherModel = loadModel(kDemoDir);
    QVERIFY(teacherModel.ok());
    const ParameterLayout& tl = teacherModel->layout;
    // The student keeps the first `layers` blocks (the whole model for ce_full).
    model::ModelConfig sc = tl.config();
    sc.nLayers = c["layers"].toInt();
    const ParameterLayout sl(sc);
    std::vector<float> sp(sl.size());
    for (const TensorSlot& s : sl.tensors()) {
      const int ti = tl.find(s.name);
      QVERIFY(ti >= 0);
      std::copy_n(teacherModel->params.begin() + static_cast<std::ptrdiff_t>(tl.tensors()[ti].offset), s.size(),
                  sp.begin() + static_cast<std::ptrdiff_t>(s.offset));
    }
    Network<float> teacher(tl), student(sl);
    SequenceCache<float> tc, scache;
    teacher.forward(teacherModel->params.data(), ids, tc);
    student.forward(sp.data(), ids, scache);
    const int n = static_cast<int>(ids.size()) - 1, V = sc.vocabSize;  // positions with a next token
    const LossSpec spec{c["temperature"].toDouble(), c["alpha"].toDouble()};
    MatrixT<float> dz = MatrixT<float>::Zero(n + 1, V);  // the last position has no label: zero gradient
    double loss = 0;
    for (int r = 0; r < n; ++r)
      loss += distillRow<float>(scache.logits.row(r).data(), tc.logits.row(r).data(), ids[r + 1], V, spec, 1.0 / n,
                                dz.row(r).data())
                  .loss;
    QUENCH_COMPARE_NEAR(loss / n, c["loss"].toDouble(), 1e-6, 0.0);
    std::vector<float> grad(sl.size(), 0.0f);
    student.backward(sp.data(), scache, dz, grad.data());
    const QJsonObject grads = c["grads"].toObject();
    QCOMPARE(static_cast<std::size_t>(grads.size()), sl.tensors().size());
    for (const TensorSlot& s : sl.tensors()) {
      const QJsonObject want = grads[QString::fromStdString(hfTensorName(s.name))].toObject();
      QVERIFY2(!want.isEmpty(), s.name.c_str());
      const float* gs = grad.data() + s.offset;
      double ss = 0;
      for (std::size_t i = 0; i < s.size(); ++i) ss += double(gs[i]) * gs[i];
      const double norm = want["norm"].toDouble();
      QUENCH_COMPARE_NEAR(std::sqrt(ss), norm, 1e-4, 0.0);
      const QJsonArray first = want["first"].toArray();
      for (int i = 0; i < first.size(); ++i) QUENCH_COMPARE_NEAR(gs[i], first[i].toDouble(), 0.0, 1e-4 * norm);
      QUENCH_COMPARE_NEAR(gs[want["max_index"].toInt()], want["max_value"].toDouble(), 0.0, 1e-4 * norm);
    }
  }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "test_network.moc"
