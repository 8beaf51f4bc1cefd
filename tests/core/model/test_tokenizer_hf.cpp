// tokenizer.json, checked against llama.cpp: tools/gguf_vocab_to_tokenizer_json.py writes the
// vocabularies of ../shared/data/tokenizers/ggml-vocab-{gpt-2,llama-spm}.gguf as Hugging Face lays
// them out (GPT-2: ByteLevel; Llama 2: Prepend/Replace normalizer, byte fallback, merges derived
// from the scores), and every case of llama.cpp's test set must give llama.cpp's ids through the
// tokenizer.json reader too. Then each component on small files whose results are worked out by
// hand from tokenizers' documented semantics, and the keys the reader refuses.
#include <QtTest/QtTest>

#include <QProcess>
#include <QTemporaryDir>

#include "common/fuzzy.h"
#include "common/llamacpp_vocab_cases.h"
#include "core/model/tokenizer_hf.h"

using namespace quench;
using namespace quench::model;

namespace {
std::unique_ptr<BpeTokenizer> parse(const std::string& json, const TokenizerOptions& o = {}, const std::string& config = {}) {
  auto t = parseHfTokenizer(json, "t.json", -1, -1, o, config);
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(t).value();
}

std::string errorOf(const std::string& json, const std::string& config = {}) {
  auto t = parseHfTokenizer(json, "t.json", -1, -1, {}, config);
  return t ? std::string("(no error)") : t.error().message;
}

// A tiny byte-free BPE file: characters a b c d - _ space and a few merges; `extra` is spliced in
// at the top level (normalizer, pre_tokenizer, added_tokens, ...).
std::string tiny(const std::string& extra) {
  return R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "-": 4, " ": 5, "ab": 6, "abc": 7, "_": 8, "<x>": 9, "\u00e9": 10, "e": 11, "1": 12, "2": 13, "12": 14, "!": 15}, "merges": ["a b", "ab c", "1 2"]})" +
         (extra.empty() ? std::string() : ", " + extra) + "}";
}

std::vector<std::string> pieces(const BpeTokenizer& t, const std::string& text) {
  std::vector<std::string> out;
  for (int id : t.encode(text, false, false)) out.push_back(t.piece(id));
  return out;
}
using S = std::vector<std::string>;
}  // namespace

class TestTokenizerHf : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    for (const char* v : {"gpt-2", "llama-spm"}) {
      QProcess p;
      p.start("python3", {QStringLiteral(QUENCH_SOURCE_DIR "/tools/gguf_vocab_to_tokenizer_json.py"),
                          test::sharedData(QStringLiteral("tokenizers/ggml-vocab-%1.gguf").arg(v)), m_dir.filePath(v)});
      QVERIFY(p.waitForFinished(120000));
      QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    }
  }

  void sameIdsAsLlamaCpp_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("gpt-2") << "gpt-2";
    QTest::newRow("llama-spm") << "llama-spm";
  }
  void sameIdsAsLlamaCpp() {
    QFETCH(QString, name);
    auto t = loadHfTokenizer(m_dir.filePath(name + "/tokenizer.json").toStdString(), -1, -1);
    QVERIFY2(t.ok(), t ? "" : t.error().message.c_str());
    const auto cases = test::readVocabCases(test::sharedData("tokenizers/ggml-vocab-" + name + ".gguf"));
    QCOMPARE(cases.size(), std::size_t{46});
    for (std::size_t i = 0; i < cases.size(); ++i) {
      QVERIFY2((*t)->encode(cases[i].text, false, false) == cases[i].ids, qPrintable(QString("case %1").arg(i)));
      QCOMPARE(*(*t)->decode(cases[i].ids), cases[i].text);
    }
    // BOS as the files say: Llama 2's template and add_bos_token put <s> in front, GPT-2 nothing.
    QCOMPARE((*t)->addsBos(), name == "llama-spm");
    if (name == "llama-spm") QCOMPARE((*t)->encode("Hello", (*t)->addsBos(), false), (std::vector<int>{1, 15043}));
  }

  void splitBehaviours() {
    // tokenizers' documentation: "the-final--countdown" split on "-".
    auto split = [&](const char* behavior, bool invert = false) {
      // (plain string literals: moc misreads a raw string that ends in a quote)
      return pieces(*parse(tiny(std::string("\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"") +
                                behavior + "\", \"invert\": " + (invert ? "true" : "false") + "}")),
                    "ab-c--d");
    };
    QCOMPARE(split("Removed"), (S{"ab", "c", "d"}));
    QCOMPARE(split("Isolated"), (S{"ab", "-", "c", "-", "-", "d"}));
    QCOMPARE(split("Removed", true), (S{"-", "-", "-"}));  // invert: the delimiters are the gaps
    // Word boundaries are visible through merges: "abc" only forms when a, b, c share a word.
    auto words = [&](const char* pre, const std::string& text) { return pieces(*parse(tiny(std::string("\"pre_tokenizer\": ") + pre)), text); };
    const char* mergedPrev = R"({"type": "Split", "pattern": {"Regex": "b"}, "behavior": "MergedWithPrevious"})";
    const char* mergedNext = R"({"type": "Split", "pattern": {"Regex": "b"}, "behavior": "MergedWithNext"})";
    QCOMPARE(words(mergedPrev, "abc"), (S{"ab", "c"}));  // [ab][c]
    QCOMPARE(words(mergedNext, "abc"), (S{"a", "b", "c"}));  // [a][bc]: "bc" is no piece
    QCOMPARE(words(R"({"type": "Split", "pattern": {"Regex": "b"}, "behavior": "Removed", "invert": true})", "abcb"),
             (S{"b", "b"}));  // invert: the matches are kept, the gaps between them removed
    // Contiguous: runs of matches stay together ("ab" + "c" when "ab" matches as a run of a|b).
    QCOMPARE(words(R"({"type": "Split", "pattern": {"Regex": "[ab]"}, "behavior": "Contiguous"})", "abc"), (S{"ab", "c"}));
    QCOMPARE(words(R"({"type": "Split", "pattern": {"Regex": "[ab]"}, "behavior": "Isolated"})", "abc"), (S{"a", "b", "c"}));
    QCOMPARE(words(R"({"type": "Digits", "individual_digits": true})", "12ab"), (S{"1", "2", "ab"}));
    QCOMPARE(words(R"({"type": "Digits", "individual_digits": false})", "12ab"), (S{"12", "ab"}));
    QCOMPARE(words(R"({"type": "Punctuation"})", "ab!c"), (S{"ab", "!", "c"}));
    QCOMPARE(words(R"({"type": "WhitespaceSplit"})", "abc ab"), (S{"abc", "ab"}));
    QCOMPARE(words(R"({"type": "Whitespace"})", "ab! c"), (S{"ab", "!", "c"}));
    QCOMPARE(words(R"({"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits"}]})", "a12 b"),
             (S{"a", "12", "b"}));
  }

  void metaspaceAndPrefixOption() {
    const std::string vocab = R"({"model": {"type": "BPE", "vocab": {"\u2581": 0, "a": 1, "b": 2, "\u2581a": 3, "\u2581b": 4, "<s>": 5}, "merges": ["\u2581 a", "\u2581 b"]}, "added_tokens": [{"id": 5, "content": "<s>", "special": true, "normalized": false}], "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "SCHEME", "split": SPLIT}, "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "SCHEME"}})";
    auto make = [&](const char* scheme, bool split, bool prefix = true) {
      std::string j = vocab;
      for (std::size_t at; (at = j.find("SCHEME")) != std::string::npos;) j.replace(at, 6, scheme);
      j.replace(j.find("SPLIT"), 5, split ? "true" : "false");
      TokenizerOptions o;
      o.prefixSpace = prefix;
      return parse(j, o);
    };
    const std::string sp = "\xE2\x96\x81";
    QCOMPARE(pieces(*make("always", true), "a b"), (S{sp + "a", sp + "b"}));
    QCOMPARE(pieces(*make("always", true), "<s>a"), (S{"<s>", sp + "a"}));
    QCOMPARE(pieces(*make("first", true), "<s>a"), (S{"<s>", "a"}));  // "first": only at the very start
    QCOMPARE(pieces(*make("first", true), "a<s>a"), (S{sp + "a", "<s>", "a"}));
    QCOMPARE(pieces(*make("never", true), "a b"), (S{"a", sp + "b"}));
    QCOMPARE(pieces(*make("always", true, false), "a b"), (S{"a", sp + "b"}));  // --no-prefix-space
    auto t = make("always", false);
    QCOMPARE(*t->decode(t->encode("a b", false, false)), std::string("a b"));
  }

  void byteLevelPrefixAndDecoder() {
    const std::string j = R"({"model": {"type": "BPE", "vocab": {"a": 0, "\u0120": 1, "\u0120a": 2, "\u00c3": 3, "\u00a9": 4, "\u00c3\u00a9": 5}, "merges": ["\u0120 a", "\u00c3 \u00a9"]}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}, "decoder": {"type": "ByteLevel"}})";
    auto t = parse(j);
    // "é" is C3 A9: GPT-2's alphabet maps C3 → "Ã", A9 → "©". The prefix space is Ġ (U+0120).
    QCOMPARE(pieces(*t, "a\xC3\xA9"), (S{"\xC4\xA0" "a", "\xC3\x83\xC2\xA9"}));
    QCOMPARE(*t->decode(t->encode("a\xC3\xA9", false, false)), std::string(" a\xC3\xA9"));
    TokenizerOptions o;
    o.prefixSpace = false;
    QCOMPARE(pieces(*parse(j, o), "a"), (S{"a"}));
  }

  void addedTokensAsTheFileSays() {
    auto t = parse(tiny(R"("added_tokens": [{"id": 9, "content": "<x>", "special": false, "lstrip": true, "rstrip": true, "normalized": false}])"));
    QCOMPARE(pieces(*t, "ab <x> c"), (S{"ab", "<x>", "c"}));  // the spaces around are swallowed
    // single_word: not inside a word. Unmatched, "<x>" is three characters outside the
    // vocabulary (dropped: no unknown token, no byte fallback).
    auto w = parse(tiny(R"("added_tokens": [{"id": 9, "content": "<x>", "special": false, "single_word": true, "normalized": false}])"));
    // tokenizers drops them before merging, so "a" and "b" meet and merge into "ab" (6).
    QCOMPARE(w->encode("a<x>b", false, false), (std::vector<int>{6}));
    QCOMPARE(w->encode("a <x> b", false, false), (std::vector<int>{0, 5, 9, 5, 1}));
    // A "normalized" token is matched on normalized text: with Replace "-" → "_" its content
    // "_" also matches a "-" of the input.
    auto n = parse(tiny(R"("normalizer": {"type": "Replace", "pattern": {"String": "-"}, "content": "_"}, "added_tokens": [{"id": 8, "content": "_", "special": true, "normalized": true}])"));
    QCOMPARE(n->encode("ab-c", false, false), (std::vector<int>{6, 8, 2}));
    QCOMPARE(*n->decode(n->encode("ab-c", false, false)), std::string("abc"));  // special: decodes to nothing
  }

  void normalizers() {
    // NFC (ICU): "e" + U+0301 composes to "é" (id 10).
    auto t = parse(tiny(R"("normalizer": {"type": "NFC"})"));
    QCOMPARE(t->encode("e\xCC\x81", false, false), std::vector<int>{10});
    auto l = parse(tiny(R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "Strip"}]})"));
    QCOMPARE(l->encode("  ABC ", false, false), std::vector<int>{7});
    auto r = parse(tiny(R"("normalizer": {"type": "Replace", "pattern": {"Regex": "[0-9]+"}, "content": "d"})"));
    QCOMPARE(r->encode("a123", false, false), (std::vector<int>{0, 3}));
  }

  void bosEosFromTheFiles() {
    const std::string j = tiny(R"("added_tokens": [{"id": 9, "content": "<x>", "special": true}], "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<x>": {"id": "<x>", "ids": [9], "tokens": ["<x>"]}}})");
    auto t = parse(j);
    QVERIFY(t->addsBos());
    QCOMPARE(t->bosId(), 9);
    QCOMPARE(t->encode("ab", t->addsBos(), false), (std::vector<int>{9, 6}));
    auto off = parse(j, {}, R"({"add_bos_token": false, "eos_token": {"content": "!"}, "add_eos_token": true})");
    QVERIFY(!off->addsBos());
    QVERIFY(off->addsEos());
    QCOMPARE(off->eosId(), 15);
    QVERIFY(errorOf(j, R"({"bos_token": "<nope>"})").find("bos_token '<nope>' is not a token") != std::string::npos);
    QVERIFY(errorOf(j, R"({"add_bos_token": "yes"})").find("add_bos_token") != std::string::npos);
  }

  void ignoreMergesAndUnknowns() {
    // ignore_merges (Llama 3): a word that is itself a piece is taken whole even when the merges
    // would not build it ("abc" needs "ab c", removed here).
    const std::string j = R"({"model": {"type": "BPE", "ignore_merges": IM, "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "<unk>": 5}, "merges": ["a b"], "unk_token": "<unk>", "fuse_unk": true}})";
    auto with = [&](const char* im) {
      std::string s = j;
      s.replace(s.find("IM"), 2, im);
      return parse(s);
    };
    QCOMPARE(with("true")->encode("abc", false, false), std::vector<int>{4});
    QCOMPARE(with("false")->encode("abc", false, false), (std::vector<int>{3, 2}));
    QCOMPARE(with("false")->encode("axyb", false, false), (std::vector<int>{0, 5, 1}));  // x y fused into one <unk>
  }

  void refusesWhatItDoesNotImplement() {
    auto expect = [](const std::string& json, const char* needle) {
      const std::string e = errorOf(json);
      QVERIFY2(e.find("t.json") != std::string::npos && e.find(needle) != std::string::npos, e.c_str());
    };
    expect(tiny(R"("normalizer": {"type": "BertNormalizer"})"), "normalizer.type 'BertNormalizer' is not supported");
    expect(tiny(R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled"}]})"),
           "normalizer.normalizers[1].type 'Precompiled'");
    expect(tiny(R"("pre_tokenizer": {"type": "CharDelimiterSplit", "delimiter": "x"})"), "pre_tokenizer.type 'CharDelimiterSplit'");
    expect(tiny(R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a{2,1}"}, "behavior": "Isolated"})"), "pre_tokenizer");
    expect(tiny(R"("pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Sideways"})"), "behavior 'Sideways'");
    expect(tiny(R"("decoder": {"type": "WordPiece"})"), "decoder.type 'WordPiece'");
    expect(tiny(R"("decoder": {"type": "Strip", "content": " ", "start": 0, "stop": 1})"), "\"stop\": 1");
    expect(tiny(R"("post_processor": {"type": "Custom"})"), "post_processor.type 'Custom'");
    expect(R"({"model": {"type": "Unigram", "vocab": []}})", "model.type 'Unigram' is not supported");
    expect(R"({"model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}})", "model.dropout");
    expect(R"({"model": {"type": "BPE", "continuing_subword_prefix": "##", "vocab": {"a": 0}, "merges": []}})",
           "model.continuing_subword_prefix");
    expect(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a a"]}})", "model.merges[0]");
    expect(R"({"model": {"type": "BPE", "vocab": {"a": 99999999}, "merges": []}})", "model.vocab['a']");
    expect(tiny(R"("added_tokens": [{"id": 0, "content": "zz"}])"), "id 0 already belongs to 'a'");
    expect(tiny(R"("added_tokens": [{"id": 20, "content": "ab"}])"), "gives this content id 6");
    expect(tiny(R"("added_tokens": [{"id": 20, "content": "\xff"}])"), "t.json");
  }

  void holesAndInvalidText() {
    // Ids may leave holes (never produced, decode to nothing); any input bytes encode.
    auto t = parse(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 5}, "merges": []}})");
    QCOMPARE(t->vocabSize(), 6);
    QCOMPARE(t->encode("ab\xFF" "a", false, false), (std::vector<int>{0, 5, 0}));  // U+FFFD: no piece, dropped
    QCOMPARE(*t->decode(std::vector<int>{0, 3, 5}), std::string("ab"));
  }
};

QTEST_APPLESS_MAIN(TestTokenizerHf)
#include "test_tokenizer_hf.moc"
