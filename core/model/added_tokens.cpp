#include "core/model/added_tokens.h"

#include <algorithm>
#include <list>

#include "core/model/unicode_text.h"

namespace quench::model {

namespace {
// C's isspace in the "C" locale, which llama.cpp uses for lstrip/rstrip.
bool asciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Rust's char::is_alphanumeric approximated by letters and numbers; tokenizers uses it to decide
// whether a single_word token sits inside a word. Only ASCII and Latin-1 letters are classified
// here without tables; any other non-ASCII character counts as a word character (conservative:
// a single_word token next to it is not matched).
bool wordChar(std::uint32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return !utf8::isWhiteSpace(cp) && !(cp >= 0x80 && cp <= 0xBF) && cp != 0xD7 && cp != 0xF7;
}

// The last code point of s (valid UTF-8 assumed for HF text) or 0.
std::uint32_t lastCodePoint(std::string_view s) {
  if (s.empty()) return 0;
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 && s.size() - i < 4) --i;
  std::size_t j = i;
  return utf8::decode(s, j);
}
}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens, Style style) : m_style(style) {
  for (auto& t : tokens)
    if (!t.content.empty()) m_tokens.push_back(std::move(t));
  std::stable_sort(m_tokens.begin(), m_tokens.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() != b.content.size() ? a.content.size() > b.content.size() : a.id < b.id;
  });
  m_trie.emplace_back();
  for (std::size_t t = 0; t < m_tokens.size(); ++t) {
    int node = 0;
    for (unsigned char b : m_tokens[t].content) {
      int next = child(node, b);
      if (next < 0) {
        next = static_cast<int>(m_trie.size());
        m_trie.emplace_back();
        auto& ch = m_trie[static_cast<std::size_t>(node)].children;
        ch.insert(std::upper_bound(ch.begin(), ch.end(), std::make_pair(b, -1)), {b, next});
      }
      node = next;
    }
    // Two tokens with the same content: the first in priority order wins.
    if (m_trie[static_cast<std::size_t>(node)].token < 0) m_trie[static_cast<std::size_t>(node)].token = static_cast<int>(t);
  }
}

int AddedTokenMatcher::child(int node, unsigned char b) const {
  const auto& ch = m_trie[static_cast<std::size_t>(node)].children;
  auto it = std::lower_bound(ch.begin(), ch.end(), std::make_pair(b, -1));
  return it != ch.end() && it->first == b ? it->second : -1;
}

void AddedTokenMatcher::matchesAt(std::string_view text, std::size_t at, std::vector<int>& out) const {
  int node = 0;
  for (std::size_t i = at; i < text.size(); ++i) {
    node = child(node, static_cast<unsigned char>(text[i]));
    if (node < 0) return;
    if (m_trie[static_cast<std::size_t>(node)].token >= 0) out.push_back(m_trie[static_cast<std::size_t>(node)].token);
  }
}

std::vector<Fragment> AddedTokenMatcher::partition(std::string_view text) const {
  if (text.empty()) return {};
  if (m_tokens.empty()) return {Fragment{0, text.size(), -1}};
  return m_style == Style::LlamaCpp ? partitionLlamaCpp(text) : partitionHf(text);
}

std::vector<Fragment> AddedTokenMatcher::partitionLlamaCpp(std::string_view text) const {
  // Which tokens occur at all (one scan with the trie), so that the priority loop below, which
  // searches the text once per token as llama.cpp does, only visits those.
  std::vector<char> occurs(m_tokens.size(), 0);
  std::vector<int> found;
  for (std::size_t at = 0; at < text.size(); ++at) {
    found.clear();
    matchesAt(text, at, found);
    for (int t : found) occurs[static_cast<std::size_t>(t)] = 1;
  }
  std::list<Fragment> frags{Fragment{0, text.size(), -1}};
  for (std::size_t t = 0; t < m_tokens.size(); ++t) {
    if (!occurs[t]) continue;
    const AddedToken& tok = m_tokens[t];
    for (auto it = frags.begin(); it != frags.end(); ++it) {
      if (it->token >= 0) continue;
      std::size_t base = it->begin, end = it->end;
      // Replace this text fragment by [left text] token [right text]... for every occurrence.
      while (true) {
        const std::size_t match = text.substr(0, end).find(tok.content, base);
        if (match == std::string_view::npos) break;
        std::size_t leftEnd = match;
        if (tok.lstrip)
          while (leftEnd > base && asciiSpace(text[leftEnd - 1])) --leftEnd;
        if (leftEnd > base) frags.insert(it, Fragment{base, leftEnd, -1});
        frags.insert(it, Fragment{match, match + tok.content.size(), tok.id});
        std::size_t right = match + tok.content.size();
        if (tok.rstrip)
          while (right < end && asciiSpace(text[right])) ++right;
        base = right;
        if (base >= end) break;
      }
      if (base == it->begin) continue;  // no occurrence in this fragment
      if (base < end) {
        it->begin = base;  // the remaining right part stays as the current fragment
      } else {
        it = frags.erase(it);
        --it;
      }
    }
  }
  return {frags.begin(), frags.end()};
}

std::vector<Fragment> AddedTokenMatcher::partitionHf(std::string_view text) const {
  std::vector<Fragment> out;
  std::size_t start = 0;  // end of the previous token (text before it not yet emitted)
  std::vector<int> found;
  for (std::size_t at = 0; at < text.size();) {
    found.clear();
    matchesAt(text, at, found);
    int chosen = -1;
    // Longest match first; a single_word token inside a word does not match.
    for (auto it = found.rbegin(); it != found.rend() && chosen < 0; ++it) {
      const AddedToken& tok = m_tokens[static_cast<std::size_t>(*it)];
      if (tok.singleWord) {
        const std::size_t stop = at + tok.content.size();
        std::size_t j = stop;
        const bool before = at > 0 && wordChar(lastCodePoint(text.substr(0, at)));
        const bool after = stop < text.size() && wordChar(utf8::decode(text, j));
        if (before || after) continue;
      }
      chosen = *it;
    }
    if (chosen < 0) {
      ++at;
      continue;
    }
    const AddedToken& tok = m_tokens[static_cast<std::size_t>(chosen)];
    std::size_t begin = at, stop = at + tok.content.size();
    if (tok.lstrip) {
      // Back over whitespace code points, never into the previous token.
      while (begin > start) {
        std::size_t p = begin - 1;
        while (p > start && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
        std::size_t q = p;
        if (!utf8::isWhiteSpace(utf8::decode(text, q)) || q != begin) break;
        begin = p;
      }
    }
    if (tok.rstrip) {
      while (stop < text.size()) {
        std::size_t q = stop;
        if (!utf8::isWhiteSpace(utf8::decode(text, q))) break;
        stop = q;
      }
    }
    if (begin > start) out.push_back(Fragment{start, begin, -1});
    out.push_back(Fragment{begin, stop, tok.id});
    start = stop;
    at = stop;
  }
  if (start < text.size()) out.push_back(Fragment{start, text.size(), -1});
  return out;
}

}  // namespace quench::model
