#pragma once
// SentencePiece-style tokenizer: pieces with scores, encoded by greedy best-score pair merges
// (llama2.c's run.c algorithm), with a dummy-prefix space and <0xXX> byte fallback. Used for
// llama2.c tokenizer.bin files and for GGUF vocabularies (tokenizer_gguf.h).
#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <unordered_map>

#include "core/model/tokenizer.h"

namespace quench::model {

class SpmTokenizer final : public Tokenizer {
 public:
  /// `pieces` use a plain space for SentencePiece's "▁" (callers convert). Sizes must match.
  SpmTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int bos, int eos, int unk);

  int vocabSize() const override { return static_cast<int>(m_pieces.size()); }
  int bosId() const override { return m_bos; }
  int eosId() const override { return m_eos; }
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override;
  std::string decodePiece(int prev, int token) const override;

  const std::string& piece(int id) const { return m_pieces[static_cast<std::size_t>(id)]; }
  float score(int id) const { return m_scores[static_cast<std::size_t>(id)]; }

 private:
  int lookup(std::string_view s) const;

  std::vector<std::string> m_pieces;
  std::vector<float> m_scores;
  std::unordered_map<std::string, int> m_ids;  // piece → id (first id wins on duplicates)
  std::array<int, 256> m_byteIds{};            // <0xXX> token of each byte, −1 when absent
  int m_bos, m_eos, m_unk;
};

/// Parse a llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32
/// length, bytes. `vocabSize` (from the model, > 0) is the number of tokens expected; `name`
/// names the file in errors. BOS = 1, EOS = 2, unknown = 0, as llama2.c assumes.
Result<std::unique_ptr<SpmTokenizer>> parseLlama2cTokenizer(std::span<const std::uint8_t> bytes, int vocabSize,
                                                            const std::string& name);
/// Read and parse a tokenizer.bin file.
Result<std::unique_ptr<SpmTokenizer>> loadLlama2cTokenizer(const std::filesystem::path& path, int vocabSize);

}  // namespace quench::model
