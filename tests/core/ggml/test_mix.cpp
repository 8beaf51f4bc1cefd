// llama.cpp's per-tensor type rules: for the shared model, the order and type of every tensor must
// be what llama-quantize printed in its logs (../shared/data/gguf/llama-quantize/{mix,pure,
// imatrix}/*.log) and stored in the files it wrote; rules the small model does not reach (grouped
// query attention, 70B, 8 experts, Falcon, fallbacks for odd row lengths, tied embeddings, the
// imatrix-dependent ones) are checked on synthetic models against llama-quant.cpp read by hand.
#include <QtTest/QtTest>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/ggml/mix.h"

using namespace quench;
using namespace quench::ggml;

namespace {

const QString kDir = QStringLiteral("gguf/llama-quantize/");

struct LogLine {
  std::string name;
  Type type;
};

/// "[   1/  21] output.weight   - [ 256, 512, 1, 1], type =    f32, converting to q6_K .. size = ..."
/// (with an imatrix, llama-quantize's other messages may come between "type = f32," and
/// "converting to", on the following lines).
std::vector<LogLine> parseLog(const std::string& path) {
  std::ifstream in(path);
  if (!in) qFatal("cannot read %s", path.c_str());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static const std::regex header(R"(\[\s*\d+/\s*\d+\]\s+(\S+)\s+- \[[^\]]*\], type =\s+(\S+),)");
  static const std::regex converting(R"(converting to (\S+) \.\.)");
  std::vector<std::pair<std::size_t, std::smatch>> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), header); it != std::sregex_iterator(); ++it)
    found.emplace_back(static_cast<std::size_t>(it->position()), *it);
  std::vector<LogLine> out;
  for (std::size_t k = 0; k < found.size(); ++k) {
    const auto& m = found[k].second;
    const std::size_t from = found[k].first + static_cast<std::size_t>(m.length());
    const std::size_t to = k + 1 < found.size() ? found[k + 1].first : text.size();
    const std::string segment = text.substr(from, to - from);
    std::smatch c;
    const std::string t = std::regex_search(segment, c, converting) ? c[1].str() : m[2].str();
    const auto type = typeFromName(t);
    if (!type) qFatal("unknown type %s in %s", t.c_str(), path.c_str());
    out.push_back({m[1].str(), *type});
  }
  return out;
}

std::vector<MixTensor> tensorsOf(const GgufHeader& h) {
  std::vector<MixTensor> out;
  for (const auto& t : h.tensors) out.push_back({t.name, t.ne, static_cast<Type>(t.type)});
  return out;
}

/// A llama-like model: token_embd, output (unless tied), output_norm, and per block the attention,
/// feed-forward and norm tensors with the given row lengths.
std::vector<MixTensor> llamaModel(int nLayer, std::uint64_t embd, std::uint64_t ff, std::uint64_t kv, bool tied = false,
                                  std::uint64_t experts = 0) {
  std::vector<MixTensor> t;
  t.push_back({"token_embd.weight", {embd, 32000}, Type::F16});
  if (!tied) t.push_back({"output.weight", {embd, 32000}, Type::F16});
  t.push_back({"output_norm.weight", {embd}, Type::F32});
  for (int i = 0; i < nLayer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    t.push_back({b + "attn_norm.weight", {embd}, Type::F32});
    t.push_back({b + "attn_q.weight", {embd, embd}, Type::F16});
    t.push_back({b + "attn_k.weight", {embd, kv}, Type::F16});
    t.push_back({b + "attn_v.weight", {embd, kv}, Type::F16});
    t.push_back({b + "attn_output.weight", {embd, embd}, Type::F16});
    t.push_back({b + "ffn_norm.weight", {embd}, Type::F32});
    if (experts) {
      t.push_back({b + "ffn_gate_inp.weight", {embd, experts}, Type::F32});
      t.push_back({b + "ffn_gate_exps.weight", {embd, ff, experts}, Type::F16});
      t.push_back({b + "ffn_up_exps.weight", {embd, ff, experts}, Type::F16});
      t.push_back({b + "ffn_down_exps.weight", {ff, embd, experts}, Type::F16});
    } else {
      t.push_back({b + "ffn_gate.weight", {embd, ff}, Type::F16});
      t.push_back({b + "ffn_up.weight", {embd, ff}, Type::F16});
      t.push_back({b + "ffn_down.weight", {ff, embd}, Type::F16});
    }
  }
  return t;
}

std::map<std::string, Type> typesByName(const std::vector<MixTensor>& t, const MixPlan& p) {
  std::map<std::string, Type> m;
  for (std::size_t i = 0; i < t.size(); ++i) m[t[i].name] = p.choices[i].type;
  return m;
}

MixPlan planOrDie(const MixModel& m, const std::vector<MixTensor>& t, FileType ft, const MixOptions& o = {}) {
  auto p = planMix(m, t, ft, o);
  if (!p) qFatal("%s", p.error().message.c_str());
  return std::move(*p);
}

/// llama.cpp's use_more_bits.
bool moreBits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

}  // namespace

class TestMix : public QObject {
  Q_OBJECT

  GgufHeader m_source;
  MixModel m_model;

 private slots:
  void initTestCase() {
    auto f = openGgufFile(test::sharedData(kDir + "source-f32.gguf").toStdString());
    QVERIFY(f.ok());
    m_source = f->header;
    auto m = MixModel::fromGguf(m_source);
    QVERIFY(m.ok());
    m_model = *m;
    QCOMPARE(m_model.arch, std::string("llama"));
    QCOMPARE(m_model.nLayer, 2u);
    QCOMPARE(m_model.nGqa(), 2u);  // 4 heads, 2 KV heads
    QVERIFY(!m_model.is70B);
  }

  void llamaQuantizeLogs_data() {
    QTest::addColumn<QString>("dir");
    QTest::addColumn<QString>("type");
    for (const char* t : {"Q3_K_M", "Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"}) QTest::newRow((std::string("mix/") + t).c_str()) << "mix" << t;
    for (const char* d : {"pure", "imatrix"})
      for (const char* t : {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
        QTest::newRow((std::string(d) + "/" + t).c_str()) << d << t;
  }
  // Order and type of every tensor as llama-quantize printed them and stored them.
  void llamaQuantizeLogs() {
    QFETCH(QString, dir);
    QFETCH(QString, type);
    const auto log = parseLog(test::sharedData(kDir + dir + "/" + type + ".log").toStdString());
    QCOMPARE(log.size(), std::size_t{21});
    auto file = openGgufFile(test::sharedData(kDir + dir + "/" + type + ".gguf").toStdString());
    QVERIFY(file.ok());
    const auto ft = fileTypeFromName(type.toStdString());
    QVERIFY(ft.has_value());
    MixOptions opt;
    opt.pure = dir != "mix";
    opt.hasImatrix = dir == "imatrix";
    const auto tensors = tensorsOf(m_source);
    const MixPlan plan = planOrDie(m_model, tensors, *ft, opt);
    QCOMPARE(plan.fallbacks, 0);
    for (std::size_t k = 0; k < log.size(); ++k) {
      const std::size_t i = plan.order[k];
      QCOMPARE(tensors[i].name, log[k].name);
      QVERIFY2(plan.choices[i].type == log[k].type,
               qPrintable(QString("%1: %2, log %3").arg(log[k].name.c_str()).arg(typeInfo(plan.choices[i].type).name.data())
                              .arg(typeInfo(log[k].type).name.data())));
      QCOMPARE(file->header.tensors[k].name, log[k].name);
      QCOMPARE(file->header.tensors[k].type, static_cast<std::uint32_t>(log[k].type));
      QCOMPARE(plan.choices[i].quantize, log[k].type != Type::F32);
    }
  }

  // The file types llama-quantize names, its aliases, and their base types.
  void fileTypeNames() {
    QCOMPARE(fileTypeFromName("Q4_K_M"), std::optional(FileType::MOSTLY_Q4_K_M));
    QCOMPARE(fileTypeFromName("q4_k"), std::optional(FileType::MOSTLY_Q4_K_M));  // alias
    QCOMPARE(fileTypeFromName("Q3_K"), std::optional(FileType::MOSTLY_Q3_K_M));
    QCOMPARE(fileTypeFromName("Q5_K"), std::optional(FileType::MOSTLY_Q5_K_M));
    QCOMPARE(fileTypeFromName("IQ4_XS"), std::optional(FileType::MOSTLY_IQ4_XS));
    QCOMPARE(fileTypeFromName("F32"), std::optional(FileType::ALL_F32));
    QCOMPARE(fileTypeFromName("Q4_K_X"), std::nullopt);
    QCOMPARE(static_cast<int>(FileType::MOSTLY_Q4_K_M), 15);
    QCOMPARE(fileTypeInfo(FileType::MOSTLY_Q3_K_L).defaultType, Type::Q3_K);
    QCOMPARE(fileTypeInfo(FileType::MOSTLY_IQ2_S).defaultType, Type::IQ2_XS);
    QCOMPARE(fileTypeInfo(FileType::MOSTLY_Q3_K_M).name, std::string_view("Q3_K_M"));
  }

  void tensorOrder() {
    std::vector<MixTensor> t{{"blk.10.attn_q.weight", {}}, {"output.weight", {}}, {"blk.2.ffn_up.weight", {}},
                             {"blk.2.attn_k.weight", {}}, {"token_embd.weight", {}}, {"blk.x.weird", {}}, {"blk.-1.z", {}}};
    const auto o = llamaTensorOrder(t);
    std::vector<std::string> names;
    for (auto i : o) names.push_back(t[i].name);
    // "blk.x" has no number (layer -1 like the non-block tensors); "blk.-1" is block -1 too.
    QCOMPARE(names, (std::vector<std::string>{"blk.-1.z", "blk.x.weird", "output.weight", "token_embd.weight", "blk.2.attn_k.weight",
                                              "blk.2.ffn_up.weight", "blk.10.attn_q.weight"}));
  }

  // Llama-3-8B-like: 32 layers, GQA 4 (32 heads, 8 KV heads).
  void q4kmOnA32LayerModel() {
    const MixModel m{"llama", 32, 32, 8, 0, false};
    const auto t = llamaModel(32, 4096, 14336, 1024);
    const auto types = typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_K_M));
    QCOMPARE(types.at("output.weight"), Type::Q6_K);
    QCOMPARE(types.at("token_embd.weight"), Type::Q4_K);
    QCOMPARE(types.at("output_norm.weight"), Type::F32);
    int q6 = 0;
    for (int i = 0; i < 32; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      const Type more = moreBits(i, 32) ? Type::Q6_K : Type::Q4_K;
      QCOMPARE(types.at(b + "attn_v.weight"), more);
      QCOMPARE(types.at(b + "ffn_down.weight"), more);
      QCOMPARE(types.at(b + "attn_q.weight"), Type::Q4_K);
      QCOMPARE(types.at(b + "ffn_gate.weight"), Type::Q4_K);
      QCOMPARE(types.at(b + "attn_norm.weight"), Type::F32);
      q6 += more == Type::Q6_K;
    }
    QCOMPARE(q6, 4 + 4 + 8);  // layers 0-3, 28-31 and every third from 6: 6, 9, ..., 27
    // Q3_K_M: attn_v Q5_K for the first two, ffn_down Q5_K for the first 32/16, else Q4_K;
    // attn_output Q4_K; the rest Q3_K.
    const auto q3 = typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q3_K_M));
    QCOMPARE(q3.at("blk.0.attn_v.weight"), Type::Q5_K);
    QCOMPARE(q3.at("blk.1.attn_v.weight"), Type::Q5_K);
    QCOMPARE(q3.at("blk.2.attn_v.weight"), Type::Q4_K);
    QCOMPARE(q3.at("blk.1.ffn_down.weight"), Type::Q5_K);
    QCOMPARE(q3.at("blk.2.ffn_down.weight"), Type::Q4_K);
    QCOMPARE(q3.at("blk.7.attn_output.weight"), Type::Q4_K);
    QCOMPARE(q3.at("blk.7.attn_q.weight"), Type::Q3_K);
    // IQ4_XS with GQA ≥ 4: attn_v Q5_K; without imatrix the first eighth of ffn_down Q5_K too.
    const auto iq = typesByName(t, planOrDie(m, t, FileType::MOSTLY_IQ4_XS));
    QCOMPARE(iq.at("blk.20.attn_v.weight"), Type::Q5_K);
    QCOMPARE(iq.at("blk.3.ffn_down.weight"), Type::Q5_K);
    QCOMPARE(iq.at("blk.4.ffn_down.weight"), Type::IQ4_XS);
    MixOptions withImatrix;
    withImatrix.hasImatrix = true;
    QCOMPARE(typesByName(t, planOrDie(m, t, FileType::MOSTLY_IQ4_XS, withImatrix)).at("blk.3.ffn_down.weight"), Type::IQ4_XS);
    // Q4_0 guards the first ffn_down layers with Q4_1 only when an imatrix is given.
    QCOMPARE(typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_0)).at("blk.0.ffn_down.weight"), Type::Q4_0);
    const auto q40 = typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_0, withImatrix));
    QCOMPARE(q40.at("blk.0.ffn_down.weight"), Type::Q4_1);
    QCOMPARE(q40.at("blk.4.ffn_down.weight"), Type::Q4_0);
    QCOMPARE(q40.at("output.weight"), Type::Q6_K);
    // Q2_K: attn_v Q4_K with GQA ≥ 4, ffn_down and attn_output Q3_K.
    const auto q2 = typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q2_K));
    QCOMPARE(q2.at("blk.9.attn_v.weight"), Type::Q4_K);
    QCOMPARE(q2.at("blk.9.ffn_down.weight"), Type::Q3_K);
    QCOMPARE(q2.at("blk.9.attn_output.weight"), Type::Q3_K);
    QCOMPARE(q2.at("blk.9.ffn_up.weight"), Type::Q2_K);
    // Q8_0 keeps output Q8_0 (never "upgraded" to Q6_K).
    QCOMPARE(typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q8_0)).at("output.weight"), Type::Q8_0);
  }

  // Tied embeddings: token_embd takes the output rule.
  void tiedEmbeddings() {
    const MixModel m{"llama", 4, 8, 8, 0, false};
    const auto t = llamaModel(4, 512, 1536, 512, true);
    QCOMPARE(typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_K_M)).at("token_embd.weight"), Type::Q6_K);
    MixOptions o;
    o.tokenEmbeddingType = Type::Q8_0;
    o.outputTensorType = Type::Q5_K;
    QCOMPARE(typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_K_M, o)).at("token_embd.weight"), Type::Q8_0);
  }

  // 70B (80 layers, 64 heads / 8 KV heads): attn_v Q3_K/Q4_K become Q5_K.
  void seventyB() {
    GgufHeader h;
    h.kv = {{"general.architecture", GgufValue::string("llama")},
            {"llama.block_count", GgufValue::u32(80)},
            {"llama.attention.head_count", GgufValue::u32(64)},
            {"llama.attention.head_count_kv", GgufValue::u32(8)}};
    auto m = MixModel::fromGguf(h);
    QVERIFY(m.ok());
    QVERIFY(m->is70B);
    QCOMPARE(m->nGqa(), 8u);
    const auto t = llamaModel(80, 8192, 28672, 1024);
    const auto types = typesByName(t, planOrDie(*m, t, FileType::MOSTLY_Q4_K_M));
    // use_more_bits(i, 80): i < 10, i ≥ 70 or (i − 10) % 3 == 2 get Q6_K, which 70B leaves alone.
    QCOMPARE(types.at("blk.20.attn_v.weight"), Type::Q5_K);  // Q4_K → Q5_K
    QCOMPARE(types.at("blk.12.attn_v.weight"), Type::Q6_K);
    QCOMPARE(types.at("blk.20.attn_q.weight"), Type::Q4_K);  // only attn_v is bumped
  }

  // Mixtral-like: 8 experts → attn_v and attn_k Q8_0, experts' ffn_down by name's block number.
  void eightExperts() {
    const MixModel m{"llama", 32, 32, 8, 8, false};
    const auto t = llamaModel(32, 4096, 14336, 1024, false, 8);
    const auto types = typesByName(t, planOrDie(m, t, FileType::MOSTLY_Q4_K_M));
    QCOMPARE(types.at("blk.5.attn_v.weight"), Type::Q8_0);
    QCOMPARE(types.at("blk.5.attn_k.weight"), Type::Q8_0);
    QCOMPARE(types.at("blk.5.attn_output.weight"), Type::Q5_K);
    QCOMPARE(types.at("blk.5.ffn_gate_inp.weight"), Type::F32);  // routers are never quantized
    QCOMPARE(types.at("blk.0.ffn_down_exps.weight"), Type::Q6_K);
    QCOMPARE(types.at("blk.5.ffn_down_exps.weight"), Type::Q4_K);
    QCOMPARE(types.at("blk.6.ffn_down_exps.weight"), Type::Q6_K);
    QCOMPARE(types.at("blk.5.ffn_up_exps.weight"), Type::Q4_K);
  }

  void falcon() {
    const MixModel m{"falcon", 32, 71, 1, 0, false};
    const auto t = llamaModel(32, 4544, 18176, 64);  // 4544 = 17.75 × 256: every K type falls back
    const MixPlan p = planOrDie(m, t, FileType::MOSTLY_Q4_K_M);
    const auto types = typesByName(t, p);
    QCOMPARE(types.at("output.weight"), Type::Q8_0);        // Falcon: Q8_0
    QCOMPARE(types.at("blk.0.ffn_down.weight"), Type::Q6_K);  // 18176 % 256 == 0; i < n/16
    QCOMPARE(types.at("blk.6.ffn_down.weight"), Type::Q5_K);  // use_more_bits
    QCOMPARE(types.at("blk.7.ffn_down.weight"), Type::Q4_K);
    QCOMPARE(types.at("blk.7.attn_q.weight"), Type::Q5_0);  // Q4_K does not fit 4544 columns
    QCOMPARE(types.at("blk.0.attn_v.weight"), Type::Q8_0);  // Q6_K → Q8_0
    QVERIFY(p.fallbacks > 0);
  }

  // tensor_type_fallback: 256-block types on rows of 2880 (a multiple of 32) and of 100.
  void fallbacks() {
    const MixModel m{"llama", 1, 8, 8, 0, false};
    std::vector<MixTensor> t{{"blk.0.attn_q.weight", {2880, 8}, Type::F32}, {"blk.0.attn_k.weight", {100, 8}, Type::F32}};
    auto type = [&](FileType ft, std::size_t i) {
      MixOptions o;
      o.pure = true;
      return planOrDie(m, t, ft, o).choices[i];
    };
    QCOMPARE(type(FileType::MOSTLY_Q4_K_M, 0).type, Type::Q5_0);
    QCOMPARE(type(FileType::MOSTLY_Q5_K_M, 0).type, Type::Q5_1);
    QCOMPARE(type(FileType::MOSTLY_Q6_K, 0).type, Type::Q8_0);
    QCOMPARE(type(FileType::MOSTLY_Q3_K_M, 0).type, Type::Q4_0);
    QCOMPARE(type(FileType::MOSTLY_IQ4_XS, 0).type, Type::IQ4_NL);
    QCOMPARE(type(FileType::MOSTLY_Q4_K_M, 1).type, Type::F16);  // 100 is not a multiple of 32 either
    QVERIFY(type(FileType::MOSTLY_Q4_K_M, 1).note.find("F16") != std::string::npos ||
            type(FileType::MOSTLY_Q4_K_M, 1).note.find("f16") != std::string::npos);
    MixOptions o;
    o.pure = true;
    const std::vector<MixTensor> fits{t[0]};
    QCOMPARE(planOrDie(m, fits, FileType::MOSTLY_Q8_0, o).choices[0].type, Type::Q8_0);  // 2880 % 32 == 0: no fallback
    QVERIFY(!planMix(m, std::vector<MixTensor>{{"blk.0.attn_q.weight", {100, 8}, Type::F32}}, FileType::MOSTLY_Q8_0, o).ok());
  }

  // Which tensors are quantized at all.
  void quantizableTensors() {
    const MixModel m{"llama", 1, 8, 8, 0, false};
    std::vector<MixTensor> t{{"blk.0.attn_norm.weight", {256, 256}, Type::F32},  // a 2-D norm
                             {"blk.0.attn_q.bias", {256, 256}, Type::F32},       // not "weight"
                             {"position_embd.weight", {256, 256}, Type::F32},
                             {"blk.0.ssm_conv1d.weight", {256, 256}, Type::F32},
                             {"blk.0.attn_q.weight", {256, 1, 1}, Type::F32},     // 1-D after ggml_n_dims
                             {"blk.0.attn_k.weight", {256, 2}, Type::F32},
                             {"output.weight", {256, 2}, Type::F32}};
    MixOptions o;
    o.pure = true;
    o.quantizeOutput = false;
    const MixPlan p = planOrDie(m, t, FileType::MOSTLY_Q4_0, o);
    for (std::size_t i = 0; i < t.size(); ++i) QCOMPARE(p.choices[i].quantize, i == 5);
    o.tensorTypes = {{"attn_k", Type::Q8_0}};
    QCOMPARE(planOrDie(m, t, FileType::MOSTLY_Q4_0, o).choices[5].type, Type::Q8_0);
    o.tensorTypes = {{"attn_k[", Type::Q8_0}};
    QVERIFY(!planMix(m, t, FileType::MOSTLY_Q4_0, o).ok());
  }
};

QTEST_GUILESS_MAIN(TestMix)
#include "test_mix.moc"
