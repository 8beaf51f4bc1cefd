// llama2.c checkpoint reader: the published stories260K.bin must expose exactly the tensors of
// the ggml-converted stories260K.gguf (same 48 names, same row-major shapes, bit-identical
// values); a hand-built unshared checkpoint checks the array order of run.c; hostile headers and
// sizes are rejected with a message naming the file.
#include <QtTest/QtTest>

#include <cstring>
#include <vector>

#include "core/io/formats.h"

using namespace quench;

namespace {

std::vector<std::uint8_t> checkpoint(std::vector<std::int32_t> header, std::size_t floats) {
  std::vector<std::uint8_t> b(header.size() * 4 + floats * 4);
  std::memcpy(b.data(), header.data(), header.size() * 4);
  for (std::size_t i = 0; i < floats; ++i) {
    const float v = static_cast<float>(i);  // float i holds the value i: positions are visible
    std::memcpy(b.data() + header.size() * 4 + i * 4, &v, 4);
  }
  return b;
}

Result<std::unique_ptr<TensorReader>> open(const std::vector<std::uint8_t>& bytes) {
  return openLlama2c(MappedFile::fromBytes("test.bin", bytes));
}

std::string meta(const TensorReader& r, const std::string& key) {
  for (const auto& [k, v] : r.metadata())
    if (k == key) return v;
  return "<missing>";
}

}  // namespace

class TestLlama2c : public QObject {
  Q_OBJECT
 private slots:
  void stories260KMatchesGguf();
  void unsharedClassifierOrder();
  void hostile_data();
  void hostile();
};

void TestLlama2c::stories260KMatchesGguf() {
  auto fb = MappedFile::open(QUENCH_SHARED_DATA "/models/stories260K/stories260K.bin");
  auto fg = MappedFile::open(QUENCH_SHARED_DATA "/models/stories260K-gguf/stories260K.gguf");
  QVERIFY(fb.ok() && fg.ok());
  auto rb = openLlama2c(*fb);
  auto rg = openGguf(*fg);
  QVERIFY2(rb.ok(), rb.ok() ? "" : rb.error().message.c_str());
  QVERIFY2(rg.ok(), rg.ok() ? "" : rg.error().message.c_str());
  const TensorReader& bin = **rb;
  const TensorReader& gguf = **rg;
  QCOMPARE(bin.format(), std::string_view("llama2c"));
  // Header of the published file (data/README.md: dim 64, hidden 172, 5 layers, 8 heads, 4 kv
  // heads, vocab 512, seq_len 512, shared classifier).
  QCOMPARE(meta(bin, "dim"), std::string("64"));
  QCOMPARE(meta(bin, "hidden_dim"), std::string("172"));
  QCOMPARE(meta(bin, "n_layers"), std::string("5"));
  QCOMPARE(meta(bin, "n_heads"), std::string("8"));
  QCOMPARE(meta(bin, "n_kv_heads"), std::string("4"));
  QCOMPARE(meta(bin, "vocab_size"), std::string("512"));
  QCOMPARE(meta(bin, "seq_len"), std::string("512"));
  QCOMPARE(meta(bin, "shared_classifier"), std::string("true"));

  QCOMPARE(bin.tensors().size(), std::size_t{48});
  QCOMPARE(gguf.tensors().size(), std::size_t{48});
  for (std::size_t i = 0; i < 48; ++i) {
    const TensorInfo& b = bin.tensors()[i];
    const TensorInfo& g = gguf.tensors()[i];
    QCOMPARE(b.name, g.name);  // same names in the same order
    QCOMPARE(b.shape, g.shape);
    QCOMPARE(b.dtype, DType::F32);
    QCOMPARE(g.dtype, DType::F32);
    auto vb = bin.readFloat(i);
    auto vg = gguf.readFloat(i);
    QVERIFY(vb.ok() && vg.ok());
    QCOMPARE(vb->values.size(), vg->values.size());
    // Bit-identical, including the Q/K projections (neither file permutes them for RoPE).
    QVERIFY2(std::memcmp(vb->values.data(), vg->values.data(), vb->values.size() * 4) == 0, b.name.c_str());
  }
  // The 48th tensor: the shared classifier, exposed as the token embedding in both files.
  auto emb = bin.readFloat(std::string_view("token_embd.weight"));
  auto cls = gguf.readFloat(std::string_view("output.weight"));
  QVERIFY(emb.ok() && cls.ok());
  QVERIFY(emb->values == cls->values);
}

void TestLlama2c::unsharedClassifierOrder() {
  // dim 4, hidden 6, 1 layer, 2 heads (head size 2), 1 kv head (kv_dim 2), vocab −3 (unshared),
  // seq_len 2. Float counts in run.c's order: emb 12, rms_att 4, wq 16, wk 8, wv 8, wo 16,
  // rms_ffn 4, w1 24, w2 24, w3 24, rms_final 4, freq_real 2, freq_imag 2, wcls 12 = 160.
  auto r = open(checkpoint({4, 6, 1, 2, 1, -3, 2}, 160));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  const TensorReader& t = **r;
  QCOMPARE(meta(t, "shared_classifier"), std::string("false"));
  QCOMPARE(meta(t, "vocab_size"), std::string("3"));
  QCOMPARE(t.tensors().size(), std::size_t{12});
  struct Expect {
    const char* name;
    Shape shape;
    float first;  // index of the tensor's first float in the data section
  };
  const std::vector<Expect> expect{
      {"token_embd.weight", {3, 4}, 0},         {"output_norm.weight", {4}, 140},
      {"output.weight", {3, 4}, 148},           {"blk.0.attn_q.weight", {4, 4}, 16},
      {"blk.0.attn_k.weight", {2, 4}, 32},      {"blk.0.attn_v.weight", {2, 4}, 40},
      {"blk.0.attn_output.weight", {4, 4}, 48}, {"blk.0.attn_norm.weight", {4}, 12},
      {"blk.0.ffn_gate.weight", {6, 4}, 68},    {"blk.0.ffn_down.weight", {4, 6}, 92},
      {"blk.0.ffn_up.weight", {6, 4}, 116},     {"blk.0.ffn_norm.weight", {4}, 64},
  };
  for (std::size_t i = 0; i < expect.size(); ++i) {
    QCOMPARE(t.tensors()[i].name, std::string(expect[i].name));
    QCOMPARE(t.tensors()[i].shape, expect[i].shape);
    auto v = t.readFloat(i);
    QVERIFY(v.ok());
    for (std::size_t k = 0; k < v->values.size(); ++k) QCOMPARE(v->values[k], expect[i].first + static_cast<float>(k));
  }
}

void TestLlama2c::hostile_data() {
  QTest::addColumn<QByteArray>("bytes");
  QTest::addColumn<QString>("expect");
  auto add = [](const char* tag, const std::vector<std::uint8_t>& b, const char* expect) {
    QTest::newRow(tag) << QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<qsizetype>(b.size()))
                       << QString::fromLatin1(expect);
  };
  add("empty", {}, "header truncated");
  add("short header", checkpoint({4, 6, 1}, 0), "header truncated");
  add("one float short", checkpoint({4, 6, 1, 2, 1, -3, 2}, 159), "implies 668 bytes");
  add("one float long", checkpoint({4, 6, 1, 2, 1, -3, 2}, 161), "implies 668 bytes");
  add("zero dim", checkpoint({0, 6, 1, 2, 1, 3, 2}, 16), "implausible");
  add("negative layers", checkpoint({4, 6, -1, 2, 1, 3, 2}, 16), "implausible");
  add("zero vocab", checkpoint({4, 6, 1, 2, 1, 0, 2}, 16), "implausible");
  add("INT_MIN vocab", checkpoint({4, 6, 1, 2, 1, INT32_MIN, 2}, 16), "implausible");
  add("huge everything", checkpoint({65536, 1 << 20, 4096, 2, 1, 1 << 24, 1 << 24}, 16), "implies");
  add("dim too large", checkpoint({1 << 30, 6, 1, 2, 1, 3, 2}, 16), "implausible");
  add("heads don't divide dim", checkpoint({6, 6, 1, 4, 1, 3, 2}, 16), "multiple of n_heads");
  add("kv heads don't divide heads", checkpoint({12, 6, 1, 3, 2, 3, 2}, 16), "does not divide");
  add("more kv heads than heads", checkpoint({4, 6, 1, 2, 4, 3, 2}, 16), "implausible");
  add("odd head size", checkpoint({6, 6, 1, 2, 1, 3, 2}, 16), "odd");
}

void TestLlama2c::hostile() {
  QFETCH(QByteArray, bytes);
  QFETCH(QString, expect);
  auto r = open(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.rfind("test.bin: ", 0) == 0, r.error().message.c_str());
  QVERIFY2(r.error().message.find(expect.toStdString()) != std::string::npos, r.error().message.c_str());
}

QTEST_APPLESS_MAIN(TestLlama2c)
#include "test_llama2c.moc"
