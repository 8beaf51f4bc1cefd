// Sharded safetensors checkpoints (issue 11): the three-shard fixture written by
// tools/make_hf_fixtures.py (by hand with struct+json, values decoded from the stored bits by NumPy
// into hf_sharded_expected.npz), folder dispatch, and broken or hostile folders made from it here,
// each with the error that must name the file and the key.
#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/io_test_support.h"
#include "core/io/safetensors_index.h"

using namespace quench;
using namespace quench::test;
namespace fs = std::filesystem;

namespace {

// QUENCH_VERIFY_ERROR for expected parts built at run time (paths): `part` is any std::string.
#define VERIFY_ERROR(message, part)                                                                 \
  do {                                                                                              \
    const std::string m_ = (message), p_ = (part);                                                  \
    QVERIFY2(!m_.empty(), "expected an error, got success");                                       \
    QVERIFY2(m_.find(p_) != std::string::npos, qPrintable(QString::fromStdString("error '" + m_ + "' lacks '" + p_ + "'"))); \
  } while (0)

const std::string kFixture = ioData("hf_sharded");
const std::string kShard1 = "model-00001-of-00003.safetensors";
const std::string kShard2 = "model-00002-of-00003.safetensors";
const std::string kShard3 = "model-00003-of-00003.safetensors";

// Catalog order: shards in name order, each in data order (the script writes data in this order and
// the headers sorted by name, so offset order is what the reader must follow).
const std::vector<std::string> kOrder = {
    "model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight",
    "model.layers.0.input_layernorm.weight",  "model.layers.0.mlp.up_proj.weight",
    "model.layers.0.mlp.gate_proj.weight",    "model.layers.0.mlp.down_proj.weight",
    "model.position_ids",                     "lm_head.weight",
    "model.norm.weight"};

std::unique_ptr<TensorReader> open(const fs::path& p) {
  auto r = openTensorFile(p);
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

std::string openErrorOf(const fs::path& p) {
  auto r = openTensorFile(p);
  return r ? std::string() : r.error().message;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void writeText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A writable copy of the fixture in a temporary folder, to break.
struct Copy {
  QTemporaryDir tmp;
  fs::path dir;
  Copy() {
    dir = fs::path(tmp.path().toStdString()) / "ckpt";
    fs::copy(kFixture, dir);
  }
  fs::path index() const { return dir / "model.safetensors.index.json"; }
  nlohmann::ordered_json indexJson() const { return nlohmann::ordered_json::parse(readText(index())); }
  void setIndex(const nlohmann::ordered_json& j) const { writeText(index(), j.dump(2)); }
};

}  // namespace

class TestSafetensorsSharded : public QObject {
  Q_OBJECT
 private slots:
  void oneCatalogAcrossShards() {
    auto r = open(kFixture);
    QCOMPARE(std::string(r->format()), std::string("safetensors"));
    QCOMPARE(r->path(), kFixture);
    QCOMPARE(r->tensors().size(), kOrder.size());
    for (std::size_t i = 0; i < kOrder.size(); ++i) QCOMPARE(r->tensors()[i].name, kOrder[i]);
    const auto& t = r->tensors();
    QCOMPARE(t[0].dtype, DType::F16);
    QCOMPARE(t[1].dtype, DType::BF16);
    QCOMPARE(t[1].shape, (Shape{16, 8}));
    QCOMPARE(t[1].bytes, std::uint64_t{256});
    QCOMPARE(t[2].dtype, DType::F32);
    QCOMPARE(t[3].dtype, DType::F8_E4M3);
    QCOMPARE(t[4].dtype, DType::F8_E5M2);
    QCOMPARE(t[5].dtype, DType::F64);
    QCOMPARE(t[5].shape, (Shape{3, 5}));
    QCOMPARE(t[6].dtype, DType::I64);
    QCOMPARE(t[7].dtype, DType::BF16);
    // The index's metadata, the shard count, then the first shard's __metadata__.
    const Metadata expected = {{"total_size", "936"}, {"shards", "3"}, {"format", "pt"}};
    QCOMPARE(r->metadata(), expected);
  }

  void theIndexFileOpensTheSameCheckpoint() {
    auto a = open(kFixture);
    auto b = open(fs::path(kFixture) / "model.safetensors.index.json");
    QCOMPARE(b->path(), kFixture);
    QCOMPARE(b->tensors().size(), a->tensors().size());
    for (std::size_t i = 0; i < a->tensors().size(); ++i) QCOMPARE(b->tensors()[i].name, a->tensors()[i].name);
  }

  // Every value equals NumPy's decoding of the stored bits (float32 is exact for all of them but the
  // F64 tensor, which is compared as stored bytes).
  void valuesMatchNumpy() {
    auto r = open(kFixture);
    auto expected = open(ioData("hf_sharded_expected.npz"));
    QCOMPARE(expected->tensors().size(), kOrder.size());
    for (const std::string& name : kOrder) {
      const FloatTensor got = readOrDie(*r, name);
      const FloatTensor want = readOrDie(*expected, name);
      QCOMPARE(got.shape, want.shape);
      QCOMPARE(got.values.size(), want.values.size());
      for (std::size_t k = 0; k < got.values.size(); ++k)
        QVERIFY2(got.values[k] == want.values[k],
                 qPrintable(QString("%1[%2]: %3 != %4").arg(name.c_str()).arg(k).arg(got.values[k]).arg(want.values[k])));
    }
    const std::size_t f64 = *r->find("model.layers.0.mlp.down_proj.weight");
    auto want = expected->readStored(*expected->find("model.layers.0.mlp.down_proj.weight"));
    QVERIFY(want.ok());
    const auto got = r->storedBytes(f64);
    QCOMPARE(got.size(), want->size());
    QVERIFY(std::memcmp(got.data(), want->data(), got.size()) == 0);
    auto ids = expected->readStored(*expected->find("model.position_ids"));
    const auto idsGot = r->storedBytes(*r->find("model.position_ids"));
    QVERIFY(ids.ok() && idsGot.size() == ids->size() && std::memcmp(idsGot.data(), ids->data(), ids->size()) == 0);
  }

  // storedBytes are each shard's mapped bytes: the file's own bytes at the header's offsets.
  void storedBytesAreTheShardBytes() {
    auto r = open(kFixture);
    const auto shard3 = fileBytes(kFixture + "/" + kShard3);
    const auto head = open(fs::path(kFixture) / kShard3);
    for (const char* name : {"lm_head.weight", "model.norm.weight"}) {
      const auto a = r->storedBytes(*r->find(name));
      const auto b = head->storedBytes(*head->find(name));
      QCOMPARE(a.size(), b.size());
      QVERIFY(a.size() > 0 && std::memcmp(a.data(), b.data(), a.size()) == 0);
      // Inside shard 3's bytes, at the same place as in the single-file reader.
      QVERIFY(std::search(shard3.begin(), shard3.end(), a.begin(), a.end()) != shard3.end());
    }
    QVERIFY(r->storedBytes(r->tensors().size()).empty());
    auto bad = r->readFloat(r->tensors().size());
    QVERIFY(!bad);
    VERIFY_ERROR(bad.error().message, kFixture);
  }

  void singleFileFolders() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    // model.safetensors in a folder.
    fs::create_directory(dir / "single");
    fs::copy_file(fs::path(kFixture) / kShard3, dir / "single" / "model.safetensors");
    auto r = open(dir / "single");
    QCOMPARE(r->path(), (dir / "single" / "model.safetensors").string());
    QCOMPARE(r->tensors().size(), std::size_t{2});
    // model.safetensors wins over an index beside it (as transformers does).
    fs::copy_file(fs::path(kFixture) / "model.safetensors.index.json", dir / "single" / "model.safetensors.index.json");
    QCOMPARE(open(dir / "single")->tensors().size(), std::size_t{2});
    // A folder whose only .safetensors file has another name.
    fs::create_directory(dir / "other");
    fs::copy_file(fs::path(kFixture) / kShard2, dir / "other" / "consolidated.safetensors");
    QCOMPARE(open(dir / "other")->tensors().size(), std::size_t{4});
    // Shards without their index: ambiguous, the error says what is there.
    fs::create_directory(dir / "noindex");
    fs::copy_file(fs::path(kFixture) / kShard1, dir / "noindex" / kShard1);
    fs::copy_file(fs::path(kFixture) / kShard2, dir / "noindex" / kShard2);
    const std::string e = openErrorOf(dir / "noindex");
    VERIFY_ERROR(e, (dir / "noindex").string());
    VERIFY_ERROR(e, "model.safetensors.index.json");
    VERIFY_ERROR(e, "2 .safetensors files");
    // An empty folder, and one with a PyTorch pickle.
    fs::create_directory(dir / "empty");
    VERIFY_ERROR(openErrorOf(dir / "empty"), "folder holds no model.safetensors");
    writeText(dir / "empty" / "pytorch_model.bin", "x");
    VERIFY_ERROR(openErrorOf(dir / "empty"), "PyTorch pickles");
  }

  void missingShard() {
    Copy c;
    fs::remove(c.dir / kShard2);
    const std::string e = openErrorOf(c.dir);
    VERIFY_ERROR(e, c.index().string() + ": weight_map[\"model.layers.0.mlp.down_proj.weight\"] names shard \"" +
                               kShard2 + "\", which cannot be opened");
    VERIFY_ERROR(e, (c.dir / kShard2).string() + ": cannot open");
  }

  void listedTensorAbsentFromItsShard() {
    Copy c;
    auto j = c.indexJson();
    j["weight_map"]["model.layers.9.ghost.weight"] = kShard3;
    c.setIndex(j);
    VERIFY_ERROR(openErrorOf(c.dir), c.index().string() + ": weight_map[\"model.layers.9.ghost.weight\"] names shard \"" +
                                                kShard3 + "\", which holds no such tensor");
  }

  void shardTensorNotInTheIndex() {
    Copy c;
    auto j = c.indexJson();
    j["weight_map"].erase("model.norm.weight");
    c.setIndex(j);
    VERIFY_ERROR(openErrorOf(c.dir), (c.dir / kShard3).string() + ": tensor \"model.norm.weight\" is not listed in " +
                                                c.index().string());
  }

  // The index puts a tensor in one shard, the file holds it in another (a tensor in two places).
  void tensorInAnotherShardThanListed() {
    Copy c;
    auto j = c.indexJson();
    j["weight_map"]["lm_head.weight"] = kShard1;
    c.setIndex(j);
    // Shard 3 holds lm_head.weight, which the index now says shard 1 holds.
    VERIFY_ERROR(openErrorOf(c.dir), (c.dir / kShard3).string() + ": tensor \"lm_head.weight\" is listed in " +
                                         c.index().string() + "'s weight_map under shard \"" + kShard1 +
                                         "\", not this one");
    // The same tensor in two shard files: shard 3 keeps it, shard 1 gets a copy. The index names
    // shard 3; shard 1's copy is not listed under shard 1.
    Copy d;
    const auto r3 = open(d.dir / kShard3);
    writeSafetensors((d.dir / kShard1).string(),
                     {OutTensor::fromFloats("lm_head.weight", {16, 8}, readOrDie(*r3, "lm_head.weight").values)});
    auto k = d.indexJson();
    for (const char* n : {"model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight",
                          "model.layers.0.input_layernorm.weight"})
      k["weight_map"].erase(n);
    k["weight_map"]["placeholder.weight"] = kShard1;  // keeps shard 1 in the index
    d.setIndex(k);
    VERIFY_ERROR(openErrorOf(d.dir), (d.dir / kShard1).string() +
                                                ": tensor \"lm_head.weight\" is listed in " + d.index().string() +
                                                "'s weight_map under shard \"" + kShard3 + "\", not this one");
  }

  void tensorListedTwice() {
    Copy c;
    std::string text = readText(c.index());
    const std::string line = "\"model.norm.weight\": \"" + kShard3 + "\"";
    const auto at = text.find(line);
    QVERIFY(at != std::string::npos);
    text.insert(at, "\"model.norm.weight\": \"" + kShard1 + "\",\n    ");
    writeText(c.index(), text);
    VERIFY_ERROR(openErrorOf(c.dir), c.index().string() + ": weight_map[\"model.norm.weight\"]: the tensor is listed "
                                                          "twice (shards \"" + kShard1 + "\" and \"" + kShard3 + "\")");
  }

  void offsetsPastAShardsEnd() {
    Copy c;
    fs::resize_file(c.dir / kShard3, fs::file_size(c.dir / kShard3) - 1);
    const std::string e = openErrorOf(c.dir);
    VERIFY_ERROR(e, c.index().string() + ": shard \"" + kShard3 + "\": " + (c.dir / kShard3).string());
    VERIFY_ERROR(e, "tensor 'model.norm.weight': data_offsets");
    VERIFY_ERROR(e, "past the end of the data buffer");
    // A shard that is not a safetensors file at all.
    writeText(c.dir / kShard3, "garbage");
    VERIFY_ERROR(openErrorOf(c.dir), (c.dir / kShard3).string() + ": safetensors: file too short");
  }

  // Shard names that would leave the folder are refused before anything is opened.
  void shardNamesStayInTheFolder() {
    const struct {
      const char* shard;
      const char* why;
    } cases[] = {{"../model-00001-of-00003.safetensors", "path separator"},
                 {"sub/model-00001-of-00003.safetensors", "path separator"},
                 {"/etc/passwd.safetensors", "path separator"},
                 {"..\\x.safetensors", "path separator"},
                 {"..", "not a file name"},
                 {"", "is empty"},
                 {"config.json", "does not end in .safetensors"}};
    for (const auto& c : cases) {
      nlohmann::json j = {{"weight_map", {{"w", c.shard}}}};
      int opened = 0;
      auto r = openShardedSafetensors("/f", "/f/model.safetensors.index.json", j.dump(), [&](const std::string&) {
        ++opened;
        return Result<std::shared_ptr<MappedFile>>(makeError("must not be called"));
      });
      QVERIFY(!r);
      VERIFY_ERROR(r.error().message, "/f/model.safetensors.index.json: weight_map[\"w\"]: shard name");
      VERIFY_ERROR(r.error().message, c.why);
      QCOMPARE(opened, 0);
    }
    // The same through the folder: the file outside is never read.
    Copy c;
    auto j = c.indexJson();
    j["weight_map"]["lm_head.weight"] = "../" + kShard3;
    c.setIndex(j);
    VERIFY_ERROR(openErrorOf(c.dir), "path separator");
  }

  void aMillionShards() {
    std::string text = "{\"weight_map\": {";
    for (int i = 0; i < 1000000; ++i) text += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":\"s" + std::to_string(i) + ".safetensors\"";
    text += "}}";
    int opened = 0;
    auto r = openShardedSafetensors("/f", "/f/index.json", text, [&](const std::string&) {
      ++opened;
      return Result<std::shared_ptr<MappedFile>>(makeError("must not be called"));
    });
    QVERIFY(!r);
    VERIFY_ERROR(r.error().message, "/f/index.json: weight_map names more than 10000 shard files");
    QCOMPARE(opened, 0);
  }

  void malformedIndexes() {
    auto err = [](const std::string& text) {
      auto r = parseSafetensorsIndex(text, "idx.json");
      return r ? std::string() : r.error().message;
    };
    VERIFY_ERROR(err("{\"weight_map\": "), "idx.json: not valid JSON");
    VERIFY_ERROR(err("[]"), "idx.json: index is not a JSON object");
    VERIFY_ERROR(err("{}"), "idx.json: no 'weight_map'");
    VERIFY_ERROR(err("{\"weight_map\": [\"a.safetensors\"]}"), "idx.json: 'weight_map' is not a JSON object");
    VERIFY_ERROR(err("{\"weight_map\": \"a.safetensors\"}"), "'weight_map' is not a JSON object");
    VERIFY_ERROR(err("{\"weight_map\": {\"w\": 3}}"), "idx.json: weight_map[\"w\"]: shard is not a string but 3");
    VERIFY_ERROR(err("{\"metadata\": [], \"weight_map\": {}}"), "idx.json: 'metadata' is not a JSON object");
    VERIFY_ERROR(err("{\"weight_map\": {}, \"weight_map\": {}}"), "key \"weight_map\" appears twice in the top-level object");
    VERIFY_ERROR(err("{\"metadata\": {\"a\": 1, \"a\": 2}, \"weight_map\": {}}"), "key \"a\" appears twice in object \"metadata\"");
    VERIFY_ERROR(err("{\"weight_map\": {\"w\": {\"x\": 1}}}"), "weight_map[\"w\"]: shard is not a string but an object");
    VERIFY_ERROR(err("{\"weight_map\": {\"w\": [\"a.safetensors\"]}}"), "shard is not a string but an array");
    VERIFY_ERROR(err("\"x\""), "idx.json: index is not a JSON object");
    VERIFY_ERROR(err("{\"weight_map\": {}} x"), "idx.json: not valid JSON");
    // Valid: null metadata, extra keys ignored, non-string metadata kept as JSON text, metadata in
    // file order, the weight map by name.
    auto ok = parseSafetensorsIndex(
        R"({"metadata": {"total_size": 8, "note": "x", "nested": {"k": [1, 2.5, null]}}, "other": {"deep": [[{}]]},)"
        R"( "weight_map": {"b": "s2.safetensors", "a": "s1.safetensors", "c": "s2.safetensors"}})",
        "idx.json");
    QVERIFY(ok.ok());
    QCOMPARE(ok->shards, (std::vector<std::string>{"s1.safetensors", "s2.safetensors"}));
    QCOMPARE(ok->weightMap.size(), std::size_t{3});
    QCOMPARE(ok->weightMap[0], (std::pair<std::string, std::size_t>{"a", 0}));
    QCOMPARE(ok->weightMap[1], (std::pair<std::string, std::size_t>{"b", 1}));
    QCOMPARE(ok->metadata, (Metadata{{"total_size", "8"}, {"note", "x"}, {"nested", R"({"k":[1,2.5,null]})"}}));
    QVERIFY(parseSafetensorsIndex(R"({"metadata": null, "weight_map": {}})", "idx.json").ok());
  }

  // Renaming a shard's header key twice within one safetensors header is an error too.
  void duplicateKeyInAShardHeader() {
    const std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                               R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
    std::vector<std::uint8_t> b(8);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(header.size() >> (8 * i));
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + 4, 0);
    VERIFY_ERROR(openError(openSafetensors, b, "dup.safetensors"),
                        "dup.safetensors: safetensors: header: key 'w' appears twice in the top-level object");
  }
};

QTEST_APPLESS_MAIN(TestSafetensorsSharded)
#include "test_safetensors_sharded.moc"
