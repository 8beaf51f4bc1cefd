#include "core/model/pretokenizer.h"

#include <algorithm>
#include <map>
#include <utility>

namespace quench::model {

namespace {

// PCRE2's \s (with UCP) matches U+180E MONGOLIAN VOWEL SEPARATOR (it is in PCRE2's \h), which
// Unicode's White_Space property, llama.cpp and tokenizers' regex engine do not count as space
// since Unicode 6.3. Matching runs on a copy in which it is replaced by U+200B ZERO WIDTH SPACE, a
// format character of the same UTF-8 length that no class of these patterns treats as space,
// letter, number, punctuation or symbol, so offsets stay valid for the original text.
constexpr std::string_view kMongolianVowelSeparator = "\xE1\xA0\x8E";
constexpr std::string_view kZeroWidthSpace = "\xE2\x80\x8B";

std::vector<std::pair<std::size_t, std::size_t>> findMatches(const Regex& re, const std::string& s) {
  if (s.find(kMongolianVowelSeparator) == std::string::npos) return re.matches(s);
  std::string copy = s;
  for (std::size_t at = copy.find(kMongolianVowelSeparator); at != std::string::npos;
       at = copy.find(kMongolianVowelSeparator, at + 3))
    copy.replace(at, 3, kZeroWidthSpace);
  return re.matches(copy);
}

struct Span {
  std::size_t begin, end;
  bool match;
};

}  // namespace

void RegexSplit::apply(std::vector<std::string>& pieces, bool /*atTextStart*/) const {
  std::vector<std::string> out;
  out.reserve(pieces.size() * 2);
  std::vector<Span> spans;
  for (const std::string& piece : pieces) {
    // The piece as a partition into matches and the gaps between them.
    spans.clear();
    std::size_t prev = 0;
    for (const auto& [b, e] : findMatches(m_regex, piece)) {
      if (b > prev) spans.push_back({prev, b, m_invert});
      spans.push_back({b, e, !m_invert});
      prev = e;
    }
    if (prev < piece.size()) spans.push_back({prev, piece.size(), m_invert});
    // Keep, drop or merge as tokenizers' NormalizedString::split does.
    std::vector<Span> kept;
    kept.reserve(spans.size());
    bool previousMatch = false;
    switch (m_behavior) {
      case SplitBehavior::Isolated:
        kept = spans;
        break;
      case SplitBehavior::Removed:
        for (const Span& s : spans)
          if (!s.match) kept.push_back(s);
        break;
      case SplitBehavior::Contiguous:
        for (const Span& s : spans) {
          if (!kept.empty() && s.match == previousMatch) kept.back().end = s.end;
          else kept.push_back(s);
          previousMatch = s.match;
        }
        break;
      case SplitBehavior::MergedWithPrevious:
        for (const Span& s : spans) {
          if (!kept.empty() && s.match && !previousMatch) kept.back().end = s.end;
          else kept.push_back(s);
          previousMatch = s.match;
        }
        break;
      case SplitBehavior::MergedWithNext:
        for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
          if (!kept.empty() && it->match && !previousMatch) kept.back().begin = it->begin;
          else kept.push_back(*it);
          previousMatch = it->match;
        }
        std::reverse(kept.begin(), kept.end());
        break;
    }
    for (const Span& s : kept)
      if (s.end > s.begin) out.push_back(piece.substr(s.begin, s.end - s.begin));
  }
  pieces = std::move(out);
}

void ByteLevelSplit::apply(std::vector<std::string>& pieces, bool atTextStart) const {
  if (m_addPrefixSpace)
    for (std::string& p : pieces)
      if (p.empty() || p.front() != ' ') p.insert(p.begin(), ' ');
  if (m_gpt2) m_gpt2->apply(pieces, atTextStart);
}

void MetaspaceSplit::apply(std::vector<std::string>& pieces, bool atTextStart) const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::string p;
    for (char c : pieces[i]) {
      if (c == ' ') p += m_replacement;
      else p += c;
    }
    const bool prepend = m_prepend == Prepend::Always || (m_prepend == Prepend::First && atTextStart && i == 0);
    if (prepend && p.compare(0, m_replacement.size(), m_replacement) != 0) p.insert(0, m_replacement);
    if (!m_split || m_replacement.empty()) {
      out.push_back(std::move(p));
      continue;
    }
    // Cut before every replacement character (MergedWithNext on the replacement).
    std::size_t start = 0;
    for (std::size_t at = p.find(m_replacement, 1); at != std::string::npos; at = p.find(m_replacement, at + m_replacement.size())) {
      if (at > start) out.push_back(p.substr(start, at - start));
      start = at;
    }
    if (start < p.size()) out.push_back(p.substr(start));
  }
  pieces = std::move(out);
}

void SequenceSplit::apply(std::vector<std::string>& pieces, bool atTextStart) const {
  for (const auto& step : m_steps) step->apply(pieces, atTextStart);
}

std::string_view gpt2Pattern() {
  return R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";
}

namespace {

// The regex lists of llama.cpp's pre-tokenizer families, applied in order as isolating splits.
// They are the patterns of the models' own tokenizer.json files in the form llama.cpp runs them
// (src/llama-vocab.cpp, llm_tokenizer_bpe, at the commit of ../shared): case-insensitive
// contractions written as '[sS]... (PCRE2's caseless UCP matching would also take 'ſ' and the
// Kelvin sign), and class intersections written as lookaheads. Transcribed by a one-off script.
const std::map<std::string, std::vector<const char*>>& familyRegexes() {
  static const std::map<std::string, std::vector<const char*>> families = {
    {"llama3", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"jais2", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1})re"}},
    {"dbrx", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"deepseek-llm", {R"re([\r\n])re",
      R"re(\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+)re",
      R"re(\s?[!-/:-~！-／：-～‘-‟　-。]+)re",
      R"re(\s+$)re",
      R"re([一-龥ࠀ-一가-퟿]+)re",
      R"re(\p{N}+)re"}},
    {"deepseek3", {R"re(\p{N}{1,3})re",
      R"re([一-龥぀-ゟ゠-ヿ]+)re",
      R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"youtu", {R"re([가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+)re",
      R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"deepseek-coder", {R"re([\r\n])re",
      R"re(\s?\p{L}+)re",
      R"re(\s?\p{P}+)re",
      R"re([一-龥ࠀ-一가-퟿]+)re",
      R"re(\p{N})re"}},
    {"falcon", {R"re([\p{P}\$\+<=>\^~\|`]+)re",
      R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re",
      R"re([0-9][0-9][0-9])re"}},
    {"starcoder", {R"re(\p{N})re",
      R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re"}},
    {"gpt2", {R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re"}},
    {"qwen2", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"qwen35", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"bloom", {R"re( ?[^(\s|.,!?…。，、।۔،)]+)re"}},
    {"chatglm4", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"viking", {R"re( ?[^(\s|.,!?…。，、।۔،)]+)re",
      R"re(\p{N})re"}},
    {"tekken", {R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"chameleon", {R"re(<sentinel:[0-9]+>)re",
      R"re((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)re",
      R"re(([\t\n]|    |  ))re",
      R"re(\p{N})re",
      R"re([\p{P}!-/:-@\[-`{-~])re",
      R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re"}},
    {"gpt4o", {R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"granite-emb-multi", {R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))*((?=[\p{L}\p{M}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))+((?=[\p{L}\p{M}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"bailingmoe", {R"re('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)re"}},
    {"seed-coder", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"laguna", {R"re([^\n]+|[\n]+)re",
      R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"exaone-moe", {R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+)re"}},
    {"minicpm5", {R"re(\p{N}{1,3})re",
      R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"}},
    {"default", {R"re([\p{P}\$\+<=>\^~\|]+)re",
      R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re",
      R"re(\p{N}+)re",
      R"re([0-9][0-9][0-9])re"}},
  };
  return families;
}

struct NameEntry {
  const char* family;
  bool ignoreMerges = false, addBos = false, noBosToken = false;
};

// tokenizer.ggml.pre names → family, as llama.cpp's llama_vocab::impl::load maps them.
const std::map<std::string, NameEntry>& presetNames() {
  static const std::map<std::string, NameEntry> names = [] {
    std::map<std::string, NameEntry> m;
    auto add = [&](std::initializer_list<const char*> ns, NameEntry e) {
      for (const char* n : ns) m[n] = e;
    };
    add({"default"}, {"default"});
    add({"minicpm5"}, {"minicpm5", true});
    add({"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"},
        {"llama3", true, true});
    add({"dbrx", "smaug-bpe"}, {"llama3"});
    add({"deepseek-llm"}, {"deepseek-llm"});
    add({"deepseek-coder"}, {"deepseek-coder"});
    add({"deepseek-v3", "hunyuan-dense", "joyai-llm"}, {"deepseek3"});
    add({"youtu"}, {"youtu", true});
    add({"falcon"}, {"falcon"});
    add({"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
         "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4", "trillion",
         "granite-docling"},
        {"gpt2"});
    add({"jais-2"}, {"jais2"});
    add({"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"}, {"starcoder"});
    add({"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "stablelm2", "megrez", "hunyuan", "solar-open", "grok-2"},
        {"qwen2"});
    add({"qwen35"}, {"qwen35"});
    add({"poro-chat", "bloom", "gpt3-finnish"}, {"bloom"});
    add({"glm4", "chatglm-bpe"}, {"chatglm4", false, false, true});
    add({"viking"}, {"viking"});
    add({"tekken"}, {"tekken", true, true});
    add({"chameleon"}, {"chameleon", false, true});
    add({"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"}, {"gpt4o"});
    add({"granite-embed-multi-97m"}, {"granite-emb-multi", true});
    add({"bailingmoe", "bailingmoe2", "llada-moe"}, {"bailingmoe"});
    add({"seed-coder"}, {"seed-coder"});
    add({"laguna"}, {"laguna"});
    add({"exaone-moe"}, {"exaone-moe"});
    return m;
  }();
  return names;
}

}  // namespace

Result<LlamaCppPreset> llamaCppPreset(const std::string& name) {
  const std::string key = name.empty() ? "default" : name;
  const auto it = presetNames().find(key);
  if (it == presetNames().end()) {
    static const char* const kCustom[] = {"kimi-k2", "afmoe", "tiny_aya", "cohere2moe", "superbpe", "gemma4",
                                          "granite-embed-multi-311m", "sarvam-moe", "whitespace"};
    for (const char* c : kCustom)
      if (key == c)
        return makeError("pre-tokenizer '" + key +
                         "' is not supported (llama.cpp splits it with hand-written code, not a regex list)");
    return makeError("unknown pre-tokenizer '" + key + "'");
  }
  LlamaCppPreset p;
  p.canonical = it->second.family;
  p.ignoreMerges = it->second.ignoreMerges;
  p.addBos = it->second.addBos;
  p.noBosToken = it->second.noBosToken;
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  for (const char* pattern : familyRegexes().at(p.canonical)) {
    auto re = Regex::compile(pattern);
    if (!re) return re.error();
    steps.push_back(std::make_unique<RegexSplit>(std::move(re).value(), SplitBehavior::Isolated, false));
  }
  p.split = std::make_unique<SequenceSplit>(std::move(steps));
  return p;
}

std::vector<std::string> llamaCppPresetNames() {
  std::vector<std::string> out;
  for (const auto& [name, entry] : presetNames()) out.push_back(name);
  return out;
}

}  // namespace quench::model
