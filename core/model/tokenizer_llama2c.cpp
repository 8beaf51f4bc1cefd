#include "core/model/tokenizer_llama2c.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/io/mapped_file.h"
#include "core/model/merge_queue.h"
#include "core/model/token_text.h"

namespace quench::model {

SpmTokenizer::SpmTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int bos, int eos, int unk)
    : m_pieces(std::move(pieces)), m_scores(std::move(scores)), m_bos(bos), m_eos(eos), m_unk(unk) {
  m_byteIds.fill(-1);
  for (std::size_t i = 0; i < m_pieces.size(); ++i) {
    m_ids.emplace(m_pieces[i], static_cast<int>(i));
    const int b = byteTokenValue(m_pieces[i]);
    if (b >= 0 && m_byteIds[static_cast<std::size_t>(b)] < 0) m_byteIds[static_cast<std::size_t>(b)] = static_cast<int>(i);
  }
}

int SpmTokenizer::lookup(std::string_view s) const {
  auto it = m_ids.find(std::string(s));
  return it == m_ids.end() ? -1 : it->second;
}

std::vector<int> SpmTokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> ids;
  if (bos) ids.push_back(m_bos);
  std::vector<int> seq;
  // SentencePiece adds a dummy space in front of non-empty text ("Hello" → "▁Hello").
  std::string prefixed;
  if (!text.empty()) prefixed = " ";
  prefixed += text;
  // 1. one token per UTF-8 character, or its bytes as <0xXX> tokens when the character is unknown
  for (std::size_t i = 0; i < prefixed.size();) {
    const std::size_t n = std::min(utf8Length(static_cast<unsigned char>(prefixed[i])), prefixed.size() - i);
    const int id = lookup(std::string_view(prefixed).substr(i, n));
    if (id >= 0) {
      seq.push_back(id);
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        const int b = m_byteIds[static_cast<unsigned char>(prefixed[i + j])];
        seq.push_back(b >= 0 ? b : m_unk);
      }
    }
    i += n;
  }
  // 2. repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece
  //    (leftmost on ties), as run.c does, until no pair forms a piece.
  std::string merged;
  detail::mergeGreedy(seq, [&](int a, int b) -> std::optional<std::pair<double, int>> {
    merged = piece(a);
    merged += piece(b);
    const int id = lookup(merged);
    if (id < 0) return std::nullopt;
    return std::pair<double, int>{m_scores[static_cast<std::size_t>(id)], id};
  });
  ids.insert(ids.end(), seq.begin(), seq.end());
  if (eos) ids.push_back(m_eos);
  return ids;
}

std::string SpmTokenizer::decodePiece(int prev, int token) const {
  if (token == m_bos || token == m_eos || token == m_unk) return {};
  std::string_view p = piece(token);
  // The dummy-prefix space of the first word is not part of the text.
  if ((prev == m_bos || prev < 0) && !p.empty() && p.front() == ' ') p.remove_prefix(1);
  if (const int b = byteTokenValue(p); b >= 0) return std::string(1, static_cast<char>(b));
  return std::string(p);
}

Result<std::unique_ptr<SpmTokenizer>> parseLlama2cTokenizer(std::span<const std::uint8_t> bytes, int vocabSize,
                                                            const std::string& name) {
  auto bad = [&](const std::string& what) { return makeError(name + ": invalid llama2.c tokenizer: " + what); };
  if (vocabSize <= 0 || vocabSize > (1 << 20)) return bad("vocabulary size " + std::to_string(vocabSize) + " out of range");
  std::size_t pos = 0;
  auto readI32 = [&](std::int32_t& v) {
    if (bytes.size() - pos < 4) return false;
    std::uint32_t u = 0;
    for (int i = 0; i < 4; ++i) u |= static_cast<std::uint32_t>(bytes[pos + i]) << (8 * i);
    std::memcpy(&v, &u, 4);
    pos += 4;
    return true;
  };
  std::int32_t maxLen = 0;
  if (!readI32(maxLen)) return bad("file shorter than its 4-byte header");
  if (maxLen <= 0 || maxLen > 4096) return bad("max_token_length " + std::to_string(maxLen) + " out of range");
  std::vector<std::string> pieces;
  std::vector<float> scores;
  pieces.reserve(static_cast<std::size_t>(vocabSize));
  for (int i = 0; i < vocabSize; ++i) {
    std::int32_t scoreBits = 0, len = 0;
    if (!readI32(scoreBits) || !readI32(len))
      return bad("truncated at token " + std::to_string(i) + " of " + std::to_string(vocabSize));
    float score;
    std::memcpy(&score, &scoreBits, 4);
    if (!std::isfinite(score)) return bad("token " + std::to_string(i) + " has a non-finite score");
    if (len < 0 || len > maxLen)
      return bad("token " + std::to_string(i) + " has length " + std::to_string(len) + " (max_token_length " +
                 std::to_string(maxLen) + ")");
    if (bytes.size() - pos < static_cast<std::size_t>(len))
      return bad("token " + std::to_string(i) + " runs past the end of the file");
    pieces.emplace_back(reinterpret_cast<const char*>(bytes.data() + pos), static_cast<std::size_t>(len));
    scores.push_back(score);
    pos += static_cast<std::size_t>(len);
  }
  if (pos != bytes.size())
    return bad(std::to_string(bytes.size() - pos) + " bytes left after " + std::to_string(vocabSize) +
               " tokens (tokenizer and model vocabularies differ)");
  if (vocabSize < 3) return bad("fewer than 3 tokens (unknown, BOS, EOS)");
  return std::make_unique<SpmTokenizer>(std::move(pieces), std::move(scores), 1, 2, 0);
}

Result<std::unique_ptr<SpmTokenizer>> loadLlama2cTokenizer(const std::filesystem::path& path, int vocabSize) {
  auto file = MappedFile::open(path);
  if (!file) return file.error();
  return parseLlama2cTokenizer((*file)->bytes(), vocabSize, path.string());
}

}  // namespace quench::model
