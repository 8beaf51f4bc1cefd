// Recipe JSON (schema version, exact round trip, canonical text, clear errors), tensor selection
// (globs, the rank-1 rule of MATH.md §7), dispatch to every method, and applyRecipe on a file.
#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <random>

#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/quant/codebook_method.h"
#include "core/quant/integer_method.h"
#include "core/quant/prune_method.h"
#include "core/recipe/recipe.h"

using namespace quench;

namespace {
const char* kCanonical = R"({
  "quench_recipe": 1,
  "rules": [
    {
      "tensors": "*.attn.*",
      "method": "int",
      "bits": 4,
      "symmetric": false,
      "partition": "group:128",
      "calib": "percentile:99.9",
      "round": "away",
      "scale_format": "bf16",
      "arithmetic": "exact",
      "aware": "none",
      "damp": 0.01,
      "act_order": false,
      "alpha": "auto",
      "seed": 0,
      "overrides": {
        "0": {
          "scale": 0.01,
          "zero": 3
        },
        "2": {
          "clip_low": -7,
          "clip_high": 7
        }
      }
    },
    {
      "tensors": "layers.[0-3].mlp.*",
      "method": "nf4",
      "block": 64,
      "double_quant": true
    },
    {
      "tensors": "lm_head.weight",
      "method": "float",
      "format": "e4m3",
      "round": "even",
      "block": 32
    },
    {
      "tensors": "*",
      "method": "prune",
      "sparsity": "2:4",
      "partition": "tensor"
    },
    {
      "tensors": "norm.weight",
      "method": "prune",
      "sparsity": 0.25,
      "partition": "row"
    },
    {
      "tensors": "x?",
      "method": "llm-int8",
      "threshold": 6.5
    },
    {
      "tensors": "fp4",
      "method": "fp4",
      "block": 64,
      "double_quant": false
    },
    {
      "tensors": "blk.*",
      "method": "int",
      "bits": 4,
      "symmetric": true,
      "partition": "group:32",
      "calib": "signed-max",
      "round": "up",
      "scale_format": "fp16",
      "arithmetic": "ggml",
      "aware": "gptq",
      "damp": 0.05,
      "act_order": true,
      "alpha": 0.3,
      "seed": 7,
      "overrides": {}
    }
  ]
}
)";

std::vector<float> normal(std::size_t n, unsigned seed) {
  std::vector<float> v(n);
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  for (float& x : v) x = nd(gen);
  return v;
}
}  // namespace

class TestRecipe : public QObject {
  Q_OBJECT
 private slots:
  void roundTrip() {
    auto r = recipeFromJson(kCanonical);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(r->rules.size(), std::size_t{8});
    const IntSettings& p = r->rules[0].params.as<IntSettings>();
    QCOMPARE(p.bits, 4);
    QCOMPARE(p.symmetric, false);
    QCOMPARE(p.calibration.percentile, 99.9);
    QCOMPARE(p.rounding, Rounding::HalfAwayFromZero);
    QCOMPARE(p.scaleFormat, ScaleFormat::BF16);
    QCOMPARE(*p.overrides.at(0).scale, 0.01);
    QCOMPARE(*p.overrides.at(2).clipLow, std::int64_t{-7});
    QCOMPARE(r->rules[1].params.as<CodebookSettings>().doubleQuant, true);
    QCOMPARE(r->rules[4].params.as<PruneSettings>().sparsity.spec(), std::string("0.25"));
    // llama.cpp's Q4_0 keys (README: "Recipes for llama.cpp and OCP MX formats").
    QCOMPARE(r->rules[7].params.as<IntSettings>().calibration.method, CalibrationMethod::SignedMax);
    QCOMPARE(r->rules[7].params.as<IntSettings>().rounding, Rounding::HalfUp);
    QCOMPARE(r->rules[7].params.as<IntSettings>().arithmetic, CodeArithmetic::Ggml);
    QCOMPARE(r->rules[0].params.as<IntSettings>().arithmetic, CodeArithmetic::Exact);
    // The aware step's keys (MATH.md §13) live in the rule.
    const IntSettings& g = r->rules[7].params.as<IntSettings>();
    QCOMPARE(g.aware, AwareMethod::Gptq);
    QCOMPARE(g.damp, 0.05);
    QCOMPARE(g.actOrder, true);
    QCOMPARE(*g.alpha, 0.3);
    QCOMPARE(g.seed, std::uint64_t{7});
    QCOMPARE(p.aware, AwareMethod::None);
    QVERIFY(!p.alpha);
    // dump(parse(text)) == canonical text, parse(dump(r)) == r.
    QCOMPARE(QString::fromStdString(recipeToJson(*r)), QString(kCanonical));
    QCOMPARE(*recipeFromJson(recipeToJson(*r)), *r);
  }

  void builtRecipeRoundTrips() {
    Recipe r;
    MethodParams a = MethodParams::defaults("int");
    a.as<IntSettings>().calibration = *parseCalibration("mse");
    a.as<IntSettings>().overrides[5] = PartOverride{0.1 + 0.2, std::int64_t{-1}, std::nullopt, std::int64_t{9}};  // 0.30000000000000004
    r.rules.push_back({"w*", a});
    r.rules.push_back({"b", MethodParams::defaults("llm-int8")});
    r.rules.push_back({"c", MethodParams::defaults("float")});
    auto back = recipeFromJson(recipeToJson(r));
    QVERIFY(back.ok());
    QCOMPARE(*back, r);
    QCOMPARE(*back->rules[0].params.as<IntSettings>().overrides.at(5).scale, 0.1 + 0.2);  // shortest round-trip digits
  }

  void defaultsAndShorthands() {
    auto r = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int",
        "overrides": {"1": {"clip": 7}}}]})");
    QVERIFY(r.ok());
    const MethodParams& p = r->rules[0].params;
    QCOMPARE(p, ([] {
               MethodParams d = MethodParams::defaults("int");
               d.as<IntSettings>().overrides[1] = PartOverride{std::nullopt, std::nullopt, std::int64_t{-7}, std::int64_t{7}};
               return d;
             }()));
    QVERIFY(recipeFromJson(R"({"quench_recipe": 1})")->rules.empty());
  }

  void errors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("version") << R"({"quench_recipe": 2, "rules": []})" << "unsupported schema version 2";
    QTest::newRow("no version") << R"({"rules": []})" << "missing \"quench_recipe\"";
    QTest::newRow("top key") << R"({"quench_recipe": 1, "rule": []})" << "unknown key 'rule'";
    QTest::newRow("json") << R"({"quench_recipe": 1,)" << "not valid JSON";
    QTest::newRow("method") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int3"}]})"
                            << "rules[0].method: unknown method 'int3'";
    QTest::newRow("key") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bit": 4}]})"
                         << "rules[0].bit: unknown key for method 'int'";
    QTest::newRow("foreign key") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4", "bits": 4}]})"
                                 << "rules[0].bits: unknown key for method 'nf4'";
    QTest::newRow("bits") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 9}]})"
                          << "bits must be 2..8 or 16";
    QTest::newRow("calib") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "calib": "kl"}]})"
                           << "unknown calibrator 'kl'";
    QTest::newRow("partition") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "partition": "diag"}]})"
                               << "unknown partition 'diag'";
    QTest::newRow("type") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "symmetric": "yes"}]})"
                          << "expected true or false";
    QTest::newRow("format") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "float", "format": "e9m9"}]})"
                            << "rules[0].format";
    QTest::newRow("sparsity") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "prune", "sparsity": "4:2"}]})"
                              << "not N:M";
    QTest::newRow("override") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "overrides": {"0": {"scale": 0}}}]})"
                              << "scale must be positive";
    QTest::newRow("tensors") << R"({"quench_recipe": 1, "rules": [{"method": "int"}]})" << "missing \"tensors\"";
    QTest::newRow("arithmetic") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "arithmetic": "cuda"}]})"
                                << "rules[0].arithmetic: unknown arithmetic 'cuda'";
    QTest::newRow("ggml asymmetric")
        << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "symmetric": false, "arithmetic": "ggml"}]})"
        << "ggml (llama.cpp's Q8_0/Q4_0 codes) needs \"symmetric\": true";
    QTest::newRow("signed-max asymmetric")
        << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "symmetric": false, "calib": "signed-max"}]})"
        << "signed-max needs \"symmetric\": true";
    QTest::newRow("aware") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "aware": "spinquant"}]})"
                           << "rules[0].aware: unknown aware step 'spinquant'";
    QTest::newRow("alpha") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "alpha": 2}]})"
                           << "rules[0].alpha: alpha must be in [0, 1], got 2";
    QTest::newRow("damp") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "damp": -1}]})"
                          << "rules[0].damp";
    QTest::newRow("hqq overrides")
        << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "aware": "hqq", "overrides": {"0": {"scale": 1}}}]})"
        << "rules[0].overrides: hqq chooses every part's parameters";
    QTest::newRow("arithmetic float") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "float", "arithmetic": "ggml"}]})"
                                      << "rules[0].arithmetic: unknown key for method 'float'";
  }
  void errors() {
    QFETCH(QString, text);
    QFETCH(QString, message);
    auto r = recipeFromJson(text.toStdString());
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
  }

  // Errors carry the path of the offending key beside the message (issue 12), and a JSON syntax
  // error its byte offset; the message keeps naming the rule and key.
  void errorPaths_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("path");
    QTest::newRow("bits") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int"},
        {"tensors": "x", "method": "int", "bits": 9}]})" << "rules[1].bits";
    QTest::newRow("type") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "symmetric": "yes"}]})"
                          << "rules[0].symmetric";
    QTest::newRow("method") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int3"}]})"
                            << "rules[0].method";
    QTest::newRow("override") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int",
        "overrides": {"17": {"scale": 0}}}]})" << "rules[0].overrides[17].scale";
    QTest::newRow("between keys") << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int",
        "symmetric": false, "arithmetic": "ggml"}]})" << "rules[0].arithmetic";
    QTest::newRow("rule") << R"({"quench_recipe": 1, "rules": [{"method": "int"}]})" << "rules[0]";
    QTest::newRow("version") << R"({"quench_recipe": 2, "rules": []})" << "quench_recipe";
  }
  void errorPaths() {
    QFETCH(QString, text);
    QFETCH(QString, path);
    auto r = recipeFromJson(text.toStdString());
    QVERIFY(!r.ok());
    QCOMPARE(QString::fromStdString(r.error().path), path);
    QVERIFY2(QString::fromStdString(r.error().message).contains(path), r.error().message.c_str());
  }

  void errorOffsetAndFile() {
    // '{"quench_recipe": 1, x}': the bad literal x is byte 21 (0-based).
    auto r = recipeFromJson(R"({"quench_recipe": 1, x})");
    QVERIFY(!r.ok());
    QCOMPARE(r.error().offset, std::optional<std::uint64_t>(21));
    QTemporaryDir dir;
    const std::string path = dir.filePath("r.json").toStdString();
    {
      std::ofstream out(path);
      out << R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4", "block": 0}]})";
    }
    auto l = loadRecipe(path);
    QVERIFY(!l.ok());
    QCOMPARE(l.error().file, path);
    QCOMPARE(l.error().path, std::string("rules[0].block"));
    QVERIFY(QString::fromStdString(l.error().message).startsWith(QString::fromStdString(path + ": recipe: rules[0].block: ")));
    // The quantizer's own checks name the key too: an override for a part the tensor lacks.
    MethodParams p = MethodParams::defaults("int");
    p.as<IntSettings>().overrides[5000].scale = 0.5;
    auto q = quantizeTensor(FloatTensor{"w", {4, 8}, normal(32, 5)}, p);
    QVERIFY(!q.ok());
    QCOMPARE(q.error().path, std::string("overrides[5000]"));
    QVERIFY(QString::fromStdString(q.error().message).startsWith("w: quantize: override for part 5000"));
  }

  void globs() {
    QVERIFY(globMatch("*", "anything.weight"));
    QVERIFY(globMatch("layers.*.attn.w?", "layers.12.attn.wq"));
    QVERIFY(!globMatch("layers.*.attn.w?", "layers.12.attn.wqk"));
    QVERIFY(globMatch("layers.[0-3].*", "layers.2.mlp"));
    QVERIFY(!globMatch("layers.[0-3].*", "layers.5.mlp"));
    QVERIFY(globMatch("layers.[!0-3].*", "layers.5.mlp"));
    QVERIFY(globMatch("a*b*c", "aXXbYYc"));
    QVERIFY(!globMatch("a*b*c", "aXXbYY"));
    QVERIFY(globMatch("[ab]x", "bx"));
    QVERIFY(!globMatch("", "x"));
  }

  void rankRule() {
    Recipe r;
    r.rules.push_back({"*.weight", MethodParams::defaults("int")});
    r.rules.push_back({"norm.weight", MethodParams::defaults("nf4")});
    QCOMPARE(matchRule(r, "wq.weight", 2), std::optional<std::size_t>(0));
    // A 1-D tensor is skipped by the glob and selected only by the exact rule.
    QCOMPARE(matchRule(r, "norm.weight", 1), std::optional<std::size_t>(1));
    QCOMPARE(matchRule(r, "bias.weight", 1), std::nullopt);
    QCOMPARE(matchRule(r, "bias", 2), std::nullopt);
  }

  void dispatch() {
    FloatTensor t{"w", {16, 128}, normal(16 * 128, 1)};
    // int: identical to calling the integer quantizer directly.
    MethodParams ip = MethodParams::defaults("int");
    ip.as<IntSettings>().bits = 4;
    auto a = quantizeTensor(t, ip);
    auto b = quantizeInteger(t.values, Partition::rows(16, 128), IntegerParams{4});
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(a->codes, b->codes);
    QCOMPARE(a->total.bitsPerParam, 4 + 32.0 / 128);
    // nf4, B = 64: 4 + 32/64 = 4.5 bits; double quant lowers it (MATH.md §4).
    auto n = quantizeTensor(t, MethodParams::defaults("nf4"));
    QVERIFY2(n.ok(), n.ok() ? "" : n.error().message.c_str());
    QCOMPARE(n->total.bitsPerParam, 4.5);
    QVERIFY(n->total.sqnrDb > 15);
    auto f = quantizeTensor(t, MethodParams::defaults("float"));
    QVERIFY(f.ok());
    QCOMPARE(f->total.bitsPerParam, 8.0);
    MethodParams pp = MethodParams::defaults("prune");
    pp.as<PruneSettings>().sparsity = *Sparsity::parse("2:4");
    auto p = quantizeTensor(t, pp);
    QVERIFY(p.ok());
    std::size_t zeros = 0;
    for (float v : p->reconstruction) zeros += v == 0.0f;
    QCOMPARE(zeros, t.values.size() / 2);
    // llm-int8 weight-only: column 5 made an outlier (|w| ≥ τ) is kept exactly.
    FloatTensor o = t;
    o.values[3 * 128 + 5] = 9.0f;
    MethodParams lp = MethodParams::defaults("llm-int8");
    auto l = quantizeTensor(o, lp);
    QVERIFY(l.ok());
    for (int r = 0; r < 16; ++r) QCOMPARE(l->reconstruction[r * 128 + 5], o.values[r * 128 + 5]);
    QCOMPARE(l->total.bitsPerParam, (8.0 * 127 + 32 + 32) / 128);
    QVERIFY(!quantizeTensor(FloatTensor{"bad", {2}, {1.0f, NAN}}, ip).ok());
  }

  void applyToFile() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.safetensors").toStdString();
    std::vector<OutTensor> out{OutTensor::fromFloats("a.weight", {8, 64}, normal(512, 2)),
                               OutTensor::fromFloats("a.bias", {8}, normal(8, 3)),
                               OutTensor::fromFloats("b.weight", {4, 32}, normal(128, 4))};
    QVERIFY(writeSafetensors(path, out).ok());
    auto reader = openTensorFile(path);
    QVERIFY2(reader.ok(), reader.ok() ? "" : reader.error().message.c_str());
    Recipe r;
    r.rules.push_back({"a.*", MethodParams::defaults("int")});
    std::vector<std::string> seen;
    auto n = applyRecipe(**reader, r, [&](const FloatTensor& t, std::size_t rule, QuantResult&& q) -> Status {
      seen.push_back(t.name);
      if (rule != 0 || q.reconstruction.size() != t.values.size()) return makeError("unexpected");
      return {};
    });
    QVERIFY(n.ok());
    QCOMPARE(*n, std::size_t{1});  // a.bias is 1-D and not named exactly; b.weight does not match
    QCOMPARE(seen, std::vector<std::string>{"a.weight"});
  }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "test_recipe.moc"
