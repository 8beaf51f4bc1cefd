// Where in depth the divergence enters (MATH.md §14; core/eval/layer_stream.h): per-layer relative
// error, cosine and logit-lens KL in both modes against tools/reference_depth.py (NumPy, float64;
// tests/data/eval/depth_golden.json) on stories260K.gguf and the random Llama checkpoint; the lens
// at the last layer is the model's KL exactly; a recipe that changes one layer leaves the isolated
// error of every other layer at exactly 0.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

#include "common/fuzzy.h"
#include "common/or_die.h"
#include "core/eval/layer_stream.h"

using namespace quench;
using namespace quench::model;
using namespace quench::eval;

namespace {
QJsonObject golden() {
  QFile f(test::testData("eval/depth_golden.json"));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read depth_golden.json");
  return QJsonDocument::fromJson(f.readAll()).object();
}

std::string modelPath(const QString& spec) {
  const QString rel = spec.section(':', 1);
  return (spec.startsWith("shared:") ? test::sharedData(rel) : test::testData(rel)).toStdString();
}

// The float32 engine against a float64 reference through up to 5 layers: the figures agree to a
// few 1e-7 relative (measured: model KL 4e-7); a quantization code that differed from the
// reference's would move them by 1e-3 or more.
bool close(double a, double b, double rel, double abs) { return std::fabs(a - b) <= abs + rel * std::fabs(b); }

#define CLOSE(actual, expected, rel, abs)                                                                       \
  QVERIFY2(close((actual), (expected), (rel), (abs)),                                                          \
           qPrintable(QStringLiteral("%1 = %2, reference %3").arg(#actual).arg((actual), 0, 'g', 12).arg((expected), 0, 'g', 12)))

constexpr double kRel = 2e-5, kAbsR = 1e-6, kAbsKl = 1e-6;

StreamedEvaluation evaluateBoth(const ModelFiles& m, const Recipe& r, const std::vector<std::vector<int>>& seqs, int block = kBlockTokens) {
  StreamedOptions o;
  o.propagated = o.isolated = true;
  o.keepDepthCells = true;
  o.blockTokens = block;
  auto e = evaluateStreamed(m, r, seqs, nullptr, o);
  if (!e) qFatal("%s", e.error().message.c_str());
  return std::move(e).value();
}
}  // namespace

class TestDepth : public QObject {
  Q_OBJECT
 private slots:
  void againstNumpyReference_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("block");
    const QJsonArray cases = golden()["cases"].toArray();
    QCOMPARE(cases.size(), 3);
    for (int i = 0; i < cases.size(); ++i) {
      const QString name = cases[i].toObject()["name"].toString();
      QTest::newRow(qPrintable(name)) << i << kBlockTokens;
      QTest::newRow(qPrintable(name + " (blocks of 4)")) << i << 4;  // KV-cached blocks give the same figures
    }
  }

  void againstNumpyReference() {
    QFETCH(int, index);
    QFETCH(int, block);
    const QJsonObject c = golden()["cases"].toArray()[index].toObject();
    const ModelFiles m = test::orDie(openModel(modelPath(c["model"].toString())));
    const Recipe recipe = test::orDie(recipeFromJson(QJsonDocument(c["recipe"].toObject()).toJson().toStdString()));
    std::vector<std::vector<int>> seqs;
    std::size_t positions = 0;
    for (const auto& s : c["sequences"].toArray()) {
      std::vector<int> ids;
      for (const auto& t : s.toArray()) ids.push_back(t.toInt());
      positions += ids.size();
      seqs.push_back(std::move(ids));
    }
    const StreamedEvaluation e = evaluateBoth(m, recipe, seqs, block);
    CLOSE(e.evaluation.summary.klMean, c["kl_mean"].toDouble(), kRel, kAbsKl);
    QCOMPARE(e.depth.size(), std::size_t{2});
    const int layers = m.config.nLayers;
    for (const DepthProfile& p : e.depth) {
      const QJsonArray ref = c[depthModeName(p.mode)].toArray();
      QCOMPARE(int(p.layers.size()), layers);
      QCOMPARE(ref.size(), layers);
      QCOMPARE(p.positions, positions);
      for (int l = 0; l < layers; ++l) {
        const LayerDepth& d = p.layers[static_cast<std::size_t>(l)];
        const QJsonObject g = ref[l].toObject();
        QCOMPARE(d.layer, l + 1);
        CLOSE(d.relErrMean, g["rel_err_mean"].toDouble(), kRel, kAbsR);
        CLOSE(d.relErrMedian, g["rel_err_median"].toDouble(), kRel, kAbsR);
        CLOSE(d.relErrP90, g["rel_err_p90"].toDouble(), kRel, kAbsR);
        CLOSE(d.relErrP99, g["rel_err_p99"].toDouble(), kRel, kAbsR);
        CLOSE(d.relErrMax, g["rel_err_max"].toDouble(), kRel, kAbsR);
        CLOSE(d.cosineMean, g["cosine_mean"].toDouble(), 0, kAbsR);
        CLOSE(d.cosineMin, g["cosine_min"].toDouble(), 0, kAbsR);
        CLOSE(d.lensKlMean, g["lens_kl_mean"].toDouble(), kRel, kAbsKl);
        CLOSE(d.lensKlMedian, g["lens_kl_median"].toDouble(), kRel, kAbsKl);
        CLOSE(d.lensKlP90, g["lens_kl_p90"].toDouble(), kRel, kAbsKl);
        CLOSE(d.lensKlP99, g["lens_kl_p99"].toDouble(), kRel, kAbsKl);
        CLOSE(d.lensKlMax, g["lens_kl_max"].toDouble(), kRel, kAbsKl);
        QCOMPARE(d.lensKlInfinite, std::size_t{0});
        const QJsonArray r = g["rel_err"].toArray(), cs = g["cosine"].toArray(), kl = g["lens_kl"].toArray();
        for (std::size_t t = 0; t < positions; ++t) {
          const std::size_t cell = static_cast<std::size_t>(l) * positions + t;
          CLOSE(p.relErr[cell], r[int(t)].toDouble(), kRel, kAbsR);
          CLOSE(p.cosine[cell], cs[int(t)].toDouble(), 0, kAbsR);
          CLOSE(p.lensKl[cell], kl[int(t)].toDouble(), kRel, kAbsKl);
        }
      }
    }
    // MATH.md §14: at l = L the propagated logit lens is the model's KL (same rows, same order,
    // same function: equal to the last bit).
    const DepthProfile& prop = e.depth[0];
    QCOMPARE(prop.mode, DepthMode::Propagated);
    QVERIFY(prop.layers.back().lensKlMean == e.evaluation.summary.klMean);
    QVERIFY(prop.layers.back().lensKlMax == e.evaluation.summary.klMax);
    QVERIFY(prop.layers.back().lensKlP99 == e.evaluation.summary.klP99);
  }

  void oneLayerChangedLeavesEveryOtherIsolatedErrorAtZero() {
    // stories260K: 5 layers; the recipe changes block 3 (file names blk.2.*) only.
    const ModelFiles m = test::orDie(openModel(test::sharedData("models/stories260K-gguf/stories260K.gguf").toStdString()));
    const Recipe r = test::orDie(recipeFromJson(
        R"({"quench_recipe": 1, "rules": [{"tensors": "blk.2.*", "method": "int", "bits": 3, "partition": "row"}]})"));
    const std::vector<std::vector<int>> seqs{{1, 40, 90, 300, 12, 7, 255, 100}, {1, 5, 6}};
    const StreamedEvaluation e = evaluateBoth(m, r, seqs);
    const DepthProfile &prop = e.depth[0], &iso = e.depth[1];
    QCOMPARE(iso.mode, DepthMode::Isolated);
    for (int l = 1; l <= 5; ++l) {
      const LayerDepth& i = iso.layers[static_cast<std::size_t>(l - 1)];
      const LayerDepth& p = prop.layers[static_cast<std::size_t>(l - 1)];
      if (l == 3) {
        QVERIFY(i.relErrMean > 1e-3 && i.lensKlMean > 1e-6);
      } else {
        // Exactly P's block on P's input: the same products in the same order.
        QCOMPARE(i.relErrMax, 0.0);
        QCOMPARE(i.cosineMin, 1.0);
        QCOMPARE(i.lensKlMax, 0.0);
      }
      if (l < 3) {
        QCOMPARE(p.relErrMax, 0.0);
        QCOMPARE(p.lensKlMax, 0.0);
      } else {
        QVERIFY(p.relErrMean > 1e-3);  // the error of block 3 carried on
      }
    }
    // Cells: layer × position, every one of layer 2 (index 1) zero, layer 3's not all zero.
    QCOMPARE(iso.relErr.size(), std::size_t{5 * 11});
    for (std::size_t t = 0; t < 11; ++t) QCOMPARE(iso.relErr[1 * 11 + t], 0.0);
    double sum = 0;
    for (std::size_t t = 0; t < 11; ++t) sum += iso.relErr[2 * 11 + t];
    QVERIFY(sum > 0);
  }

  void onlyWhatIsAskedForIsComputed() {
    const ModelFiles m = test::orDie(openModel(test::sharedData("models/stories260K-gguf/stories260K.gguf").toStdString()));
    StreamedOptions o;
    o.isolated = true;
    auto e = evaluateStreamed(m, Recipe{}, {{1, 2, 3}}, nullptr, o);
    QVERIFY(e.ok());
    QCOMPARE(e->depth.size(), std::size_t{1});
    QCOMPARE(e->depth[0].mode, DepthMode::Isolated);
    QVERIFY(e->depth[0].relErr.empty());  // cells only on request
    QCOMPARE(e->depth[0].layers.size(), std::size_t{5});
    QCOMPARE(e->depth[0].layers[4].lensKlMax, 0.0);  // Q = P
  }
};

QTEST_GUILESS_MAIN(TestDepth)
#include "test_depth.moc"
