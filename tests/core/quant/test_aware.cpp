// The activation-aware steps of the int method (MATH.md §13) against the independent float64 NumPy
// references of tools/reference_aware.py (golden data tests/data/quant/aware_golden.{npz,json}):
// codes exactly, reconstructions and the layer-output errors to tolerance; and the dispatch's
// checks of hostile inputs (shapes, NaN, missing activations).
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "core/io/reader.h"
#include "core/quant/aware.h"
#include "core/quant/integer_method.h"

using namespace quench;
using Json = nlohmann::json;

namespace {

const std::string kDir = std::string(QUENCH_TEST_DATA) + "/quant/";

struct Golden {
  std::unique_ptr<TensorReader> reader;
  Json cases;
};

Golden& golden() {
  static Golden g = [] {
    Golden out;
    auto r = openTensorFile(kDir + "aware_golden.npz");
    if (!r) qFatal("%s", r.error().message.c_str());
    out.reader = std::move(*r);
    std::ifstream in(kDir + "aware_golden.json");
    out.cases = Json::parse(in);
    return out;
  }();
  return g;
}

FloatTensor tensor(const std::string& name) {
  auto t = golden().reader->readFloat(name);
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(*t);
}

MethodParams paramsOf(const Json& settings) {
  MethodParams p = MethodParams::defaults("int");
  for (const auto& [key, v] : settings.items()) {
    ParamValue value;
    if (v.is_boolean()) value = v.get<bool>();
    else if (v.is_number_integer()) value = v.get<std::int64_t>();
    else if (v.is_number()) value = v.get<double>();
    else value = v.get<std::string>();
    if (Status s = p.set(key, value); !s) qFatal("%s: %s", key.c_str(), s.error().message.c_str());
  }
  if (Status s = p.validate(); !s) qFatal("%s", s.error().message.c_str());
  return p;
}

bool near(double a, double b, double rel) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)); }

}  // namespace

class TestAware : public QObject {
  Q_OBJECT
 private slots:
  void goldenCases_data() {
    QTest::addColumn<QString>("name");
    for (const auto& [name, c] : ::golden().cases.items()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }
  void goldenCases() {
    QFETCH(QString, name);
    const std::string n = name.toStdString();
    const Json& c = ::golden().cases[n];
    const FloatTensor w = tensor(c["tensor"].get<std::string>());
    std::optional<FloatTensor> x;
    if (!c["activations"].is_null()) x = tensor(c["activations"].get<std::string>());
    std::vector<float> v;
    if (n == "wmse_v_group64_asym3") v = tensor("v").values;
    const MethodParams p = paramsOf(c["settings"]);
    QuantResult r;
    const QuantizeContext ctx{w, {}, CalibrationInputs{x ? &*x : nullptr, v}, true};
    const Status s = p.quantize(ctx, r);
    QVERIFY2(s, s ? "" : s.error().message.c_str());
    QVERIFY(r.aware);
    const FloatTensor codes = tensor(n + ".codes"), recon = tensor(n + ".recon");
    QCOMPARE(r.codes.size(), codes.values.size());
    std::size_t codeMismatch = 0;
    double maxDiff = 0, maxAbs = 0;
    for (std::size_t i = 0; i < r.codes.size(); ++i) {
      codeMismatch += r.codes[i] != static_cast<std::int32_t>(codes.values[i]);
      maxDiff = std::max(maxDiff, std::abs(static_cast<double>(r.reconstruction[i]) - recon.values[i]));
      maxAbs = std::max(maxAbs, std::abs(static_cast<double>(recon.values[i])));
    }
    QCOMPARE(codeMismatch, std::size_t{0});
    // Equal codes; the scales of groups GPTQ calibrates from updated columns (and products taken in
    // another order) may differ in the last bits.
    QVERIFY2(maxDiff <= 1e-6 * maxAbs, qPrintable(QString("max |Ŵ − Ŵ_ref| = %1").arg(maxDiff)));
    QVERIFY2(near(r.total.mse, c["mse"].get<double>(), 1e-6), qPrintable(QString::number(r.total.mse, 'g', 17)));
    if (c.contains("layer_output_error")) {
      QVERIFY(r.aware->layerOutputError);
      QVERIFY2(near(*r.aware->layerOutputError, c["layer_output_error"].get<double>(), 1e-9),
               qPrintable(QString::number(*r.aware->layerOutputError, 'g', 17)));
      QVERIFY(r.aware->layerOutputErrorRtn);
      QVERIFY2(near(*r.aware->layerOutputErrorRtn, c["layer_output_error_rtn"].get<double>(), 1e-9),
               qPrintable(QString::number(*r.aware->layerOutputErrorRtn, 'g', 17)));
    } else {
      QVERIFY(!r.aware->layerOutputError);
    }
    if (c.contains("alpha")) {
      QVERIFY(r.aware->alpha);
      QCOMPARE(*r.aware->alpha, c["alpha"].get<double>());
    }
    if (c.contains("alpha_curve")) {
      const auto& curve = c["alpha_curve"];
      QCOMPARE(r.aware->alphaCurve.size(), curve.size());
      for (std::size_t i = 0; i < curve.size(); ++i) {
        QCOMPARE(r.aware->alphaCurve[i].first, curve[i][0].get<double>());
        QVERIFY(near(r.aware->alphaCurve[i].second, curve[i][1].get<double>(), 1e-9));
      }
    }
    if (c.contains("zero_points")) {
      QCOMPARE(r.aware->zeroPoints, c["zero_points"].get<std::vector<double>>());
    }
    if (c.contains("rotation_block")) QCOMPARE(r.aware->rotationBlock, c["rotation_block"].get<std::int64_t>());
  }

  // AWQ at α = 0 is RTN (s = 1 everywhere): the same codes, reconstruction and error.
  void awqAlphaZeroIsRtn() {
    const FloatTensor w = tensor("W"), x = tensor("X");
    MethodParams rtn = paramsOf({{"bits", 3}, {"partition", "group:64"}});
    MethodParams awq = paramsOf({{"bits", 3}, {"partition", "group:64"}, {"aware", "awq"}, {"alpha", 0.0}});
    QuantResult a, b;
    QVERIFY(rtn.quantize({w, {}, {&x, {}}, true}, a));
    QVERIFY(awq.quantize({w, {}, {&x, {}}, true}, b));
    QCOMPARE(b.codes, a.codes);
    QCOMPARE(b.reconstruction, a.reconstruction);
    QCOMPARE(*b.aware->layerOutputError, *b.aware->layerOutputErrorRtn);
  }

  // Hostile inputs give errors that say what is wrong, never a crash.
  void hostile_data() {
    QTest::addColumn<QString>("aware");
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("expected");
    for (const char* a : {"gptq", "awq", "smoothquant", "wmse"})
      QTest::newRow((std::string(a) + " no X").c_str()) << a << "none" << "needs the activations X";
    for (const char* a : {"gptq", "awq", "smoothquant", "wmse", "rotate"}) {
      QTest::newRow((std::string(a) + " shape").c_str()) << a << "shape" << "the activations have 96 features, the weight has 256";
      QTest::newRow((std::string(a) + " NaN X").c_str()) << a << "nanX" << "activations: element 7 is NaN";
      QTest::newRow((std::string(a) + " NaN W").c_str()) << a << "nanW" << "weight element 3 is NaN";
    }
    QTest::newRow("hqq NaN W") << "hqq" << "nanW" << "hqq: weight element 3 is NaN";
    QTest::newRow("gptq rank 1") << "gptq" << "rank1" << "must be a matrix W (out × in)";
    QTest::newRow("wmse importance size") << "wmse" << "importance" << "the importance matrix has 3 values";
    QTest::newRow("gptq custom") << "gptq" << "zeroTokens" << "no tokens";
  }
  void hostile() {
    QFETCH(QString, aware);
    QFETCH(QString, what);
    QFETCH(QString, expected);
    FloatTensor w = tensor("W"), x = tensor("X");
    const FloatTensor x2 = tensor("X2");
    const FloatTensor* xp = &x;
    std::vector<float> v;
    if (what == "none") xp = nullptr;
    if (what == "shape") xp = &x2;
    if (what == "nanX") x.values[7] = NAN;
    if (what == "nanW") w.values[3] = NAN;
    if (what == "rank1") w.shape = {static_cast<std::int64_t>(w.values.size())};
    if (what == "importance") {
      xp = nullptr;
      v = {1, 2, 3};
    }
    if (what == "zeroTokens") {
      x.values.clear();
      x.shape = {0, 256};
    }
    const MethodParams p = paramsOf({{"bits", 4}, {"aware", aware.toStdString()}});
    QuantResult r;
    const Status s = p.quantize({w, {}, {xp, v}, true}, r);
    QVERIFY(!s);
    QVERIFY2(s.error().message.find(expected.toStdString()) != std::string::npos, s.error().message.c_str());
  }

  // The registry: aware keys in the int method's recipe order, their relevance, labels, bits.
  void registry() {
    MethodParams p = MethodParams::defaults("int");
    QVERIFY(!p.isRelevant("damp"));
    QVERIFY(p.set("aware", ParamValue(std::string("gptq"))));
    QVERIFY(p.isRelevant("damp") && p.isRelevant("act_order") && !p.isRelevant("alpha"));
    QVERIFY(p.set("act_order", ParamValue(true)));
    QCOMPARE(p.label(LabelStyle::Short), std::string("int8 row gptq act-order"));
    QVERIFY(!p.set("alpha", ParamValue(1.5)));
    QVERIFY(!p.set("alpha", ParamValue(std::string("fast"))));
    QVERIFY(p.set("alpha", ParamValue(std::string("0.25"))));
    QCOMPARE(p.value("alpha"), std::optional<ParamValue>(ParamValue(0.25)));
    QVERIFY(p.set("alpha", ParamValue(std::string("auto"))));
    QCOMPARE(p.value("alpha"), std::optional<ParamValue>(ParamValue(std::string("auto"))));
    QVERIFY(!p.set("aware", ParamValue(std::string("spinquant"))));
    // HQQ: the asymmetric grid with an fp32 zero point per part (4 bits, group 64, fp32 scale:
    // 4 + 64/64 = 5 bits per parameter).
    QVERIFY(p.set("aware", ParamValue(std::string("hqq"))));
    QVERIFY(p.set("bits", ParamValue(std::int64_t{4})));
    QVERIFY(p.set("partition", ParamValue(std::string("group:64"))));
    const std::int64_t shape[] = {16, 256};
    QCOMPARE(*p.bitsPerParam(shape), 5.0);
    QVERIFY(!p.isRelevant("symmetric"));
    QVERIFY(!p.partLayout().symmetricGrid);
  }
};

QTEST_GUILESS_MAIN(TestAware)
#include "test_aware.moc"
