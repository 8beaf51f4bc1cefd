// safetensors reader: every dtype of a file written by tools/make_test_files.py (by hand with
// struct+json, bit patterns from NumPy), the published TinyStories-656K checkpoint (figures computed
// independently with NumPy), and hostile headers, each with the error it must produce.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/io/io_test_support.h"

using namespace quench;
using namespace quench::test;

namespace {

// A safetensors file from a header text and `dataBytes` zero bytes of data.
std::vector<std::uint8_t> stFile(const std::string& header, std::size_t dataBytes = 0) {
  std::vector<std::uint8_t> b(8);
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + dataBytes, 0);
  return b;
}

std::string stError(const std::string& header, std::size_t dataBytes = 0) {
  return openError(openSafetensors, stFile(header, dataBytes), "hostile.safetensors");
}

const char* kTiny = QUENCH_SHARED_DATA "/models/TinyStories-656K/model.safetensors";

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
 private slots:
  void catalogAndMetadata() {
    auto r = openOrDie(openSafetensors, ioData("all_dtypes.safetensors"));
    QCOMPARE(std::string(r->format()), std::string("safetensors"));
    // File order = data order = the order the script wrote them.
    const std::vector<std::string> names = {"f64", "f32", "f16", "bf16", "f8_e4m3", "f8_e5m2", "i8",  "u8",
                                            "i16", "u16", "i32", "u32", "i64", "u64", "bool", "special",
                                            "scalar", "empty"};
    QCOMPARE(r->tensors().size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) QCOMPARE(r->tensors()[i].name, names[i]);
    const TensorInfo& bf = r->tensors()[3];
    QCOMPARE(bf.dtype, DType::BF16);
    QCOMPARE(bf.shape, (Shape{3, 4}));
    QCOMPARE(bf.bytes, std::uint64_t{24});
    QCOMPARE(r->tensors()[16].shape, Shape{});
    QCOMPARE(r->tensors()[17].shape, (Shape{0, 3}));
    QCOMPARE(r->metadata().size(), std::size_t{2});
    QCOMPARE(r->metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
    QCOMPARE(r->metadata()[1].second, std::string("tools/make_test_files.py"));
  }

  void floatDtypes() {
    auto r = openOrDie(openSafetensors, ioData("all_dtypes.safetensors"));
    const auto expected = floatValues();
    for (const char* name : {"f64", "f32", "f16", "bf16", "f8_e4m3", "f8_e5m2"}) {
      const FloatTensor t = readOrDie(*r, name);
      QCOMPARE(t.shape, (Shape{3, 4}));
      QCOMPARE(t.values.size(), expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i)
        QVERIFY2(t.values[i] == expected[i], qPrintable(QString("%1[%2] = %3").arg(name).arg(i).arg(t.values[i])));
    }
  }

  // storedBytes is the file's own bytes for the tensor: decoding them gives readFloat's values.
  void storedBytesAreTheFileBytes() {
    auto r = openOrDie(openSafetensors, ioData("all_dtypes.safetensors"));
    for (std::size_t i = 0; i < r->tensors().size(); ++i) {
      const TensorInfo& info = r->tensors()[i];
      const auto raw = r->storedBytes(i);
      QCOMPARE(raw.size(), static_cast<std::size_t>(info.bytes));
      if (info.dtype == DType::Bool) continue;
      std::vector<float> decoded(raw.size() / dtypeSize(info.dtype));
      convertToFloat(info.dtype, raw.data(), decoded.size(), decoded.data());
      const FloatTensor t = readOrDie(*r, info.name.c_str());
      for (std::size_t k = 0; k < decoded.size(); ++k)
        QVERIFY(decoded[k] == t.values[k] || (std::isnan(decoded[k]) && std::isnan(t.values[k])));
    }
    QVERIFY(r->storedBytes(r->tensors().size()).empty());
  }

  void integerDtypes() {
    auto r = openOrDie(openSafetensors, ioData("all_dtypes.safetensors"));
    // make_test_files.py: signed (k − 6)·m, unsigned k·m for k = 0..11.
    struct Case { const char* name; bool isSigned; double m; };
    const Case cases[] = {{"i8", true, 20},        {"u8", false, 21},        {"i16", true, 5000},
                          {"u16", false, 5000},    {"i32", true, 1 << 20},   {"u32", false, 1 << 28},
                          {"i64", true, 0x1p40},   {"u64", false, 0x1p60}};
    for (const Case& c : cases) {
      const FloatTensor t = readOrDie(*r, c.name);
      QCOMPARE(t.values.size(), std::size_t{12});
      for (int k = 0; k < 12; ++k)
        QCOMPARE(static_cast<double>(t.values[k]), (c.isSigned ? k - 6 : k) * c.m);
    }
    const FloatTensor b = readOrDie(*r, "bool");
    for (int k = 0; k < 12; ++k) QCOMPARE(b.values[k], k % 3 == 0 ? 1.0f : 0.0f);
    QCOMPARE(readOrDie(*r, "scalar").values, std::vector<float>{7.5f});
    QVERIFY(readOrDie(*r, "empty").values.empty());
  }

  void nanAndInfPayloadsReadFine() {
    auto r = openOrDie(openSafetensors, ioData("all_dtypes.safetensors"));
    const FloatTensor t = readOrDie(*r, "special");
    QCOMPARE(std::bit_cast<std::uint32_t>(t.values[0]), 0x7FC00001u);  // NaN payload kept bit-exact
    QVERIFY(std::isinf(t.values[1]) && t.values[1] > 0);
    QVERIFY(std::isinf(t.values[2]) && t.values[2] < 0);
    QVERIFY(t.values[3] == 0.0f && std::signbit(t.values[3]));
    QCOMPARE(std::bit_cast<std::uint32_t>(t.values[4]), 1u);  // smallest subnormal
  }

  void tinyStoriesCheckpoint() {
    auto r = openOrDie(openSafetensors, kTiny);
    const auto& ts = r->tensors();
    QCOMPARE(ts.size(), std::size_t{20});
    QCOMPARE(ts.front().name, std::string("lm_head.weight"));
    QCOMPARE(ts.front().shape, (Shape{2048, 128}));
    QCOMPARE(ts.back().name, std::string("model.norm.weight"));
    for (const TensorInfo& t : ts) QCOMPARE(t.dtype, DType::F32);
    const auto q = r->find("model.layers.0.self_attn.q_proj.weight");
    QVERIFY(q);
    QCOMPARE(ts[*q].shape, (Shape{128, 128}));
    QCOMPARE(ts[*r->find("model.layers.1.mlp.down_proj.weight")].shape, (Shape{128, 384}));
    QCOMPARE(ts[*r->find("model.layers.1.self_attn.k_proj.weight")].shape, (Shape{64, 128}));
    QCOMPARE(r->metadata().size(), std::size_t{2});
    QCOMPARE(r->metadata()[1], (std::pair<std::string, std::string>{"model.embed_tokens.weight", "lm_head.weight"}));

    // Figures computed with NumPy from the raw bytes (float64 accumulation):
    // q_proj: sum −37.10168218612671, Σx² 3180.236413898401, min −2.125, max 1.8359375.
    const FloatTensor t = readOrDie(*r, "model.layers.0.self_attn.q_proj.weight");
    double sum = 0, sq = 0;
    float lo = t.values[0], hi = t.values[0];
    for (float v : t.values) {
      sum += v;
      sq += static_cast<double>(v) * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    QUENCH_COMPARE_NEAR(sum, -37.10168218612671, 1e-9, 0);
    QUENCH_COMPARE_NEAR(sq, 3180.236413898401, 1e-10, 0);
    QCOMPARE(lo, -2.125f);
    QCOMPARE(hi, 1.8359375f);
    QCOMPARE(t.values.front(), 0.1796875f);
    QCOMPARE(t.values.back(), 0.19042969f);
    // model.norm.weight: sum 83.99560546875.
    double normSum = 0;
    for (float v : readOrDie(*r, "model.norm.weight").values) normSum += v;
    QUENCH_COMPARE_NEAR(normSum, 83.99560546875, 1e-12, 0);
  }

  void concurrentReadsAgree() {
    auto r = openOrDie(openSafetensors, kTiny);
    const FloatTensor ref = readOrDie(*r, "lm_head.weight");
    std::vector<int> ok(4, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        auto t = r->readFloat(std::size_t{0});
        ok[i] = t && t->values == ref.values;
      });
    for (auto& th : threads) th.join();
    QCOMPARE(ok, std::vector<int>(4, 1));
  }

  void cancelledReadStops() {
    auto r = openOrDie(openSafetensors, kTiny);
    std::stop_source stop;
    stop.request_stop();
    auto t = r->readFloat(std::size_t{0}, Work{stop.get_token(), {}});
    QVERIFY(!t);
    QUENCH_VERIFY_ERROR(t.error().message, "cancelled");
  }

  void hostileHeaders() {
    QUENCH_VERIFY_ERROR(openError(openSafetensors, {1, 2, 3}, "short.safetensors"), "too short");
    QUENCH_VERIFY_ERROR(openError(openSafetensors, {1, 2, 3}, "short.safetensors"), "short.safetensors");
    // Header length 1000 in a 20-byte file.
    auto past = stFile("{}", 10);
    past[0] = 0xe8;
    past[1] = 0x03;
    QUENCH_VERIFY_ERROR(openError(openSafetensors, past), "exceeds the file size");
    auto huge = stFile("{}");
    std::memset(huge.data(), 0xff, 8);
    QUENCH_VERIFY_ERROR(openError(openSafetensors, huge), "exceeds the file size");
    QUENCH_VERIFY_ERROR(stError("{\"a\": "), "not valid JSON");
    QUENCH_VERIFY_ERROR(stError("[1, 2]"), "not a JSON object");
    QUENCH_VERIFY_ERROR(stError(R"({"__metadata__": [1]})"), "__metadata__ is not a JSON object");
    QUENCH_VERIFY_ERROR(stError(R"({"w": 3})"), "'w': entry is not a JSON object");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4), "missing string 'dtype'");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4), "missing array 'shape'");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [1]}})", 4), "missing array 'data_offsets'");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F7", "shape": [1], "data_offsets": [0, 4]}})", 4),
                        "unknown dtype 'F7'");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "Q8_0", "shape": [32], "data_offsets": [0, 34]}})", 34),
                        "unknown dtype 'Q8_0'");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4),
                        "not a non-negative integer");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4),
                        "not a non-negative integer");
    QUENCH_VERIFY_ERROR(
        stError(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 4),
        "overflows");
    // 2^61 elements × 8 bytes overflows 64 bits even though the element count does not.
    QUENCH_VERIFY_ERROR(
        stError(R"({"w": {"dtype": "F64", "shape": [2305843009213693952], "data_offsets": [0, 8]}})", 8),
        "overflows");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 400]}})", 8),
                        "past the end of the data buffer");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", 8),
                        "end before begin");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", 8),
                        "not two non-negative integers");
    QUENCH_VERIFY_ERROR(stError(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8),
                        "byte range 8 != 3 elements × 4 bytes");
    QUENCH_VERIFY_ERROR(stError(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12),
                        "overlap");
    // Well-formed minimal file for contrast: the same checks pass.
    QCOMPARE(stError(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 8), std::string());
  }

  void everyTruncationIsAnError() {
    const auto full = fileBytes(ioData("all_dtypes.safetensors"));
    // The last tensor ("empty") has no bytes, so the data ends at "scalar": every shorter prefix
    // loses data that the header promises.
    for (std::size_t n = 0; n < full.size(); ++n) {
      const std::string err = openError(openSafetensors, {full.begin(), full.begin() + n}, "cut.safetensors");
      QVERIFY2(!err.empty(), qPrintable(QString("prefix of %1 bytes opened").arg(n)));
      QVERIFY(err.rfind("cut.safetensors: ", 0) == 0);
    }
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
