// Issue 12's proof that a quantization method has one home: this file defines a method that exists
// nowhere else (ternary weights, Li et al. 2016: x̃ = α·t with t ∈ {−1, 0, +1}, per tensor or per
// row), registers it in this test binary alone, and finds it, with no other file touched, in
//   - the recipe JSON: its keys parse, validate with the key's path, and write back canonically;
//   - quench-cli, run in-process: --method ternary, its flags with their --help text, its errors
//     naming the flag, and the quantization's figures (by hand below);
//   - the recipe editor: a panel with its fields (label, tooltip, widget by type), edits that
//     reach params() and refused values with a note under the field.
#include <QtTest/QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QTemporaryDir>
#include <QUndoStack>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/commands.h"
#include "common/fuzzy.h"
#include "core/io/writer.h"
#include "core/quant/method.h"
#include "core/quant/prune.h"
#include "core/recipe/recipe.h"
#include "widgets/recipe_editor.h"

using namespace quench;

namespace {

// ---- the method: what a new core/quant/ternary.{h,cpp} would hold -------------------------------

struct TernarySettings {
  double delta = 0.7;                     ///< Δ = delta · mean|x| of the part
  PruneScope scope = PruneScope::Tensor;  ///< one α per tensor or per row
  friend bool operator==(const TernarySettings&, const TernarySettings&) = default;
};

// Per part: Δ = delta·mean|x|, t = sign(x) where |x| > Δ else 0, α = mean |x| over |x| > Δ
// (0 when none), x̃ = α·t. Storage: 2 bits per element and an fp32 α per part.
class TernaryMethod final : public TypedMethod<TernarySettings> {
 public:
  TernaryMethod()
      : TypedMethod({"ternary", "ternary (TWN)", "t = sign(x)·[|x| > Δ], Δ = δ·mean|x|, x̃ = α·t", "", {}}, params()) {}

 protected:
  static std::vector<ParamDescriptor> params() {
    using P = ParamsOf<TernarySettings>;
    std::vector<ParamDescriptor> list;
    list.push_back(P::number("delta", &TernarySettings::delta, 0, 1, true)
                       .withLabel("threshold δ")
                       .withSpin(0.05, 2)
                       .withHelp("Δ = δ·mean|x|")
                       .withFormula("Δ = δ·mean|x|: |x| ≤ Δ becomes 0"));
    list.push_back(P::choice("scope", &TernarySettings::scope,
                             std::vector<EnumChoice<PruneScope>>{{PruneScope::Tensor, "tensor", "per tensor"},
                                                                 {PruneScope::Row, "row", "per row"}})
                       .withHelp("one α per tensor or per row")
                       .withFormula("α = mean |x| over |x| > Δ, per tensor or per row"));
    return list;
  }
  std::string label(const TernarySettings& s, LabelStyle) const override {
    return "ternary δ=" + std::to_string(s.delta).substr(0, 4);
  }
  std::optional<double> bitsPerParam(const TernarySettings& s, std::span<const std::int64_t> shape) const override {
    if (shape.empty()) return std::nullopt;
    const auto [rows, cols] = matrixView(shape);
    const double n = double(rows * cols), parts = s.scope == PruneScope::Row ? double(rows) : 1.0;
    return (2 * n + 32 * parts) / n;
  }
  Status quantize(const TernarySettings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    const auto [rows, cols] = matrixView(ctx.tensor.shape);
    const std::size_t lines = s.scope == PruneScope::Row ? std::size_t(rows) : 1;
    const std::size_t len = ctx.tensor.values.size() / lines;
    out = QuantResult{};
    out.reconstruction.resize(ctx.tensor.values.size());
    for (std::size_t p = 0; p < lines; ++p) {
      const float* x = ctx.tensor.values.data() + p * len;
      double mean = 0;
      for (std::size_t i = 0; i < len; ++i) mean += std::abs(double(x[i]));
      const double cut = s.delta * mean / double(len);
      double alpha = 0;
      std::size_t kept = 0;
      for (std::size_t i = 0; i < len; ++i)
        if (std::abs(double(x[i])) > cut) alpha += std::abs(double(x[i])), ++kept;
      alpha = kept ? alpha / double(kept) : 0.0;
      for (std::size_t i = 0; i < len; ++i)
        out.reconstruction[p * len + i] =
            std::abs(double(x[i])) > cut ? float(x[i] > 0 ? alpha : -alpha) : 0.0f;
      PartReport rep;
      rep.size = len;
      rep.params = PartParams{alpha > 0 ? alpha : 1.0, 0, -1, 1};
      out.parts.push_back(rep);
    }
    out.total = computeErrorFigures(ctx.tensor.values, out.reconstruction);
    setStorage(out.total, *bitsPerParam(s, ctx.tensor.shape) * double(ctx.tensor.values.size()));
    return {};
  }
};

// quench-cli in this process: exit code, stdout, stderr.
struct CliRun {
  int code;
  std::string out, err;
};
CliRun runCli(std::vector<std::string> args) {
  args.insert(args.begin(), "quench-cli");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  auto* oldOut = std::cout.rdbuf(out.rdbuf());
  auto* oldErr = std::cerr.rdbuf(err.rdbuf());
  const int code = quench::cli::run(int(argv.size()), argv.data());
  std::cout.rdbuf(oldOut);
  std::cerr.rdbuf(oldErr);
  return {code, out.str(), err.str()};
}

// x = (0.875, −0.125, 0.375, −0.75) (exact in float32), per tensor, δ = 0.5: mean|x| = 0.53125,
// Δ = 0.265625; |x| > Δ for 0.875, 0.375, −0.75 → α = 2/3; x̃ = (α, 0, α, −α).
const std::vector<float> kX{0.875f, -0.125f, 0.375f, -0.75f};

double handMse() {
  const double a = double(float(2.0 / 3.0));
  const double e[4] = {a - 0.875, 0.125, a - 0.375, -a + 0.75};
  return (e[0] * e[0] + e[1] * e[1] + e[2] * e[2] + e[3] * e[3]) / 4;
}

}  // namespace

class TestMethodExtension : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;
  std::string m_file;

 private slots:
  void initTestCase() {
    QVERIFY(registerMethod(std::make_unique<TernaryMethod>()));
    QVERIFY(findMethod("ternary"));
    m_file = m_dir.filePath("w.safetensors").toStdString();
    QVERIFY(writeSafetensors(m_file, {OutTensor::fromFloats("w", {1, 4}, kX)}));
  }

  void recipeJson() {
    const char* text = R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "ternary", "delta": 0.5}]})";
    auto r = recipeFromJson(text);
    QVERIFY2(r, r ? "" : r.error().message.c_str());
    const TernarySettings& s = r->rules[0].params.as<TernarySettings>();
    QCOMPARE(s.delta, 0.5);
    QCOMPARE(s.scope, PruneScope::Tensor);  // the default
    // Canonical text: every key of the method, in its order.
    QCOMPARE(recipeToJson(*r), std::string(R"({
  "quench_recipe": 1,
  "rules": [
    {
      "tensors": "*",
      "method": "ternary",
      "delta": 0.5,
      "scope": "tensor"
    }
  ]
}
)"));
    QCOMPARE(*recipeFromJson(recipeToJson(*r)), *r);
    // Errors name the rule and key, with the path beside the message.
    auto bad = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "ternary", "delta": 2}]})");
    QVERIFY(!bad);
    QCOMPARE(bad.error().message, std::string("recipe: rules[0].delta: delta must be a number in (0, 1], got 2"));
    QCOMPARE(bad.error().path, std::string("rules[0].delta"));
    bad = recipeFromJson(R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "ternary", "bits": 4}]})");
    QVERIFY(!bad);
    QCOMPARE(bad.error().path, std::string("rules[0].bits"));
    QVERIFY(QString::fromStdString(bad.error().message).contains("unknown key for method 'ternary'"));
    // And the recipe applies it.
    auto q = quantizeTensor(FloatTensor{"w", {1, 4}, kX}, r->rules[0].params);
    QVERIFY(q);
    const float a = float(2.0 / 3.0);
    QCOMPARE(q->reconstruction, (std::vector<float>{a, 0.0f, a, -a}));
    QUENCH_COMPARE_NEAR(q->total.mse, handMse(), 1e-15, 0);
    QCOMPARE(q->total.bitsPerParam, (2.0 * 4 + 32) / 4);
  }

  void cliFlagsAndHelp() {
    const CliRun help = runCli({"quantize", "--help"});
    QCOMPARE(help.code, 0);
    QVERIFY2(help.out.find("ternary") != std::string::npos, help.out.c_str());
    QVERIFY(help.out.find("--delta") != std::string::npos);
    QVERIFY(help.out.find("ternary: Δ = δ·mean|x| (default 0.7)") != std::string::npos);
    QVERIFY(help.out.find("ternary: one α per tensor or per row (default tensor)") != std::string::npos);
    for (const char* command : {"eval", "sweep"}) {
      const CliRun h = runCli({command, "--help"});
      QVERIFY2(h.out.find("--delta") != std::string::npos, command);
    }

    const CliRun r = runCli({"quantize", m_file, "--tensor", "w", "--method", "ternary", "--delta", "0.5", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    const auto j = nlohmann::json::parse(r.out);
    QCOMPARE(j["method"]["method"].get<std::string>(), std::string("ternary"));
    QCOMPARE(j["method"]["delta"].get<double>(), 0.5);
    QCOMPARE(j["method"]["scope"].get<std::string>(), std::string("tensor"));
    QUENCH_COMPARE_NEAR(j["mse"].get<double>(), handMse(), 1e-15, 0);
    QCOMPARE(j["bits_per_param"].get<double>(), 10.0);
    QCOMPARE(j["parts"].size(), std::size_t{1});

    // Errors name the flag.
    CliRun bad = runCli({"quantize", m_file, "--tensor", "w", "--method", "ternary", "--delta", "2"});
    QCOMPARE(bad.code, 1);
    QCOMPARE(bad.err, std::string("quench-cli: --delta: delta must be a number in (0, 1], got 2\n"));
    bad = runCli({"quantize", m_file, "--tensor", "w", "--method", "ternary", "--scope", "column"});
    QCOMPARE(bad.err, std::string("quench-cli: --scope: unknown scope 'column' (expected tensor or row)\n"));
    bad = runCli({"quantize", m_file, "--tensor", "w", "--method", "int", "--delta", "0.5"});
    QCOMPARE(bad.err, std::string("quench-cli: --delta does not apply to --method int\n"));
    bad = runCli({"quantize", m_file, "--tensor", "w", "--method", "ternary", "--bits", "4"});
    QCOMPARE(bad.err, std::string("quench-cli: --bits does not apply to --method ternary\n"));
    bad = runCli({"quantize", m_file, "--tensor", "w", "--method", "ternery"});
    QVERIFY2(bad.err.find("unknown method 'ternery' (expected int, float, nf4, fp4, prune, llm-int8 or ternary)") !=
                 std::string::npos,
             bad.err.c_str());
  }

  void editorPanel() {
    widgets::RecipeEditor ed;
    ed.show();
    auto* method = qobject_cast<QComboBox*>(ed.fieldWidget("method"));
    const int i = method->findData(QStringLiteral("ternary"));
    QVERIFY(i >= 0);
    QCOMPARE(method->itemText(i), QStringLiteral("ternary (TWN)"));
    QVERIFY(method->toolTip().contains(QStringLiteral("ternary: t = sign(x)·[|x| > Δ], Δ = δ·mean|x|, x̃ = α·t")));
    QVERIFY(!ed.isFieldVisible("delta"));
    QSignalSpy changed(&ed, &widgets::RecipeEditor::paramsChanged);
    method->setCurrentIndex(i);
    emit method->activated(i);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(ed.params(), MethodParams::defaults("ternary"));
    // Its fields, and none of int's.
    QVERIFY(ed.isFieldVisible("delta"));
    QVERIFY(ed.isFieldVisible("scope"));
    QVERIFY(!ed.isFieldVisible("bits"));
    QVERIFY(!ed.isFieldVisible("partition"));
    auto* delta = qobject_cast<QDoubleSpinBox*>(ed.fieldWidget("delta"));
    QVERIFY(delta);
    QCOMPARE(delta->value(), 0.7);
    QCOMPARE(delta->toolTip(), QStringLiteral("Δ = δ·mean|x|: |x| ≤ Δ becomes 0"));
    auto* scope = qobject_cast<QComboBox*>(ed.fieldWidget("scope"));
    QVERIFY(scope);
    QCOMPARE(scope->count(), 2);
    // Edits reach params() as one undo step each.
    delta->setValue(0.5);
    QCOMPARE(ed.params().as<TernarySettings>().delta, 0.5);
    const int row = scope->findData(QStringLiteral("row"));
    scope->setCurrentIndex(row);
    emit scope->activated(row);
    QCOMPARE(ed.params().as<TernarySettings>().scope, PruneScope::Row);
    QCOMPARE(changed.size(), 3);
    ed.undoStack()->undo();
    QCOMPARE(ed.params().as<TernarySettings>().scope, PruneScope::Tensor);
    // The storage row says what the descriptor predicts for the tensor: (2·4 + 32) / 4.
    ed.setTensorInfo("w", {1, 4});
    bool found = false;
    for (QLabel* l : ed.findChildren<QLabel*>())
      found = found || (l->isVisibleTo(&ed) && l->text() == QStringLiteral("10.000 bits/param"));
    QVERIFY(found);
  }
};

QTEST_MAIN(TestMethodExtension)
#include "test_method_extension.moc"
