// quench-cli generate / tokenize / logits, driven as a process on the published models: the greedy
// text of README's sentence, seeded sampling reproducibility, token ids from the vocabularies,
// logits written to HDF5 and read back against tools/reference_llama.py, and bad input.
#include <QtTest/QtTest>

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/io/reader.h"

namespace {
using quench::test::Run;
using quench::test::runCli;

void writeText(const QString& path, const QByteArray& text) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
  f.write(text);
}

const QString kBin = quench::test::sharedData("models/stories260K/stories260K.bin");
const QString kGguf = quench::test::sharedData("models/stories260K-gguf/stories260K.gguf");
const QString kHf = quench::test::sharedData("models/TinyStories-656K");
const QByteArray kLily = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
}  // namespace

class TestCliModel : public QObject {
  Q_OBJECT
 private slots:
  void greedyGenerate() {
    for (const QString& model : {kBin, kGguf}) {
      const Run r = runCli({"generate", model, "--greedy", "--tokens", "40"});
      QCOMPARE(r.exitCode, 0);
      QVERIFY2(r.out.startsWith(kLily), r.out.constData());
    }
    const Run hf = runCli({"generate", kHf, "--greedy", "--tokens", "20"});
    QCOMPARE(hf.exitCode, 0);
    QVERIFY2(hf.out.startsWith("Once upon a time, there was a little girl named Lily. She had a toy car"), hf.out.constData());
  }

  void generateJsonWithPrompt() {
    const Run r = runCli({"generate", kBin, "--prompt", "Once upon a time", "--greedy", "--tokens", "5", "--json"});
    QCOMPARE(r.exitCode, 0);
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["prompt_tokens"].get<std::vector<int>>(), (std::vector<int>{1, 403, 407, 261, 378}));
    // Greedy continuation of the BOS sentence: "," " there" " was" " a" " little".
    QCOMPARE(j["tokens"].get<std::vector<int>>(), (std::vector<int>{432, 383, 286, 261, 376}));
    QCOMPARE(j["text"].get<std::string>(), std::string("Once upon a time, there was a little"));
  }

  void seededSamplingIsReproducible() {
    const QStringList args{"generate", kBin, "--temperature", "1.0", "--seed", "42", "--tokens", "50"};
    const Run a = runCli(args), b = runCli(args);
    QCOMPARE(a.exitCode, 0);
    QCOMPARE(a.out, b.out);
    QStringList other = args;
    other[5] = "43";
    const Run c = runCli(other);
    QCOMPARE(c.exitCode, 0);
    QVERIFY(c.out != a.out);
    // --greedy and --temperature exclude each other.
    QVERIFY(runCli({"generate", kBin, "--greedy", "--temperature", "0.5"}).exitCode != 0);
  }

  void tokenizeBothWays() {
    Run r = runCli({"tokenize", kBin, "--text", "Once upon a time"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QByteArray("1 403 407 261 378"));
    r = runCli({"tokenize", kGguf, "--text", "Once upon a time"});
    QCOMPARE(r.out.trimmed(), QByteArray("1 403 407 261 378"));
    r = runCli({"tokenize", kBin, "--decode", "1 403 407 261 378"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("Once upon a time\n"));
    // TinyStories-656K as trained, with the documented option: "On" + "ce▁" + "upon▁a▁tim" + "e"
    // (no prepended ▁).
    r = runCli({"tokenize", kHf, "--no-prefix-space", "--text", "Once upon a time"});
    QCOMPARE(r.out.trimmed(), QByteArray("1 147 201 282 57"));
    r = runCli({"tokenize", kHf, "--no-prefix-space", "--decode", "1 147 201 282 57"});
    QCOMPARE(r.out, QByteArray("Once upon a time\n"));
    // Without it the file's normalizer prepends "▁" (issue 11): a different first piece.
    r = runCli({"tokenize", kHf, "--text", "Once upon a time"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.trimmed() != QByteArray("1 147 201 282 57"));
    QVERIFY(r.out.startsWith("1 "));
  }

  void tokenizeErrors() {
    Run r = runCli({"tokenize", kBin, "--decode", "1 9999"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("9999"), r.err.constData());
    r = runCli({"tokenize", kBin, "--decode", "1 x2"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains("'x2' is not a token id"));
    r = runCli({"tokenize", kBin});
    QCOMPARE(r.exitCode, 1);
    r = runCli({"tokenize", "/nonexistent/model.bin", "--text", "a"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains("/nonexistent/model.bin"));
  }

  void logitsToHdf5MatchReference() {
    QTemporaryDir tmp;
    const QString tokens = tmp.filePath("tokens.txt"), out = tmp.filePath("logits.h5");
    // Two sequences: the reference sequence of tools/reference_llama.py and a short one.
    writeText(tokens, "1 147 201 282 215 286 598 1662 356\n\n1 147\n");
    const Run r = runCli({"logits", kHf, "--tokens", tokens, "--out", out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    auto reader = quench::openTensorFile(out.toStdString());
    QVERIFY2(reader.ok(), reader.ok() ? "" : reader.error().message.c_str());
    auto logits = (*reader)->readFloat(std::string_view("logits"));
    QVERIFY(logits.ok());
    QCOMPARE(logits->shape, (quench::Shape{11, 2048}));
    // /usr/bin/python3 tools/reference_llama.py hf ../shared/data/models/TinyStories-656K 1 147 201 282 215 286 598 1662 356
    // pos 8: argmax 499 logit 9.5521802, logits[0:5] -2.73441501 1.98470724 -5.52168313 -3.25345678 -4.59905405
    const float* row8 = logits->values.data() + 8 * 2048;
    QUENCH_COMPARE_NEAR(row8[499], 9.5521802, 0, 1e-4);
    QUENCH_COMPARE_NEAR(row8[1], 1.98470724, 0, 1e-4);
    QUENCH_COMPARE_NEAR(row8[4], -4.59905405, 0, 1e-4);
    // Row 9 starts the second sequence from an empty cache: the same as row 0 (pos 0 of BOS),
    // and row 10 the same as row 1.
    for (int v = 0; v < 2048; v += 97) {
      QCOMPARE(logits->values[9 * 2048 + v], logits->values[v]);
      QCOMPARE(logits->values[10 * 2048 + v], logits->values[2048 + v]);
    }
    QUENCH_COMPARE_NEAR(logits->values[0 * 2048 + 147], 14.7816701, 0, 1e-4);
    auto starts = (*reader)->readFloat(std::string_view("sequence_starts"));
    QVERIFY(starts.ok());
    QCOMPARE(starts->values, (std::vector<float>{0, 9}));
  }

  void logitsFromTextAgreeAcrossFormats() {
    QTemporaryDir tmp;
    const QString text = tmp.filePath("t.txt");
    writeText(text, kLily);
    const QString a = tmp.filePath("a.h5"), b = tmp.filePath("b.safetensors");
    QCOMPARE(runCli({"logits", kBin, "--text", text, "--out", a}).exitCode, 0);
    QCOMPARE(runCli({"logits", kGguf, "--text", text, "--out", b}).exitCode, 0);
    auto ra = quench::openTensorFile(a.toStdString()), rb = quench::openTensorFile(b.toStdString());
    QVERIFY(ra.ok() && rb.ok());
    auto la = (*ra)->readFloat(std::string_view("logits")), lb = (*rb)->readFloat(std::string_view("logits"));
    QVERIFY(la.ok() && lb.ok());
    QCOMPARE(la->shape, lb->shape);
    QCOMPARE(la->shape[1], std::int64_t{512});
    double maxDiff = 0;
    for (std::size_t i = 0; i < la->values.size(); ++i)
      maxDiff = std::max(maxDiff, double(std::fabs(la->values[i] - lb->values[i])));
    QVERIFY2(maxDiff < 1e-5, qPrintable(QString::number(maxDiff)));
  }

  void logitsErrors() {
    QTemporaryDir tmp;
    const QString tokens = tmp.filePath("bad.txt"), out = tmp.filePath("x.h5");
    writeText(tokens, "1 2 3\n1 600\n");
    Run r = runCli({"logits", kBin, "--tokens", tokens, "--out", out});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("sequence 2") && r.err.contains("600"), r.err.constData());
    QVERIFY(!QFile::exists(out));
    writeText(tokens, "1 2 three\n");
    r = runCli({"logits", kBin, "--tokens", tokens, "--out", out});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(":1: 'three'"), r.err.constData());
    r = runCli({"logits", kBin, "--tokens", tokens, "--text", tokens, "--out", out});
    QCOMPARE(r.exitCode, 1);
    r = runCli({"logits", kBin, "--tokens", tmp.filePath("missing.txt"), "--out", out});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains("missing.txt"));
  }

  void evalAgainstLlamaCppFile() {
    const Run r = runCli({"eval", kGguf, "--reference-logits",
                          quench::test::sharedData("llamacpp/persuasion-head.kld"), "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    for (const char* key : {"tokens", "kl_mean", "kl_stderr", "kl_median", "kl_p90", "kl_p95", "kl_p99", "kl_p999",
                            "kl_min", "kl_max", "js_mean", "top1_agreement", "ppl_p", "ppl_q", "ppl_ratio",
                            "delta_p_mean", "delta_p_rms", "bits_per_param"})
      QVERIFY2(j.contains(key), key);
    QCOMPARE(j["tokens"].get<int>(), 5607);
    QVERIFY(j["kl_mean"].get<double>() < 1e-5);
    // llama.cpp printed "Final estimate: PPL = 61.9771" for this model and text.
    QUENCH_COMPARE_NEAR(j["ppl_q"].get<double>(), 61.9771, 1e-3, 0);
    QCOMPARE(j["bits_per_param"].get<double>(), 32.0);
  }

  void evalQuantizedOnSamples() {
    const QStringList base{"eval", kBin, "--sample", "2", "--length", "64", "--seed", "5", "--json"};
    const Run r8 = runCli(base + QStringList{"--method", "int", "--bits", "8"});
    const Run r4 = runCli(base + QStringList{"--method", "int", "--bits", "4"});
    QVERIFY2(r8.exitCode == 0 && r4.exitCode == 0, r8.err.constData());
    const auto j8 = nlohmann::json::parse(r8.out.toStdString()), j4 = nlohmann::json::parse(r4.out.toStdString());
    QCOMPARE(j8["tokens"].get<int>(), 128);
    QVERIFY(j8["kl_mean"].get<double>() > 0);
    QVERIFY(j4["kl_mean"].get<double>() > 10 * j8["kl_mean"].get<double>());
    QVERIFY(j8["bits_per_param"].get<double>() > 8.0 && j8["bits_per_param"].get<double>() < 9.0);
    QVERIFY(j4["bits_per_param"].get<double>() < j8["bits_per_param"].get<double>());
    // Errors: two data sources; a recipe that does not parse.
    Run bad = runCli({"eval", kBin, "--sample", "2", "--length", "8", "--text", kBin});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY(bad.err.contains("exactly one"));
    bad = runCli({"eval", kBin, "--sample", "2", "--length", "8", "--method", "int", "--bits", "99"});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("bits"), bad.err.constData());
  }

  void evalPerLayer() {
    // The first case of tests/data/eval/depth_golden.json (tools/reference_depth.py, NumPy float64):
    // stories260K.gguf, int4 group:16 on every matrix, two token sequences.
    QFile g(quench::test::testData("eval/depth_golden.json"));
    QVERIFY(g.open(QIODevice::ReadOnly));
    const auto golden = nlohmann::json::parse(g.readAll().toStdString())["cases"][0];
    QTemporaryDir dir;
    QByteArray lines;
    for (const auto& seq : golden["sequences"]) {
      for (const auto& t : seq) lines += QByteArray::number(t.get<int>()) + ' ';
      lines += '\n';
    }
    writeText(dir.filePath("tokens.txt"), lines);
    const QStringList base{"eval", kGguf, "--tokens", dir.filePath("tokens.txt"), "--method", "int", "--bits", "4",
                           "--partition", "group:16", "--per-layer"};
    const Run r = runCli(base + QStringList{"--mode", "both", "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["per_layer"].size(), std::size_t{2});
    for (const auto& profile : j["per_layer"]) {
      const std::string mode = profile["mode"].get<std::string>();
      QCOMPARE(profile["positions"].get<int>(), 26);
      const auto& ref = golden[mode];
      QCOMPARE(profile["layers"].size(), std::size_t{5});
      for (std::size_t l = 0; l < 5; ++l) {
        const auto& got = profile["layers"][l];
        QCOMPARE(got["layer"].get<int>(), int(l) + 1);
        for (const char* key : {"rel_err_mean", "rel_err_max", "lens_kl_mean", "lens_kl_p90"})
          QUENCH_COMPARE_NEAR(got[key].get<double>(), ref[l][key].get<double>(), 2e-4, 2e-6);
        QUENCH_COMPARE_NEAR(got["cosine_min"].get<double>(), ref[l]["cosine_min"].get<double>(), 0, 2e-6);
      }
    }
    // At the last layer the propagated lens is the model's KL (the JSON round-trips doubles).
    QCOMPARE(j["per_layer"][0]["mode"].get<std::string>(), std::string("propagated"));
    QVERIFY(j["per_layer"][0]["layers"][4]["lens_kl_mean"].get<double>() == j["kl_mean"].get<double>());
    // Default mode: propagated alone; the text output ends with its table.
    const Run text = runCli(base);
    QVERIFY2(text.exitCode == 0, text.err.constData());
    QVERIFY2(text.out.contains("per layer, propagated (26 positions)"), text.out.constData());
    QVERIFY(!text.out.contains("isolated"));
    // Flag combinations that cannot work are refused with the reason.
    Run bad = runCli({"eval", kGguf, "--tokens", dir.filePath("tokens.txt"), "--mode", "isolated"});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("--mode chooses the per-layer figures: give --per-layer too"), bad.err.constData());
    bad = runCli({"eval", kGguf, "--reference-logits", quench::test::sharedData("llamacpp/persuasion-head.kld"),
                  "--per-layer"});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("--reference-logits does not hold"), bad.err.constData());
    bad = runCli(base + QStringList{"--mode", "sideways"});
    QVERIFY(bad.exitCode != 0);
    QVERIFY2(bad.err.contains("sideways"), bad.err.constData());
  }

  void evalPplLikeLlamaPerplexity() {
    // llama-perplexity -m stories260K.gguf -f persuasion-head.txt -c 128 -b 128 -t 2:
    // "Final estimate: PPL = 61.9775 +/- 2.81024" (89 chunks, 63 scored positions each).
    const Run r = runCli({"eval", kGguf, "--text", quench::test::sharedData("llamacpp/persuasion-head.txt"),
                          "--context", "128", "--ppl", "--method", "int", "--bits", "8", "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    const auto& p = j["llama_perplexity"];
    QCOMPARE(p["chunks"].get<int>(), 89);
    QCOMPARE(p["context"].get<int>(), 128);
    QCOMPARE(p["scored_tokens"].get<int>(), 89 * 63);
    QCOMPARE(j["tokens"].get<int>(), 89 * 63);
    QUENCH_COMPARE_NEAR(p["ppl_p"].get<double>(), 61.9775, 1e-4, 0);
    QUENCH_COMPARE_NEAR(p["ppl_p_error"].get<double>(), 2.81024, 1e-3, 0);
    QVERIFY(p["ppl_q"].get<double>() != p["ppl_p"].get<double>());  // int8 moved it, a little
    QUENCH_COMPARE_NEAR(p["ppl_q"].get<double>(), 61.9775, 2e-2, 0);
    const Run text = runCli({"eval", kGguf, "--text", quench::test::sharedData("llamacpp/persuasion-head.txt"),
                             "--context", "128", "--ppl"});
    QVERIFY2(text.out.contains("Final estimate: PPL(P) = 61.98"), text.out.constData());
    const Run bad = runCli({"eval", kBin, "--sample", "2", "--length", "8", "--ppl"});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("--ppl scores a text as llama-perplexity does: give --text FILE"), bad.err.constData());
  }

  void evalOnText() {
    // persuasion-head.txt in chunks of 128 tokens, int8 against F32: the P perplexity on the
    // scored positions is the order of llama.cpp's 61.98 (other positions and chunking).
    const Run r = runCli({"eval", kGguf, "--text", quench::test::sharedData("llamacpp/persuasion-head.txt"),
                          "--context", "128", "--method", "int", "--bits", "8", "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    const int tokens = j["tokens"].get<int>();
    QVERIFY(tokens >= 89 * 128 && tokens < 90 * 128);  // every token of the text is a position
    QCOMPARE(j["scored_tokens"].get<int>(), tokens - 90);  // the last of each of the 90 chunks
    QVERIFY(j["ppl_p"].get<double>() > 40 && j["ppl_p"].get<double>() < 120);
    QVERIFY(j["kl_mean"].get<double>() > 0 && j["kl_mean"].get<double>() < 5e-3);
  }

  void sweepBitsAndPerTensor() {
    const Run r = runCli({"sweep", kBin, "--method", "int", "--vary", "bits=2,4,8", "--sample", "2",
                          "--length", "64", "--seed", "1", "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto j = nlohmann::json::parse(r.out.toStdString());
    const auto& pts = j["points"];
    QCOMPARE(pts.size(), std::size_t{3});
    QCOMPARE(pts[0]["value"].get<int>(), 2);
    // Fewer bits, more divergence and fewer bits of storage: a monotone curve.
    QVERIFY(pts[0]["kl_mean"].get<double>() > pts[1]["kl_mean"].get<double>());
    QVERIFY(pts[1]["kl_mean"].get<double>() > pts[2]["kl_mean"].get<double>());
    QVERIFY(pts[0]["bits_per_param"].get<double>() < pts[2]["bits_per_param"].get<double>());
    const Run t = runCli({"sweep", kBin, "--method", "int", "--bits", "4", "--per-tensor", "--sample", "1",
                          "--length", "32", "--json"});
    QVERIFY2(t.exitCode == 0, t.err.constData());
    const auto jt = nlohmann::json::parse(t.out.toStdString());
    // token_embd (shared with the classifier) + 7 matrices × 5 layers, one at a time.
    QCOMPARE(jt["points"].size(), std::size_t{36});
    for (const auto& p : jt["points"]) QCOMPARE(p["tensors_transformed"].get<int>(), 1);
    QVERIFY(runCli({"sweep", kBin, "--method", "int", "--sample", "1", "--length", "8"}).exitCode == 1);
  }

  // The sweep contract of issue #4: --vary NAME=V1,V2,... over bits, block, group, clip
  // percentile, threshold, sparsity and temperature, with the fixed method options of quantize.
  void sweepVaryGroupTemperatureAndTensors() {
    const QStringList data{"--sample", "2", "--length", "48", "--seed", "3", "--json"};
    const Run g = runCli(QStringList{"sweep", kBin, "--method", "int", "--bits", "4", "--asymmetric", "--calib",
                                     "minmax", "--vary", "group=16,64"} + data);
    QVERIFY2(g.exitCode == 0, g.err.constData());
    const auto jg = nlohmann::json::parse(g.out.toStdString());
    QCOMPARE(jg["vary"].get<std::string>(), std::string("group"));
    QCOMPARE(jg["points"].size(), std::size_t{2});
    // Smaller groups store more scales and zero points: more bits per parameter, by formula.
    QVERIFY(jg["points"][0]["bits_per_param"].get<double>() > jg["points"][1]["bits_per_param"].get<double>());

    // The T = 1 point of a temperature curve is exactly `eval` at the same settings; softening
    // both distributions (T = 4) shrinks their divergence.
    const Run t = runCli(QStringList{"sweep", kBin, "--method", "int", "--bits", "4", "--vary",
                                     "temperature=1,4"} + data);
    QVERIFY2(t.exitCode == 0, t.err.constData());
    const auto jt = nlohmann::json::parse(t.out.toStdString());
    const Run e = runCli(QStringList{"eval", kBin, "--method", "int", "--bits", "4"} + data);
    QVERIFY2(e.exitCode == 0, e.err.constData());
    const auto je = nlohmann::json::parse(e.out.toStdString());
    QCOMPARE(jt["points"][0]["kl_mean"].get<double>(), je["kl_mean"].get<double>());
    QVERIFY(jt["points"][1]["kl_mean"].get<double>() < jt["points"][0]["kl_mean"].get<double>());

    // --tensors narrows the rule: layer 0's seven matrices only.
    const Run n = runCli(QStringList{"eval", kBin, "--method", "int", "--bits", "4", "--tensors", "blk.0.*"} + data);
    QVERIFY2(n.exitCode == 0, n.err.constData());
    QCOMPARE(nlohmann::json::parse(n.out.toStdString())["tensors_transformed"].get<int>(), 7);

    // Bad sweeps fail fast with one line.
    Run bad = runCli(QStringList{"sweep", kBin, "--method", "int", "--vary", "bits"} + data);
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("NAME=V1,V2"), bad.err.constData());
    bad = runCli(QStringList{"sweep", kBin, "--method", "int", "--vary", "temperature=0,1"} + data);
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("temperature"), bad.err.constData());
    bad = runCli(QStringList{"sweep", kBin, "--method", "int", "--vary", "bits=4,99"} + data);
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("bits=99"), bad.err.constData());
  }
};

QTEST_GUILESS_MAIN(TestCliModel)
#include "test_cli_model.moc"
