#include "core/divergence/kld_file.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace quench {
namespace {
// Plausibility limits for a header we do not trust: the largest published vocabularies are
// ~260k tokens and contexts ~1M; anything beyond is a corrupt or hostile file.
constexpr std::int32_t kMaxVocab = 1 << 22;
constexpr std::int32_t kMaxCtx = 1 << 22;
constexpr char kMagic[8] = {'_', 'l', 'o', 'g', 'i', 't', 's', '_'};
constexpr std::size_t kHeaderBytes = 8 + 3 * 4;

std::int32_t readI32(const std::uint8_t* b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
                          (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  std::int32_t v;
  std::memcpy(&v, &u, 4);
  return v;
}

float readF32(const std::uint8_t* b) {
  const std::int32_t i = readI32(b);
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

// a·b, false on overflow of std::uint64_t.
bool mulChecked(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}
}  // namespace

Result<LlamaKldFile> LlamaKldFile::open(const std::filesystem::path& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  return parse(std::move(*mapped));
}

Result<LlamaKldFile> LlamaKldFile::parse(std::shared_ptr<MappedFile> file) {
  const std::string& name = file->name();
  const auto bytes = file->bytes();
  auto fail = [&](const std::string& what) { return makeError(name + ": " + what); };
  if (bytes.size() < kHeaderBytes) return fail("too short for a llama.cpp KL-divergence header (20 bytes)");
  if (std::memcmp(bytes.data(), kMagic, 8) != 0)
    return fail("not a llama.cpp --kl-divergence-base file (magic is not \"_logits_\")");
  LlamaKldFile f;
  f.m_nCtx = readI32(bytes.data() + 8);
  f.m_nVocab = readI32(bytes.data() + 12);
  f.m_nChunk = readI32(bytes.data() + 16);
  std::ostringstream s;
  if (f.m_nCtx < 2 || f.m_nCtx > kMaxCtx) {
    s << "implausible n_ctx " << f.m_nCtx << " (expected 2.." << kMaxCtx << ")";
    return fail(s.str());
  }
  if (f.m_nVocab < 1 || f.m_nVocab > kMaxVocab) {
    s << "implausible n_vocab " << f.m_nVocab << " (expected 1.." << kMaxVocab << ")";
    return fail(s.str());
  }
  if (f.m_nChunk < 1) {
    s << "implausible n_chunk " << f.m_nChunk << " (expected >= 1)";
    return fail(s.str());
  }
  f.m_rowsPerChunk = static_cast<std::size_t>(f.m_nCtx - 1 - f.m_nCtx / 2);
  // Sizes, all with overflow checks (the header is untrusted).
  const std::uint64_t rowU16 = 2 * ((static_cast<std::uint64_t>(f.m_nVocab) + 1) / 2) + 4;
  std::uint64_t tokenCount = 0, tokenBytes = 0, rowCount = 0, rowsBytes = 0;
  bool ok = mulChecked(static_cast<std::uint64_t>(f.m_nChunk), static_cast<std::uint64_t>(f.m_nCtx), tokenCount) &&
            mulChecked(tokenCount, 4, tokenBytes) &&
            mulChecked(static_cast<std::uint64_t>(f.m_nChunk), f.m_rowsPerChunk, rowCount) &&
            mulChecked(rowCount, rowU16 * 2, rowsBytes);
  ok = ok && tokenBytes <= UINT64_MAX - kHeaderBytes && rowsBytes <= UINT64_MAX - kHeaderBytes - tokenBytes;
  const std::uint64_t expected = ok ? kHeaderBytes + tokenBytes + rowsBytes : 0;
  if (!ok) return fail("header sizes overflow (n_chunk × n_ctx × n_vocab too large)");
  if (expected != bytes.size()) {
    s << "size is " << bytes.size() << " bytes but the header (n_ctx " << f.m_nCtx << ", n_vocab " << f.m_nVocab
      << ", n_chunk " << f.m_nChunk << ") implies " << expected
      << (expected > bytes.size() ? " (truncated file?)" : " (trailing bytes?)");
    return fail(s.str());
  }
  f.m_rowBytes = static_cast<std::size_t>(rowU16 * 2);
  f.m_rowsOffset = kHeaderBytes + static_cast<std::size_t>(tokenBytes);
  f.m_tokens.resize(static_cast<std::size_t>(tokenCount));  // bounded by the file size checked above
  for (std::size_t i = 0; i < f.m_tokens.size(); ++i) {
    const std::int32_t t = readI32(bytes.data() + kHeaderBytes + 4 * i);
    if (t < 0 || t >= f.m_nVocab) {
      s << "token " << i << " (chunk " << i / static_cast<std::size_t>(f.m_nCtx) << ") is " << t
        << ", outside the vocabulary of " << f.m_nVocab;
      return fail(s.str());
    }
    f.m_tokens[i] = t;
  }
  f.m_file = std::move(file);
  // Every row's scale and floor must decode to finite log-probabilities ≤ ~0.
  for (std::size_t c = 0; c < static_cast<std::size_t>(f.m_nChunk); ++c) {
    for (std::size_t r = 0; r < f.m_rowsPerChunk; ++r) {
      const float scale = f.rowScale(c, r), minLp = f.rowMinLogProb(c, r);
      if (!std::isfinite(scale) || !std::isfinite(minLp) || scale < 0 || minLp > 0 ||
          !std::isfinite(scale * 65535.0f + minLp)) {  // the largest code, decoded in float as decodeRow does
        s << "chunk " << c << " row " << r << " has scale " << scale << " and min_log_prob " << minLp
          << " (must be finite, scale >= 0, min_log_prob <= 0)";
        return fail(s.str());
      }
    }
  }
  return f;
}

std::span<const std::int32_t> LlamaKldFile::chunkTokens(std::size_t chunk) const {
  return std::span<const std::int32_t>(m_tokens).subspan(chunk * static_cast<std::size_t>(m_nCtx),
                                                         static_cast<std::size_t>(m_nCtx));
}

std::int32_t LlamaKldFile::trueNextToken(std::size_t chunk, std::size_t row) const {
  return chunkTokens(chunk)[firstScoredPosition() + 1 + row];
}

std::span<const std::uint8_t> LlamaKldFile::rowBytes(std::size_t chunk, std::size_t row) const {
  return m_file->bytes().subspan(m_rowsOffset + (chunk * m_rowsPerChunk + row) * m_rowBytes, m_rowBytes);
}

float LlamaKldFile::rowScale(std::size_t chunk, std::size_t row) const { return readF32(rowBytes(chunk, row).data()); }

float LlamaKldFile::rowMinLogProb(std::size_t chunk, std::size_t row) const {
  return readF32(rowBytes(chunk, row).data() + 4);
}

void LlamaKldFile::decodeRow(std::size_t chunk, std::size_t row, std::span<float> out) const {
  const auto b = rowBytes(chunk, row);
  const float scale = readF32(b.data()), minLp = readF32(b.data() + 4);
  const std::uint8_t* codes = b.data() + 8;
  const std::size_t n = std::min(out.size(), static_cast<std::size_t>(m_nVocab));
  for (std::size_t v = 0; v < n; ++v) {
    const unsigned code = static_cast<unsigned>(codes[2 * v]) | (static_cast<unsigned>(codes[2 * v + 1]) << 8);
    out[v] = scale * static_cast<float>(code) + minLp;
  }
}

double llamaKldPerplexity(const LlamaKldFile& file) {
  std::vector<float> row(static_cast<std::size_t>(file.nVocab()));
  double sum = 0;
  for (std::size_t c = 0; c < static_cast<std::size_t>(file.nChunk()); ++c) {
    for (std::size_t r = 0; r < file.rowsPerChunk(); ++r) {
      file.decodeRow(c, r, row);
      sum += row[static_cast<std::size_t>(file.trueNextToken(c, r))];
    }
  }
  return std::exp(-sum / static_cast<double>(file.rowCount()));
}

}  // namespace quench
