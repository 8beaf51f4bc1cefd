#pragma once
// Hugging Face tokenizer.json with a BPE model (Llama style: spaces as "▁", byte fallback).
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/model/tokenizer.h"

namespace quench::model {

class BpeTokenizer final : public Tokenizer {
 public:
  int vocabSize() const override { return static_cast<int>(m_pieces.size()); }
  int bosId() const override { return m_bos; }
  int eosId() const override { return m_eos; }
  /// Splits out added (special) tokens written literally, replaces spaces by "▁", maps characters
  /// to ids (byte fallback to <0xXX>, else the unknown token, consecutive unknowns fused), then
  /// applies merges lowest rank first, leftmost first. No "▁" is prepended (see tokenizer_hf.cpp).
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const override;
  std::string decodePiece(int prev, int token) const override;

  const std::string& piece(int id) const { return m_pieces[static_cast<std::size_t>(id)]; }

 private:
  friend Result<std::unique_ptr<BpeTokenizer>> parseHfTokenizer(std::string_view, const std::string&, int, int);
  void encodeSegment(std::string_view text, std::vector<int>& out) const;

  std::vector<std::string> m_pieces;                 // id → piece (with "▁" for space)
  std::unordered_map<std::string, int> m_ids;        // piece → id
  std::map<std::pair<int, int>, std::pair<int, int>> m_merges;  // (left, right) → (rank, merged id)
  std::vector<std::pair<std::string, int>> m_added;  // added tokens matched literally in text
  std::vector<bool> m_special;                       // id → decodes to nothing
  std::vector<int> m_byteIds = std::vector<int>(256, -1);
  int m_bos = -1, m_eos = -1, m_unk = -1;
  bool m_byteFallback = false;
  bool m_fuseUnk = false;
};

/// Parse tokenizer.json text; `name` names the file in errors. `bos`/`eos` are the ids that
/// config.json gives (bos_token_id, eos_token_id); they must lie in the vocabulary.
Result<std::unique_ptr<BpeTokenizer>> parseHfTokenizer(std::string_view json, const std::string& name, int bos,
                                                       int eos);
/// Read and parse a tokenizer.json file.
Result<std::unique_ptr<BpeTokenizer>> loadHfTokenizer(const std::filesystem::path& path, int bos, int eos);

}  // namespace quench::model
