#pragma once
// Helpers shared by the reader/writer tests of core/io (safetensors, NumPy, HDF5, writers).
#include <QtTest/QtTest>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "common/fuzzy.h"
#include "core/io/formats.h"
#include "core/io/mapped_file.h"
#include "core/io/writer.h"

namespace quench::test {

using Opener = Result<std::unique_ptr<TensorReader>> (*)(std::shared_ptr<MappedFile>);

/// Path of a committed file in tests/data/io/.
inline std::string ioData(const std::string& rel) { return std::string(QUENCH_TEST_DATA "/io/") + rel; }

inline std::vector<std::uint8_t> fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) qFatal("cannot read %s", path.c_str());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Open a file from disk with one reader; a failure stops the test with the reader's message.
inline std::unique_ptr<TensorReader> openOrDie(Opener open, const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) qFatal("%s", mapped.error().message.c_str());
  auto r = open(std::move(mapped).value());
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

/// Open in-memory bytes and return the error message ("" when it opened).
inline std::string openError(Opener open, std::vector<std::uint8_t> bytes, const std::string& name = "mem.bin") {
  auto r = open(MappedFile::fromBytes(name, std::move(bytes)));
  return r ? std::string() : r.error().message;
}

/// Values of the tensor called `name`; a failure stops the test.
inline FloatTensor readOrDie(const TensorReader& r, const std::string& name) {
  auto t = r.readFloat(std::string_view(name));
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(t).value();
}

inline std::vector<std::uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }

/// Float test values written by tools/make_test_files.py: (k − 6) / 2 for k = 0..n−1.
inline std::vector<float> floatValues(int n = 12) {
  std::vector<float> v;
  for (int k = 0; k < n; ++k) v.push_back(static_cast<float>(k - 6) / 2.0f);
  return v;
}

/// QVERIFY that `message` is non-empty and contains `part` (an error that says what is wrong).
#define QUENCH_VERIFY_ERROR(message, part)                                                          \
  do {                                                                                               \
    const std::string quench_m_ = (message);                                                         \
    QVERIFY2(!quench_m_.empty(), "expected an error, got success");                                 \
    QVERIFY2(quench_m_.find(part) != std::string::npos,                                             \
             qPrintable(QStringLiteral("error '%1' lacks '%2'").arg(QString::fromStdString(quench_m_), \
                                                                   QStringLiteral(part))));          \
  } while (0)

}  // namespace quench::test
