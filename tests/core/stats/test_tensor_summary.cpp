// summarizeStored: statistics from the stored values at their own precision (issue 11). The
// float64 tensor 5 + 1e-3·z of tools/make_hf_fixtures.py against NumPy's mean/std
// (tests/data/stats/f64_stats_golden.json), through every reader path (mapped safetensors and .npy,
// HDF5 read in a child process, a deflated .npz); 64-bit integers past float32's 2^24 by hand; the
// mapped-chunk path against the float32 reference on types float32 holds exactly; cancellation.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/fuzzy.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/stats/tensor_summary.h"

using namespace quench;
namespace fs = std::filesystem;

namespace {

// tools/make_hf_fixtures.py f64_values(): the same exact integer steps and the same two IEEE
// double roundings (1e-3·z, then 5 + ·). Tests are built without FMA contraction (x86-64 baseline).
std::vector<double> f64Values(std::size_t n) {
  std::vector<double> x(n);
  std::uint64_t k = 1;
  for (std::size_t i = 0; i < n; ++i) {
    double acc = 0;
    for (int j = 0; j < 12; ++j, ++k) {
      std::uint64_t z = k * 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      acc = acc + static_cast<double>(z >> 32) * 0x1p-32;
    }
    const volatile double scaled = 1e-3 * (acc - 6.0);  // volatile: two separate roundings, no FMA
    x[i] = 5.0 + scaled;
  }
  return x;
}

// CRC-32 (IEEE, as zlib), to know the regenerated values are the script's.
std::uint32_t crc32(const void* data, std::size_t n) {
  std::uint32_t table[256];
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  std::uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const std::uint8_t*>(data);
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

template <class T>
OutTensor rawTensor(std::string name, DType dtype, Shape shape, const std::vector<T>& v) {
  OutTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

std::unique_ptr<TensorReader> openOrDie(const fs::path& p) {
  auto r = openTensorFile(p);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

// A .npy file written by hand (v1.0, '<f8', C order): the format NumPy documents.
void writeNpyF64(const fs::path& p, const std::vector<double>& x) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(x.size()) + ",), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(p, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xFF));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * 8));
}

}  // namespace

class TestTensorSummary : public QObject {
  Q_OBJECT
 private slots:
  void float64AtItsOwnPrecision();
  void wideIntegersInDouble();
  void mappedChunksMatchTheFloatReference();
  void decodedValuesAreReusedWhenExact();
  void specialsAndEmpty();
  void cancelled();
};

void TestTensorSummary::float64AtItsOwnPrecision() {
  std::ifstream in(QUENCH_TEST_DATA "/stats/f64_stats_golden.json");
  const auto golden = nlohmann::json::parse(in);
  const std::size_t n = golden["n"].get<std::size_t>();
  const std::vector<double> x = f64Values(n);
  QCOMPARE(x[0], golden["first"].get<double>());
  QCOMPARE(crc32(x.data(), x.size() * 8), golden["crc32"].get<std::uint32_t>());
  const double mean = golden["mean"], std = golden["std"];

  QTemporaryDir tmp;
  const fs::path dir = tmp.path().toStdString();
  const auto t = rawTensor("x", DType::F64, {static_cast<std::int64_t>(n)}, x);
  QVERIFY(writeSafetensors(dir / "x.safetensors", {t}).ok());
  QVERIFY(writeHdf5(dir / "x.h5", {t}).ok());
  writeNpyF64(dir / "x.npy", x);
  for (const char* file : {"x.safetensors", "x.npy", "x.h5"}) {
    auto r = openOrDie(dir / file);
    QCOMPARE(r->tensors()[0].dtype, DType::F64);
    auto s = summarizeStored(*r, 0);
    QVERIFY2(s.ok(), file);
    QCOMPARE(s->count, std::uint64_t{n});
    QCOMPARE(s->min, golden["min"].get<double>());
    QCOMPARE(s->max, golden["max"].get<double>());
    QCOMPARE(s->absmax, golden["max"].get<double>());
    // NumPy sums pairwise, we sum 64 Ki-element chunks and merge them: both are within a few ulps
    // of the exact figures.
    QUENCH_COMPARE_NEAR(s->mean, mean, 1e-15, 0);
    QUENCH_COMPARE_NEAR(s->std, std, 1e-12, 0);
    // The float32 copy the statistics used to come from is measurably off (by 1.7e-11 in std,
    // 1.7e-8 relative), far outside the tolerance above: this test fails on the old path.
    auto f = r->readFloat(std::size_t{0});
    QVERIFY(f.ok());
    const Summary old = summarize(f->values);
    QVERIFY(std::fabs(old.std - std) > 1e3 * 1e-12 * std);
    QUENCH_COMPARE_NEAR(old.std, golden["std_of_float32_copy"].get<double>(), 1e-12, 0);
  }
}

void TestTensorSummary::wideIntegersInDouble() {
  // 2^40 + {1, 3, 5, 7}: mean 2^40 + 4, population variance 5 (std √5); float32 rounds every
  // value to 2^40 (std 0).
  const std::vector<std::int64_t> v = {(1ll << 40) + 1, (1ll << 40) + 3, (1ll << 40) + 5, (1ll << 40) + 7};
  const std::vector<std::uint32_t> u = {4000000001u, 4000000003u};  // mean 4000000002, std 1
  QTemporaryDir tmp;
  const fs::path p = fs::path(tmp.path().toStdString()) / "i.safetensors";
  QVERIFY(writeSafetensors(p, {rawTensor("i64", DType::I64, {4}, v), rawTensor("u32", DType::U32, {2}, u)}).ok());
  auto r = openOrDie(p);
  auto s = summarizeStored(*r, 0);
  QVERIFY(s.ok());
  QCOMPARE(s->mean, 0x1p40 + 4);
  QCOMPARE(s->std, std::sqrt(5.0));
  QCOMPARE(s->min, 0x1p40 + 1);
  QCOMPARE(s->max, 0x1p40 + 7);
  auto su = summarizeStored(*r, 1);
  QVERIFY(su.ok());
  QCOMPARE(su->mean, 4000000002.0);
  QCOMPARE(su->std, 1.0);
}

// bf16, f16 and f32 tensors with an odd size spread over many chunks: the streamed summary equals
// the float32 specification (summarize_ref over readFloat's values) to rounding.
void TestTensorSummary::mappedChunksMatchTheFloatReference() {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.25f, 2.0f);
  const std::size_t n = 3 * (std::size_t{1} << 16) + 12345;
  std::vector<float> f(n);
  for (float& v : f) v = g(rng);
  std::vector<std::uint16_t> bf(n), h(n);
  for (std::size_t i = 0; i < n; ++i) {
    bf[i] = floatToBf16(f[i]);
    h[i] = floatToHalf(f[i]);
  }
  QTemporaryDir tmp;
  const fs::path p = fs::path(tmp.path().toStdString()) / "m.safetensors";
  QVERIFY(writeSafetensors(p, {rawTensor("bf16", DType::BF16, {3, static_cast<std::int64_t>(n / 3)}, bf),
                               rawTensor("f16", DType::F16, {static_cast<std::int64_t>(n)}, h),
                               rawTensor("f32", DType::F32, {static_cast<std::int64_t>(n)}, f)})
              .ok());
  auto r = openOrDie(p);
  for (std::size_t i = 0; i < 3; ++i) {
    QVERIFY(!r->storedBytes(i).empty());  // the mapped path
    auto s = summarizeStored(*r, i);
    QVERIFY(s.ok());
    const Summary ref = summarize_ref(r->readFloat(i)->values);
    QCOMPARE(s->count, ref.count);
    QCOMPARE(s->min, ref.min);
    QCOMPARE(s->max, ref.max);
    QUENCH_COMPARE_NEAR(s->mean, ref.mean, 1e-13, 1e-15);
    QUENCH_COMPARE_NEAR(s->std, ref.std, 1e-13, 0);
  }
}

void TestTensorSummary::decodedValuesAreReusedWhenExact() {
  // An HDF5 float32 dataset (no mapping): with its decoded values given, nothing is read again, so
  // the figures are summarize()'s on those values, which must then be the stored ones.
  QTemporaryDir tmp;
  const fs::path p = fs::path(tmp.path().toStdString()) / "d.h5";
  const std::vector<float> v = {1.5f, -2.0f, 4.25f, 0.0f};
  QVERIFY(writeHdf5(p, {OutTensor::fromFloats("w", {2, 2}, v)}).ok());
  auto r = openOrDie(p);
  FloatTensor decoded;
  decoded.name = "w";
  decoded.shape = {2, 2};
  decoded.values = {10, 20, 30, 40};  // deliberately not the file's: proves it was used
  auto s = summarizeStored(*r, 0, {}, &decoded);
  QVERIFY(s.ok());
  QCOMPARE(s->mean, 25.0);
  auto fromFile = summarizeStored(*r, 0);
  QVERIFY(fromFile.ok());
  QCOMPARE(fromFile->mean, 0.9375);  // (1.5 − 2 + 4.25 + 0) / 4
  QCOMPARE(fromFile->min, -2.0);
}

void TestTensorSummary::specialsAndEmpty() {
  // f16 NaN, +Inf, −Inf, 1, 3: counted apart; mean 2, std 1 over the two finite values.
  const std::vector<std::uint16_t> h = {0x7E00, 0x7C00, 0xFC00, 0x3C00, 0x4200};
  const std::vector<double> d = {std::nan(""), 2.0, -std::numeric_limits<double>::infinity()};
  QTemporaryDir tmp;
  const fs::path p = fs::path(tmp.path().toStdString()) / "s.safetensors";
  QVERIFY(writeSafetensors(p, {rawTensor("h", DType::F16, {5}, h), rawTensor("d", DType::F64, {3}, d),
                               rawTensor("e", DType::F32, {0, 4}, std::vector<float>{})})
              .ok());
  auto r = openOrDie(p);
  auto s = summarizeStored(*r, 0);
  QVERIFY(s.ok());
  QCOMPARE(s->nan, std::uint64_t{1});
  QCOMPARE(s->inf, std::uint64_t{2});
  QCOMPARE(s->count, std::uint64_t{2});
  QCOMPARE(s->mean, 2.0);
  QCOMPARE(s->std, 1.0);
  auto sd = summarizeStored(*r, 1);
  QVERIFY(sd.ok());
  QCOMPARE(sd->nan, std::uint64_t{1});
  QCOMPARE(sd->inf, std::uint64_t{1});
  QCOMPARE(sd->mean, 2.0);
  auto se = summarizeStored(*r, 2);
  QVERIFY(se.ok());
  QCOMPARE(se->count, std::uint64_t{0});
  QVERIFY(!summarizeStored(*r, 3).ok());
}

void TestTensorSummary::cancelled() {
  QTemporaryDir tmp;
  const fs::path p = fs::path(tmp.path().toStdString()) / "c.safetensors";
  QVERIFY(writeSafetensors(p, {OutTensor::fromFloats("w", {1 << 18}, std::vector<float>(1 << 18, 1.0f))}).ok());
  auto r = openOrDie(p);
  std::stop_source stop;
  stop.request_stop();
  auto s = summarizeStored(*r, 0, Work{stop.get_token(), {}});
  QVERIFY(!s.ok());
  QVERIFY(s.error().message.find(p.string() + ": statistics of 'w' cancelled") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestTensorSummary)
#include "test_tensor_summary.moc"
