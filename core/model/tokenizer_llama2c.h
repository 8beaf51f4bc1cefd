#pragma once
// SentencePiece-style tokenizer: pieces with scores, encoded by greedy best-score merges of
// adjacent pieces (llama.cpp's SPM session, llama2.c's run.c), with the dummy-prefix space and
// <0xXX> byte fallback. Used for llama2.c tokenizer.bin files and for GGUF "llama" vocabularies
// (tokenizer_gguf.h), where token types, special tokens in the text and add_space_prefix apply.
#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <unordered_map>

#include "core/model/added_tokens.h"
#include "core/model/tokenizer.h"

namespace quench::model {

/// Heterogeneous string hashing, so that string_view lookups allocate nothing.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using PieceIndex = std::unordered_map<std::string, int, StringHash, std::equal_to<>>;

class SpmTokenizer final : public Tokenizer {
 public:
  /// `pieces` as the file stores them; sizes must match. Defaults are llama2.c's: spaces are
  /// plain spaces in the pieces, a space is put in front of the text, no token types.
  SpmTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int bos, int eos, int unk);

  /// What a GGUF vocabulary adds (tokenizer_gguf.cpp).
  struct GgufExtras {
    std::vector<std::uint8_t> attrs;  // TokenAttr bits per id (tokenizer_bpe.h)
    AddedTokenMatcher specials;       // tokens matched in the text before splitting
    bool addBos = true, addEos = false;
    std::string description;
  };
  /// Switch to GGUF behaviour: pieces spell spaces "▁" (the text's spaces are escaped).
  void setGguf(GgufExtras extras);
  /// Put a space in front of each text that follows the start or a special token (llama.cpp's
  /// add_space_prefix, llama2.c's dummy prefix); on by default.
  void setAddSpacePrefix(bool on) { m_addSpacePrefix = on; }

  int vocabSize() const override { return static_cast<int>(m_pieces.size()); }
  int bosId() const override { return m_bos; }
  int eosId() const override { return m_eos; }
  bool addsBos() const override { return m_addBos && m_bos >= 0; }
  bool addsEos() const override { return m_addEos && m_eos >= 0; }
  std::string describe() const override { return m_description; }
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override;
  std::string decodePiece(int prev, int token) const override;

  const std::string& piece(int id) const { return m_pieces[static_cast<std::size_t>(id)]; }
  float score(int id) const { return m_scores[static_cast<std::size_t>(id)]; }

 private:
  int lookup(std::string_view s) const;
  int byteToken(unsigned char b) const;
  void encodeFragment(const std::string& text, std::vector<int>& out) const;
  bool isSpecial(int id) const;

  std::vector<std::string> m_pieces;
  std::vector<float> m_scores;
  PieceIndex m_ids;  // piece → id (the last id wins on duplicates, as llama.cpp's token_to_id)
  std::vector<std::uint8_t> m_attrs;  // empty for llama2.c
  AddedTokenMatcher m_specials;
  int m_bos, m_eos, m_unk;
  bool m_escapeSpaces = false;
  bool m_addSpacePrefix = true;
  bool m_addBos = true, m_addEos = false;
  std::string m_description = "llama2.c SentencePiece vocabulary";
};

/// Parse a llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32
/// length, bytes. `vocabSize` (from the model, > 0) is the number of tokens expected; `name`
/// names the file in errors. BOS = 1, EOS = 2, unknown = 0, as llama2.c assumes.
Result<std::unique_ptr<SpmTokenizer>> parseLlama2cTokenizer(std::span<const std::uint8_t> bytes, int vocabSize,
                                                            const std::string& name);
/// Read and parse a tokenizer.bin file.
Result<std::unique_ptr<SpmTokenizer>> loadLlama2cTokenizer(const std::filesystem::path& path, int vocabSize);

}  // namespace quench::model
