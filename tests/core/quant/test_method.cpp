// The method registry (core/quant/method.h, issue 12): the built-in descriptors, validation of
// single values and between keys with the path of the key at fault, what an edit invalidates,
// labels, part layouts, calibration inputs, and the true bits per parameter each descriptor
// predicts against what its quantizer reports (by hand for the first, so the two cannot agree by
// sharing a mistake).
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/quant/codebook.h"
#include "core/quant/codebook_method.h"
#include "core/quant/float_method.h"
#include "core/quant/integer_method.h"
#include "core/quant/llm_int8_method.h"
#include "core/quant/method.h"
#include "core/quant/prune_method.h"

using namespace quench;

Q_DECLARE_METATYPE(quench::ParamValue)

namespace {

std::vector<float> normal(std::size_t n, unsigned seed) {
  std::vector<float> v(n);
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (float& x : v) x = nd(gen);
  return v;
}

QuantResult run(const MethodParams& p, const FloatTensor& t, const FloatTensor* acts = nullptr) {
  QuantResult out;
  const Work work;
  Status s = p.quantize(QuantizeContext{t, work, CalibrationInputs{acts, {}}, true}, out);
  if (!s) qFatal("%s", s.error().message.c_str());
  return out;
}

std::vector<std::string> keys(const MethodDescriptor& m) {
  std::vector<std::string> out;
  for (const ParamDescriptor& p : m.params()) out.push_back(p.key);
  return out;
}

}  // namespace

class TestMethod : public QObject {
  Q_OBJECT
 private slots:
  // The built-in methods and their keys in recipe order (recipe.h documents the same lists).
  void builtins() {
    QCOMPARE(methodNamesText(), std::string("int, float, nf4, fp4, prune or llm-int8"));
    QCOMPARE(keys(*findMethod("int")),
             (std::vector<std::string>{"bits", "symmetric", "partition", "calib", "round", "scale_format", "arithmetic",
                                       "aware", "damp", "act_order", "alpha", "seed", "overrides"}));
    QCOMPARE(keys(*findMethod("float")), (std::vector<std::string>{"format", "round", "block"}));
    QCOMPARE(keys(*findMethod("nf4")), (std::vector<std::string>{"block", "double_quant"}));
    QCOMPARE(keys(*findMethod("fp4")), (std::vector<std::string>{"block", "double_quant"}));
    QCOMPARE(keys(*findMethod("prune")), (std::vector<std::string>{"sparsity", "partition"}));
    QCOMPARE(keys(*findMethod("llm-int8")), (std::vector<std::string>{"threshold"}));
    QVERIFY(!findMethod("int5"));
    // The default MethodParams is int's defaults: 8-bit symmetric per row, absmax.
    const MethodParams d;
    QCOMPARE(std::string(d.name()), std::string("int"));
    QCOMPARE(d.as<IntSettings>(), IntSettings{});
    QCOMPARE(d.as<IntSettings>().bits, 8);
    QCOMPARE(d.as<IntSettings>().partition.text, std::string("row"));
    QVERIFY(d.get<FloatSettings>() == nullptr);
    // Values as the generic code sees them.
    QCOMPARE(*d.value("bits"), ParamValue(std::int64_t{8}));
    QCOMPARE(*d.value("calib"), ParamValue(std::string("absmax")));
    QCOMPARE(*MethodParams::defaults("prune").value("sparsity"), ParamValue(0.5));
    QVERIFY(!d.value("overrides"));  // per part, not a scalar
    QVERIFY(!d.value("nope"));
    // Flags default from keys; editor ids differ where one key means different things.
    QCOMPARE(findMethod("int")->param("scale_format")->flag, std::string("scale-format"));
    QCOMPARE(findMethod("int")->param("symmetric")->falseFlag, std::string("asymmetric"));
    QCOMPARE(findMethod("prune")->param("partition")->id, std::string("prune_partition"));
    QVERIFY(findMethod("int")->param("overrides")->flag.empty());
  }

  // One value at a time: the message says what is wrong without location, the path is the key.
  void setValidatesOneValue_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("key");
    QTest::addColumn<ParamValue>("value");
    QTest::addColumn<QString>("message");
    QTest::newRow("bits 9") << "int" << "bits" << ParamValue(std::int64_t{9}) << "bits must be 2..8 or 16, got 9";
    QTest::newRow("bits 1") << "int" << "bits" << ParamValue(std::int64_t{1}) << "bits must be 2..8 or 16, got 1";
    QTest::newRow("bits text") << "int" << "bits" << ParamValue(std::string("4")) << "expected an integer, got 4";
    QTest::newRow("symmetric") << "int" << "symmetric" << ParamValue(std::int64_t{1}) << "expected true or false, got 1";
    QTest::newRow("partition") << "int" << "partition" << ParamValue(std::string("diag"))
                               << "partition: unknown partition 'diag'";
    QTest::newRow("group") << "int" << "partition" << ParamValue(std::string("group:0")) << "bad group size";
    QTest::newRow("calib") << "int" << "calib" << ParamValue(std::string("percentile:0")) << "bad percentile";
    QTest::newRow("round") << "int" << "round" << ParamValue(std::string("sideways"))
                           << "unknown rounding 'sideways' (expected even, away, zero, up or stochastic)";
    QTest::newRow("scale format") << "int" << "scale_format" << ParamValue(std::string("fp8"))
                                  << "unknown scale format 'fp8' (expected fp32, fp16, bf16 or e8m0)";
    QTest::newRow("arithmetic") << "int" << "arithmetic" << ParamValue(std::string("cuda"))
                                << "unknown arithmetic 'cuda' (expected exact or ggml)";
    QTest::newRow("format") << "float" << "format" << ParamValue(std::string("e9m9")) << "E9M9: need 1 ≤ e ≤ 8";
    QTest::newRow("mx block") << "float" << "block" << ParamValue(std::int64_t{-1})
                              << "block size must be 0..16777216, got -1";
    QTest::newRow("nf4 block") << "nf4" << "block" << ParamValue(std::int64_t{0})
                               << "block size must be 1..16777216, got 0";
    QTest::newRow("sparsity") << "prune" << "sparsity" << ParamValue(std::string("4:2")) << "is not N:M with 1 ≤ N ≤ M";
    QTest::newRow("fraction") << "prune" << "sparsity" << ParamValue(1.5) << "neither a fraction in [0, 1] nor N:M";
    QTest::newRow("scope") << "prune" << "partition" << ParamValue(std::string("column"))
                           << "unknown pruning partition 'column' (expected tensor or row)";
    QTest::newRow("threshold") << "llm-int8" << "threshold" << ParamValue(-1.0)
                               << "threshold must be positive and finite, got -1";
    QTest::newRow("threshold 0") << "llm-int8" << "threshold" << ParamValue(std::int64_t{0})
                                 << "threshold must be positive and finite, got 0";
    QTest::newRow("other key") << "nf4" << "bits" << ParamValue(std::int64_t{4}) << "unknown key for method 'nf4'";
  }
  void setValidatesOneValue() {
    QFETCH(QString, method);
    QFETCH(QString, key);
    QFETCH(ParamValue, value);
    QFETCH(QString, message);
    MethodParams p = MethodParams::defaults(method.toStdString());
    const MethodParams before = p;
    Status s = p.set(key.toStdString(), value);
    QVERIFY(!s);
    QVERIFY2(QString::fromStdString(s.error().message).contains(message), s.error().message.c_str());
    QCOMPARE(QString::fromStdString(s.error().path), key);
    QCOMPARE(p, before);  // a refused value changes nothing
  }

  void setStoresTypedValues() {
    MethodParams p = MethodParams::defaults("int");
    QVERIFY(p.set("bits", std::int64_t{4}));
    QVERIFY(p.set("symmetric", false));
    QVERIFY(p.set("partition", std::string("group:64:column")));
    QVERIFY(p.set("calib", std::string("percentile:99.5")));
    QVERIFY(p.set("round", std::string("up")));
    const IntSettings& s = p.as<IntSettings>();
    QCOMPARE(s.bits, 4);
    QCOMPARE(s.symmetric, false);
    QCOMPARE(s.partition.kind, PartitionKind::GroupAlongColumn);
    QCOMPARE(s.partition.group, std::int64_t{64});
    QCOMPARE(s.calibration.method, CalibrationMethod::Percentile);
    QCOMPARE(s.calibration.percentile, 99.5);
    QCOMPARE(s.rounding, Rounding::HalfUp);
    MethodParams q = MethodParams::defaults("prune");
    QVERIFY(q.set("sparsity", std::string("2:4")));
    QCOMPARE(q.as<PruneSettings>().sparsity.structured, true);
    QCOMPARE(q.as<PruneSettings>().sparsity.n, 2);
    QCOMPARE(q.as<PruneSettings>().sparsity.m, 4);
    QCOMPARE(*q.value("sparsity"), ParamValue(std::string("2:4")));
    QVERIFY(q.set("sparsity", std::int64_t{1}));  // a whole fraction
    QCOMPARE(q.as<PruneSettings>().sparsity.fraction, 1.0);
    QVERIFY(q.isRelevant("partition"));
    QVERIFY(q.set("sparsity", std::string("2:4")));
    QVERIFY(!q.isRelevant("partition"));  // N:M groups run along rows: the scope does not apply
  }

  // Rules between keys: the path names the key to change.
  void validateBetweenKeys() {
    MethodParams p = MethodParams::defaults("int");
    QVERIFY(p.set("symmetric", false));
    QVERIFY(p.validate());
    QVERIFY(p.set("arithmetic", std::string("ggml")));
    Status s = p.validate();
    QVERIFY(!s);
    QCOMPARE(s.error().path, std::string("arithmetic"));
    QVERIFY(QString::fromStdString(s.error().message).contains("needs \"symmetric\": true"));
    QVERIFY(p.set("arithmetic", std::string("exact")));
    QVERIFY(p.set("calib", std::string("signed-max")));
    s = p.validate();
    QVERIFY(!s);
    QCOMPARE(s.error().path, std::string("calib"));
  }

  // What a change makes meaningless, and what it keeps.
  void reconcile() {
    MethodParams before = MethodParams::defaults("int");
    IntSettings& b = before.as<IntSettings>();
    b.arithmetic = CodeArithmetic::Ggml;
    b.overrides[0] = PartOverride{0.5, std::int64_t{0}, std::int64_t{-5}, std::int64_t{5}};
    b.overrides[1] = PartOverride{std::nullopt, std::nullopt, std::int64_t{-3}, std::int64_t{3}};
    // bits: typed clips belong to the old grid; the scale and zero point stay; a part left empty goes.
    MethodParams next = before;
    QVERIFY(next.set("bits", std::int64_t{4}));
    next.reconcile(before, "bits");
    QCOMPARE(next.as<IntSettings>().overrides.size(), std::size_t{1});
    QCOMPARE(next.as<IntSettings>().overrides.at(0), (PartOverride{0.5, std::int64_t{0}, std::nullopt, std::nullopt}));
    // the asymmetric grid: no ggml arithmetic, no zero points or clips of the other grid.
    next = before;
    QVERIFY(next.set("symmetric", false));
    next.reconcile(before, "symmetric");
    QCOMPARE(next.as<IntSettings>().arithmetic, CodeArithmetic::Exact);
    QCOMPARE(next.as<IntSettings>().overrides.size(), std::size_t{1});
    QCOMPARE(next.as<IntSettings>().overrides.at(0), (PartOverride{0.5, std::nullopt, std::nullopt, std::nullopt}));
    QVERIFY(next.validate());
    // another partition: part j is other elements there.
    next = before;
    QVERIFY(next.set("partition", std::string("column")));
    next.reconcile(before, "partition");
    QVERIFY(next.as<IntSettings>().overrides.empty());
    // the same partition spelled again keeps them.
    next = before;
    QVERIFY(next.set("partition", std::string("row")));
    next.reconcile(before, "partition");
    QCOMPARE(next.as<IntSettings>().overrides, b.overrides);
  }

  void labels() {
    MethodParams i = MethodParams::defaults("int");
    QCOMPARE(i.label(), std::string("int8 sym · row · absmax"));
    QCOMPARE(i.label(LabelStyle::Short), std::string("int8 row"));
    QVERIFY(i.set("bits", std::int64_t{4}));
    QVERIFY(i.set("symmetric", false));
    QVERIFY(i.set("partition", std::string("group:128")));
    QVERIFY(i.set("calib", std::string("percentile:99.9")));
    QCOMPARE(i.label(), std::string("int4 asym · group:128 · percentile:99.9"));
    QCOMPARE(i.label(LabelStyle::Short), std::string("int4 group:128 asym"));
    MethodParams f = MethodParams::defaults("float");
    QCOMPARE(f.label(), std::string("e4m3"));
    QVERIFY(f.set("block", std::int64_t{32}));
    QCOMPARE(f.label(), std::string("e4m3 · MX block 32"));
    QCOMPARE(f.label(LabelStyle::Short), std::string("e4m3 MX32"));
    MethodParams n = MethodParams::defaults("nf4");
    QCOMPARE(n.label(), std::string("nf4 · block 64"));
    QVERIFY(n.set("double_quant", true));
    QCOMPARE(n.label(), std::string("nf4 · block 64 · double quant"));
    QCOMPARE(n.label(LabelStyle::Short), std::string("nf4 block 64 dq"));
    QCOMPARE(MethodParams::defaults("prune").label(), std::string("prune 0.5 · tensor"));
    QCOMPARE(MethodParams::defaults("prune").label(LabelStyle::Short), std::string("prune 0.5"));
    QCOMPARE(MethodParams::defaults("llm-int8").label(), std::string("llm-int8 · τ = 6"));
    QCOMPARE(MethodParams::defaults("llm-int8").label(LabelStyle::Short), std::string("LLM.int8() τ=6"));
  }

  void partLayouts() {
    PartLayout l = MethodParams::defaults("int").partLayout();
    QCOMPARE(l.kind, PartLayout::Kind::Partition);
    QCOMPARE(l.partition->text, std::string("row"));
    QVERIFY(l.affineGrid);
    QCOMPARE(l.gridBits, 8);
    l = MethodParams::defaults("nf4").partLayout();
    QCOMPARE(l.kind, PartLayout::Kind::Blocks);
    QCOMPARE(l.block, std::size_t{64});
    QCOMPARE(l.levels, nf4Codebook().levels);
    QVERIFY(!l.saturation && !l.affineGrid);
    QCOMPARE(MethodParams::defaults("fp4").partLayout().levels, fp4BnbCodebook().levels);
    QCOMPARE(MethodParams::defaults("float").partLayout().kind, PartLayout::Kind::None);  // no MX block
    MethodParams f = MethodParams::defaults("float");
    QVERIFY(f.set("block", std::int64_t{32}));
    QCOMPARE(f.partLayout().kind, PartLayout::Kind::Blocks);
    QVERIFY(!MethodParams::defaults("prune").partLayout().scale);
  }

  // The descriptors' true bits per parameter: by hand first, then equal to what each quantizer
  // reports on tensors whose last block or group is short.
  void bitsPerParam() {
    const std::vector<std::int64_t> shape{16, 200};
    MethodParams i = MethodParams::defaults("int");
    QCOMPARE(*i.bitsPerParam(shape), 8 + 32.0 / 200);  // one fp32 scale per row
    QVERIFY(!i.bitsPerParam());                          // parts depend on the shape
    QVERIFY(i.set("bits", std::int64_t{4}));
    QVERIFY(i.set("symmetric", false));
    QVERIFY(i.set("partition", std::string("group:64")));
    QVERIFY(i.set("scale_format", std::string("fp16")));
    QCOMPARE(*i.bitsPerParam(shape), (4.0 * 3200 + 16 * 4 * (16 + 4)) / 3200);  // 4 groups per row: 64, 64, 64, 8
    MethodParams n = MethodParams::defaults("nf4");
    QCOMPARE(*n.bitsPerParam(), 4.5);
    QCOMPARE(*n.bitsPerParam(shape), (4.0 * 3200 + 32 * 50) / 3200);  // 3200 / 64 = 50 blocks
    QVERIFY(n.set("double_quant", true));
    QCOMPARE(*n.bitsPerParam(shape), (4.0 * 3200 + 8 * 50 + 32 + 32) / 3200);  // one dq group + the mean
    MethodParams f = MethodParams::defaults("float");
    QCOMPARE(*f.bitsPerParam(shape), 8.0);
    QVERIFY(f.set("format", std::string("e2m1")));
    QVERIFY(f.set("block", std::int64_t{96}));
    QCOMPARE(*f.bitsPerParam(shape), (4.0 * 3200 + 8 * 34) / 3200);  // 33 full blocks and one of 32
    MethodParams p = MethodParams::defaults("prune");
    QCOMPARE(*p.bitsPerParam(shape), 32.0);
    QVERIFY(p.set("sparsity", std::string("2:4")));
    QCOMPARE(*p.bitsPerParam(shape), (32.0 * 2 + 2 * 2) / 4);  // 17
    QVERIFY(!MethodParams::defaults("llm-int8").bitsPerParam(shape));  // depends on the outliers

    const FloatTensor t{"w", shape, normal(3200, 3)};
    for (const MethodParams& m : {MethodParams::defaults("int"), i, MethodParams::defaults("nf4"), n, f, p,
                                  MethodParams::defaults("float"), MethodParams::defaults("fp4")}) {
      const QuantResult r = run(m, t);
      QCOMPARE(*m.bitsPerParam(shape), r.total.bitsPerParam);
    }
  }

  // The activations go to the methods that take them; their width is checked for them.
  void calibrationInputs() {
    QCOMPARE(findMethod("llm-int8")->info().needs.activations, Need::Optional);
    QCOMPARE(findMethod("int")->info().needs.activations, Need::None);
    FloatTensor w{"w", {2, 4}, {0.5f, -0.25f, 0.1f, 0.2f, 0.3f, 0.4f, -0.5f, 0.05f}};
    FloatTensor x{"x", {2, 3}, {1, 2, 3, 4, 5, 6}};
    QuantResult out;
    const Work work;
    Status s = MethodParams::defaults("llm-int8").quantize(QuantizeContext{w, work, CalibrationInputs{&x, {}}, true}, out);
    QVERIFY(!s);
    QCOMPARE(s.error().message, std::string("llm-int8: activations have 3 features, the weight has 4 input columns"));
    QCOMPARE(s.error().path, std::string("activations"));
    // A method that takes none ignores them.
    QVERIFY(MethodParams::defaults("int").quantize(QuantizeContext{w, work, CalibrationInputs{&x, {}}, true}, out));
    // With activations whose column 2 reaches τ = 6 (|X[1, 2]| = 6), that input column is kept.
    FloatTensor x4{"x", {2, 4}, {1, 2, 3, 4, 5, 1, 6, 1}};
    const QuantResult r = run(MethodParams::defaults("llm-int8"), w, &x4);
    QCOMPARE(r.reconstruction[2], w.values[2]);
    QCOMPARE(r.reconstruction[6], w.values[6]);
  }

  void registerErrors() {
    struct Switch {
      bool on = false;
      bool operator==(const Switch&) const = default;
    };
    struct Dummy final : TypedMethod<Switch> {
      Dummy(std::string name, std::vector<ParamDescriptor> params)
          : TypedMethod({std::move(name), "dummy", "x̃ = x", "", {}}, std::move(params)) {}
      std::string label(const Switch&, LabelStyle) const override { return "dummy"; }
      Status quantize(const Switch&, const QuantizeContext&, QuantResult&) const override { return {}; }
    };
    // A second "int".
    Status s = registerMethod(std::make_unique<Dummy>("int", std::vector<ParamDescriptor>{}));
    QVERIFY(!s);
    QVERIFY(QString::fromStdString(s.error().message).contains("registered already"));
    // --bits is an option for int; a switch of that name would make the command line ambiguous.
    std::vector<ParamDescriptor> clash;
    clash.push_back(ParamsOf<Switch>::boolean("bits", &Switch::on));
    s = registerMethod(std::make_unique<Dummy>("clash", std::move(clash)));
    QVERIFY(!s);
    QVERIFY(QString::fromStdString(s.error().message).contains("--bits is a switch"));
    QVERIFY(!findMethod("clash"));
  }

  void typedSpecs() {
    auto g = PartitionSpec::parse("group:0128:row");
    QVERIFY(g);
    QCOMPARE(g->text, std::string("group:0128:row"));  // kept as written: a recipe writes back what it read
    QCOMPARE(g->group, std::int64_t{128});
    QCOMPARE(g->on(std::vector<std::int64_t>{4, 256})->partCount(), std::size_t{8});
    QVERIFY(!PartitionSpec::parse("group:-1"));
    auto sp = Sparsity::parse("0.50");
    QVERIFY(sp);
    QCOMPARE(sp->spec(), std::string("0.5"));
    QCOMPARE(Sparsity::parse("02:4")->spec(), std::string("2:4"));
    auto f = FloatFormatSpec::parse("FP8_E4M3");
    QVERIFY(f);
    QCOMPARE(f->format.bits(), 8);
    QCOMPARE(f->text, std::string("FP8_E4M3"));
  }
};

QTEST_GUILESS_MAIN(TestMethod)
#include "test_method.moc"
