#include "core/model/tokenizer_bpe.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "core/model/merge_queue.h"
#include "core/model/token_text.h"
#include "core/model/unicode_text.h"

namespace quench::model {

namespace {

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  out.reserve(s.size());
  std::size_t at = 0;
  for (std::size_t hit = s.find(from); hit != std::string::npos; hit = s.find(from, at)) {
    out.append(s, at, hit - at);
    out.append(to);
    at = hit + from.size();
  }
  out.append(s, at, std::string::npos);
  return out;
}

// UTF-8 ↔ UTF-16 around an ICU call; `text` is valid UTF-8 (sanitized before).
template <class Fn>
std::string throughUtf16(std::string_view text, Fn fn) {
  if (text.empty()) return {};
  UErrorCode err = U_ZERO_ERROR;
  int32_t n16 = 0;
  u_strFromUTF8(nullptr, 0, &n16, text.data(), static_cast<int32_t>(text.size()), &err);
  err = U_ZERO_ERROR;
  std::u16string src(static_cast<std::size_t>(n16), u'\0');
  u_strFromUTF8(src.data(), n16, nullptr, text.data(), static_cast<int32_t>(text.size()), &err);
  if (U_FAILURE(err)) return std::string(text);
  std::u16string dst = fn(src);
  err = U_ZERO_ERROR;
  int32_t n8 = 0;
  u_strToUTF8(nullptr, 0, &n8, dst.data(), static_cast<int32_t>(dst.size()), &err);
  err = U_ZERO_ERROR;
  std::string out(static_cast<std::size_t>(n8), '\0');
  u_strToUTF8(out.data(), n8, nullptr, dst.data(), static_cast<int32_t>(dst.size()), &err);
  return U_FAILURE(err) ? std::string(text) : out;
}

std::u16string icuNormalize(const UNormalizer2* norm, const std::u16string& src) {
  UErrorCode err = U_ZERO_ERROR;
  const int32_t need = unorm2_normalize(norm, src.data(), static_cast<int32_t>(src.size()), nullptr, 0, &err);
  err = U_ZERO_ERROR;
  std::u16string dst(static_cast<std::size_t>(need), u'\0');
  unorm2_normalize(norm, src.data(), static_cast<int32_t>(src.size()), dst.data(), need, &err);
  return U_FAILURE(err) ? src : dst;
}

std::u16string icuLower(const std::u16string& src) {
  UErrorCode err = U_ZERO_ERROR;
  const int32_t need = u_strToLower(nullptr, 0, src.data(), static_cast<int32_t>(src.size()), "", &err);
  err = U_ZERO_ERROR;
  std::u16string dst(static_cast<std::size_t>(need), u'\0');
  u_strToLower(dst.data(), need, src.data(), static_cast<int32_t>(src.size()), "", &err);
  return U_FAILURE(err) ? src : dst;
}

const UNormalizer2* normalizerInstance(NormalizerStep::Kind k) {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* n = nullptr;
  switch (k) {
    case NormalizerStep::Kind::Nfc: n = unorm2_getNFCInstance(&err); break;
    case NormalizerStep::Kind::Nfd: n = unorm2_getNFDInstance(&err); break;
    case NormalizerStep::Kind::Nfkc: n = unorm2_getNFKCInstance(&err); break;
    case NormalizerStep::Kind::Nfkd: n = unorm2_getNFKDInstance(&err); break;
    default: break;
  }
  return U_FAILURE(err) ? nullptr : n;
}

std::string strip(std::string_view s, bool left, bool right) {
  std::size_t b = 0, e = s.size();
  if (left)
    while (b < e) {
      std::size_t i = b;
      if (!utf8::isWhiteSpace(utf8::decode(s, i))) break;
      b = i;
    }
  if (right)
    while (e > b) {
      std::size_t p = e - 1;
      while (p > b && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
      std::size_t i = p;
      if (!utf8::isWhiteSpace(utf8::decode(s, i)) || i != e) break;
      e = p;
    }
  return std::string(s.substr(b, e - b));
}

std::string hexByteToken(unsigned b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
}

}  // namespace

std::string applyNormalizer(const std::vector<NormalizerStep>& steps, std::string_view text) {
  std::string s(text);
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::Prepend:
        if (!s.empty()) s.insert(0, step.to);
        break;
      case NormalizerStep::Kind::Replace:
        s = replaceAll(std::move(s), step.from, step.to);
        break;
      case NormalizerStep::Kind::ReplaceRegex: {
        std::string out;
        std::size_t at = 0;
        for (const auto& [b, e] : step.regex->matches(s)) {
          out.append(s, at, b - at);
          out += step.to;
          at = e;
        }
        out.append(s, at, std::string::npos);
        s = std::move(out);
        break;
      }
      case NormalizerStep::Kind::Nfc:
      case NormalizerStep::Kind::Nfd:
      case NormalizerStep::Kind::Nfkc:
      case NormalizerStep::Kind::Nfkd:
        if (const UNormalizer2* n = normalizerInstance(step.kind))
          s = throughUtf16(s, [n](const std::u16string& u) { return icuNormalize(n, u); });
        break;
      case NormalizerStep::Kind::Lowercase:
        s = throughUtf16(s, icuLower);
        break;
      case NormalizerStep::Kind::Strip:
        s = strip(s, step.left, step.right);
        break;
    }
  }
  return s;
}

BpeTokenizer::BpeTokenizer(BpeSpec spec) : m_s(std::move(spec)) {
  m_byteTokens.fill(-1);
  for (unsigned b = 0; b < 256; ++b) {
    auto it = m_s.ids.find(hexByteToken(b));
    if (it != m_s.ids.end()) m_byteTokens[b] = it->second;
  }
}

int BpeTokenizer::lookup(std::string_view s) const {
  auto it = m_s.ids.find(std::string(s));
  return it == m_s.ids.end() ? -1 : it->second;
}

std::string BpeTokenizer::normalize(std::string_view text) const { return applyNormalizer(m_s.normalizer, text); }

void BpeTokenizer::encodeWord(const std::string& word, std::vector<int>& out) const {
  if (word.empty()) return;
  if (m_s.ignoreMerges)
    if (const int id = lookup(word); id >= 0) {
      out.push_back(id);
      return;
    }
  // Initial symbols: one per character. Characters outside the vocabulary get a negative
  // placeholder −(k + 2) (k indexes `unknown`) so that they never merge.
  std::vector<int> seq;
  std::vector<std::string_view> unknown;
  const std::string_view w(word);
  const bool hf = m_s.flavor == BpeSpec::Flavor::HuggingFace;
  for (std::size_t i = 0; i < w.size();) {
    const std::size_t n = std::min(utf8::leadLength(static_cast<unsigned char>(w[i])), w.size() - i);
    const std::string_view ch = w.substr(i, n);
    i += n;
    if (const int id = lookup(ch); id >= 0) {
      seq.push_back(id);
      continue;
    }
    if (!hf) {
      seq.push_back(-static_cast<int>(unknown.size()) - 2);
      unknown.push_back(ch);
      continue;
    }
    // tokenizers' BPE: <0xXX> tokens for every byte when all exist (byte_fallback), else the
    // unknown token (consecutive unknowns fused when fuse_unk), else the character is dropped.
    bool allBytes = m_s.byteFallback;
    for (std::size_t j = 0; j < ch.size() && allBytes; ++j) allBytes = m_byteTokens[static_cast<unsigned char>(ch[j])] >= 0;
    if (allBytes) {
      for (char b : ch) seq.push_back(m_byteTokens[static_cast<unsigned char>(b)]);
    } else if (m_s.unk >= 0) {
      // Fusing joins a run of unknown characters; the previous symbol is the unknown token
      // only if it came from an unknown character (unk itself is never a character's token here).
      if (!(m_s.fuseUnk && !seq.empty() && seq.back() == m_s.unk)) seq.push_back(m_s.unk);
    }
  }
  detail::mergeGreedy(seq, [&](int a, int b) -> std::optional<std::pair<double, int>> {
    if (a < 0 || b < 0) return std::nullopt;
    auto it = m_s.merges.find((static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b));
    if (it == m_s.merges.end()) return std::nullopt;
    return std::pair<double, int>{-static_cast<double>(it->second.first), it->second.second};
  });
  for (int id : seq) {
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // llama.cpp: a symbol that is no token is emitted byte by byte, each byte as the token whose
    // text is that single byte when there is one (with byte-level pieces: only the ASCII
    // printables), else dropped.
    for (char b : unknown[static_cast<std::size_t>(-id - 2)])
      if (const int t = lookup(std::string_view(&b, 1)); t >= 0) out.push_back(t);
  }
}

void BpeTokenizer::encodeText(std::string_view text, bool atTextStart, std::vector<int>& out) const {
  std::vector<std::string> words{std::string(text)};
  if (m_s.preTokenizer) m_s.preTokenizer->apply(words, atTextStart);
  if (m_s.byteLevel) {
    const auto& map = utf8::byteToUnicode();
    for (std::string& w : words) {
      std::string mapped;
      mapped.reserve(w.size() * 2);
      for (char c : w) mapped += map[static_cast<unsigned char>(c)];
      w = std::move(mapped);
    }
  }
  for (const std::string& w : words) encodeWord(w, out);
}

std::vector<int> BpeTokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> ids;
  if (bos && m_s.bos >= 0) ids.push_back(m_s.bos);
  if (m_s.flavor == BpeSpec::Flavor::LlamaCpp) {
    // llama.cpp: special tokens are found in the raw bytes; each text fragment is then split by
    // the pre-tokenizer regexes (invalid UTF-8 reads as U+FFFD, as unicode_cpts_from_utf8 does).
    for (const Fragment& f : m_s.rawTokens.partition(text)) {
      if (f.token >= 0) ids.push_back(f.token);
      else encodeText(utf8::sanitize(text.substr(f.begin, f.end - f.begin)), f.begin == 0, ids);
    }
  } else {
    // tokenizers: text is a Rust string (invalid bytes become U+FFFD first); added tokens that
    // are not "normalized" are found in it, the rest is normalized, then "normalized" added
    // tokens are found in the normalized text, and what remains is pre-tokenized.
    const std::string clean = utf8::sanitize(text);
    for (const Fragment& f : m_s.rawTokens.partition(clean)) {
      if (f.token >= 0) {
        ids.push_back(f.token);
        continue;
      }
      const std::string norm = normalize(std::string_view(clean).substr(f.begin, f.end - f.begin));
      for (const Fragment& g : m_s.normalizedTokens.partition(norm)) {
        if (g.token >= 0) ids.push_back(g.token);
        else encodeText(std::string_view(norm).substr(g.begin, g.end - g.begin), f.begin == 0 && g.begin == 0, ids);
      }
    }
  }
  if (eos && m_s.eos >= 0) ids.push_back(m_s.eos);
  return ids;
}

std::string BpeTokenizer::decodePiece(int prev, int token) const {
  const std::uint8_t a = attr(token);
  if (a & (kAttrControl | kAttrUnknown)) return {};
  const std::string& p = piece(token);
  const bool first = prev < 0 || (attr(prev) & (kAttrControl | kAttrUnknown));
  if (m_s.flavor == BpeSpec::Flavor::LlamaCpp) {
    // llama.cpp's token_to_piece: user-defined tokens as written, byte tokens as their byte,
    // normal tokens through the inverse byte-level map.
    if (a & kAttrUserDefined) return p;
    if (const int b = byteTokenValue(p); (a & kAttrByte) && b >= 0) return std::string(1, static_cast<char>(b));
    std::string out;
    for (std::size_t i = 0; i < p.size();) {
      const std::size_t at = i;
      const int b = utf8::unicodeToByte(utf8::decode(p, i));
      if (b >= 0) out += static_cast<char>(b);
      else out.append(p, at, i - at);
    }
    return out;
  }
  std::string s = p;
  for (const DecoderStep& d : m_s.decoder) {
    switch (d.kind) {
      case DecoderStep::Kind::Replace:
        s = replaceAll(std::move(s), d.from, d.to);
        break;
      case DecoderStep::Kind::ByteFallback:
        if (const int b = byteTokenValue(s); b >= 0 && s == p) s = std::string(1, static_cast<char>(b));
        break;
      case DecoderStep::Kind::Fuse:
        break;
      case DecoderStep::Kind::Strip:
        if (first)
          for (int k = 0; k < d.start && s.compare(0, d.content.size(), d.content) == 0 && !d.content.empty(); ++k)
            s.erase(0, d.content.size());
        break;
      case DecoderStep::Kind::ByteLevel: {
        // tokenizers maps every character back to its byte; a token with a character outside the
        // alphabet keeps its own UTF-8 bytes.
        std::string out;
        bool all = true;
        for (std::size_t i = 0; i < s.size() && all;) {
          const int b = utf8::unicodeToByte(utf8::decode(s, i));
          if (b < 0) all = false;
          else out += static_cast<char>(b);
        }
        if (all) s = std::move(out);
        break;
      }
      case DecoderStep::Kind::Metaspace:
        s = replaceAll(std::move(s), d.from, " ");
        if (first && d.prefix && !s.empty() && s.front() == ' ') s.erase(0, 1);
        break;
    }
  }
  return s;
}

}  // namespace quench::model
