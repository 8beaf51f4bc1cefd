#pragma once
// Pre-tokenizers: the steps that cut (normalized) text into the words a BPE model encodes one by
// one. They follow Hugging Face tokenizers' semantics (Split with its behaviour and invert,
// ByteLevel, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit, Sequence); llama.cpp's
// named pre-tokenizers (tokenizer.ggml.pre) are lists of regexes applied as isolating splits one
// after the other, i.e. a Sequence of Split(Isolated) steps (private to core/model).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/regex.h"
#include "core/tensor/result.h"

namespace quench::model {

/// What a split does with the pieces the pattern matches (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

/// One pre-tokenization step. `pieces` are valid UTF-8; a step replaces each piece by its parts.
/// `atTextStart` is true when pieces.front() begins the whole input text (Metaspace "first").
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<std::string>& pieces, bool atTextStart) const = 0;
};

/// Split every piece by `regex` (matches and the gaps between them form a partition of the piece),
/// then keep/merge pieces as `behavior` says; `invert` swaps the roles of matches and gaps.
/// Empty pieces are dropped.
class RegexSplit final : public PreTokenizer {
 public:
  RegexSplit(Regex regex, SplitBehavior behavior, bool invert)
      : m_regex(std::move(regex)), m_behavior(behavior), m_invert(invert) {}
  void apply(std::vector<std::string>& pieces, bool atTextStart) const override;

 private:
  Regex m_regex;
  SplitBehavior m_behavior;
  bool m_invert;
};

/// tokenizers' ByteLevel pre-tokenizer: a space in front of each piece that does not start with
/// one (add_prefix_space), then GPT-2's regex split (use_regex). The byte → character mapping
/// itself is applied by the tokenizer to every final piece.
class ByteLevelSplit final : public PreTokenizer {
 public:
  ByteLevelSplit(bool addPrefixSpace, std::optional<RegexSplit> gpt2) : m_addPrefixSpace(addPrefixSpace), m_gpt2(std::move(gpt2)) {}
  void apply(std::vector<std::string>& pieces, bool atTextStart) const override;
  bool addPrefixSpace() const { return m_addPrefixSpace; }
  void disablePrefixSpace() { m_addPrefixSpace = false; }

 private:
  bool m_addPrefixSpace;
  std::optional<RegexSplit> m_gpt2;
};

/// tokenizers' Metaspace: spaces become `replacement` ("▁"), which is prepended to the piece
/// ("always"), only to the piece that starts the text ("first") or never; `split` cuts the piece
/// before every replacement character.
class MetaspaceSplit final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspaceSplit(std::string replacement, Prepend prepend, bool split)
      : m_replacement(std::move(replacement)), m_prepend(prepend), m_split(split) {}
  void apply(std::vector<std::string>& pieces, bool atTextStart) const override;
  void disablePrefixSpace() { m_prepend = Prepend::Never; }

 private:
  std::string m_replacement;
  Prepend m_prepend;
  bool m_split;
};

/// Steps applied in order.
class SequenceSplit final : public PreTokenizer {
 public:
  explicit SequenceSplit(std::vector<std::unique_ptr<PreTokenizer>> steps) : m_steps(std::move(steps)) {}
  void apply(std::vector<std::string>& pieces, bool atTextStart) const override;
  const std::vector<std::unique_ptr<PreTokenizer>>& steps() const { return m_steps; }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> m_steps;
};

/// GPT-2's pre-tokenizer regex ('s|'t|... ?\p{L}+| ?\p{N}+|...), the ByteLevel default.
std::string_view gpt2Pattern();

/// A llama.cpp pre-tokenizer by its tokenizer.ggml.pre name ("gpt-2", "llama-bpe", "qwen2", ...;
/// empty means llama.cpp's "default"): its regexes as one SequenceSplit of isolating splits, plus
/// what llama.cpp switches on with it.
struct LlamaCppPreset {
  std::unique_ptr<PreTokenizer> split;
  std::string canonical;   ///< the family the name maps to ("llama3", "gpt2", ...)
  bool ignoreMerges = false;  ///< a word that is itself a token is not merged (Llama 3, Tekken)
  bool addBos = false;        ///< BOS by default before tokenizer.ggml.add_bos_token (Llama 3, Tekken, Chameleon)
  bool noBosToken = false;    ///< the family has no BOS token (ChatGLM)
};
/// An error names an unknown or unsupported pre-tokenizer.
Result<LlamaCppPreset> llamaCppPreset(const std::string& name);

/// Every tokenizer.ggml.pre name llamaCppPreset accepts (for the README and tests).
std::vector<std::string> llamaCppPresetNames();

}  // namespace quench::model
