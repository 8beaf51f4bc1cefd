// summarizeMetadata / metadataJson (core/io/metadata_summary.h): every key of a file, typed for
// GGUF (numbers as JSON numbers with all their bits, NaN as null), arrays as element type, length
// and first elements; plain-text metadata (llama2.c, safetensors) as strings. Checked on llama.cpp's
// vocabulary file, whose keys llama.cpp's own loader lists (types from gguf-py's GGUFReader), and
// on hand-built files.
#include <QtTest/QtTest>

#include <cstring>
#include <limits>

#include "core/io/formats.h"
#include "core/io/metadata_summary.h"

using namespace quench;

namespace {
std::vector<std::uint8_t> ggufWith(const std::function<void(std::vector<std::uint8_t>&)>& kvs, std::uint64_t nKv) {
  std::vector<std::uint8_t> b{'G', 'G', 'U', 'F'};
  auto put = [&b](auto v) {
    std::uint8_t raw[sizeof(v)];
    std::memcpy(raw, &v, sizeof(v));
    b.insert(b.end(), raw, raw + sizeof(v));
  };
  put(std::uint32_t{3});
  put(std::uint64_t{0});
  put(nKv);
  kvs(b);
  return b;
}
void putStr(std::vector<std::uint8_t>& b, const std::string& s) {
  const std::uint64_t n = s.size();
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  b.insert(b.end(), s.begin(), s.end());
}
template <class T>
void putRaw(std::vector<std::uint8_t>& b, T v) {
  std::uint8_t raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof(T));
  b.insert(b.end(), raw, raw + sizeof(T));
}
}  // namespace

class TestMetadataSummary : public QObject {
  Q_OBJECT
 private slots:
  void llamaSpmVocabulary() {
    auto f = MappedFile::open(QUENCH_SHARED_DATA "/tokenizers/ggml-vocab-llama-spm.gguf");
    QVERIFY(f.ok());
    auto r = openGguf(*f);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    // A vocabulary-only file: no tensors, 22 keys (gguf-py's GGUFReader lists the same 22).
    QCOMPARE((*r)->tensors().size(), std::size_t{0});
    const auto entries = summarizeMetadata(**r);
    QCOMPARE(entries.size(), std::size_t{22});
    QCOMPARE(entries[0].key, std::string("general.architecture"));
    QCOMPARE(entries[0].type, std::string("string"));
    QCOMPARE(entries[0].json, nlohmann::ordered_json("llama"));
    const auto j = metadataJson(**r);
    QCOMPARE(j.size(), std::size_t{22});
    QCOMPARE(j["llama.vocab_size"], nlohmann::ordered_json(32000));
    QVERIFY(j["llama.vocab_size"].is_number_unsigned());
    QVERIFY(j["tokenizer.ggml.add_bos_token"].is_boolean());
    QVERIFY(j["llama.attention.layer_norm_rms_epsilon"].is_number_float());
    const auto& tokens = j["tokenizer.ggml.tokens"];
    QCOMPARE(tokens["type"], nlohmann::ordered_json("array"));
    QCOMPARE(tokens["element_type"], nlohmann::ordered_json("string"));
    QCOMPARE(tokens["length"], nlohmann::ordered_json(32000));
    QCOMPARE(tokens["first"], (nlohmann::ordered_json{"<unk>", "<s>", "</s>", "<0x00>", "<0x01>", "<0x02>", "<0x03>", "<0x04>"}));
    QCOMPARE(j["tokenizer.ggml.scores"]["element_type"], nlohmann::ordered_json("float32"));
    QCOMPARE(j["tokenizer.ggml.token_type"]["element_type"], nlohmann::ordered_json("int32"));
    QCOMPARE(j["tokenizer.ggml.token_type"]["first"][0], nlohmann::ordered_json(2));  // <unk>: UNKNOWN
    for (const auto& e : entries)
      if (e.key == "tokenizer.ggml.tokens") {
        QCOMPARE(e.type, std::string("string[32000]"));
        QCOMPARE(e.text, std::string(R"(["<unk>", "<s>", "</s>", "<0x00>", "<0x01>", "<0x02>", "<0x03>", "<0x04>", …])"));
      }
  }

  void typedScalarsKeepTheirBits() {
    const auto bytes = ggufWith(
        [](std::vector<std::uint8_t>& b) {
          putStr(b, "big");
          putRaw(b, std::uint32_t{10});
          putRaw(b, std::uint64_t{18446744073709551615ull});
          putStr(b, "neg");
          putRaw(b, std::uint32_t{11});
          putRaw(b, std::int64_t{-9223372036854775807ll - 1});
          putStr(b, "nan");
          putRaw(b, std::uint32_t{6});
          putRaw(b, std::numeric_limits<float>::quiet_NaN());
          putStr(b, "tenth");
          putRaw(b, std::uint32_t{6});
          putRaw(b, 0.1f);
          putStr(b, "template");
          putRaw(b, std::uint32_t{8});
          putStr(b, "{% for m in messages %}\n{{ m }}\n{% endfor %}");
          putStr(b, "empty");
          putRaw(b, std::uint32_t{9});
          putRaw(b, std::uint32_t{4});
          putRaw(b, std::uint64_t{0});
        },
        6);
    auto r = openGguf(MappedFile::fromBytes("t.gguf", bytes));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const auto j = metadataJson(**r);
    QCOMPARE(j["big"].get<std::uint64_t>(), 18446744073709551615ull);
    QCOMPARE(j["neg"].get<std::int64_t>(), -9223372036854775807ll - 1);
    QVERIFY(j["nan"].is_null());
    QCOMPARE(j["tenth"].get<double>(), 0.1);  // the float32's shortest text, read as a double
    QCOMPARE(j["template"].get<std::string>(), std::string("{% for m in messages %}\n{{ m }}\n{% endfor %}"));
    QCOMPARE(j["empty"]["length"], nlohmann::ordered_json(0));
    QCOMPARE(j["empty"]["first"], nlohmann::ordered_json::array());
    const auto entries = summarizeMetadata(**r);
    QCOMPARE(entries[4].text, std::string("{% for m in messages %}\xE2\x86\xB5{{ m }}\xE2\x86\xB5{% endfor %}"));
    QCOMPARE(entries[5].type, std::string("uint32[0]"));
    QCOMPARE(entries[5].text, std::string("[]"));
  }

  void plainTextMetadataStaysText() {
    // llama2.c's header is rendered as text by its reader: no types, strings in JSON.
    auto f = MappedFile::open(QUENCH_SHARED_DATA "/models/stories260K/stories260K.bin");
    QVERIFY(f.ok());
    auto r = openLlama2c(*f);
    QVERIFY(r.ok());
    QVERIFY((*r)->metadataTypes().empty());
    const auto entries = summarizeMetadata(**r);
    QCOMPARE(entries.size(), (*r)->metadata().size());
    QVERIFY(!entries.empty());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      QCOMPARE(entries[i].type, std::string());
      QCOMPARE(entries[i].json, nlohmann::ordered_json((*r)->metadata()[i].second));
    }
  }
};

QTEST_APPLESS_MAIN(TestMetadataSummary)
#include "test_metadata_summary.moc"
