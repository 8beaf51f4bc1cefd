// GGUF writer and typed header parser: files llama.cpp wrote (the shared llama-quantize outputs,
// llama-imatrix's imatrix.gguf) re-written from their parsed headers and tensor bytes come out
// byte for byte identical; every metadata type round-trips; a hand-assembled file pins the layout;
// Quench's own reader reads what the writer wrote; failures leave no file behind; hostile headers
// (truncated at every byte, lying counts) are errors, never crashes.
#include <QtTest/QtTest>
#include <QTemporaryDir>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/io/formats.h"
#include "core/io/gguf_file.h"
#include "core/io/gguf_writer.h"
#include "core/io/reader.h"
#include "io_test_support.h"

using namespace quench;
using ggml::Type;

namespace {

std::vector<GgufTensorSpec> specsOf(const GgufHeader& h) {
  std::vector<GgufTensorSpec> out;
  for (const auto& t : h.tensors) out.push_back({t.name, t.ne, static_cast<Type>(t.type)});
  return out;
}

std::vector<std::uint8_t> le16(std::initializer_list<std::uint16_t> v) {
  std::vector<std::uint8_t> out;
  for (auto x : v) {
    out.push_back(static_cast<std::uint8_t>(x & 0xff));
    out.push_back(static_cast<std::uint8_t>(x >> 8));
  }
  return out;
}

/// Every value type GGUF has, scalars and arrays, nested arrays included.
std::vector<GgufKv> everyType() {
  const std::vector<std::int16_t> i16{-3, 0, 32767};
  const std::vector<double> f64{0.1, -1e300};
  const std::vector<std::uint8_t> bools{1, 0, 1};
  const std::vector<float> f32{1.5f, -0.0f};
  return {
      {"t.u8", GgufValue::u8(250)},
      {"t.i8", GgufValue::i8(-7)},
      {"t.u16", GgufValue::u16(65000)},
      {"t.i16", GgufValue::i16(-32000)},
      {"t.u32", GgufValue::u32(4000000000u)},
      {"t.i32", GgufValue::i32(-2000000000)},
      {"t.f32", GgufValue::f32(0.1f)},
      {"t.bool", GgufValue::boolean(true)},
      {"t.str", GgufValue::string("h\xC3\xA9llo\n")},
      {"t.u64", GgufValue::u64(18000000000000000000ull)},
      {"t.i64", GgufValue::i64(-9000000000000000000ll)},
      {"t.f64", GgufValue::f64(2.5e-300)},
      {"t.arr.i16", GgufValue::array<std::int16_t>(GgufType::I16, i16)},
      {"t.arr.f64", GgufValue::array<double>(GgufType::F64, f64)},
      {"t.arr.bool", GgufValue::numericArray(GgufType::Bool, bools)},
      {"t.arr.f32", GgufValue::array<float>(GgufType::F32, f32)},
      {"t.arr.str", GgufValue::stringArray({"a", "", "ccc"})},
      {"t.arr.empty", GgufValue::stringArray({})},
      {"t.arr.arr", GgufValue::arrayOfArrays({GgufValue::stringArray({"x"}), GgufValue::array<float>(GgufType::F32, f32)})},
  };
}

std::string metaText(const TensorReader& r, const std::string& key) {
  for (const auto& [k, v] : r.metadata())
    if (k == key) return v;
  return "<missing>";
}

}  // namespace

class TestGgufWriter : public QObject {
  Q_OBJECT

  QTemporaryDir m_dir;
  std::string tmp(const std::string& name) { return (m_dir.path() + "/").toStdString() + name; }

  /// Parse `path`, write it again from its parsed header and tensor bytes, compare the files.
  void rewriteIdentical(const std::string& path) {
    auto f = openGgufFile(path);
    QVERIFY2(f.ok(), f.ok() ? "" : f.error().message.c_str());
    const std::string out = tmp("rewrite.gguf");
    auto w = GgufWriter::create(out, f->header.kv, specsOf(f->header));
    QVERIFY2(w.ok(), w.ok() ? "" : w.error().message.c_str());
    for (std::size_t i = 0; i < f->header.tensors.size(); ++i) QVERIFY((*w)->append(f->tensorData(i)).ok());
    QVERIFY((*w)->finish().ok());
    const auto a = test::fileBytes(path), b = test::fileBytes(out);
    QCOMPARE(b.size(), a.size());
    QVERIFY2(a == b, path.c_str());
  }

 private slots:
  void initTestCase() { QVERIFY(m_dir.isValid()); }

  // llama-quantize (pure, imatrix with quantize.imatrix.* keys, mix) and llama-imatrix outputs.
  void llamaCppFilesRewriteIdentically_data() {
    QTest::addColumn<QString>("rel");
    for (const char* r : {"source-f32.gguf", "pure/Q4_0.gguf", "pure/Q3_K_M.gguf", "imatrix/IQ4_XS.gguf", "imatrix/Q4_K_M.gguf",
                          "mix/Q5_K_M.gguf", "imatrix.gguf"})
      QTest::newRow(r) << QString(r);
  }
  void llamaCppFilesRewriteIdentically() {
    QFETCH(QString, rel);
    rewriteIdentical(test::sharedData("gguf/llama-quantize/" + rel).toStdString());
  }

  void everyValueTypeRoundTrips() {
    const auto kv = everyType();
    std::vector<GgufTensorData> tensors;
    const float vals[4] = {1.0f, 2.0f, 0.0f, -3.5f};
    tensors.push_back({{"norm", {4}, Type::F32}, std::vector<std::uint8_t>(16)});
    std::memcpy(tensors.back().data.data(), vals, 16);
    tensors.push_back({{"half", {3, 2, 1}, Type::F16}, le16({0x3C00, 0xC000, 0x3800, 0x0001, 0x7BFF, 0x0000})});
    std::vector<std::uint8_t> q8(34 * 2, 0);
    q8[0] = 0x00; q8[1] = 0x38;  // d = 0.5
    for (int j = 0; j < 32; ++j) q8[2 + j] = static_cast<std::uint8_t>(j - 16);
    tensors.push_back({{"q8", {32, 2}, Type::Q8_0}, q8});
    tensors.push_back({{"q4k", {256, 1, 2}, Type::Q4_K}, std::vector<std::uint8_t>(288, 0xA5)});
    const std::string path = tmp("types.gguf");
    QVERIFY(writeGguf(path, kv, tensors).ok());

    auto f = openGgufFile(path);
    QVERIFY2(f.ok(), f.ok() ? "" : f.error().message.c_str());
    QCOMPARE(f->header.kv.size(), kv.size());
    for (std::size_t i = 0; i < kv.size(); ++i) {
      QCOMPARE(f->header.kv[i].first, kv[i].first);
      QVERIFY2(f->header.kv[i].second == kv[i].second, kv[i].first.c_str());
    }
    QCOMPARE(f->header.tensors.size(), std::size_t{4});
    // ggml_n_dims: (3, 2, 1) is written as 2 dimensions, (256, 1, 2) keeps its inner 1.
    QCOMPARE(f->header.tensors[1].ne, (std::vector<std::uint64_t>{3, 2}));
    QCOMPARE(f->header.tensors[3].ne, (std::vector<std::uint64_t>{256, 1, 2}));
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      QCOMPARE(f->header.tensors[i].offset % 32, std::uint64_t{0});
      const auto d = f->tensorData(i);
      QVERIFY(std::equal(d.begin(), d.end(), tensors[i].data.begin(), tensors[i].data.end()));
    }
    // Last tensor padded too: the file ends at a multiple of the alignment.
    QCOMPARE(test::fileBytes(path).size() % 32, std::size_t{0});

    // Quench's TensorReader reads the same file: values rendered as text, tensors decoded.
    auto r = openTensorFile(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    QCOMPARE(metaText(**r, "t.u32"), std::string("4000000000"));
    QCOMPARE(metaText(**r, "t.i64"), std::string("-9000000000000000000"));
    QCOMPARE(metaText(**r, "t.str"), std::string("h\xC3\xA9llo\n"));
    QCOMPARE(metaText(**r, "t.arr.str"), std::string("[\"a\",\"\",\"ccc\"]"));
    const FloatTensor h = test::readOrDie(**r, "half");
    QCOMPARE(h.shape, (Shape{2, 3}));
    QCOMPARE(h.values, (std::vector<float>{1.0f, -2.0f, 0.5f, std::ldexp(1.0f, -24), 65504.0f, 0.0f}));
    const FloatTensor q = test::readOrDie(**r, "q8");
    QCOMPARE(q.values[0], -8.0f);
    QCOMPARE(q.values[31], 7.5f);
    QCOMPARE(q.values[63], 0.0f);  // second block: d = 0
    QCOMPARE(test::readOrDie(**r, "norm").values, (std::vector<float>(vals, vals + 4)));
  }

  // The layout by hand: magic, version 3, counts, one u32 key, one tensor info, zero padding to
  // 32, the data, zero padding.
  void layoutByHand() {
    std::vector<std::uint8_t> want = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    auto put = [&](std::initializer_list<std::uint8_t> b) { want.insert(want.end(), b); };
    put({1, 0, 0, 0, 0, 0, 0, 0, 'k', 4, 0, 0, 0, 7, 0, 0, 0});                 // "k" u32 7
    put({1, 0, 0, 0, 0, 0, 0, 0, 't', 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});     // "t" n_dims 1, ne 2
    put({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});                                   // F16, offset 0
    while (want.size() % 32) want.push_back(0);
    put({0x00, 0x3C, 0x00, 0xC0});
    while (want.size() % 32) want.push_back(0);
    const std::string path = tmp("hand.gguf");
    QVERIFY(writeGguf(path, {{"k", GgufValue::u32(7)}}, {{{"t", {2}, Type::F16}, {0x00, 0x3C, 0x00, 0xC0}}}).ok());
    QCOMPARE(test::fileBytes(path), want);
  }

  void honoursGeneralAlignment() {
    const std::string path = tmp("align.gguf");
    QVERIFY(writeGguf(path, {{"general.alignment", GgufValue::u32(64)}},
                      {{{"a", {3}, Type::F32}, std::vector<std::uint8_t>(12, 1)}, {{"b", {1}, Type::F32}, std::vector<std::uint8_t>(4, 2)}})
                .ok());
    auto f = openGgufFile(path);
    QVERIFY(f.ok());
    QCOMPARE(f->header.alignment, 64u);
    QCOMPARE(f->header.dataOffset % 64, std::uint64_t{0});
    QCOMPARE(f->header.tensors[1].offset, std::uint64_t{64});
    QCOMPARE(test::fileBytes(path).size(), static_cast<std::size_t>(f->header.dataOffset + 128));
    QVERIFY(!writeGguf(tmp("bad.gguf"), {{"general.alignment", GgufValue::u32(48)}}, {}).ok());
    QVERIFY(!writeGguf(tmp("bad.gguf"), {{"general.alignment", GgufValue::i32(64)}}, {}).ok());
  }

  // Streaming in pieces of any size; errors leave neither target nor temporary file behind.
  void streamsAndFailsCleanly() {
    const std::string path = tmp("stream.gguf");
    {
      auto w = GgufWriter::create(path, {}, {{"a", {32, 2}, Type::Q8_0}, {"b", {5}, Type::F32}});
      QVERIFY(w.ok());
      QCOMPARE((*w)->tensorBytes(0), std::uint64_t{68});
      std::vector<std::uint8_t> data(68 + 20);
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i);
      QVERIFY((*w)->append(std::span(data).first(7)).ok());
      QVERIFY((*w)->append(std::span(data).subspan(7, 70)).ok());  // crosses into tensor b
      QCOMPARE((*w)->currentTensor(), std::size_t{1});
      QVERIFY(!(*w)->finish().ok());  // b incomplete
      QVERIFY((*w)->append(std::span(data).subspan(77)).ok());
      QVERIFY(!(*w)->append(std::span(data).first(1)).ok());  // beyond the last tensor
      QVERIFY((*w)->finish().ok());
    }
    auto f = openGgufFile(path);
    QVERIFY(f.ok());
    QCOMPARE(int(f->tensorData(1)[0]), 68);
    const std::string never = tmp("never.gguf");
    {
      auto w = GgufWriter::create(never, {}, {{"a", {4}, Type::F32}});
      QVERIFY(w.ok());
      QVERIFY((*w)->append(std::vector<std::uint8_t>(3, 0)).ok());
    }  // destroyed unfinished
    QVERIFY(!std::filesystem::exists(never));
    for (const auto& e : std::filesystem::directory_iterator(m_dir.path().toStdString()))
      QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }

  void refusesInvalidInput() {
    const std::string p = tmp("invalid.gguf");
    QVERIFY(!GgufWriter::create(p, {{"k", GgufValue::u8(1)}, {"k", GgufValue::u8(2)}}, {}).ok());
    QVERIFY(!GgufWriter::create(p, {{"", GgufValue::u8(1)}}, {}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{std::string(64, 'n'), {4}, Type::F32}}).ok());
    QVERIFY(GgufWriter::create(p, {}, {{std::string(63, 'n'), {4}, Type::F32}}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{"a", {4}, Type::F32}, {"a", {4}, Type::F32}}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{"a", {100}, Type::Q4_K}}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{"a", {}, Type::F32}}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{"a", {1, 1, 1, 1, 1}, Type::F32}}).ok());
    QVERIFY(!GgufWriter::create(p, {}, {{"a", {1ull << 40, 1ull << 40}, Type::F32}}).ok());
    QVERIFY(!GgufWriter::create(p, {{"b", GgufValue::numericArray(GgufType::F32, {1, 2, 3})}}, {}).ok());
    QVERIFY(!writeGguf(p, {}, {{{"a", {4}, Type::F32}, std::vector<std::uint8_t>(15)}}).ok());
  }

  // Truncation at every byte of a file holding every type: an error naming the file, never a crash.
  void hostileHeaders() {
    const std::string path = tmp("hostile.gguf");
    QVERIFY(writeGguf(path, everyType(), {{{"x", {32}, Type::Q8_0}, std::vector<std::uint8_t>(34, 1)}}).ok());
    const auto bytes = test::fileBytes(path);
    auto whole = parseGguf(bytes, "whole");
    QVERIFY(whole.ok());
    for (std::size_t n = 0; n < whole->dataOffset + 34; ++n) {
      auto r = parseGguf(std::span(bytes).first(n), "cut");
      QVERIFY2(!r.ok(), qPrintable(QString("prefix of %1 bytes parsed").arg(n)));
      QVERIFY(r.error().message.rfind("cut: GGUF: ", 0) == 0);
    }
    auto patched = [&](std::size_t at, std::uint64_t v) {
      auto b = bytes;
      std::memcpy(b.data() + at, &v, 8);
      return parseGguf(b, "p");
    };
    QVERIFY(!patched(8, 1ull << 60).ok());   // tensor count
    QVERIFY(!patched(16, 1ull << 60).ok());  // key/value count
    QVERIFY(!patched(24, 1ull << 62).ok());  // first key's length
  }
};

QTEST_GUILESS_MAIN(TestGgufWriter)
#include "test_gguf_writer.moc"
