// NumPy readers: .npy files written by numpy (versions 1.0/2.0/3.0, both byte orders, Fortran
// order, every supported dtype) and .npz archives written by np.savez / np.savez_compressed /
// zipfile, against values recomputed here from the formulas in tools/make_test_files.py; then
// headers that lie and archives that are corrupt, each with the error it must produce.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "core/io/io_test_support.h"

using namespace quench;
using namespace quench::test;

namespace {

// A .npy stream: magic, version, header length, the dict text (+ padding + '\n'), data bytes.
std::vector<std::uint8_t> npyFile(const std::string& dict, std::size_t dataBytes, int major = 1,
                                  bool newline = true) {
  std::string header = dict;
  if (newline) header += '\n';
  std::vector<std::uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::uint32_t n = static_cast<std::uint32_t>(header.size());
  b.push_back(n & 0xff);
  b.push_back((n >> 8) & 0xff);
  if (major >= 2) {
    b.push_back((n >> 16) & 0xff);
    b.push_back(n >> 24);
  }
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + dataBytes, 0);
  return b;
}

std::string npyError(const std::string& dict, std::size_t dataBytes, int major = 1, bool newline = true) {
  return openError(openNpy, npyFile(dict, dataBytes, major, newline), "lie.npy");
}

std::uint32_t le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::size_t eocd(const std::vector<std::uint8_t>& b) {
  for (std::size_t at = b.size() - 22 + 1; at-- > 0;)
    if (le32(b, at) == 0x06054b50) return at;
  qFatal("no end of central directory");
}
// Offset of the first central directory entry.
std::size_t firstCentral(const std::vector<std::uint8_t>& b) { return le32(b, eocd(b) + 16); }

double intExpected(const std::string& code, int k) {
  // make_test_files.py INT_SCALE: signed (k − 6)·m, unsigned k·m.
  const std::map<std::string, double> m = {{"i1", 20},       {"u1", 21},       {"i2", 5000},    {"u2", 5000},
                                           {"i4", 0x1p20},   {"u4", 0x1p28},   {"i8", 0x1p40},  {"u8", 0x1p60}};
  return (code[0] == 'i' ? k - 6 : k) * m.at(code);
}

}  // namespace

class TestNumpy : public QObject {
  Q_OBJECT
 private slots:
  void floatFilesBothByteOrders() {
    const auto expected = floatValues();
    const std::pair<const char*, DType> files[] = {
        {"float_le_f4", DType::F32}, {"float_be_f4", DType::F32}, {"float_le_f8", DType::F64},
        {"float_be_f8", DType::F64}, {"float_le_f2", DType::F16}, {"float_be_f2", DType::F16}};
    for (const auto& [stem, dtype] : files) {
      auto r = openOrDie(openNpy, ioData(std::string("npy/") + stem + ".npy"));
      QCOMPARE(std::string(r->format()), std::string("npy"));
      QCOMPARE(r->tensors().size(), std::size_t{1});
      const TensorInfo& info = r->tensors()[0];
      QCOMPARE(info.name, std::string(stem));
      QCOMPARE(info.dtype, dtype);
      QCOMPARE(info.shape, (Shape{3, 4}));
      QCOMPARE(info.layout.find("big-endian") != std::string::npos, std::string(stem).find("_be_") != std::string::npos);
      const FloatTensor t = readOrDie(*r, stem);
      QCOMPARE(t.values, expected);
    }
  }

  void integerFiles() {
    for (const std::string code : {"i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"}) {
      auto r = openOrDie(openNpy, ioData("npy/int_le_" + code + ".npy"));
      const FloatTensor t = readOrDie(*r, "int_le_" + code);
      QCOMPARE(t.shape, Shape{12});
      for (int k = 0; k < 12; ++k) QCOMPARE(static_cast<double>(t.values[k]), intExpected(code, k));
    }
    for (const std::string code : {"i2", "i4", "u8"}) {
      auto r = openOrDie(openNpy, ioData("npy/int_be_" + code + ".npy"));
      const FloatTensor t = readOrDie(*r, "int_be_" + code);
      for (int k = 0; k < 12; ++k) QCOMPARE(static_cast<double>(t.values[k]), intExpected(code, k));
    }
    auto b = openOrDie(openNpy, ioData("npy/bool.npy"));
    QCOMPARE(b->tensors()[0].dtype, DType::Bool);
    const FloatTensor t = readOrDie(*b, "bool");
    for (int k = 0; k < 12; ++k) QCOMPARE(t.values[k], k % 3 == 0 ? 1.0f : 0.0f);
  }

  void versionsTwoAndThree() {
    for (const char* stem : {"v2", "v3"}) {
      auto r = openOrDie(openNpy, ioData(std::string("npy/") + stem + ".npy"));
      QCOMPARE(readOrDie(*r, stem).values, floatValues());
    }
  }

  void fortranOrderIsTransposedToRowMajor() {
    // The file holds np.asfortranarray(arange(24).reshape(2, 3, 4)): row-major values 0..23.
    auto r = openOrDie(openNpy, ioData("npy/fortran.npy"));
    QVERIFY(r->tensors()[0].layout.find("Fortran") != std::string::npos);
    const FloatTensor t = readOrDie(*r, "fortran");
    QCOMPARE(t.shape, (Shape{2, 3, 4}));
    for (int i = 0; i < 24; ++i) QCOMPARE(t.values[i], static_cast<float>(i));
    auto be = openOrDie(openNpy, ioData("npy/fortran_be_i4.npy"));
    const FloatTensor u = readOrDie(*be, "fortran_be_i4");
    QCOMPARE(u.shape, (Shape{2, 3}));
    QCOMPARE(u.values, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  }

  void scalarAndSpecialValues() {
    auto s = openOrDie(openNpy, ioData("npy/scalar.npy"));
    QCOMPARE(s->tensors()[0].shape, Shape{});
    QCOMPARE(readOrDie(*s, "scalar").values, std::vector<float>{2.25f});
    auto r = openOrDie(openNpy, ioData("npy/special.npy"));
    const FloatTensor t = readOrDie(*r, "special");
    QCOMPARE(std::bit_cast<std::uint32_t>(t.values[0]), 0x7FC00001u);  // NaN payload preserved
    QCOMPARE(t.values[1], INFINITY);
    QCOMPARE(t.values[2], -INFINITY);
    QVERIFY(std::signbit(t.values[3]));
  }

  void npyHeaderLies() {
    const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    QCOMPARE(npyError(ok, 24), std::string());
    QUENCH_VERIFY_ERROR(npyError(ok, 20), "promises 24 data bytes");
    QUENCH_VERIFY_ERROR(npyError(ok, 28), "but the file holds 28");
    QCOMPARE(npyError(ok, 24, 2), std::string());  // v2 framing of the same header is fine
    QCOMPARE(npyError(ok, 24, 3), std::string());
    QUENCH_VERIFY_ERROR(npyError(ok, 24, 4), "unsupported npy version 4.0");
    QUENCH_VERIFY_ERROR(npyError(ok, 24, 1, false), "does not end in a newline");
    QUENCH_VERIFY_ERROR(openError(openNpy, bytesOf("NUMPY not really"), "x.npy"), "bad magic");
    auto past = npyFile(ok, 24);
    past[8] = 0xff;  // header length 0x..ff: past the end
    past[9] = 0x7f;
    QUENCH_VERIFY_ERROR(openError(openNpy, past, "x.npy"), "runs past the end");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16),
                        "unsupported dtype descr '<c8'");
    QUENCH_VERIFY_ERROR(npyError("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }", 8),
                        "structured dtypes");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'shape': (2,), }", 8), "missing key 'fortran_order'");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
                        "unexpected key 'x'");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8),
                        "appears twice");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8),
                        "neither True nor False");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8), "not a tuple");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8),
                        "not a non-negative integer");
    QUENCH_VERIFY_ERROR(
        npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 8), "overflows");
    QUENCH_VERIFY_ERROR(
        npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8), "too large");
    QUENCH_VERIFY_ERROR(npyError("__import__('os').system('true')", 0), "does not start with '{'");
    QUENCH_VERIFY_ERROR(npyError("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8),
                        "trailing characters");
    // Python 2 long literals and the dict without a trailing comma are accepted.
    QCOMPARE(npyError("{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L)}", 12), std::string());
  }

  void everyNpyTruncationIsAnError() {
    const auto full = fileBytes(ioData("npy/float_le_f8.npy"));
    for (std::size_t n = 0; n < full.size(); ++n)
      QVERIFY2(!openError(openNpy, {full.begin(), full.begin() + n}).empty(), qPrintable(QString::number(n)));
  }

  void npzStoredAndDeflated() {
    for (const char* file : {"stored.npz", "deflated.npz"}) {
      auto r = openOrDie(openNpz, ioData(file));
      QCOMPARE(std::string(r->format()), std::string("npz"));
      const auto& ts = r->tensors();
      QCOMPARE(ts.size(), std::size_t{4});
      QCOMPARE(ts[0].name, std::string("weight"));
      QCOMPARE(ts[1].name, std::string("bias"));
      QCOMPARE(ts[2].name, std::string("layer/big"));
      QCOMPARE(ts[3].name, std::string("half"));
      QCOMPARE(ts[1].dtype, DType::I64);
      QCOMPARE(ts[3].dtype, DType::F16);
      QCOMPARE(ts[2].shape, Shape{2000});
      QCOMPARE(readOrDie(*r, "weight").values, floatValues());
      QCOMPARE(readOrDie(*r, "bias").values, (std::vector<float>{-2, -1, 0, 1}));
      QCOMPARE(readOrDie(*r, "half").values, floatValues());
      const FloatTensor big = readOrDie(*r, "layer/big");
      for (int k = 0; k < 2000; ++k) QCOMPARE(big.values[k], static_cast<float>(k % 17) / 4.0f);
    }
  }

  void npzWithoutZip64AndWithAForeignMember() {
    auto r = openOrDie(openNpz, ioData("plain_zip.npz"));
    QCOMPARE(r->tensors().size(), std::size_t{1});
    QCOMPARE(readOrDie(*r, "weight").values, floatValues());
    QCOMPARE(r->metadata().size(), std::size_t{1});
    QCOMPARE(r->metadata()[0].first, std::string("skipped:README.txt"));
  }

  void npzCorruptCrcFailsOnRead() {
    auto bytes = fileBytes(ioData("stored.npz"));
    // First member ("weight.npy", stored): flip the last data byte. Opening only reads headers.
    const std::size_t cd = firstCentral(bytes);
    const std::size_t local = le32(bytes, cd + 42);
    const std::size_t nameLen = bytes[local + 26] | bytes[local + 27] << 8;
    const std::size_t extraLen = bytes[local + 28] | bytes[local + 29] << 8;
    const std::size_t dataEnd = local + 30 + nameLen + extraLen + le32(bytes, cd + 20);
    bytes[dataEnd - 1] ^= 0x40;
    auto r = openNpz(MappedFile::fromBytes("crc.npz", bytes));
    QVERIFY(r);
    auto t = (*r)->readFloat(std::size_t{0});
    QVERIFY(!t);
    QUENCH_VERIFY_ERROR(t.error().message, "CRC-32 mismatch");
    QUENCH_VERIFY_ERROR(t.error().message, "crc.npz: member 'weight.npy'");
    QVERIFY((*r)->readFloat(std::size_t{1}));  // the other members are intact

    // Deflated: a wrong stored CRC (central and local agree on it) is caught after inflating.
    auto d = fileBytes(ioData("deflated.npz"));
    const std::size_t dcd = firstCentral(d);
    const std::size_t dlocal = le32(d, dcd + 42);
    put32(d, dcd + 16, le32(d, dcd + 16) ^ 1);
    put32(d, dlocal + 14, le32(d, dlocal + 14) ^ 1);
    auto rd = openNpz(MappedFile::fromBytes("crc2.npz", d));
    QVERIFY(rd);
    auto td = (*rd)->readFloat(std::size_t{0});
    QVERIFY(!td);
    QUENCH_VERIFY_ERROR(td.error().message, "CRC-32 mismatch");
  }

  void npzBadSizesAndStructure() {
    const auto good = fileBytes(ioData("deflated.npz"));
    const std::size_t cd = firstCentral(good);
    const std::size_t end = eocd(good);
    {
      auto b = good;  // central directory says a different uncompressed size than the local header
      put32(b, cd + 24, le32(b, cd + 24) + 4);
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "differ from the central directory");
    }
    {
      auto b = good;  // a deflate-bomb claim: 4 GB from a few hundred bytes
      put32(b, cd + 24, 0xFFFFFF00u);
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "is impossible for");
    }
    {
      auto b = good;  // compressed size running into the central directory
      put32(b, cd + 20, 0x00100000u);
      put32(b, le32(b, cd + 42) + 18, 0x00100000u);
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "s.npz: npz: member 'weight.npy'");
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "runs into the central directory");
    }
    {
      auto b = good;
      b[cd + 10] = 12;  // bzip2
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "compression method 12");
    }
    {
      auto b = good;
      b[cd + 8] |= 1;
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "encrypted");
    }
    {
      auto b = good;
      put32(b, end + 16, 3);  // central directory offset pointing at member data
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "bad signature");
    }
    {
      auto b = good;
      b[end + 10] = 0xff;  // entry count (total): disagrees with this disk's count
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "multi-disk");
      b[end + 8] = 0xff;
      b[end + 9] = 0x00;
      b[end + 11] = 0x00;
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "cannot fit");
    }
    {
      // A ZIP64 locator before the end record pointing at offset 0 (a local header, not a ZIP64
      // end record), then past the archive. (Valid ZIP64 archives: test_writers npzRoundTrip.)
      auto b = good;
      const std::vector<std::uint8_t> locator = {0x50, 0x4b, 0x06, 0x07, 0, 0, 0, 0, 0, 0,
                                                 0,    0,    0,    0,    0, 0, 1, 0, 0, 0};
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(end), locator.begin(), locator.end());
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "ZIP64 end record has a bad signature");
      b[end + 8] = 0xff;
      b[end + 9] = 0xff;
      QUENCH_VERIFY_ERROR(openError(openNpz, b, "s.npz"), "ZIP64 end record offset 65535 lies outside the archive");
    }
    QUENCH_VERIFY_ERROR(openError(openNpz, bytesOf("PK\x03\x04 short"), "s.npz"), "too short");
    QUENCH_VERIFY_ERROR(openError(openNpz, std::vector<std::uint8_t>(100, 0), "s.npz"),
                        "no ZIP end-of-central-directory record");
  }

  void npzMemberHeaderLies() {
    // A stored member whose npy header promises more data than the member holds.
    auto b = fileBytes(ioData("stored.npz"));
    const std::size_t cd = firstCentral(b);
    const std::size_t local = le32(b, cd + 42);
    const std::size_t nameLen = b[local + 26] | b[local + 27] << 8;
    const std::size_t extraLen = b[local + 28] | b[local + 29] << 8;
    const std::size_t npy = local + 30 + nameLen + extraLen;
    const std::string text(b.begin() + static_cast<std::ptrdiff_t>(npy), b.begin() + static_cast<std::ptrdiff_t>(npy + 80));
    const std::size_t at = text.find("(3, 4)");
    QVERIFY(at != std::string::npos);
    b[npy + at + 1] = '5';  // (5, 4)
    QUENCH_VERIFY_ERROR(openError(openNpz, b, "h.npz"), "disagrees with the member size");
  }

  void everyNpzTruncationIsAnError() {
    const auto full = fileBytes(ioData("deflated.npz"));
    for (std::size_t n = 0; n < full.size(); ++n)
      QVERIFY2(!openError(openNpz, {full.begin(), full.begin() + n}).empty(), qPrintable(QString::number(n)));
  }
};

QTEST_APPLESS_MAIN(TestNumpy)
#include "test_numpy.moc"
