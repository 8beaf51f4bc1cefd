// GGUF vocabularies tokenized as llama.cpp does, checked against llama.cpp's own test set for the
// two vocabularies in ../shared/data/tokenizers (GPT-2 byte-level BPE, Llama 2 SentencePiece):
// every case of test-tokenizer-0's .inp must give exactly the ids of its .out. Plus special
// tokens (parse_special, user-defined tokens, llama.cpp's priority order), add_space_prefix, the
// prefix-space option, invalid UTF-8, and hostile vocabulary metadata.
#include <QtTest/QtTest>

#include <random>

#include "common/fuzzy.h"
#include "common/llamacpp_vocab_cases.h"
#include "core/io/formats.h"
#include "core/model/added_tokens.h"
#include "core/model/tokenizer_gguf.h"
#include "core/model/tokenizer_llama2c.h"
#include "core/model/unicode_text.h"

using namespace quench;
using namespace quench::model;

namespace {
QString vocabPath(const char* name) { return test::sharedData(QStringLiteral("tokenizers/ggml-vocab-%1.gguf").arg(name)); }

Metadata vocabMetadata(const char* name) {
  auto file = MappedFile::open(vocabPath(name).toStdString());
  if (!file) qFatal("%s", file.error().message.c_str());
  auto r = openGguf(*file);
  if (!r) qFatal("%s", r.error().message.c_str());
  return (*r)->metadata();
}

std::unique_ptr<Tokenizer> vocab(const Metadata& meta, const TokenizerOptions& o = {}) {
  auto t = ggufTokenizer(meta, "vocab.gguf", o);
  if (!t) qFatal("%s", t.error().message.c_str());
  return std::move(t).value();
}

Metadata with(Metadata m, const std::string& key, const std::string& value) {
  for (auto& [k, v] : m)
    if (k == key) {
      v = value;
      return m;
    }
  m.emplace_back(key, value);
  return m;
}

QString show(const std::vector<int>& ids) {
  QStringList s;
  for (int i : ids) s << QString::number(i);
  return s.join(' ');
}
}  // namespace

class TestTokenizerGguf : public QObject {
  Q_OBJECT
 private slots:
  void llamaCppTestSet_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("gpt-2") << "gpt-2";
    QTest::newRow("llama-spm") << "llama-spm";
  }
  void llamaCppTestSet() {
    QFETCH(QString, name);
    const auto cases = test::readVocabCases(vocabPath(name.toUtf8().constData()));
    QCOMPARE(cases.size(), std::size_t{46});
    const auto tok = vocab(vocabMetadata(name.toUtf8().constData()));
    int failures = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto got = tok->encode(cases[i].text, false, false);
      if (got != cases[i].ids) {
        ++failures;
        qWarning("case %zu '%s': llama.cpp %s, quench %s", i, cases[i].text.c_str(), qPrintable(show(cases[i].ids)),
                 qPrintable(show(got)));
      }
      // Decoding gives the text back (llama.cpp's test checks the same round trip).
      auto back = tok->decode(got);
      QVERIFY(back.ok());
      QCOMPARE(*back, cases[i].text);
    }
    QCOMPARE(failures, 0);
  }

  void describesItself() {
    QCOMPARE(vocab(vocabMetadata("gpt-2"))->describe(),
             std::string("GGUF byte-level BPE (gpt2), pre-tokenizer gpt-2, 50257 tokens"));
    const auto spm = vocab(vocabMetadata("llama-spm"));
    QCOMPARE(spm->describe(), std::string("GGUF SentencePiece (llama), 32000 tokens"));
    QVERIFY(spm->addsBos());  // tokenizer.ggml.add_bos_token = true
    QVERIFY(!vocab(vocabMetadata("gpt-2"))->addsBos());
  }

  void controlTokensNeedParseSpecial() {
    // GPT-2's <|endoftext|> (50256) is a control token: as text unless special tokens are parsed.
    const Metadata meta = vocabMetadata("gpt-2");
    const std::string text = "a<|endoftext|>b";
    const auto plain = vocab(meta)->encode(text, false, false);
    QVERIFY(std::find(plain.begin(), plain.end(), 50256) == plain.end());
    QCOMPARE(*vocab(meta)->decode(plain), text);
    TokenizerOptions o;
    o.parseSpecial = true;
    const auto parsed = vocab(meta, o)->encode(text, false, false);
    QCOMPARE(parsed, (std::vector<int>{64, 50256, 65}));  // "a" = 64, "b" = 65 in GPT-2's vocabulary
    // Llama 2: "<s>" in text is text by default (llama.cpp's test set has no such case).
    const auto spm = vocabMetadata("llama-spm");
    QVERIFY(vocab(spm)->encode("<s>", false, false) != std::vector<int>{1});
    QCOMPARE(vocab(spm, o)->encode("<s>", false, false), std::vector<int>{1});
    // After a special token SentencePiece puts its prefix space again: "<s>Hello" = <s> ▁Hello.
    QCOMPARE(vocab(spm, o)->encode("<s>Hello", false, false), (std::vector<int>{1, 15043}));
  }

  void userDefinedTokensInLlamaCppOrder() {
    // A user-defined token is matched whatever parse_special says. llama.cpp gives longer tokens
    // priority over the whole text ("abc" before "xa"), unlike a leftmost scan.
    Metadata m{{"tokenizer.ggml.model", "gpt2"},
               {"tokenizer.ggml.pre", "gpt-2"},
               {"tokenizer.ggml.tokens", R"(["a","b","c","x","abc","xa"])"},
               {"tokenizer.ggml.token_type", "[1,1,1,1,4,4]"},
               {"tokenizer.ggml.merges", "[]"}};
    QCOMPARE(vocab(m)->encode("xabc", false, false), (std::vector<int>{3, 4}));
    QCOMPARE(vocab(m)->encode("xab", false, false), (std::vector<int>{5, 1}));
    // The same tokens found Hugging Face's way (leftmost-longest) give "xa" first.
    AddedTokenMatcher hf({{"abc", 4}, {"xa", 5}}, AddedTokenMatcher::Style::HuggingFace);
    const auto f = hf.partition("xabc");
    QCOMPARE(f.size(), std::size_t{2});
    QCOMPARE(f[0].token, 5);
    QCOMPARE(f[1].token, -1);
    QCOMPARE(f[1].begin, std::size_t{2});
  }

  void addSpacePrefixAndTheOption() {
    const Metadata meta = vocabMetadata("llama-spm");
    QCOMPARE(vocab(meta)->encode("Hello", false, false), std::vector<int>{15043});  // "▁Hello"
    auto checkNoPrefix = [](const Tokenizer& t) {
      const auto ids = t.encode("Hello", false, false);
      QVERIFY(ids != std::vector<int>{15043});
      std::string pieces;
      for (int id : ids) pieces += dynamic_cast<const SpmTokenizer&>(t).piece(id);
      // (the file spells no space: no "▁" in front)
      QCOMPARE(pieces, std::string("Hello"));
    };
    checkNoPrefix(*vocab(with(meta, "tokenizer.ggml.add_space_prefix", "false")));
    TokenizerOptions o;
    o.prefixSpace = false;
    checkNoPrefix(*vocab(meta, o));
  }

  void invalidUtf8NeverFails() {
    const auto spm = vocab(vocabMetadata("llama-spm"));
    const auto bpe = vocab(vocabMetadata("gpt-2"));
    // SentencePiece: an invalid byte becomes its <0xXX> token (3 + byte), after the prefix "▁".
    QCOMPARE(spm->encode("\xFF", false, false), (std::vector<int>{29871, 3 + 0xFF}));
    // Byte-level BPE: llama.cpp reads an invalid byte as U+FFFD.
    QCOMPARE(bpe->encode("a\xFF", false, false), bpe->encode("a\xEF\xBF\xBD", false, false));
    std::mt19937 rng(11);
    for (int trial = 0; trial < 300; ++trial) {
      std::string s(rng() % 40, '\0');
      for (char& c : s) c = static_cast<char>(rng() % 256);
      for (const auto* t : {spm.get(), bpe.get()}) {
        const auto ids = t->encode(s, true, true);
        for (int id : ids) QVERIFY(id >= 0 && id < t->vocabSize());
        QVERIFY(t->decode(ids).ok());
      }
      // Valid text comes back from decoding, with both vocabularies (invalid bytes may not: a
      // "character" cut by llama.cpp's lead-byte rule can swallow the start of an escaped space).
      const std::string valid = utf8::sanitize(s);
      for (const auto* t : {spm.get(), bpe.get()})
        QVERIFY2(*t->decode(t->encode(valid, false, false)) == valid, qPrintable(QByteArray::fromStdString(valid).toHex()));
    }
  }

  void hostileVocabularies() {
    auto expectError = [](const Metadata& m, const char* needle) {
      auto r = ggufTokenizer(m, "bad.gguf");
      QVERIFY(!r.ok());
      QVERIFY2(r.error().message.find("bad.gguf") != std::string::npos, r.error().message.c_str());
      QVERIFY2(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
    };
    const Metadata base{{"tokenizer.ggml.model", "gpt2"},
                        {"tokenizer.ggml.pre", "gpt-2"},
                        {"tokenizer.ggml.tokens", R"(["a","b","ab"])"},
                        {"tokenizer.ggml.merges", R"(["a b"])"}};
    QVERIFY(ggufTokenizer(base, "ok.gguf").ok());
    expectError(with(base, "tokenizer.ggml.tokens", R"(["a","b","a"])"), "tokenizer.ggml.tokens[2] repeats token 0");
    expectError(with(base, "tokenizer.ggml.merges", R"(["a c"])"), "tokenizer.ggml.merges[0] 'a c' names a token");
    expectError(with(base, "tokenizer.ggml.merges", R"(["ab"])"), "tokenizer.ggml.merges[0]");
    expectError(with(base, "tokenizer.ggml.merges", R"([1])"), "tokenizer.ggml.merges[0] is not a string");
    expectError(with(base, "tokenizer.ggml.pre", "no-such-pre"), "unknown pre-tokenizer 'no-such-pre'");
    expectError(with(base, "tokenizer.ggml.pre", "kimi-k2"), "'kimi-k2' is not supported");
    expectError(with(base, "tokenizer.ggml.token_type", "[1,1]"), "tokenizer.ggml.token_type");
    expectError(with(base, "tokenizer.ggml.token_type", R"([1,"x",1])"), "tokenizer.ggml.token_type[1]");
    expectError(with(base, "tokenizer.ggml.add_bos_token", "maybe"), "tokenizer.ggml.add_bos_token");
    expectError(with(base, "tokenizer.ggml.eos_token_id", "3"), "tokenizer.ggml.eos_token_id");
    expectError(with(base, "tokenizer.ggml.tokens", "{}"), "tokenizer.ggml.tokens");
    expectError(with(base, "tokenizer.ggml.scores", "[0, null, 1]"), "tokenizer.ggml.scores[1]");
    Metadata noMerges = base;
    noMerges.pop_back();
    expectError(noMerges, "no tokenizer.ggml.merges");
  }
};

QTEST_APPLESS_MAIN(TestTokenizerGguf)
#include "test_tokenizer_gguf.moc"
