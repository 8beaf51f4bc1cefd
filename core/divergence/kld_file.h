#pragma once
// Reader for the file `llama-perplexity --kl-divergence-base FILE` writes (MATH.md §11),
// little-endian:
//   char[8] "_logits_", int32 n_ctx, int32 n_vocab, int32 n_chunk, int32 tokens[n_chunk·n_ctx],
//   then per chunk n_ctx − 1 − ⌊n_ctx/2⌋ rows of 2·⌈n_vocab/2⌉ + 4 uint16 each:
//   float32 scale, float32 min_log_prob (in the first four uint16), then n_vocab codes with
//   ln p(v) = scale·code + min_log_prob.
// Row r of a chunk is the distribution after chunk position ⌊n_ctx/2⌋ + r; its true next token is
// the chunk's token at ⌊n_ctx/2⌋ + 1 + r. The file is hostile: every count is checked against the
// file size with overflow-checked arithmetic before anything is read or allocated.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "core/io/mapped_file.h"
#include "core/tensor/result.h"

namespace quench {

/// A parsed llama.cpp KL-divergence base file; rows are decoded on demand from the mapping.
class LlamaKldFile {
 public:
  /// Map and validate a file.
  static Result<LlamaKldFile> open(const std::filesystem::path& path);
  /// Validate bytes already mapped or in memory (fuzzers, tests).
  static Result<LlamaKldFile> parse(std::shared_ptr<MappedFile> file);

  std::int32_t nCtx() const { return m_nCtx; }
  std::int32_t nVocab() const { return m_nVocab; }
  std::int32_t nChunk() const { return m_nChunk; }
  /// Scored rows per chunk: n_ctx − 1 − ⌊n_ctx/2⌋ (63 for n_ctx = 128).
  std::size_t rowsPerChunk() const { return m_rowsPerChunk; }
  /// Scored rows in the file: nChunk · rowsPerChunk.
  std::size_t rowCount() const { return static_cast<std::size_t>(m_nChunk) * m_rowsPerChunk; }
  /// Chunk position after which row 0 is the distribution: ⌊n_ctx/2⌋.
  std::size_t firstScoredPosition() const { return static_cast<std::size_t>(m_nCtx / 2); }
  /// All tokens, (n_chunk, n_ctx) row-major, as stored (the first of each chunk is the original
  /// token, not the BOS llama.cpp substitutes when evaluating).
  std::span<const std::int32_t> tokens() const { return m_tokens; }
  /// The n_ctx tokens of one chunk.
  std::span<const std::int32_t> chunkTokens(std::size_t chunk) const;
  /// True next token of scored row r of a chunk: chunk token ⌊n_ctx/2⌋ + 1 + r (a validated
  /// vocabulary index).
  std::int32_t trueNextToken(std::size_t chunk, std::size_t row) const;
  /// Scale and min_log_prob of a row (nats per code, nats).
  float rowScale(std::size_t chunk, std::size_t row) const;
  float rowMinLogProb(std::size_t chunk, std::size_t row) const;
  /// Decode a row's natural-log probabilities into out (size nVocab): scale·code + min_log_prob.
  void decodeRow(std::size_t chunk, std::size_t row, std::span<float> out) const;
  /// The file's name (for messages).
  const std::string& name() const { return m_file->name(); }

 private:
  std::span<const std::uint8_t> rowBytes(std::size_t chunk, std::size_t row) const;

  std::shared_ptr<MappedFile> m_file;
  std::int32_t m_nCtx = 0, m_nVocab = 0, m_nChunk = 0;
  std::size_t m_rowsPerChunk = 0;
  std::size_t m_rowBytes = 0;     // bytes per row: 2·(2·⌈n_vocab/2⌉ + 4)
  std::size_t m_rowsOffset = 0;   // file offset of the first row
  std::vector<std::int32_t> m_tokens;  // (n_chunk, n_ctx)
};

/// Perplexity read back from the file: exp(−mean ln p(true next token)) over every scored row,
/// with ln p decoded from the file (so capped by each row's floor, MATH.md §11).
double llamaKldPerplexity(const LlamaKldFile& file);

}  // namespace quench
