// Writers: the exact bytes of a small safetensors file (format spelled out by hand), round trips
// through our readers for the three formats, .npz (plain and ZIP64) also read back by NumPy's
// np.load when /usr/bin/python3 has NumPy, dispatch by extension, the streaming writer's contract,
// and atomicity: a failed write leaves the target untouched and no temporary file behind; a reader
// open on the target keeps its data.
#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <algorithm>
#include <filesystem>
#include <cstring>
#include <fstream>

#include "core/io/io_test_support.h"
#include "core/io/writer.h"

using namespace quench;
using namespace quench::test;

namespace {

std::vector<std::string> folderEntries(const QString& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.toStdString()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}
std::string readText(const std::string& path) {
  const auto b = fileBytes(path);
  return {b.begin(), b.end()};
}

OutTensor raw(std::string name, DType dtype, Shape shape, std::vector<std::uint8_t> data) {
  OutTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

std::vector<OutTensor> sampleTensors() {
  const std::vector<float> f = {1.5f, -2.0f, 0.25f, 3.0f, -0.5f, 8.0f};
  const std::vector<std::int8_t> i8 = {-128, -1, 0, 1, 127, 5};
  const std::vector<std::int32_t> i32 = {-100000, 7, 2147483647};
  return {OutTensor::fromFloats("layers/0/weight", {2, 3}, f), OutTensor::fromInt8("layers/0/codes", {6}, i8),
          OutTensor::fromInt32("counts", {3}, i32),
          // IEEE half 1.0 = 0x3C00, −2.0 = 0xC000 (little-endian bytes)
          raw("half", DType::F16, {2}, {0x00, 0x3C, 0x00, 0xC0})};
}

void checkSampleReadBack(const TensorReader& r) {
  QCOMPARE(readOrDie(r, "layers/0/weight").values, (std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f, -0.5f, 8.0f}));
  QCOMPARE(readOrDie(r, "layers/0/weight").shape, (Shape{2, 3}));
  QCOMPARE(readOrDie(r, "layers/0/codes").values, (std::vector<float>{-128, -1, 0, 1, 127, 5}));
  QCOMPARE(readOrDie(r, "counts").values, (std::vector<float>{-100000.0f, 7.0f, 2147483647.0f}));
  QCOMPARE(readOrDie(r, "half").values, (std::vector<float>{1.0f, -2.0f}));
  QCOMPARE(r.tensors()[*r.find("layers/0/codes")].dtype, DType::I8);
  QCOMPARE(r.tensors()[*r.find("counts")].dtype, DType::I32);
  QCOMPARE(r.tensors()[*r.find("half")].dtype, DType::F16);
}

}  // namespace

class TestWriters : public QObject {
  Q_OBJECT
 private slots:
  void safetensorsExactBytes() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("a.safetensors").toStdString();
    const std::vector<float> v = {1.0f, -2.0f};
    QVERIFY(writeSafetensors(path, {OutTensor::fromFloats("w", {2}, v)}, {{"k", "v"}}));
    // JSON is 79 bytes; padded with one space to 80 (a multiple of 8).
    const std::string json = R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    QCOMPARE(json.size(), std::size_t{79});
    std::string expected("\x50\0\0\0\0\0\0\0", 8);
    expected += json + " ";
    expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);  // 1.0f, −2.0f little-endian
    QCOMPARE(readText(path), expected);
    QCOMPARE(folderEntries(dir.path()), std::vector<std::string>{"a.safetensors"});
  }

  void safetensorsRoundTrip() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("b.safetensors").toStdString();
    const Metadata md = {{"format", "pt"}, {"recipe", "{\"bits\":4}"}};
    QVERIFY(writeSafetensors(path, sampleTensors(), md));
    auto r = openOrDie(openSafetensors, path);
    checkSampleReadBack(*r);
    QCOMPARE(r->metadata(), md);
    // The header length (first 8 bytes) is padded to a multiple of 8, so the data starts aligned.
    const auto b = fileBytes(path);
    const std::size_t headerLen = b[0] | b[1] << 8;
    QCOMPARE(headerLen % 8, std::size_t{0});
    QCOMPARE(b.size(), 8 + headerLen + 24 + 6 + 12 + 4);
  }

  void hdf5RoundTrip() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("c.h5").toStdString();
    const Metadata md = {{"format", "quench"}, {"recipe", "{\"bits\":4}"}};
    QVERIFY(writeHdf5(path, sampleTensors(), md));
    auto r = openOrDie(openHdf5, path);
    checkSampleReadBack(*r);
    for (const auto& kv : md) QVERIFY(std::find(r->metadata().begin(), r->metadata().end(), kv) != r->metadata().end());
    QCOMPARE(folderEntries(dir.path()), std::vector<std::string>{"c.h5"});
  }

  void dispatchByExtension() {
    QTemporaryDir dir;
    const auto t = sampleTensors();
    QVERIFY(writeTensorFile(dir.filePath("x.SafeTensors").toStdString(), t));
    QVERIFY(writeTensorFile(dir.filePath("x.hdf5").toStdString(), t));
    QVERIFY(writeTensorFile(dir.filePath("x.h5").toStdString(), t));
    const Status bad = writeTensorFile(dir.filePath("x.txt").toStdString(), t);
    QVERIFY(!bad);
    QUENCH_VERIFY_ERROR(bad.error().message, "unknown output extension '.txt'");
    QVERIFY(openOrDie(openSafetensors, dir.filePath("x.SafeTensors").toStdString())->find("counts"));
    QVERIFY(openOrDie(openHdf5, dir.filePath("x.hdf5").toStdString())->find("half"));
  }

  void invalidTensorsAreRefused() {
    QTemporaryDir dir;
    const std::string st = dir.filePath("v.safetensors").toStdString();
    const std::vector<float> v = {1, 2, 3};
    auto err = [&](std::vector<OutTensor> ts, const std::string& path) {
      const Status s = writeTensorFile(path, ts);
      return s ? std::string() : s.error().message;
    };
    QUENCH_VERIFY_ERROR(err({OutTensor::fromFloats("w", {2, 2}, v)}, st), "12 data bytes for shape 2×2 of F32");
    QUENCH_VERIFY_ERROR(err({OutTensor::fromFloats("w", {3}, v), OutTensor::fromFloats("w", {3}, v)}, st),
                        "name used twice");
    QUENCH_VERIFY_ERROR(err({OutTensor::fromFloats("", {3}, v)}, st), "empty name");
    QUENCH_VERIFY_ERROR(err({OutTensor::fromFloats("__metadata__", {3}, v)}, st), "may not be called __metadata__");
    QUENCH_VERIFY_ERROR(err({raw("q", DType::Q8_0, {32}, std::vector<std::uint8_t>(34))}, st), "block dtype Q8_0");
    const std::string h5 = dir.filePath("v.h5").toStdString();
    QUENCH_VERIFY_ERROR(err({OutTensor::fromFloats("a//b", {3}, v)}, h5), "not a valid HDF5 path");
    QUENCH_VERIFY_ERROR(err({raw("b", DType::BF16, {1}, {0, 0})}, h5), "dtype BF16 cannot be stored in HDF5");
    QVERIFY(folderEntries(dir.path()).empty());  // nothing written, no temporary left behind
  }

  void failureLeavesTargetUntouched() {
    QTemporaryDir dir;
    const std::string target = dir.filePath("model.h5").toStdString();
    writeText(target, "previous contents");
    const std::vector<float> v = {1, 2, 3};
    // The first dataset is written before the second one fails inside libhdf5 ("a" is a dataset,
    // so "a/b" cannot create group "a"): the failure happens mid-file.
    const Status s = writeHdf5(target, {OutTensor::fromFloats("a", {3}, v), OutTensor::fromFloats("a/b", {3}, v)});
    QVERIFY(!s);
    QUENCH_VERIFY_ERROR(s.error().message, "tensor 'a/b': cannot create dataset");
    QCOMPARE(readText(target), std::string("previous contents"));
    QCOMPARE(folderEntries(dir.path()), std::vector<std::string>{"model.h5"});

    const std::string st = dir.filePath("model.safetensors").toStdString();
    writeText(st, "previous contents");
    QVERIFY(!writeSafetensors(st, {OutTensor::fromFloats("w", {4}, v)}));
    QCOMPARE(readText(st), std::string("previous contents"));

    const Status missing = writeSafetensors(dir.filePath("no/such/folder/x.safetensors").toStdString(),
                                            {OutTensor::fromFloats("w", {3}, v)});
    QVERIFY(!missing);
    QUENCH_VERIFY_ERROR(missing.error().message, "cannot create");
  }

  void npzRoundTrip() {
    QTemporaryDir dir;
    // Every dtype .npz holds, a nested and a non-ASCII name, a scalar and an empty array.
    std::vector<OutTensor> ts = sampleTensors();
    auto bytes = [](auto v) {
      std::vector<std::uint8_t> b(sizeof(v[0]) * v.size());
      std::memcpy(b.data(), v.data(), b.size());
      return b;
    };
    ts.push_back(raw("f64", DType::F64, {2}, bytes(std::vector<double>{0.1, -1e300})));
    ts.push_back(raw("u8", DType::U8, {3}, {0, 7, 255}));
    ts.push_back(raw("i16", DType::I16, {2}, bytes(std::vector<std::int16_t>{-32768, 5})));
    ts.push_back(raw("u16", DType::U16, {1}, bytes(std::vector<std::uint16_t>{65535})));
    ts.push_back(raw("u32", DType::U32, {1}, bytes(std::vector<std::uint32_t>{4000000000u})));
    ts.push_back(raw("i64", DType::I64, {1}, bytes(std::vector<std::int64_t>{-(1ll << 60)})));
    ts.push_back(raw("u64", DType::U64, {1}, bytes(std::vector<std::uint64_t>{1ull << 63})));
    ts.push_back(raw("flags", DType::Bool, {3}, {1, 0, 1}));
    ts.push_back(raw("scalar", DType::F32, {}, bytes(std::vector<float>{7.5f})));
    ts.push_back(raw("empty", DType::F32, {0, 3}, {}));
    ts.push_back(raw("gr\xc3\xbc\xc3\x9f" "e/\xce\xb1", DType::F32, {1}, bytes(std::vector<float>{2.0f})));  // "grüße/α"
    for (bool zip64 : {false, true}) {
      const std::string path = dir.filePath(zip64 ? "z64.npz" : "plain.npz").toStdString();
      WriteOptions o;
      o.forceZip64 = zip64;
      QVERIFY(writeNpz(path, ts, o));
      auto r = openOrDie(openNpz, path);
      QCOMPARE(r->tensors().size(), ts.size());
      checkSampleReadBack(*r);
      for (const OutTensor& t : ts) {
        const auto i = r->find(t.name);
        QVERIFY2(i.has_value(), t.name.c_str());
        QCOMPARE(r->tensors()[*i].dtype, t.dtype);
        QCOMPARE(r->tensors()[*i].shape, t.shape);
        auto stored = r->readStored(*i);
        QVERIFY(stored.ok());
        QCOMPARE(*stored, t.data);
      }
    }
    // The same files through NumPy, where it is installed: every array's dtype, shape and values.
    if (!QFileInfo::exists(QStringLiteral("/usr/bin/python3"))) QSKIP("no /usr/bin/python3");
    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"),
             {QStringLiteral("-c"),
              QStringLiteral("import sys, numpy as np\n"
                             "for p in sys.argv[1:]:\n"
                             "  z = np.load(p)\n"
                             "  print(len(z.files), z['f64'].tolist(), z['u64'].tolist(), z['i16'].tolist(), "
                             "z['flags'].dtype, z['flags'].tolist(), z['scalar'].shape, float(z['scalar']), "
                             "z['empty'].shape, z['half'].tolist(), z['layers/0/weight'].tolist(), "
                             "z['gr\\u00fc\\u00dfe/\\u03b1'].tolist())\n"),
              dir.filePath("plain.npz"), dir.filePath("z64.npz")});
    QVERIFY(py.waitForFinished(60000));
    const QString out = QString::fromUtf8(py.readAllStandardOutput());
    if (py.exitCode() != 0 && py.readAllStandardError().contains("No module named 'numpy'")) QSKIP("no NumPy");
    const QString line = QStringLiteral(
        "15 [0.1, -1e+300] [9223372036854775808] [-32768, 5] bool [True, False, True] () 7.5 (0, 3) [1.0, -2.0] "
        "[[1.5, -2.0, 0.25], [3.0, -0.5, 8.0]] [2.0]\n");
    QCOMPARE(out, line + line);
  }

  void streamingWriterContract() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.safetensors").toStdString();
    const std::vector<float> v = {1, 2};
    std::vector<std::uint8_t> b(8);
    std::memcpy(b.data(), v.data(), 8);
    {
      auto w = createTensorFileWriter(path, {{"a", DType::F32, {2}}, {"b", DType::F32, {2}}});
      QVERIFY(w.ok());
      QUENCH_VERIFY_ERROR((*w)->write({b.data(), 4}).error().message, "tensor 'a': 4 data bytes for shape 2 of F32");
      QVERIFY((*w)->write(b).ok());  // a refused write wrote nothing: the writer goes on
      QCOMPARE((*w)->written(), std::size_t{1});
    }  // destroyed uncommitted
    QVERIFY(folderEntries(dir.path()).empty());  // the uncommitted temporary file is gone
    {
      auto w = createTensorFileWriter(path, {{"a", DType::F32, {2}}, {"b", DType::F32, {2}}});
      QVERIFY(w.ok() && (*w)->write(b).ok());
      QUENCH_VERIFY_ERROR((*w)->commit().error().message, "only 1 of 2 planned tensors were written");
      QVERIFY((*w)->write(b).ok());
      QUENCH_VERIFY_ERROR((*w)->write(b).error().message, "all 2 planned tensors were already written");
    }
    QVERIFY(folderEntries(dir.path()).empty());
    auto w = createTensorFileWriter(path, {{"a", DType::F32, {2}}});
    QVERIFY(w.ok() && (*w)->write(b).ok() && (*w)->commit().ok());
    QCOMPARE(readOrDie(*openOrDie(openSafetensors, path), "a").values, v);
    // A plan the format cannot hold fails before any file exists.
    auto bad = createTensorFileWriter(dir.filePath("x.npz").toStdString(), {{"e", DType::F8_E4M3, {2}}});
    QVERIFY(!bad);
    QUENCH_VERIFY_ERROR(bad.error().message, "tensor 'e': dtype F8_E4M3 cannot be stored in .npz");
    QCOMPARE(folderEntries(dir.path()), std::vector<std::string>{"s.safetensors"});
  }

  void overwritingAnOpenInputIsSafe() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("in.safetensors").toStdString();
    const std::vector<float> before = {1, 2, 3}, after = {7, 8, 9, 10};
    QVERIFY(writeSafetensors(path, {OutTensor::fromFloats("w", {3}, before)}));
    auto r = openOrDie(openSafetensors, path);
    // Replace the file the reader has mapped: rename swaps the directory entry, the mapping keeps
    // the old inode, so the open reader still sees the old data and the new file has the new data.
    QVERIFY(writeSafetensors(path, {OutTensor::fromFloats("w", {4}, after)}));
    QCOMPARE(readOrDie(*r, "w").values, before);
    QCOMPARE(readOrDie(*openOrDie(openSafetensors, path), "w").values, after);
  }
};

QTEST_APPLESS_MAIN(TestWriters)
#include "test_writers.moc"
