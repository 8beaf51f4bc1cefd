#include "core/model/tokenizer_llama2c.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <queue>

#include "core/io/mapped_file.h"
#include "core/model/token_text.h"
#include "core/model/tokenizer_bpe.h"
#include "core/model/unicode_text.h"

namespace quench::model {

SpmTokenizer::SpmTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int bos, int eos, int unk)
    : m_pieces(std::move(pieces)), m_scores(std::move(scores)), m_bos(bos), m_eos(eos), m_unk(unk) {
  m_ids.reserve(m_pieces.size());
  for (std::size_t i = 0; i < m_pieces.size(); ++i) m_ids[m_pieces[i]] = static_cast<int>(i);
}

void SpmTokenizer::setGguf(GgufExtras extras) {
  m_attrs = std::move(extras.attrs);
  m_specials = std::move(extras.specials);
  m_addBos = extras.addBos;
  m_addEos = extras.addEos;
  m_description = std::move(extras.description);
  m_escapeSpaces = true;
}

int SpmTokenizer::lookup(std::string_view s) const {
  auto it = m_ids.find(s);
  return it == m_ids.end() ? -1 : it->second;
}

int SpmTokenizer::byteToken(unsigned char b) const {
  // llama.cpp's byte_to_token: "<0xXX>" (upper-case hex), else the piece that is the byte itself.
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char hex[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
  if (const int id = lookup(std::string_view(hex, 6)); id >= 0) return id;
  const char raw = static_cast<char>(b);
  return lookup(std::string_view(&raw, 1));
}

bool SpmTokenizer::isSpecial(int id) const {
  if (m_attrs.empty()) return id == m_bos || id == m_eos || id == m_unk;
  return (m_attrs[static_cast<std::size_t>(id)] & (kAttrControl | kAttrUnknown)) != 0;
}

void SpmTokenizer::encodeFragment(const std::string& text, std::vector<int>& out) const {
  // Symbols are the characters of `text` (by their UTF-8 lead byte, unvalidated); adjacent
  // symbols whose concatenation is a piece are merged, highest score first, leftmost among equal
  // scores, until no adjacent pair forms a piece. What remains is a piece, or bytes.
  struct Symbol {
    std::size_t begin, size;
    int prev, next;
  };
  std::vector<Symbol> sym;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(utf8::leadLength(static_cast<unsigned char>(text[i])), text.size() - i);
    const int k = static_cast<int>(sym.size());
    sym.push_back({i, n, k - 1, i + n < text.size() ? k + 1 : -1});
    i += n;
  }
  struct Bigram {
    float score;
    int left, right;
    std::size_t size;
  };
  auto worse = [](const Bigram& a, const Bigram& b) { return a.score != b.score ? a.score < b.score : a.left > b.left; };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
  const std::string_view t(text);
  auto tryAdd = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    const Symbol& a = sym[static_cast<std::size_t>(l)];
    const Symbol& b = sym[static_cast<std::size_t>(r)];
    const int id = lookup(t.substr(a.begin, a.size + b.size));
    if (id < 0) return;
    queue.push({m_scores[static_cast<std::size_t>(id)], l, r, a.size + b.size});
  };
  for (int i = 1; i < static_cast<int>(sym.size()); ++i) tryAdd(i - 1, i);
  while (!queue.empty()) {
    const Bigram g = queue.top();
    queue.pop();
    Symbol& l = sym[static_cast<std::size_t>(g.left)];
    Symbol& r = sym[static_cast<std::size_t>(g.right)];
    // Stale when either side was merged away or grew since the pair was queued (sizes only grow).
    if (l.size == 0 || r.size == 0 || l.size + r.size != g.size) continue;
    l.size += r.size;
    r.size = 0;
    l.next = r.next;
    if (r.next >= 0) sym[static_cast<std::size_t>(r.next)].prev = g.left;
    tryAdd(l.prev, g.left);
    tryAdd(g.left, l.next);
  }
  for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[static_cast<std::size_t>(i)].next) {
    const Symbol& s = sym[static_cast<std::size_t>(i)];
    if (const int id = lookup(t.substr(s.begin, s.size)); id >= 0) {
      out.push_back(id);
      continue;
    }
    // Only unmerged characters can fail the lookup (merges always form pieces): their bytes.
    for (std::size_t j = 0; j < s.size; ++j) {
      const int b = byteToken(static_cast<unsigned char>(text[s.begin + j]));
      if (b >= 0) out.push_back(b);
      else if (m_unk >= 0) out.push_back(m_unk);
    }
  }
}

std::vector<int> SpmTokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> ids;
  if (bos && m_bos >= 0) ids.push_back(m_bos);
  bool prevSpecial = true;  // the text start counts as "after a special token"
  for (const Fragment& f : m_specials.partition(text)) {
    if (f.token >= 0) {
      ids.push_back(f.token);
      prevSpecial = true;
      continue;
    }
    std::string piece;
    if (m_addSpacePrefix && prevSpecial) piece = " ";
    piece += text.substr(f.begin, f.end - f.begin);
    if (m_escapeSpaces) {
      std::string escaped;
      escaped.reserve(piece.size() + piece.size() / 4);
      for (char c : piece) {
        if (c == ' ') escaped += "\xE2\x96\x81";  // U+2581 "▁"
        else escaped += c;
      }
      piece = std::move(escaped);
    }
    encodeFragment(piece, ids);
    prevSpecial = false;
  }
  if (eos && m_eos >= 0) ids.push_back(m_eos);
  return ids;
}

std::string SpmTokenizer::decodePiece(int prev, int token) const {
  if (isSpecial(token)) return {};
  std::string p = piece(token);
  const std::uint8_t attr = m_attrs.empty() ? std::uint8_t{kAttrNormal} : m_attrs[static_cast<std::size_t>(token)];
  if (attr & kAttrUserDefined) return p;
  if (const int b = byteTokenValue(p); b >= 0 && (m_attrs.empty() || (attr & kAttrByte)))
    return std::string(1, static_cast<char>(b));
  if (m_escapeSpaces) {
    std::string out;
    for (std::size_t i = 0; i < p.size();) {
      if (p.compare(i, 3, "\xE2\x96\x81") == 0) {
        out += ' ';
        i += 3;
      } else {
        out += p[i++];
      }
    }
    p = std::move(out);
  }
  // The prefix space of the first word is not part of the text.
  if (m_addSpacePrefix && (prev < 0 || isSpecial(prev)) && !p.empty() && p.front() == ' ') p.erase(0, 1);
  return p;
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
