// llama.cpp's block formats (MATH.md §12, core/io/ggml_blocks.h):
// - every tensor of ../shared/data/gguf/all-types.gguf decodes to the float32 values that
//   llama.cpp's own Python package wrote to all-types-expected.npz, compared bit for bit (read
//   with Quench's npz reader);
// - hand-built blocks of many types whose every value is worked out by hand below, so that a
//   wrong nibble order, scale packing or sign convention fails without the golden file;
// - the llama-quantize files: every tensor's type is the one llama.cpp's log says it chose, and
//   the file's bits per weight is the one llama-quantize printed;
// - block geometry and true bits per weight from ggml-common.h's structs.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <regex>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/io/formats.h"
#include "core/io/ggml_blocks.h"

using namespace quench;

namespace {

std::uint32_t bitsOf(float f) { return std::bit_cast<std::uint32_t>(f); }

/// Decode one or more whole blocks of `t`.
std::vector<float> decode(DType t, const std::vector<std::uint8_t>& bytes) {
  const std::size_t count = bytes.size() / blockBytes(t) * blockSize(t);
  if (bytes.size() % blockBytes(t) != 0) qFatal("test block of %zu bytes is not whole blocks", bytes.size());
  std::vector<float> out(count, std::numeric_limits<float>::quiet_NaN());
  decodeToFloat(t, bytes.data(), count, out.data());
  return out;
}

/// A zeroed block with little-endian fields written at byte offsets.
struct Block {
  std::vector<std::uint8_t> b;
  explicit Block(std::size_t n) : b(n, 0) {}
  Block& u8(std::size_t at, std::uint8_t v) { b.at(at) = v; return *this; }
  Block& u16(std::size_t at, std::uint16_t v) { b.at(at) = v & 0xFF; b.at(at + 1) = v >> 8; return *this; }
  Block& u32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.at(at + i) = static_cast<std::uint8_t>(v >> (8 * i));
    return *this;
  }
};

// fp16 bit patterns used below.
constexpr std::uint16_t kH0_25 = 0x3400, kH0_5 = 0x3800, kH1 = 0x3C00, kH2 = 0x4000, kHm1 = 0xBC00;

#define QUENCH_COMPARE_BITS(actual, expected)                                                        \
  do {                                                                                               \
    const float quench_a_ = (actual), quench_e_ = (expected);                                        \
    QVERIFY2(bitsOf(quench_a_) == bitsOf(quench_e_),                                                 \
             qPrintable(QStringLiteral("%1 = %2 (0x%3), expected %4 (0x%5)").arg(#actual)           \
                            .arg(quench_a_, 0, 'g', 9).arg(bitsOf(quench_a_), 8, 16, QChar('0'))     \
                            .arg(quench_e_, 0, 'g', 9).arg(bitsOf(quench_e_), 8, 16, QChar('0')))); \
  } while (0)

}  // namespace

class TestGgmlBlocks : public QObject {
  Q_OBJECT
 private slots:
  void allTypesMatchLlamaCppBitForBit();
  void rowsFromStoredBytesMatchReadFloat();
  void geometryAndBitsPerWeight();
  void ggmlTypeIds();
  void storedByteCountRejectsPartialBlocksAndOverflow();
  void q4_1ByHand();
  void q5_0AndQ5_1HighBits();
  void q2_KByHand();
  void q3_KScalePackingAndHighMask();
  void q4_KScaleMinPacking();
  void q6_KByHand();
  void q8_1AsQ8_0();
  void q8_KByHand();
  void iq4_NLAndIq4_XSCodeBook();
  void mxfp4AndNvfp4Scales();
  void ternaryTq1_0AndTq2_0();
  void q1_0AndQ2_0();
  void iq2_XXSGridSignsAndScale();
  void iq1_SGridAndShift();
  void llamaQuantizeTypesAndBitsPerWeight_data();
  void llamaQuantizeTypesAndBitsPerWeight();
};

void TestGgmlBlocks::allTypesMatchLlamaCppBitForBit() {
  auto gf = MappedFile::open(QUENCH_SHARED_DATA "/gguf/all-types.gguf");
  QVERIFY(gf.ok());
  auto gguf = openGguf(*gf);
  QVERIFY2(gguf.ok(), gguf.ok() ? "" : gguf.error().message.c_str());
  auto nf = MappedFile::open(QUENCH_SHARED_DATA "/gguf/all-types-expected.npz");
  QVERIFY(nf.ok());
  auto npz = openNpz(*nf);
  QVERIFY2(npz.ok(), npz.ok() ? "" : npz.error().message.c_str());
  const auto& tensors = (*gguf)->tensors();
  QCOMPARE(tensors.size(), std::size_t{31});
  QCOMPARE((*npz)->tensors().size(), std::size_t{31});
  std::set<std::string> typesSeen;
  for (const TensorInfo& info : tensors) {
    // "random.q4_k" is stored as Q4_K: the catalog names the stored type.
    const std::string suffix = info.name.substr(info.name.find('.') + 1);
    QCOMPARE(QString::fromLatin1(dtypeName(info.dtype)).toLower(), QString::fromStdString(suffix));
    QCOMPARE(info.shape, (Shape{3, 512}));
    QCOMPARE(info.bytes, *storedByteCount(info.dtype, 3 * 512));
    typesSeen.insert(std::string(dtypeName(info.dtype)));
    auto got = (*gguf)->readFloat(std::string_view(info.name));
    QVERIFY2(got.ok(), got.ok() ? "" : got.error().message.c_str());
    auto want = (*npz)->readFloat(std::string_view(info.name));
    QVERIFY2(want.ok(), want.ok() ? "" : want.error().message.c_str());
    QCOMPARE(want->shape, (Shape{3, 512}));
    QCOMPARE(got->values.size(), want->values.size());
    for (std::size_t i = 0; i < got->values.size(); ++i) {
      if (bitsOf(got->values[i]) != bitsOf(want->values[i]))
        QFAIL(qPrintable(QStringLiteral("%1[%2] = %3 (0x%4), llama.cpp: %5 (0x%6)")
                             .arg(QString::fromStdString(info.name)).arg(i)
                             .arg(got->values[i], 0, 'g', 9).arg(bitsOf(got->values[i]), 8, 16, QChar('0'))
                             .arg(want->values[i], 0, 'g', 9).arg(bitsOf(want->values[i]), 8, 16, QChar('0'))));
    }
  }
  // One of each of the 23 block types of MATH.md §12.
  QCOMPARE(typesSeen.size(), std::size_t{23});
}

void TestGgmlBlocks::rowsFromStoredBytesMatchReadFloat() {
  // The runtime's way: one row at a time from the mapped bytes, storedByteCount(t, cols) apart.
  auto f = MappedFile::open(QUENCH_SHARED_DATA "/gguf/all-types.gguf");
  QVERIFY(f.ok());
  auto r = openGguf(*f);
  QVERIFY(r.ok());
  for (std::size_t i = 0; i < (*r)->tensors().size(); ++i) {
    const TensorInfo& info = (*r)->tensors()[i];
    const auto whole = (*r)->readFloat(i);
    QVERIFY(whole.ok());
    const auto raw = (*r)->storedBytes(i);
    QCOMPARE(raw.size(), info.bytes);
    const std::size_t cols = static_cast<std::size_t>(info.shape[1]);
    const std::size_t rowBytes = *storedByteCount(info.dtype, cols);
    std::vector<float> row(cols);
    for (std::size_t rr = 0; rr < 3; ++rr) {
      decodeToFloat(info.dtype, raw.data() + rr * rowBytes, cols, row.data());
      QVERIFY2(std::memcmp(row.data(), whole->values.data() + rr * cols, cols * 4) == 0, info.name.c_str());
    }
  }
}

void TestGgmlBlocks::geometryAndBitsPerWeight() {
  // Block geometry from ggml-common.h's structs; the bits per weight are the ones its comments
  // state ("Effectively 4.5 bits per weight", "2.0625 bpw", ...).
  struct Row { DType t; std::size_t elems, bytes; double bpw; };
  const Row rows[] = {
      {DType::Q4_0, 32, 18, 4.5},      {DType::Q4_1, 32, 20, 5.0},      {DType::Q5_0, 32, 22, 5.5},
      {DType::Q5_1, 32, 24, 6.0},      {DType::Q8_0, 32, 34, 8.5},      {DType::Q2_K, 256, 84, 2.625},
      {DType::Q3_K, 256, 110, 3.4375}, {DType::Q4_K, 256, 144, 4.5},    {DType::Q5_K, 256, 176, 5.5},
      {DType::Q6_K, 256, 210, 6.5625}, {DType::Q8_K, 256, 292, 9.125},  {DType::IQ1_S, 256, 50, 1.5625},
      {DType::IQ1_M, 256, 56, 1.75},   {DType::IQ2_XXS, 256, 66, 2.0625}, {DType::IQ2_XS, 256, 74, 2.3125},
      {DType::IQ2_S, 256, 82, 2.5625}, {DType::IQ3_XXS, 256, 98, 3.0625}, {DType::IQ3_S, 256, 110, 3.4375},
      {DType::IQ4_NL, 32, 18, 4.5},    {DType::IQ4_XS, 256, 136, 4.25}, {DType::TQ1_0, 256, 54, 1.6875},
      {DType::TQ2_0, 256, 66, 2.0625}, {DType::MXFP4, 32, 17, 4.25},    {DType::NVFP4, 64, 36, 4.5},
      {DType::Q1_0, 128, 18, 1.125},   {DType::Q2_0, 64, 18, 2.25},    {DType::Q8_1, 32, 36, 9.0},
  };
  for (const Row& r : rows) {
    QVERIFY(isBlockDType(r.t));
    QCOMPARE(blockSize(r.t), r.elems);
    QCOMPARE(blockBytes(r.t), r.bytes);
    QVERIFY2(bitsPerWeight(r.t) == r.bpw, dtypeName(r.t).data());
    QCOMPARE(dtypeSize(r.t), std::size_t{0});
    QCOMPARE(dtypeFromName(dtypeName(r.t)), std::optional<DType>(r.t));  // names round-trip
  }
  QVERIFY(bitsPerWeight(DType::F32) == 32.0);
  QVERIFY(bitsPerWeight(DType::BF16) == 16.0);
  QVERIFY(bitsPerWeight(DType::F8_E4M3) == 8.0);
  QVERIFY(!isBlockDType(DType::F16));
}

void TestGgmlBlocks::ggmlTypeIds() {
  // ggml.h's enum ggml_type.
  QCOMPARE(ggmlTypeId(DType::Q4_K), std::optional<std::uint32_t>(12));
  QCOMPARE(ggmlTypeId(DType::IQ4_XS), std::optional<std::uint32_t>(23));
  QCOMPARE(ggmlTypeId(DType::BF16), std::optional<std::uint32_t>(30));
  QCOMPARE(ggmlTypeId(DType::NVFP4), std::optional<std::uint32_t>(40));
  QCOMPARE(ggmlTypeId(DType::U8), std::optional<std::uint32_t>());
  QVERIFY(findGgmlType(4) == nullptr);   // Q4_2, removed
  QVERIFY(findGgmlType(43) == nullptr);  // GGML_TYPE_COUNT
  int defined = 0;
  for (std::uint32_t id = 0; id < 64; ++id) {
    const GgmlType* g = findGgmlType(id);
    if (!g) continue;
    ++defined;
    QCOMPARE(ggmlTypeId(g->dtype), std::optional<std::uint32_t>(id));
    QCOMPARE(std::size_t{g->blockSize}, blockSize(g->dtype));
    QCOMPARE(std::size_t{g->blockBytes}, blockBytes(g->dtype));
    QCOMPARE(g->name, dtypeName(g->dtype));
  }
  QCOMPARE(defined, 35);  // ids 0..42 less the 8 removed upstream
}

void TestGgmlBlocks::storedByteCountRejectsPartialBlocksAndOverflow() {
  QCOMPARE(storedByteCount(DType::Q4_K, 512), std::optional<std::uint64_t>(288));
  QCOMPARE(storedByteCount(DType::Q4_K, 100), std::optional<std::uint64_t>());
  QCOMPARE(storedByteCount(DType::F32, 7), std::optional<std::uint64_t>(28));
  QCOMPARE(storedByteCount(DType::F64, 1ull << 62), std::optional<std::uint64_t>());
  QCOMPARE(storedByteCount(DType::Q8_K, 0xFFFFFFFFFFFFFF00ull), std::optional<std::uint64_t>());
}

void TestGgmlBlocks::q4_1ByHand() {
  // d = 0.5, m = −1; byte j = (15 − j) << 4 | j: element j has code j, element j + 16 code 15 − j.
  Block b(20);
  b.u16(0, kH0_5).u16(2, kHm1);
  for (int j = 0; j < 16; ++j) b.u8(4 + j, static_cast<std::uint8_t>(((15 - j) << 4) | j));
  const auto y = decode(DType::Q4_1, b.b);
  QUENCH_COMPARE_BITS(y[0], -1.0f);   // 0·0.5 − 1
  QUENCH_COMPARE_BITS(y[3], 0.5f);    // 3·0.5 − 1
  QUENCH_COMPARE_BITS(y[15], 6.5f);
  QUENCH_COMPARE_BITS(y[16], 6.5f);   // code 15
  QUENCH_COMPARE_BITS(y[31], -1.0f);  // code 0
}

void TestGgmlBlocks::q5_0AndQ5_1HighBits() {
  // Q5_0, d = 1: qh = 0x80000001 sets the fifth bit of elements 0 and 31 only.
  Block b(22);
  b.u16(0, kH1).u32(2, 0x80000001u).u8(6 + 1, 0xF5);
  const auto y = decode(DType::Q5_0, b.b);
  QUENCH_COMPARE_BITS(y[0], 0.0f);     // (0 | 16) − 16
  QUENCH_COMPARE_BITS(y[1], -11.0f);   // low nibble 5, no high bit
  QUENCH_COMPARE_BITS(y[16], -16.0f);  // high nibble of byte 0 is 0, bit 16 clear
  QUENCH_COMPARE_BITS(y[17], -1.0f);   // high nibble of byte 1 is 15
  QUENCH_COMPARE_BITS(y[31], 0.0f);    // bit 31 set: 16 − 16
  // Q5_1, d = 0.25, m = 2, every fifth bit set, every nibble 0: x = 16·0.25 + 2 = 6.
  Block c(24);
  c.u16(0, kH0_25).u16(2, kH2).u32(4, 0xFFFFFFFFu).u8(8, 0x21);
  const auto z = decode(DType::Q5_1, c.b);
  QUENCH_COMPARE_BITS(z[0], 6.25f);   // (1 | 16)·0.25 + 2
  QUENCH_COMPARE_BITS(z[16], 6.5f);   // (2 | 16)·0.25 + 2
  QUENCH_COMPARE_BITS(z[5], 6.0f);
}

void TestGgmlBlocks::q2_KByHand() {
  // d = 1, dmin = 0.25. Scale byte k covers elements 16k..16k+15 (low nibble scale, high min).
  Block b(84);
  b.u16(80, kH1).u16(82, kH0_25);
  b.u8(0, 0x21).u8(1, 0x03).u8(2, 0x12).u8(6, 0x0F);
  b.u8(16 + 0, 0xE4).u8(16 + 16, 0x03);
  const auto y = decode(DType::Q2_K, b.b);
  QUENCH_COMPARE_BITS(y[0], -0.5f);   // code 0 (bits 0-1 of 0xE4): 1·0 − 0.25·2
  QUENCH_COMPARE_BITS(y[1], -0.5f);
  QUENCH_COMPARE_BITS(y[16], 9.0f);   // byte 16, bits 0-1 = 3, scale byte 1: 3·3 − 0
  QUENCH_COMPARE_BITS(y[32], 1.75f);  // bits 2-3 of 0xE4 = 1, scale byte 2: 2·1 − 0.25·1
  QUENCH_COMPARE_BITS(y[64], 0.0f);   // bits 4-5 = 2, scale byte 4 = 0: 0·2 − 0
  QUENCH_COMPARE_BITS(y[96], 45.0f);  // bits 6-7 = 3, scale byte 6: 15·3
  QCOMPARE(bitsOf(y[128]), 0u);  // second 128: all zero, +0
}

void TestGgmlBlocks::q3_KScalePackingAndHighMask() {
  // d = 1. Scale i (6 bits, minus 32): low nibble from byte i (i < 8) or the high nibble of byte
  // i − 8, top two bits from byte 8 + i%4 at bit 2·(i/4).
  //   scale 0 = 33 (+1): low 1 in byte 0, top 2 in bits 0-1 of byte 8
  //   scale 8 = 31 (−1): low 15 in the high nibble of byte 0, top 1 in bits 4-5 of byte 8
  //   scale 15 = 63 (+31): low 15 in the high nibble of byte 7, top 3 in bits 6-7 of byte 11
  //   every other scale 0 (−32)
  Block b(110);
  b.u16(108, kH1);
  b.u8(96 + 0, 0xF1).u8(96 + 8, 0x12).u8(96 + 7, 0xF0).u8(96 + 11, 0xC0);
  b.u8(0, 0x01);                         // hmask: element 0's high bit (bit 0 of byte 0)
  b.u8(32 + 0, 0x03);                    // element 0: code 3
  b.u8(16 + 15, 0x80).u8(32 + 48 + 15, 0xC0);  // element 255: bit 7 of hmask byte 31, code 3 in bits 6-7
  const auto y = decode(DType::Q3_K, b.b);
  QUENCH_COMPARE_BITS(y[0], 3.0f);      // 1·(3 − 0)
  QUENCH_COMPARE_BITS(y[1], -4.0f);     // 1·(0 − 4): high bit clear
  QUENCH_COMPARE_BITS(y[16], 128.0f);   // scale 1 = −32: −32·(0 − 4)
  QUENCH_COMPARE_BITS(y[128], 4.0f);    // scale 8 = −1: −1·(0 − 4)
  QUENCH_COMPARE_BITS(y[255], 93.0f);   // scale 15 = 31: 31·(3 − 0)
  QUENCH_COMPARE_BITS(y[254], -124.0f); // 31·(0 − 4)
}

void TestGgmlBlocks::q4_KScaleMinPacking() {
  // d = 1, dmin = 0.5. The 12 scale bytes: sub-blocks 0..3 take scale = byte j & 63 and
  // min = byte j+4 & 63; sub-blocks 4..7 take their low 4 bits from byte j+4 and their top 2
  // bits from bits 6-7 of bytes j−4 (scale) and j (min).
  //   byte 0 = 0x43: scale 0 = 3, top bits of scale 4 = 1
  //   byte 4 = 0x82: min 0 = 2, top bits of min 4 = 2
  //   byte 1 = 0x01: scale 1 = 1 (min 1 = 0)
  //   byte 8 = 0x21: scale 4 = 1 | 1<<4 = 17, min 4 = 2 | 2<<4 = 34
  Block b(144);
  b.u16(0, kH1).u16(2, kH0_5);
  b.u8(4 + 0, 0x43).u8(4 + 4, 0x82).u8(4 + 1, 0x01).u8(4 + 8, 0x21);
  b.u8(16 + 0, 0x5A);       // element 0: low nibble 10; element 32: high nibble 5
  b.u8(16 + 64 + 3, 0x07);  // 64-group 2 (sub-blocks 4, 5): element 131 low nibble 7, element 163 high 0
  const auto y = decode(DType::Q4_K, b.b);
  QUENCH_COMPARE_BITS(y[0], 29.0f);     // 3·10 − 0.5·2
  QUENCH_COMPARE_BITS(y[1], -1.0f);     // 3·0 − 1
  QUENCH_COMPARE_BITS(y[32], 5.0f);     // scale 1: 1·5 − 0
  QUENCH_COMPARE_BITS(y[131], 102.0f);  // scale 4: 17·7 − 0.5·34
  QUENCH_COMPARE_BITS(y[130], -17.0f);  // 17·0 − 17
  QUENCH_COMPARE_BITS(y[163], 0.0f);    // sub-block 5: scale 0, min 0
}

void TestGgmlBlocks::q6_KByHand() {
  // d = 0.5; int8 scales 0..15 at byte 192 (scale k covers 16 elements). Element l of each
  // 128: low 4 bits from byte l (low nibble for +0, high for +64) or l+32 (+32, +96), top 2
  // bits from byte 128 + l at bits 0, 2, 4, 6; x = d·sc·(q − 32).
  Block b(210);
  b.u16(208, kH0_5);
  b.u8(192 + 0, static_cast<std::uint8_t>(-2)).u8(192 + 1, 4).u8(192 + 2, 3).u8(192 + 4, 1).u8(192 + 6, 1);
  b.u8(0, 0x21).u8(128, 0xE4);
  const auto y = decode(DType::Q6_K, b.b);
  QUENCH_COMPARE_BITS(y[0], 31.0f);    // q = 1 | 0 → −31; 0.5·−2·−31
  QUENCH_COMPARE_BITS(y[32], -24.0f);  // q = 0 | 1<<4 = 16 → −16; 0.5·3·−16
  QUENCH_COMPARE_BITS(y[64], 1.0f);    // q = 2 | 2<<4 = 34 → 2; 0.5·1·2
  QUENCH_COMPARE_BITS(y[96], 8.0f);    // q = 0 | 3<<4 = 48 → 16; 0.5·1·16
  QUENCH_COMPARE_BITS(y[1], 32.0f);    // q = 0 → −32; 0.5·−2·−32
  QUENCH_COMPARE_BITS(y[16], -64.0f);  // scale 1: 0.5·4·−32
  QCOMPARE(bitsOf(y[128]), bitsOf(-0.0f));  // scale 8 = 0: (0.5·0)·−32 is −0
}

void TestGgmlBlocks::q8_1AsQ8_0() {
  // d = 0.5, the cached d·Σq (here a nonsense 1000) plays no part: x = d·q.
  Block b(36);
  b.u16(0, kH0_5).u16(2, 0x63D0).u8(4, 0x80).u8(4 + 31, 0x7F).u8(4 + 1, 0x03);
  const auto y = decode(DType::Q8_1, b.b);
  QUENCH_COMPARE_BITS(y[0], -64.0f);
  QUENCH_COMPARE_BITS(y[1], 1.5f);
  QUENCH_COMPARE_BITS(y[2], 0.0f);
  QUENCH_COMPARE_BITS(y[31], 63.5f);
}

void TestGgmlBlocks::q8_KByHand() {
  Block b(292);
  b.u32(0, bitsOf(0.25f)).u8(4, 0x80).u8(4 + 255, 0x7F).u8(4 + 7, 0x03);
  const auto y = decode(DType::Q8_K, b.b);
  QUENCH_COMPARE_BITS(y[0], -32.0f);
  QUENCH_COMPARE_BITS(y[7], 0.75f);
  QUENCH_COMPARE_BITS(y[255], 31.75f);
}

void TestGgmlBlocks::iq4_NLAndIq4_XSCodeBook() {
  // The non-linear code book: −127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113.
  Block b(18);
  b.u16(0, kH0_5).u8(2, 0xF0).u8(3, 0x87);
  const auto y = decode(DType::IQ4_NL, b.b);
  QUENCH_COMPARE_BITS(y[0], -63.5f);  // 0.5·k[0]
  QUENCH_COMPARE_BITS(y[16], 56.5f);  // 0.5·k[15]
  QUENCH_COMPARE_BITS(y[1], -5.0f);   // 0.5·k[7]
  QUENCH_COMPARE_BITS(y[17], 0.5f);   // 0.5·k[8]
  // IQ4_XS, d = 1: sub-block ib has ls = (low nibble ib%2 of byte 4 + ib/2) | (bits 2ib of the
  // 16-bit word at 2) << 4; x = (ls − 32)·k[q].
  Block c(136);
  c.u16(0, kH1).u16(2, 0x0006).u8(4, 0x1F).u8(8, 0x0F).u8(8 + 16, 0x08);
  const auto z = decode(DType::IQ4_XS, c.b);
  QUENCH_COMPARE_BITS(z[0], 1695.0f);    // ls = 15 | 2<<4 = 47 → 15; 15·113
  QUENCH_COMPARE_BITS(z[16], -1905.0f);  // 15·−127
  QUENCH_COMPARE_BITS(z[32], -15.0f);    // ls = 1 | 1<<4 = 17 → −15; −15·k[8] = −15·1
  QUENCH_COMPARE_BITS(z[48], 1905.0f);   // −15·−127
  QUENCH_COMPARE_BITS(z[64], 4064.0f);   // ls = 0 → −32; −32·−127
}

void TestGgmlBlocks::mxfp4AndNvfp4Scales() {
  // MXFP4: x = E2M1(q)·2^(e−127); codes 0..7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6, 8..15 their negatives.
  Block b(17 * 3);
  b.u8(0, 128).u8(1, 0x97);               // e = 128 (×2): element 0 code 7 → 12, element 16 code 9 → −1
  b.u8(17, 0).u8(18, 0x01);               // e = 0: 2^−127 · 0.5 = 2^−128, a float subnormal
  b.u8(34, 255).u8(35, 0x0F);             // e = 255: −6·2^128 overflows to −inf
  const auto y = decode(DType::MXFP4, b.b);
  QUENCH_COMPARE_BITS(y[0], 12.0f);
  QUENCH_COMPARE_BITS(y[16], -1.0f);
  QUENCH_COMPARE_BITS(y[1], 0.0f);
  QUENCH_COMPARE_BITS(y[32], std::ldexp(1.0f, -128));
  QUENCH_COMPARE_BITS(y[64], -std::numeric_limits<float>::infinity());
  QUENCH_COMPARE_BITS(y[80], 0.0f);
  // NVFP4: four unsigned E4M3 scales (one per 16 elements), 0x00 and 0x7F are 0; x = E2M1(q)·s.
  // Within 16 elements the low nibble of byte j is element j, the high nibble element j + 8.
  Block c(36);
  c.u8(0, 0x38)   // exponent 7, mantissa 0: 1
      .u8(1, 0x7F)  // 0 by definition
      .u8(2, 0x01)  // subnormal: 1/8·2^−6 = 2^−9
      .u8(3, 0xFF); // sign bit ignored: exponent 15, mantissa 7: 1.875·2^8 = 480
  c.u8(4 + 0, 0x97).u8(4 + 8, 0x77).u8(4 + 16, 0x01).u8(4 + 24, 0x0F);
  const auto z = decode(DType::NVFP4, c.b);
  QUENCH_COMPARE_BITS(z[0], 6.0f);    // E2M1 6·1
  QUENCH_COMPARE_BITS(z[8], -0.5f);   // code 9
  QUENCH_COMPARE_BITS(z[16], 0.0f);   // scale 0x7F
  QUENCH_COMPARE_BITS(z[32], std::ldexp(1.0f, -10));  // 0.5·2^−9
  QUENCH_COMPARE_BITS(z[48], -2880.0f);  // −6·480
  QUENCH_COMPARE_BITS(z[56], 0.0f);
}

void TestGgmlBlocks::ternaryTq1_0AndTq2_0() {
  // TQ1_0 packs five trits (t0..t4) in a byte as ⌈(81·t0 + 27·t1 + 9·t2 + 3·t3 + t4)·256/243⌉;
  // trits (2, 0, 1, 2, 1) → ⌈178·256/243⌉ = 188. Elements: digit n of bytes 0..31 are elements
  // 32n + m; digit n of bytes 32..47 are 160 + 16n + m; digit n (< 4) of bytes 48..51 are
  // 240 + 4n + j. x = (t − 1)·d, d = 1 at byte 52.
  Block b(54);
  b.u16(52, kH1).u8(0, 188).u8(32, 188).u8(48, 188);
  const auto y = decode(DType::TQ1_0, b.b);
  const float want[5] = {1, -1, 0, 1, 0};
  for (int n = 0; n < 5; ++n) {
    QUENCH_COMPARE_BITS(y[32 * n], want[n]);
    QUENCH_COMPARE_BITS(y[160 + 16 * n], want[n]);
  }
  for (int n = 0; n < 4; ++n) QUENCH_COMPARE_BITS(y[240 + 4 * n], want[n]);
  QUENCH_COMPARE_BITS(y[1], -1.0f);  // byte 0 → every digit 0
  // TQ2_0: byte m of each 32-byte group holds elements m, m+32, m+64, m+96 in bits 0-1 .. 6-7;
  // d = 2 at byte 64; x = (q − 1)·d.
  Block c(66);
  c.u16(64, kH2).u8(0, 0x92).u8(33, 0x03);
  const auto z = decode(DType::TQ2_0, c.b);
  QUENCH_COMPARE_BITS(z[0], 2.0f);
  QUENCH_COMPARE_BITS(z[32], -2.0f);
  QUENCH_COMPARE_BITS(z[64], 0.0f);
  QUENCH_COMPARE_BITS(z[96], 2.0f);
  QUENCH_COMPARE_BITS(z[129], 4.0f);  // code 3 decodes as 2·d
}

void TestGgmlBlocks::q1_0AndQ2_0() {
  Block b(18);
  b.u16(0, kH0_5).u8(2, 0x05).u8(2 + 15, 0x80);
  const auto y = decode(DType::Q1_0, b.b);
  QUENCH_COMPARE_BITS(y[0], 0.5f);
  QUENCH_COMPARE_BITS(y[1], -0.5f);
  QUENCH_COMPARE_BITS(y[2], 0.5f);
  QUENCH_COMPARE_BITS(y[120], -0.5f);
  QUENCH_COMPARE_BITS(y[127], 0.5f);
  Block c(18);
  c.u16(0, kH1).u8(2, 0xE4);
  const auto z = decode(DType::Q2_0, c.b);
  QUENCH_COMPARE_BITS(z[0], -1.0f);
  QUENCH_COMPARE_BITS(z[1], 0.0f);
  QUENCH_COMPARE_BITS(z[2], 1.0f);
  QUENCH_COMPARE_BITS(z[3], 2.0f);
  QUENCH_COMPARE_BITS(z[4], -1.0f);
}

void TestGgmlBlocks::iq2_XXSGridSignsAndScale() {
  // iq2xxs_grid[1] = 0x080808080808082b: element 0 is 0x2b = 43, elements 1..7 are 8.
  // Per 32 elements: 4 index bytes, then a word of four 7-bit sign indices and a 4-bit scale s:
  // db = d·(0.5 + s)·0.25. Sign index 1 → pattern 0b10000001 (odd count made even by bit 7):
  // elements 0 and 7 negative.
  Block b(66);
  b.u16(0, kH1).u8(2, 1).u32(2 + 4, (1u << 28) | 1u);
  const auto y = decode(DType::IQ2_XXS, b.b);
  QUENCH_COMPARE_BITS(y[0], -16.125f);  // 0.375·43·−1
  QUENCH_COMPARE_BITS(y[1], 3.0f);      // 0.375·8
  QUENCH_COMPARE_BITS(y[7], -3.0f);
  QUENCH_COMPARE_BITS(y[8], 3.0f);      // index 0: all 8, sign index 0: all positive
  QUENCH_COMPARE_BITS(y[32], 1.0f);     // next 32: s = 0 → db = 0.125; grid 0 → 8·0.125
}

void TestGgmlBlocks::iq1_SGridAndShift() {
  // iq1s_grid[0] is all −1, iq1s_grid[1] = 0xffffffffffffff01 has element 0 = +1. Per 32
  // elements a 16-bit word: bits 12-14 scale s (dl = d·(2s + 1)), bit 15 the sign of δ = 1/8.
  Block b(50);
  b.u16(0, kH1).u8(2 + 1, 1).u16(34, static_cast<std::uint16_t>(0x8000 | (2 << 12)));
  const auto y = decode(DType::IQ1_S, b.b);
  QUENCH_COMPARE_BITS(y[0], -5.625f);  // 5·(−1 − 0.125)
  QUENCH_COMPARE_BITS(y[8], 4.375f);   // 5·(1 − 0.125)
  QUENCH_COMPARE_BITS(y[9], -5.625f);
  QUENCH_COMPARE_BITS(y[32], -0.875f);  // next word 0: dl = 1, δ = +1/8: −1 + 0.125
}

void TestGgmlBlocks::llamaQuantizeTypesAndBitsPerWeight_data() {
  QTest::addColumn<QString>("file");
  for (const char* dir : {"pure", "mix", "imatrix"}) {
    const QDir d(QStringLiteral(QUENCH_SHARED_DATA "/gguf/llama-quantize/") + QLatin1String(dir));
    for (const QString& f : d.entryList({QStringLiteral("*.gguf")}, QDir::Files, QDir::Name))
      QTest::newRow(qPrintable(QLatin1String(dir) + '/' + f)) << d.filePath(f);
  }
}

void TestGgmlBlocks::llamaQuantizeTypesAndBitsPerWeight() {
  // llama-quantize's log names the type it chose for every tensor ("converting to q4_K", or the
  // source's f32 when it kept it) and prints the file's size in bits per weight.
  QFETCH(QString, file);
  QString logPath = file;
  logPath.replace(QStringLiteral(".gguf"), QStringLiteral(".log"));
  std::ifstream log(logPath.toStdString());
  QVERIFY(log);
  // "converting to" may follow on a later line (after an imatrix notice).
  const std::regex tensorLine(R"(\]\s+(\S+)\s+- \[.*type =\s+(\w+))");
  const std::regex convertLine(R"(converting to (\w+))");
  const std::regex bpwLine(R"(quant size\s+=\s+[0-9.]+ MiB \(([0-9.]+) BPW\))");
  std::map<std::string, std::string> chosen;
  std::string current, bpw;
  for (std::string line; std::getline(log, line);) {
    std::smatch m;
    if (std::regex_search(line, m, tensorLine)) chosen[current = m[1]] = m[2];
    if (std::regex_search(line, m, convertLine)) chosen[current] = m[1];
    if (std::regex_search(line, m, bpwLine)) bpw = m[1];
  }
  QCOMPARE(chosen.size(), std::size_t{21});
  QVERIFY(!bpw.empty());
  auto f = MappedFile::open(file.toStdString());
  QVERIFY(f.ok());
  auto r = openGguf(*f);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE((*r)->tensors().size(), std::size_t{21});
  double bits = 0, weights = 0;
  std::vector<float> values;
  for (std::size_t i = 0; i < (*r)->tensors().size(); ++i) {
    const TensorInfo& t = (*r)->tensors()[i];
    QVERIFY2(chosen.count(t.name), t.name.c_str());
    QCOMPARE(QString::fromLatin1(dtypeName(t.dtype)).toLower(), QString::fromStdString(chosen[t.name]).toLower());
    const double n = static_cast<double>(*checkedElementCount(t.shape));
    bits += static_cast<double>(t.bytes) * 8;
    weights += n;
    QCOMPARE(static_cast<double>(t.bytes) * 8, n * bitsPerWeight(t.dtype));
    auto v = (*r)->readFloat(i);
    QVERIFY2(v.ok(), v.ok() ? "" : v.error().message.c_str());
    for (float x : v->values) QVERIFY(std::isfinite(x));
  }
  // llama-quantize prints the ratio with two decimals.
  QCOMPARE(QString::number(bits / weights, 'f', 2), QString::fromStdString(bpw));
}

QTEST_APPLESS_MAIN(TestGgmlBlocks)
#include "test_ggml_blocks.moc"
