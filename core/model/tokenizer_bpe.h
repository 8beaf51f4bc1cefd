#pragma once
// Byte-pair encoding by merge ranks, the model of GGUF "gpt2" vocabularies and of tokenizer.json
// files (byte-level like GPT-2 / Llama 3 / Qwen2, or SentencePiece-style like Llama 2 with "▁"
// and <0xXX> byte fallback). The builders (tokenizer_gguf.cpp, tokenizer_hf.cpp) fill a BpeSpec
// from the file; the tokenizer runs: added tokens → normalizer → pre-tokenizer → (byte-level
// mapping) → merges → unknown handling.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/added_tokens.h"
#include "core/model/pretokenizer.h"
#include "core/model/regex.h"
#include "core/model/tokenizer.h"

namespace quench::model {

/// Token attributes (llama.cpp's token types; tokenizer.json added tokens map onto them).
enum TokenAttr : std::uint8_t {
  kAttrNormal = 1,
  kAttrUnknown = 2,
  kAttrControl = 4,      ///< special: decodes to nothing
  kAttrUserDefined = 8,  ///< matched literally before splitting, decodes to its own text
  kAttrUnused = 16,
  kAttrByte = 32,  ///< <0xXX>
};

/// One step of a tokenizer.json normalizer (Sequence flattened).
struct NormalizerStep {
  enum class Kind { Prepend, Replace, ReplaceRegex, Nfc, Nfd, Nfkc, Nfkd, Lowercase, Strip };
  Kind kind = Kind::Replace;
  std::string from, to;                 // Prepend: to; Replace: from → to
  std::shared_ptr<const Regex> regex;   // ReplaceRegex
  bool left = false, right = false;     // Strip
};

/// One step of a tokenizer.json decoder (Sequence flattened), applied to each token's text.
struct DecoderStep {
  enum class Kind { Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace };
  Kind kind = Kind::Fuse;
  std::string from, to;  // Replace; Metaspace: from = replacement
  std::string content;   // Strip: the character
  int start = 0;         // Strip: at most this many at the start of the text
  bool prefix = true;    // Metaspace: the encoder prepends (strip it from the first token)
};

struct BpeSpec {
  enum class Flavor { LlamaCpp, HuggingFace };
  Flavor flavor = Flavor::HuggingFace;
  std::string description;
  std::vector<std::string> pieces;            // id → piece as in the file
  std::vector<std::uint8_t> attrs;            // id → TokenAttr bits
  std::unordered_map<std::string, int> ids;   // piece → id (vocabulary pieces, not added tokens)
  std::unordered_map<std::uint64_t, std::pair<int, int>> merges;  // (left << 32 | right) → (rank, merged id)
  AddedTokenMatcher rawTokens;                // matched on the input text
  AddedTokenMatcher normalizedTokens;         // HF: matched on normalized text
  std::vector<NormalizerStep> normalizer;     // HF
  std::unique_ptr<PreTokenizer> preTokenizer; // may be null: the whole fragment is one word
  std::vector<DecoderStep> decoder;           // HF
  bool byteLevel = false;      // pieces are in GPT-2's byte alphabet
  bool ignoreMerges = false;   // a word that is a token is emitted whole
  bool byteFallback = false;   // HF: unknown characters as <0xXX> tokens
  bool fuseUnk = false;        // HF: consecutive unknown characters give one unknown token
  int unk = -1, bos = -1, eos = -1;
  bool addBos = false, addEos = false;
};

class BpeTokenizer final : public Tokenizer {
 public:
  explicit BpeTokenizer(BpeSpec spec);
  int vocabSize() const override { return static_cast<int>(m_s.pieces.size()); }
  int bosId() const override { return m_s.bos; }
  int eosId() const override { return m_s.eos; }
  bool addsBos() const override { return m_s.addBos && m_s.bos >= 0; }
  bool addsEos() const override { return m_s.addEos && m_s.eos >= 0; }
  std::string describe() const override { return m_s.description; }
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override;
  std::string decodePiece(int prev, int token) const override;

  const std::string& piece(int id) const { return m_s.pieces[static_cast<std::size_t>(id)]; }
  std::uint8_t attr(int id) const { return m_s.attrs[static_cast<std::size_t>(id)]; }

 private:
  void encodeText(std::string_view text, bool atTextStart, std::vector<int>& out) const;
  void encodeWord(const std::string& word, std::vector<int>& out) const;
  std::string normalize(std::string_view text) const;
  int lookup(std::string_view s) const;

  BpeSpec m_s;
  std::array<int, 256> m_byteTokens{};  // HF byte fallback: <0xXX> ids (−1 when absent)
};

/// Apply normalizer steps to `text` (valid UTF-8). Used for text and for the contents of
/// "normalized" added tokens.
std::string applyNormalizer(const std::vector<NormalizerStep>& steps, std::string_view text);

}  // namespace quench::model
