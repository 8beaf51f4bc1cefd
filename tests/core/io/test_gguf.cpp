// GGUF reader: the published stories260K.gguf (written by ggml's converter), hand-built files
// whose every value is known (all metadata types, F16/BF16/Q8_0/Q4_0 blocks decoded by hand,
// alignment; the other block types are in test_ggml_blocks.cpp), and hostile files (truncation at
// every byte, lying counts, bad offsets).
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/io/formats.h"
#include "core/io/ggml_blocks.h"

using namespace quench;

namespace {

/// Little-endian GGUF writer for hand-built test files.
struct GgufBuilder {
  std::vector<std::uint8_t> b;
  template <class T>
  GgufBuilder& put(T v) {
    std::uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    b.insert(b.end(), raw, raw + sizeof(T));
    return *this;
  }
  GgufBuilder& str(const std::string& s) {
    put<std::uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  GgufBuilder& header(std::uint64_t nTensors, std::uint64_t nKv, std::uint32_t version = 3) {
    b = {'G', 'G', 'U', 'F'};
    return put(version).put(nTensors).put(nKv);
  }
  GgufBuilder& tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    str(name).put<std::uint32_t>(static_cast<std::uint32_t>(ne.size()));
    for (auto n : ne) put(n);
    return put(type).put(offset);
  }
  GgufBuilder& pad(std::size_t alignment) {
    while (b.size() % alignment) b.push_back(0);
    return *this;
  }
  GgufBuilder& bytes(std::vector<std::uint8_t> v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
};

Result<std::unique_ptr<TensorReader>> open(const std::vector<std::uint8_t>& bytes) {
  return openGguf(MappedFile::fromBytes("test.gguf", bytes));
}

std::string meta(const TensorReader& r, const std::string& key) {
  for (const auto& [k, v] : r.metadata())
    if (k == key) return v;
  return "<missing>";
}

std::vector<float> readAll(const TensorReader& r, const std::string& name) {
  auto t = r.readFloat(std::string_view(name));
  if (!t) qFatal("%s", t.error().message.c_str());
  return t->values;
}

constexpr std::uint32_t kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8, kBF16 = 30;

}  // namespace

class TestGguf : public QObject {
  Q_OBJECT
 private slots:
  void publishedStories260K();
  void everyMetadataType();
  void q8_0ByHand();
  void q4_0ByHand();
  void f16Bf16AndShapeReversal();
  void alignmentHonoured();
  void everyGgmlTypeListedWithItsGeometry();
  void largeArrayIsValidJson();
  void truncatedAtEveryByte();
  void hostileHeaders_data();
  void hostileHeaders();
  void errorNamesFileAndOffset();
};

void TestGguf::publishedStories260K() {
  auto f = MappedFile::open(QUENCH_SHARED_DATA "/models/stories260K-gguf/stories260K.gguf");
  QVERIFY(f.ok());
  auto r = openGguf(*f);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  const TensorReader& g = **r;
  QCOMPARE(g.format(), std::string_view("gguf"));
  QCOMPARE(g.tensors().size(), std::size_t{48});
  // Facts printed by an independent Python parse of the file (struct.unpack, written for this test).
  QCOMPARE(g.tensors()[0].name, std::string("token_embd.weight"));
  QCOMPARE(g.tensors()[0].shape, (Shape{512, 64}));  // ne = [64, 512]
  QCOMPARE(g.tensors()[0].bytes, std::uint64_t{512 * 64 * 4});
  const auto down = g.find("blk.0.ffn_down.weight");
  QVERIFY(down);
  QCOMPARE(g.tensors()[*down].shape, (Shape{64, 172}));  // ne = [172, 64]
  QCOMPARE(g.tensors()[*g.find("blk.4.attn_k.weight")].shape, (Shape{32, 64}));
  QCOMPARE(g.tensors()[*g.find("output_norm.weight")].shape, (Shape{64}));
  QCOMPARE(meta(g, "general.architecture"), std::string("llama"));
  QCOMPARE(meta(g, "llama.embedding_length"), std::string("64"));
  QCOMPARE(meta(g, "llama.attention.head_count_kv"), std::string("4"));
  QCOMPARE(meta(g, "tokenizer.ggml.seperator_token_id"), std::string("4294967295"));
  QCOMPARE(meta(g, "llama.attention.layer_norm_rms_epsilon"), std::string("1e-05"));  // float32 shortest
  const auto tokens = nlohmann::json::parse(meta(g, "tokenizer.ggml.tokens"));
  QCOMPARE(tokens.size(), std::size_t{512});
  QCOMPARE(tokens[0].get<std::string>(), std::string("<unk>"));
  QCOMPARE(tokens[1].get<std::string>(), std::string("<s>"));
  QCOMPARE(tokens[3].get<std::string>(), std::string("<0x00>"));
  const auto types = nlohmann::json::parse(meta(g, "tokenizer.ggml.token_type"));
  QCOMPARE(types.size(), std::size_t{512});
  QCOMPARE(types[0].get<int>(), 2);
  QCOMPARE(types[3].get<int>(), 6);
  QCOMPARE(nlohmann::json::parse(meta(g, "tokenizer.ggml.scores")).size(), std::size_t{512});
  // Every tensor decodes; the data matches the llama2.c file (see test_llama2c).
  for (std::size_t i = 0; i < g.tensors().size(); ++i) {
    auto t = g.readFloat(i);
    QVERIFY(t.ok());
    QCOMPARE(t->values.size() * 4, g.tensors()[i].bytes);
  }
}

void TestGguf::everyMetadataType() {
  GgufBuilder g;
  g.header(0, 16, 2);  // version 2
  g.str("u8").put<std::uint32_t>(0).put<std::uint8_t>(250);
  g.str("i8").put<std::uint32_t>(1).put<std::int8_t>(-7);
  g.str("u16").put<std::uint32_t>(2).put<std::uint16_t>(65535);
  g.str("i16").put<std::uint32_t>(3).put<std::int16_t>(-32768);
  g.str("u32").put<std::uint32_t>(4).put<std::uint32_t>(4000000000u);
  g.str("i32").put<std::uint32_t>(5).put<std::int32_t>(-2000000000);
  g.str("f32").put<std::uint32_t>(6).put<float>(0.1f);
  g.str("bool").put<std::uint32_t>(7).put<std::uint8_t>(1);
  g.str("str").put<std::uint32_t>(8).str("plain \"text\"\n");
  g.str("u64").put<std::uint32_t>(10).put<std::uint64_t>(18446744073709551615ull);
  g.str("i64").put<std::uint32_t>(11).put<std::int64_t>(-9223372036854775807ll - 1);
  g.str("f64").put<std::uint32_t>(12).put<double>(-2.5e-300);
  // array of strings with characters JSON must escape and an invalid UTF-8 byte
  g.str("strs").put<std::uint32_t>(9).put<std::uint32_t>(8).put<std::uint64_t>(4)
      .str("a\"b").str("back\\slash").str(std::string("ctl\x01", 4)).str("bad\xff");
  // nested array: [[1,2],[],[3]] of int32
  g.str("nested").put<std::uint32_t>(9).put<std::uint32_t>(9).put<std::uint64_t>(3);
  g.put<std::uint32_t>(5).put<std::uint64_t>(2).put<std::int32_t>(1).put<std::int32_t>(2);
  g.put<std::uint32_t>(5).put<std::uint64_t>(0);
  g.put<std::uint32_t>(5).put<std::uint64_t>(1).put<std::int32_t>(3);
  g.str("floats").put<std::uint32_t>(9).put<std::uint32_t>(6).put<std::uint64_t>(3)
      .put<float>(1.5f).put<float>(std::numeric_limits<float>::quiet_NaN()).put<float>(-0.25f);
  g.str("bools").put<std::uint32_t>(9).put<std::uint32_t>(7).put<std::uint64_t>(2).put<std::uint8_t>(0).put<std::uint8_t>(1);
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  const TensorReader& t = **r;
  QCOMPARE(t.metadata().size(), std::size_t{16});
  QCOMPARE(t.metadata()[0].first, std::string("u8"));  // file order kept
  QCOMPARE(meta(t, "u8"), std::string("250"));
  QCOMPARE(meta(t, "i8"), std::string("-7"));
  QCOMPARE(meta(t, "u16"), std::string("65535"));
  QCOMPARE(meta(t, "i16"), std::string("-32768"));
  QCOMPARE(meta(t, "u32"), std::string("4000000000"));
  QCOMPARE(meta(t, "i32"), std::string("-2000000000"));
  QCOMPARE(meta(t, "f32"), std::string("0.1"));
  QCOMPARE(meta(t, "bool"), std::string("true"));
  QCOMPARE(meta(t, "str"), std::string("plain \"text\"\n"));
  QCOMPARE(meta(t, "u64"), std::string("18446744073709551615"));
  QCOMPARE(meta(t, "i64"), std::string("-9223372036854775808"));
  QCOMPARE(meta(t, "f64"), std::string("-2.5e-300"));
  const auto strs = nlohmann::json::parse(meta(t, "strs"));
  QCOMPARE(strs.size(), std::size_t{4});
  QCOMPARE(strs[0].get<std::string>(), std::string("a\"b"));
  QCOMPARE(strs[1].get<std::string>(), std::string("back\\slash"));
  QCOMPARE(strs[2].get<std::string>(), std::string("ctl\x01", 4));
  QCOMPARE(strs[3].get<std::string>(), std::string("bad\xEF\xBF\xBD"));  // U+FFFD
  QCOMPARE(meta(t, "nested"), std::string("[[1,2],[],[3]]"));
  QCOMPARE(meta(t, "floats"), std::string("[1.5,null,-0.25]"));
  QCOMPARE(meta(t, "bools"), std::string("[false,true]"));
  // The stored types, one per key, in file order; arrays with their element type and length.
  const auto& types = t.metadataTypes();
  QCOMPARE(types.size(), std::size_t{16});
  const char* scalars[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                           "bool", "string", "uint64", "int64", "float64"};
  for (std::size_t i = 0; i < std::size(scalars); ++i) {
    QCOMPARE(types[i].type, std::string(scalars[i]));
    QCOMPARE(types[i].length, std::uint64_t{0});
  }
  QCOMPARE(types[12].type, std::string("array"));
  QCOMPARE(types[12].elementType, std::string("string"));
  QCOMPARE(types[12].length, std::uint64_t{4});
  QCOMPARE(types[12].head, meta(t, "strs"));  // 4 ≤ kMetadataHead: the whole array
  QCOMPARE(types[13].elementType, std::string("array"));
  QCOMPARE(types[13].length, std::uint64_t{3});
  QCOMPARE(types[13].head, std::string("[[1,2],[],[3]]"));
  QCOMPARE(types[14].elementType, std::string("float32"));
  QCOMPARE(types[15].elementType, std::string("bool"));
}

void TestGguf::q8_0ByHand() {
  // One Q8_0 block: d = 0.5 (fp16 0x3800), q_j = j − 16 for j < 31, q_31 = −128.
  std::vector<std::uint8_t> block{0x00, 0x38};
  for (int j = 0; j < 31; ++j) block.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(j - 16)));
  block.push_back(0x80);
  GgufBuilder g;
  g.header(1, 0).tensor("q8", {32}, kQ8_0, 0).pad(32).bytes(block);
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE((*r)->tensors()[0].dtype, DType::Q8_0);
  QCOMPARE((*r)->tensors()[0].bytes, std::uint64_t{34});
  QVERIFY(!(*r)->tensors()[0].layout.empty());
  const auto v = readAll(**r, "q8");
  QCOMPARE(v.size(), std::size_t{32});
  QCOMPARE(v[0], -8.0f);   // 0.5 · −16
  QCOMPARE(v[16], 0.0f);
  QCOMPARE(v[17], 0.5f);
  QCOMPARE(v[30], 7.0f);   // 0.5 · 14
  QCOMPARE(v[31], -64.0f); // 0.5 · −128
  // storedBytes is the block itself, as in the file.
  const auto raw = (*r)->storedBytes(0);
  QVERIFY(std::equal(raw.begin(), raw.end(), block.begin(), block.end()));
}

void TestGguf::q4_0ByHand() {
  // Two Q4_0 blocks (shape 2×32). Block 0: d = 0.25 (0x3400), byte j = (15−j)<<4 | j, so element j
  // is code j → (j − 8)·0.25 and element j+16 is code 15−j → (7 − j)·0.25.
  // Block 1: d = −2 (0xC000), every byte 0x80: low nibble 0 → (0−8)·−2 = 16, high 8 → 0.
  std::vector<std::uint8_t> data{0x00, 0x34};
  for (int j = 0; j < 16; ++j) data.push_back(static_cast<std::uint8_t>(((15 - j) << 4) | j));
  data.push_back(0x00);
  data.push_back(0xC0);
  for (int j = 0; j < 16; ++j) data.push_back(0x80);
  GgufBuilder g;
  g.header(1, 0).tensor("q4", {32, 2}, kQ4_0, 0).pad(32).bytes(data);
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE((*r)->tensors()[0].shape, (Shape{2, 32}));
  QCOMPARE((*r)->tensors()[0].bytes, std::uint64_t{36});
  const auto v = readAll(**r, "q4");
  QCOMPARE(v[0], -2.0f);    // code 0
  QCOMPARE(v[8], 0.0f);     // code 8
  QCOMPARE(v[15], 1.75f);   // code 15
  QCOMPARE(v[16], 1.75f);   // high nibble of byte 0 = 15
  QCOMPARE(v[31], -2.0f);   // high nibble of byte 15 = 0
  QCOMPARE(v[32], 16.0f);
  QCOMPARE(v[48], -0.0f);
  QCOMPARE(v[63], -0.0f);
}

void TestGguf::f16Bf16AndShapeReversal() {
  // ne = [3, 2]: two rows of three, row-major shape (2, 3). F16: 1, −2, 0.5, 65504, 2^-24, −0.
  GgufBuilder g;
  g.header(2, 0).tensor("h", {3, 2}, kF16, 0).tensor("b", {2}, kBF16, 32).pad(32);
  g.put<std::uint16_t>(0x3C00).put<std::uint16_t>(0xC000).put<std::uint16_t>(0x3800)
      .put<std::uint16_t>(0x7BFF).put<std::uint16_t>(0x0001).put<std::uint16_t>(0x8000);
  g.pad(32).put<std::uint16_t>(0x3FC0).put<std::uint16_t>(0xC2F7);  // bf16 1.5, −123.5
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE((*r)->tensors()[0].shape, (Shape{2, 3}));
  QCOMPARE((*r)->tensors()[0].dtype, DType::F16);
  QCOMPARE(readAll(**r, "h"), (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f, 5.9604644775390625e-08f, -0.0f}));
  QCOMPARE((*r)->tensors()[1].dtype, DType::BF16);
  QCOMPARE(readAll(**r, "b"), (std::vector<float>{1.5f, -123.5f}));
}

void TestGguf::alignmentHonoured() {
  GgufBuilder g;
  g.header(2, 1).str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(64);
  g.tensor("a", {1}, kF32, 0).tensor("b", {2}, kF32, 64).pad(64);
  g.put<float>(3.0f).pad(64).put<float>(4.0f).put<float>(5.0f);
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(readAll(**r, "a"), std::vector<float>{3.0f});
  QCOMPARE(readAll(**r, "b"), (std::vector<float>{4.0f, 5.0f}));
  // The same offsets under the default alignment of 32 would point at the padding: an offset of
  // 32 with alignment 64 is rejected.
  GgufBuilder bad;
  bad.header(1, 1).str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(64);
  bad.tensor("a", {1}, kF32, 32).pad(64).bytes(std::vector<std::uint8_t>(128, 0));
  auto rb = open(bad.b);
  QVERIFY(!rb.ok());
  QVERIFY2(rb.error().message.find("alignment") != std::string::npos, rb.error().message.c_str());
}

void TestGguf::everyGgmlTypeListedWithItsGeometry() {
  // One tensor of two rows of every ggml type the reader knows: each is listed with its own DType,
  // the bytes of two blocks, and decodes (the values: test_ggml_blocks.cpp).
  GgufBuilder g;
  std::vector<std::pair<std::uint32_t, const GgmlType*>> types;
  for (std::uint32_t id = 0; id < 64; ++id)
    if (const GgmlType* t = findGgmlType(id)) types.emplace_back(id, t);
  g.header(types.size(), 0);
  std::uint64_t offset = 0;
  for (const auto& [id, t] : types) {
    g.tensor("t" + std::to_string(id), {t->blockSize, 2}, id, offset);
    offset += (2 * t->blockBytes + 31) / 32 * 32;
  }
  g.pad(32);
  for (const auto& [id, t] : types) g.bytes(std::vector<std::uint8_t>(2 * t->blockBytes, 0)).pad(32);
  auto r = open(g.b);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE((*r)->tensors().size(), types.size());
  for (std::size_t i = 0; i < types.size(); ++i) {
    const TensorInfo& info = (*r)->tensors()[i];
    QCOMPARE(info.dtype, types[i].second->dtype);
    QCOMPARE(info.bytes, std::uint64_t{2} * types[i].second->blockBytes);
    QCOMPARE(info.shape, (Shape{2, types[i].second->blockSize}));
    if (isBlockDType(info.dtype)) QVERIFY(info.layout.find(types[i].second->name) == 0);
    auto t = (*r)->readFloat(i);
    QVERIFY2(t.ok(), t.ok() ? "" : t.error().message.c_str());
    QCOMPARE(t->values.size(), std::size_t{2} * types[i].second->blockSize);
  }
}

void TestGguf::largeArrayIsValidJson() {
  // 200,000 tokens: built in one pass (a quadratic build would take minutes).
  constexpr std::uint64_t kN = 200000;
  GgufBuilder g;
  g.header(0, 1).str("tokenizer.ggml.tokens").put<std::uint32_t>(9).put<std::uint32_t>(8).put<std::uint64_t>(kN);
  for (std::uint64_t i = 0; i < kN; ++i) g.str("t" + std::to_string(i));
  auto r = open(g.b);
  QVERIFY(r.ok());
  const auto j = nlohmann::json::parse(meta(**r, "tokenizer.ggml.tokens"));
  QCOMPARE(j.size(), std::size_t{kN});
  QCOMPARE(j[123456].get<std::string>(), std::string("t123456"));
  // Its summary: the length and the first kMetadataHead elements only.
  const MetadataType& type = (*r)->metadataTypes().at(0);
  QCOMPARE(type.length, kN);
  QCOMPARE(type.head, std::string(R"(["t0","t1","t2","t3","t4","t5","t6","t7"])"));
}

void TestGguf::truncatedAtEveryByte() {
  GgufBuilder g;
  g.header(1, 2).str("general.name").put<std::uint32_t>(8).str("x");
  g.str("arr").put<std::uint32_t>(9).put<std::uint32_t>(4).put<std::uint64_t>(2).put<std::uint32_t>(1).put<std::uint32_t>(2);
  g.tensor("w", {2, 2}, kF32, 0).pad(32);
  for (int i = 0; i < 4; ++i) g.put<float>(static_cast<float>(i));
  QVERIFY(open(g.b).ok());
  for (std::size_t n = 0; n < g.b.size(); ++n) {
    auto r = open(std::vector<std::uint8_t>(g.b.begin(), g.b.begin() + static_cast<std::ptrdiff_t>(n)));
    QVERIFY2(!r.ok(), qPrintable(QStringLiteral("accepted a file truncated to %1 bytes").arg(n)));
    QVERIFY(r.error().message.rfind("test.gguf: ", 0) == 0);
  }
}

void TestGguf::hostileHeaders_data() {
  QTest::addColumn<QByteArray>("bytes");
  QTest::addColumn<QString>("expect");
  auto add = [](const char* tag, const GgufBuilder& g, const char* expect) {
    QTest::newRow(tag) << QByteArray(reinterpret_cast<const char*>(g.b.data()), static_cast<qsizetype>(g.b.size()))
                       << QString::fromLatin1(expect);
  };
  GgufBuilder g;
  add("version 1", g.header(0, 0, 1), "version 1");
  add("big-endian", g.header(0, 0, 0x03000000), "big-endian");
  add("huge kv count", g.header(0, 0xFFFFFFFFFFFFull), "key/value count");
  add("huge tensor count", g.header(1ull << 60, 0), "tensor count");
  g.header(0, 1).str("a").put<std::uint32_t>(9).put<std::uint32_t>(8).put<std::uint64_t>(1ull << 62);
  add("huge array count", g, "array of");
  g.header(0, 1).str("a").put<std::uint32_t>(8).put<std::uint64_t>(~0ull);
  add("huge string length", g, "string");
  g.header(0, 1).str("a").put<std::uint32_t>(99).put<std::uint32_t>(0);
  add("unknown value type", g, "unknown metadata value type");
  g.header(0, 1).str("a").put<std::uint32_t>(9).put<std::uint32_t>(99).put<std::uint64_t>(0);
  add("unknown array type", g, "unknown element type");
  g.header(0, 1).str("a").put<std::uint32_t>(7).put<std::uint8_t>(2).put<std::uint32_t>(0);
  add("bool 2", g, "bool");
  g.header(0, 2).str("a").put<std::uint32_t>(0).put<std::uint8_t>(1).str("a").put<std::uint32_t>(0).put<std::uint8_t>(1);
  add("duplicate key", g, "duplicate key");
  g.header(0, 1).str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(48);
  add("alignment 48", g, "power of two");
  g.header(0, 1).str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(0);
  add("alignment 0", g, "power of two");
  g.header(0, 1).str("general.alignment").put<std::uint32_t>(8).str("32");
  add("alignment string", g, "uint32");
  g.header(1, 0).tensor("w", {1, 1, 1, 1, 1}, kF32, 0).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("5 dims", g, "n_dims");
  g.header(1, 0).tensor("w", {1ull << 40, 1ull << 40}, kF32, 0).pad(32);
  add("shape overflow", g, "overflows");
  g.header(1, 0).tensor("w", {~0ull}, kF32, 0).pad(32);
  add("negative dim", g, "negative");
  g.header(1, 0).tensor("w", {16}, kQ8_0, 0).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("partial block", g, "block size");
  g.header(1, 0).tensor("w", {4}, 77, 0).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("unknown ggml type", g, "unknown ggml type");
  g.header(1, 0).tensor("w", {4}, kF32, 32).pad(32).bytes(std::vector<std::uint8_t>(40, 0));
  add("offset out of range", g, "outside");
  g.header(1, 0).tensor("w", {4}, kF32, 4).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("misaligned offset", g, "alignment");
  g.header(1, 0).tensor("w", {4}, kF32, ~0ull & ~31ull).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("offset near 2^64", g, "outside");
  g.header(1, 0).tensor("w", {100}, kF32, 0).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("size larger than data", g, "outside");
  g.header(2, 0).tensor("w", {1}, kF32, 0).tensor("w", {1}, kF32, 32).pad(32).bytes(std::vector<std::uint8_t>(64, 0));
  add("duplicate tensor", g, "duplicate tensor");
  g.header(0, 1).str("a").put<std::uint32_t>(9);
  for (int d = 0; d < 20; ++d) g.put<std::uint32_t>(9).put<std::uint64_t>(1);
  g.put<std::uint32_t>(0).put<std::uint64_t>(0);
  add("deep nesting", g, "nested");
}

void TestGguf::hostileHeaders() {
  QFETCH(QByteArray, bytes);
  QFETCH(QString, expect);
  auto r = open(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.rfind("test.gguf: ", 0) == 0, r.error().message.c_str());
  QVERIFY2(r.error().message.find(expect.toStdString()) != std::string::npos, r.error().message.c_str());
}

// Beside the message, the error carries the file and the byte offset where reading stopped
// (issue 12): an unsupported version is known once its 4 bytes after the magic are read.
void TestGguf::errorNamesFileAndOffset() {
  GgufBuilder g;
  g.header(0, 0, 7);
  auto r = open(g.b);
  QVERIFY(!r.ok());
  QCOMPARE(r.error().file, std::string("test.gguf"));
  QCOMPARE(r.error().offset, std::optional<std::uint64_t>(8));
  QVERIFY2(r.error().message.find("unsupported GGUF version 7") != std::string::npos, r.error().message.c_str());
}

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
