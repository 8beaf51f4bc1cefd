// convertTensorFile and the streaming writers (issue 11): the sharded fixture of
// tools/make_hf_fixtures.py converted to safetensors, HDF5 and .npz under every --dtype mode and
// read back with Quench's readers against NumPy's decoding (hf_sharded_expected.npz); GGUF Q8_0
// and Q4_0 tensors against llama.cpp's own dequantization (../shared/data/gguf/all-types-expected.npz
// written by gguf-py); double → half/bf16 in one rounding on inputs where rounding through float32
// to nearest would be wrong; atomicity (a failed or cancelled conversion leaves OUT as it was, no
// temporary file behind) and inputs left byte for byte as they were.
#include <QtTest/QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/io/convert.h"
#include "core/io/io_test_support.h"

using namespace quench;
using namespace quench::test;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = ioData("hf_sharded");
const char* kAllTypes = QUENCH_SHARED_DATA "/gguf/all-types.gguf";
const char* kAllTypesExpected = QUENCH_SHARED_DATA "/gguf/all-types-expected.npz";

std::unique_ptr<TensorReader> open(const fs::path& p) {
  auto r = openTensorFile(p);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

std::vector<std::uint8_t> stored(const TensorReader& r, const std::string& name) {
  auto i = r.find(name);
  if (!i) qFatal("no tensor %s", name.c_str());
  auto b = r.readStored(*i);
  if (!b) qFatal("%s", b.error().message.c_str());
  return std::move(b).value();
}

// FNV-1a of every file under `p` (names and bytes): the input's fingerprint.
std::uint64_t fingerprint(const fs::path& p) {
  std::vector<fs::path> files;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::recursive_directory_iterator(p)) files.push_back(e.path());
  } else {
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::uint8_t* d, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ull;
  };
  for (const fs::path& f : files) {
    const std::string name = f.string();
    mix(reinterpret_cast<const std::uint8_t*>(name.data()), name.size());
    if (fs::is_regular_file(f)) {
      const auto b = fileBytes(f.string());
      mix(b.data(), b.size());
    }
  }
  return h;
}

std::size_t filesIn(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

ConvertReport convertOrDie(const TensorReader& r, const fs::path& out, ConvertOptions o = {}) {
  auto rep = convertTensorFile(r, out, o);
  if (!rep) qFatal("%s", rep.error().message.c_str());
  return std::move(rep).value();
}

}  // namespace

class TestConvert : public QObject {
  Q_OBJECT
 private slots:
  void oneRoundingFromDouble() {
    // 1 + 2^-11 + 2^-40 is just above the midpoint of the halves 1 and 1 + 2^-10: it rounds up. Through
    // float32 to nearest it would first become the midpoint itself, then round to even: 1.
    QCOMPARE(doubleToHalf(1 + 0x1p-11 + 0x1p-40), std::uint16_t{0x3C01});
    QCOMPARE(doubleToHalf(1 + 0x1p-11), std::uint16_t{0x3C00});  // the true tie: to even
    QCOMPARE(doubleToHalf(-(1 + 0x1p-11 + 0x1p-40)), std::uint16_t{0xBC01});
    QCOMPARE(doubleToBf16(1 + 0x1p-8 + 0x1p-40), std::uint16_t{0x3F81});
    QCOMPARE(doubleToBf16(1 + 0x1p-8), std::uint16_t{0x3F80});
    QCOMPARE(doubleToHalf(65519.99), std::uint16_t{0x7BFF});  // largest half
    QCOMPARE(doubleToHalf(65520.0), std::uint16_t{0x7C00});   // overflows to +inf
    QCOMPARE(doubleToHalf(1e300), std::uint16_t{0x7C00});
    QCOMPARE(doubleToBf16(1e300), std::uint16_t{0x7F80});
    QCOMPARE(doubleToHalf(0x1p-25 + 0x1p-60), std::uint16_t{0x0001});  // above half the smallest subnormal
    QCOMPARE(doubleToHalf(0x1p-25), std::uint16_t{0x0000});             // exactly half: to even (0)
    QVERIFY((doubleToHalf(std::nan("")) & 0x7C00) == 0x7C00 && (doubleToHalf(std::nan("")) & 0x3FF) != 0);
    QCOMPARE(doubleToHalf(-0.0), std::uint16_t{0x8000});
  }

  // --dtype auto: every tensor as stored into safetensors, byte for byte.
  void shardedToSafetensorsAsStored() {
    QTemporaryDir tmp;
    const fs::path out = fs::path(tmp.path().toStdString()) / "all.safetensors";
    const std::uint64_t before = fingerprint(kFixture);
    auto src = open(kFixture);
    const ConvertReport rep = convertOrDie(*src, out);
    QCOMPARE(rep.tensors.size(), src->tensors().size());
    auto back = open(out);
    QCOMPARE(back->tensors().size(), src->tensors().size());
    for (std::size_t i = 0; i < src->tensors().size(); ++i) {
      const TensorInfo& a = src->tensors()[i];
      const TensorInfo& b = back->tensors()[i];
      QCOMPARE(b.name, a.name);
      QCOMPARE(b.dtype, a.dtype);
      QCOMPARE(b.shape, a.shape);
      QCOMPARE(stored(*back, b.name), stored(*src, a.name));
    }
    QCOMPARE(back->metadata().front(), (std::pair<std::string, std::string>{"format", "pt"}));
    QCOMPARE(fingerprint(kFixture), before);
    QCOMPARE(filesIn(tmp.path().toStdString()), std::size_t{1});  // no temporary file left
  }

  // .npz and HDF5 have no bf16/fp8: auto writes them as float32 (exact), keeps the rest.
  void shardedToNpzAndHdf5() {
    auto src = open(kFixture);
    auto expected = open(ioData("hf_sharded_expected.npz"));
    QTemporaryDir tmp;
    for (const char* name : {"all.npz", "all.h5"}) {
      const fs::path out = fs::path(tmp.path().toStdString()) / name;
      convertOrDie(*src, out);
      auto back = open(out);
      QCOMPARE(back->tensors().size(), src->tensors().size());
      for (const TensorInfo& a : src->tensors()) {
        const auto i = back->find(a.name);
        QVERIFY2(i.has_value(), a.name.c_str());
        const TensorInfo& b = back->tensors()[*i];
        const bool widened = a.dtype == DType::BF16 || a.dtype == DType::F8_E4M3 || a.dtype == DType::F8_E5M2;
        QCOMPARE(b.dtype, widened ? DType::F32 : a.dtype);
        QCOMPARE(b.shape, a.shape);
        if (widened) {
          QCOMPARE(readOrDie(*back, a.name).values, readOrDie(*expected, a.name).values);
        } else {
          QCOMPARE(stored(*back, a.name), stored(*src, a.name));
        }
      }
    }
  }

  void explicitDtypes() {
    auto src = open(kFixture);
    auto expected = open(ioData("hf_sharded_expected.npz"));
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    // f32: every floating tensor as float32; the float64 one rounded to nearest; integers kept.
    ConvertOptions o;
    o.dtype = ConvertDType::F32;
    convertOrDie(*src, dir / "f32.safetensors", o);
    auto f32 = open(dir / "f32.safetensors");
    for (const TensorInfo& t : f32->tensors()) {
      if (t.name == "model.position_ids") {
        QCOMPARE(t.dtype, DType::I64);
        continue;
      }
      QCOMPARE(t.dtype, DType::F32);
      QCOMPARE(readOrDie(*f32, t.name).values, readOrDie(*expected, t.name).values);
    }
    // f16 and bf16: the float64 tensor in one rounding from its doubles.
    for (ConvertDType mode : {ConvertDType::F16, ConvertDType::BF16}) {
      o.dtype = mode;
      const fs::path out = dir / (mode == ConvertDType::F16 ? "h.safetensors" : "b.safetensors");
      convertOrDie(*src, out, o);
      auto back = open(out);
      const auto d = stored(*src, "model.layers.0.mlp.down_proj.weight");
      const auto h = stored(*back, "model.layers.0.mlp.down_proj.weight");
      QCOMPARE(h.size(), d.size() / 4);
      for (std::size_t k = 0; k < d.size() / 8; ++k) {
        double x;
        std::memcpy(&x, d.data() + 8 * k, 8);
        std::uint16_t got;
        std::memcpy(&got, h.data() + 2 * k, 2);
        QCOMPARE(got, mode == ConvertDType::F16 ? doubleToHalf(x) : doubleToBf16(x));
      }
      // A float32 source: floatToHalf/floatToBf16 of its values.
      const auto f = readOrDie(*src, "model.norm.weight").values;
      const auto n = stored(*back, "model.norm.weight");
      for (std::size_t k = 0; k < f.size(); ++k) {
        std::uint16_t got;
        std::memcpy(&got, n.data() + 2 * k, 2);
        QCOMPARE(got, mode == ConvertDType::F16 ? floatToHalf(f[k]) : floatToBf16(f[k]));
      }
    }
    // bf16 into .npz: no such NumPy type.
    o.dtype = ConvertDType::BF16;
    auto bad = convertTensorFile(*src, dir / "b.npz", o);
    QVERIFY(!bad);
    QUENCH_VERIFY_ERROR(bad.error().message, "dtype BF16 cannot be stored in .npz");
    QVERIFY(!fs::exists(dir / "b.npz"));
  }

  void keepRefusesWhatTheFormatCannotHold() {
    auto src = open(kFixture);
    QTemporaryDir tmp;
    ConvertOptions o;
    o.dtype = ConvertDType::Keep;
    auto r = convertTensorFile(*src, fs::path(tmp.path().toStdString()) / "k.h5", o);
    QVERIFY(!r);
    // Named: the file, the tensor, the type, the way out.
    QUENCH_VERIFY_ERROR(r.error().message, "tensor 'model.embed_tokens.weight': dtype BF16 cannot be stored in HDF5");
    QUENCH_VERIFY_ERROR(r.error().message, "f32 holds BF16 exactly");
    QCOMPARE(filesIn(tmp.path().toStdString()), std::size_t{0});
    // Selecting only what HDF5 holds works.
    o.select = [](const TensorInfo& t) { return t.dtype == DType::F64 || t.dtype == DType::F16; };
    const ConvertReport rep = convertOrDie(*src, fs::path(tmp.path().toStdString()) / "k.h5", o);
    QCOMPARE(rep.tensors.size(), std::size_t{2});
  }

  // f32 of a GGUF block tensor is exactly llama.cpp's dequantization (gguf-py's, in the shared data).
  void ggufBlocksDequantizedAsLlamaCpp() {
    if (!openTensorFile(kAllTypes).ok())
      QSKIP("the GGUF reader does not open all-types.gguf yet (every ggml type: issue 11, GGUF part)");
    auto src = open(kAllTypes);
    auto expected = open(kAllTypesExpected);
    QTemporaryDir tmp;
    const fs::path out = fs::path(tmp.path().toStdString()) / "q.npz";
    ConvertOptions o;
    o.dtype = ConvertDType::F32;
    const std::vector<std::string> names = {"random.q8_0", "gauss.q8_0", "random.q4_0", "gauss.q4_0"};
    o.select = [&](const TensorInfo& t) { return std::find(names.begin(), names.end(), t.name) != names.end(); };
    const std::uint64_t before = fingerprint(kAllTypes);
    convertOrDie(*src, out, o);
    QCOMPARE(fingerprint(kAllTypes), before);
    auto back = open(out);
    QCOMPARE(back->tensors().size(), names.size());
    for (const std::string& n : names) {
      const auto got = readOrDie(*back, n);
      const auto want = readOrDie(*expected, n);
      QCOMPARE(got.shape, want.shape);
      QCOMPARE(got.values.size(), want.values.size());
      for (std::size_t k = 0; k < got.values.size(); ++k)
        QCOMPARE(std::bit_cast<std::uint32_t>(got.values[k]), std::bit_cast<std::uint32_t>(want.values[k]));
    }
    // Blocks cannot be kept in any format: the first selected tensor in file order (random.q4_0)
    // is refused, naming its type.
    o.dtype = ConvertDType::Keep;
    auto bad = convertTensorFile(*src, fs::path(tmp.path().toStdString()) / "k.safetensors", o);
    QVERIFY(!bad);
    QUENCH_VERIFY_ERROR(bad.error().message, "tensor 'random.q4_0': block dtype Q4_0 (ggml blocks) cannot be stored in safetensors");
  }

  // A cancelled conversion (after the first tensor) leaves the existing OUT byte for byte, and no
  // temporary file.
  void failureLeavesTheTargetIntact() {
    auto src = open(kFixture);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const fs::path out = dir / "old.npz";
    QVERIFY(writeNpz(out, {OutTensor::fromFloats("old", {2}, std::vector<float>{1, 2})}).ok());
    const auto oldBytes = fileBytes(out.string());
    std::stop_source stop;
    auto rep = convertTensorFile(*src, out, {}, Work{stop.get_token(), {}},
                                 [&](const ConvertedTensor&, std::size_t, std::size_t, std::uint64_t, std::uint64_t) {
                                   stop.request_stop();
                                 });
    QVERIFY(!rep);
    QUENCH_VERIFY_ERROR(rep.error().message, "cancelled");
    QCOMPARE(fileBytes(out.string()), oldBytes);
    QCOMPARE(filesIn(dir), std::size_t{1});
    // A target in a folder that does not exist: an error, nothing created.
    auto missing = convertTensorFile(*src, dir / "no" / "x.safetensors");
    QVERIFY(!missing);
    QUENCH_VERIFY_ERROR(missing.error().message, "cannot create");
  }

  void neverOverwritesTheSource() {
    QTemporaryDir tmp;
    const fs::path dir = fs::path(tmp.path().toStdString()) / "ckpt";
    fs::copy(kFixture, dir);
    const std::uint64_t before = fingerprint(dir);
    auto src = open(dir);
    auto a = convertTensorFile(*src, dir / "model-00001-of-00003.safetensors");
    QVERIFY(!a);
    QUENCH_VERIFY_ERROR(a.error().message, "would replace a file of the checkpoint being converted");
    auto single = open(dir / "model-00003-of-00003.safetensors");
    auto b = convertTensorFile(*single, dir / "model-00003-of-00003.safetensors");
    QVERIFY(!b);
    QUENCH_VERIFY_ERROR(b.error().message, "is the file being converted");
    QCOMPARE(fingerprint(dir), before);
    auto ext = convertTensorFile(*src, dir / "x.txt");
    QVERIFY(!ext);
    QUENCH_VERIFY_ERROR(ext.error().message, "unknown output extension '.txt'");
  }
};

QTEST_APPLESS_MAIN(TestConvert)
#include "test_convert.moc"
