#pragma once
// Special and added tokens written literally in the text: found before any splitting, they become
// their ids and the text between them is tokenized normally (private to core/model). Two
// matchers: llama.cpp's (tokenizer_st_partition: tokens by priority, longest first, each taking
// every occurrence in what is left) and Hugging Face tokenizers' (leftmost-longest scan).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace quench::model {

struct AddedToken {
  std::string content;  ///< the text that becomes the token (for HF "normalized" tokens: normalized)
  int id = -1;
  bool lstrip = false;      ///< swallow whitespace on its left
  bool rstrip = false;      ///< swallow whitespace on its right
  bool singleWord = false;  ///< HF: only when not inside a word
};

/// A piece of the partitioned text: a token (`token` ≥ 0) or text [begin, end) of the input.
struct Fragment {
  std::size_t begin = 0, end = 0;
  int token = -1;
};

/// Finds added tokens in text.
class AddedTokenMatcher {
 public:
  enum class Style { LlamaCpp, HuggingFace };
  AddedTokenMatcher() = default;
  /// `tokens` with empty contents are ignored. LlamaCpp: priority = longer content first, then
  /// lower id (llama.cpp sorts by length only; equal lengths rarely overlap); strips ASCII
  /// whitespace. HuggingFace: at each position the longest token, leftmost first; strips Unicode
  /// White_Space; honours single_word.
  AddedTokenMatcher(std::vector<AddedToken> tokens, Style style);

  bool empty() const { return m_tokens.empty(); }
  /// Partition `text` (which may be any bytes) into tokens and text fragments. Stripped
  /// whitespace belongs to no fragment. Empty text gives no fragment.
  std::vector<Fragment> partition(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int>> children;  // byte → node, sorted by byte
    int token = -1;                                       // index into m_tokens ending here
  };
  int child(int node, unsigned char b) const;
  /// Indices of tokens that start at `at`, longest last.
  void matchesAt(std::string_view text, std::size_t at, std::vector<int>& out) const;
  std::vector<Fragment> partitionLlamaCpp(std::string_view text) const;
  std::vector<Fragment> partitionHf(std::string_view text) const;

  std::vector<AddedToken> m_tokens;  // in priority order for LlamaCpp
  std::vector<Node> m_trie;
  Style m_style = Style::LlamaCpp;
};

}  // namespace quench::model
