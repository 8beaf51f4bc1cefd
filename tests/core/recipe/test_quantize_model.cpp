// quantizeModel (core/recipe/quantize_model.h): a recipe applied to a file and the model written,
// checked by hand on tensors small enough to follow. The values written, the file order, the
// untouched tensors, the recipe in the metadata, the codes/scales/zero points, the figures (per
// tensor and over the model, MATH.md §7 on the concatenation written out in double), the storage
// bits, and the failures: a rejected tensor and a cancel write nothing and keep an existing target.
#include <QtTest/QtTest>

#include <QFile>
#include <QTemporaryDir>
#include <cmath>
#include <limits>

#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/recipe/quantize_model.h"

using namespace quench;

namespace {

// Row 0 has absmax 127 (s = 1), row 1 absmax 63.5 (s = 0.5): every level is exact in float. Codes
// by round-half-even of x/s: row 0 → 127, −64 (−63.5 ties to even), 2, 0; row 1 → 127, −20, 40
// (40.5 ties to even), 2. Reconstructions: 127, −64, 2, 0 | 63.5, −10, 20, 1.
const std::vector<float> kW = {127.0f, -63.5f, 2.0f, 0.4f, 63.5f, -10.0f, 20.25f, 1.0f};
const std::vector<float> kWq = {127.0f, -64.0f, 2.0f, 0.0f, 63.5f, -10.0f, 20.0f, 1.0f};
const std::vector<std::int32_t> kWcodes = {127, -64, 2, 0, 127, -20, 40, 2};
// Magnitude pruning of half of v (⌊0.5·6⌋ = 3 smallest |v| set to +0): 0.1, −0.2, 0.3 go.
const std::vector<float> kV = {0.1f, -4.0f, 0.3f, 2.0f, -0.2f, 5.0f};
const std::vector<float> kVq = {0.0f, -4.0f, 0.0f, 2.0f, 0.0f, 5.0f};
const std::vector<float> kNorm = {1.0f, 2.0f, 3.0f, 4.0f};

// int8 symmetric absmax per row on w; prune half by magnitude on v; norm (rank 1) is not named.
const char* kRecipe = R"({"quench_recipe": 1, "rules": [
  {"tensors": "w", "method": "int", "bits": 8, "partition": "row", "calib": "absmax"},
  {"tensors": "v*", "method": "prune", "sparsity": "0.5"}]})";

Recipe recipe(const char* text = kRecipe) {
  auto r = recipeFromJson(text);
  if (!r) qFatal("%s", r.error().message.c_str());
  return *r;
}

std::unique_ptr<TensorReader> open(const std::string& path) {
  auto r = openTensorFile(path);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

std::vector<std::string> names(const TensorReader& r) {
  std::vector<std::string> out;
  for (const TensorInfo& t : r.tensors()) out.push_back(t.name);
  return out;
}

}  // namespace

class TestQuantizeModel : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    m_model = m_dir.filePath("model.safetensors").toStdString();
    QVERIFY(writeSafetensors(m_model, {OutTensor::fromFloats("w", {2, 4}, kW), OutTensor::fromFloats("norm", {4}, kNorm),
                                       OutTensor::fromFloats("v", {3, 2}, kV)}));
  }

  void writesTheModel() {
    auto reader = open(m_model);
    const std::string out = m_dir.filePath("q.safetensors").toStdString();
    std::vector<std::pair<double, double>> progress;
    Work work{{}, [&](double done, double total) { progress.emplace_back(done, total); }};
    auto m = quantizeModel(*reader, recipe(), {out, false}, work);
    QVERIFY2(m, m ? "" : m.error().message.c_str());
    // Every tensor in file order, the selected ones quantized, norm as it was.
    auto q = open(out);
    QCOMPARE(names(*q), (std::vector<std::string>{"w", "norm", "v"}));
    QCOMPARE(q->readFloat("w")->values, kWq);
    QCOMPARE(q->readFloat("norm")->values, kNorm);
    QCOMPARE(q->readFloat("v")->values, kVq);
    QCOMPARE(q->tensors()[0].dtype, DType::F32);
    QCOMPARE(q->tensors()[0].shape, (Shape{2, 4}));
    bool hasRecipe = false;
    for (const auto& [k, v] : q->metadata()) hasRecipe = hasRecipe || (k == "quench_recipe" && v == recipeToJson(recipe()));
    QVERIFY(hasRecipe);
    // The report: two tensors by their rules, one copied.
    QCOMPARE(m->tensors.size(), std::size_t{2});
    QCOMPARE(m->tensors[0].name, std::string("w"));
    QCOMPARE(m->tensors[0].rule, std::size_t{0});
    QCOMPARE(m->tensors[0].parts.size(), std::size_t{2});
    QCOMPARE(m->tensors[0].parts[1].params.scale, 0.5);
    QCOMPARE(m->tensors[1].name, std::string("v"));
    QCOMPARE(m->tensors[1].rule, std::size_t{1});
    QCOMPARE(m->copied, std::size_t{1});
    // Progress over the file's 8 + 4 + 6 elements, ending at the total.
    QVERIFY(!progress.empty());
    QCOMPARE(progress.back(), (std::pair{18.0, 18.0}));
    for (std::size_t i = 1; i < progress.size(); ++i) QVERIFY(progress[i].first >= progress[i - 1].first);
  }

  void modelFigures() {
    auto reader = open(m_model);
    auto m = quantizeModel(*reader, recipe());
    QVERIFY(m);
    // MATH.md §7 over the 14 transformed elements, in double from the values above.
    double e2 = 0, x2 = 0, r2 = 0, dot = 0, maxErr = 0;
    auto add = [&](const std::vector<float>& x, const std::vector<float>& r) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double a = x[i], b = r[i];
        e2 += (a - b) * (a - b);
        x2 += a * a;
        r2 += b * b;
        dot += a * b;
        maxErr = std::max(maxErr, std::fabs(a - b));
      }
    };
    add(kW, kWq);
    add(kV, kVq);
    const ErrorFigures& t = m->total;
    QCOMPARE(t.numel, std::uint64_t{14});
    QUENCH_COMPARE_NEAR(t.mse, e2 / 14, 1e-15, 1e-12);
    QUENCH_COMPARE_NEAR(t.sqnrDb, 10 * std::log10(x2 / e2), 1e-12, 1e-12);
    QUENCH_COMPARE_NEAR(t.cosine, dot / std::sqrt(x2 * r2), 1e-15, 1e-12);
    QCOMPARE(t.maxAbsError, maxErr);  // 0.5: −63.5 → −64
    QCOMPARE(t.saturated, std::uint64_t{0});
    // Storage: int8 codes + one fp32 scale per row of 4 (8 + 32/4 = 16 bits per parameter) on w;
    // magnitude pruning is reported as dense fp32 (32) on v.
    QCOMPARE(m->tensors[0].figures.bitsPerParam, 16.0);
    QCOMPARE(m->tensors[1].figures.bitsPerParam, 32.0);
    QUENCH_COMPARE_NEAR(t.bitsPerParam, (16.0 * 8 + 32.0 * 6) / 14, 1e-15, 0);
    // Per tensor: w's MSE is (0.4² + 0.5² + 0.25²)/8 with 0.4 as stored (float32).
    const double e0 = double(0.4f);
    QUENCH_COMPARE_NEAR(m->tensors[0].figures.mse, (e0 * e0 + 0.25 + 0.0625) / 8, 1e-15, 0);
  }

  void codesScalesZeroPoints() {
    auto reader = open(m_model);
    const std::string out = m_dir.filePath("codes.safetensors").toStdString();
    QVERIFY(quantizeModel(*reader, recipe(), {out, true}));
    auto q = open(out);
    // Pruning has no codes: only w gets its three companions, right after it.
    QCOMPARE(names(*q), (std::vector<std::string>{"w", "w.codes", "w.scales", "w.zero_points", "norm", "v"}));
    QCOMPARE(q->tensors()[1].dtype, DType::I32);
    std::vector<float> codes;
    for (std::int32_t c : kWcodes) codes.push_back(float(c));
    QCOMPARE(q->readFloat("w.codes")->values, codes);
    QCOMPARE(q->readFloat("w.scales")->values, (std::vector<float>{1.0f, 0.5f}));
    QCOMPARE(q->readFloat("w.zero_points")->values, (std::vector<float>{0.0f, 0.0f}));
    QCOMPARE(q->readFloat("w")->values, kWq);
  }

  void failuresWriteNothing() {
    const std::string bad = m_dir.filePath("bad.safetensors").toStdString();
    std::vector<float> withNan = kW;
    withNan[5] = std::numeric_limits<float>::quiet_NaN();
    QVERIFY(writeSafetensors(bad, {OutTensor::fromFloats("v", {3, 2}, kV), OutTensor::fromFloats("w", {2, 4}, withNan)}));
    auto reader = open(bad);
    // An existing target keeps its content when the model cannot be written.
    const QString target = m_dir.filePath("keep.safetensors");
    {
      QFile f(target);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("old");
    }
    auto m = quantizeModel(*reader, recipe(), {target.toStdString(), false});
    QVERIFY(!m);
    // Named by the file and the tensor, the path under the rule that selected it.
    QVERIFY2(m.error().message.starts_with(bad + ": w: "), m.error().message.c_str());
    QVERIFY(m.error().message.find("NaN") != std::string::npos);
    QVERIFY(m.error().path.starts_with("rules[0]"));
    QCOMPARE(m.error().file, bad);
    QFile f(target);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("old"));
    QCOMPARE(QDir(m_dir.path()).entryList({"keep.safetensors.tmp*"}, QDir::Files).size(), 0);

    // Cancelled: an error saying so, and no file.
    auto good = open(m_model);
    std::stop_source stop;
    stop.request_stop();
    const QString none = m_dir.filePath("none.safetensors");
    auto c = quantizeModel(*good, recipe(), {none.toStdString(), false}, Work{stop.get_token(), {}});
    QVERIFY(!c);
    QVERIFY(c.error().message.ends_with("cancelled"));
    QVERIFY(!QFile::exists(none));
  }

 private:
  QTemporaryDir m_dir;
  std::string m_model;
};

QTEST_MAIN(TestQuantizeModel)
#include "test_quantize_model.moc"
