#include "core/model/tokenizer_gguf.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "core/model/token_text.h"
#include "core/model/tokenizer_bpe.h"
#include "core/model/tokenizer_llama2c.h"

namespace quench::model {

const std::string* findMetadata(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata)
    if (k == key) return &v;
  return nullptr;
}

namespace {

constexpr std::size_t kMaxTokens = std::size_t{1} << 24;  // 16.7 M: far above any vocabulary

// Texts llama.cpp treats as end-of-generation / fill-in-the-middle control tokens whatever type
// the file gives them (llama_vocab::impl::load's "auto-detect" lists): a user-defined token with
// one of these texts is not matched in text unless special tokens are parsed.
const std::set<std::string>& forcedControlTexts() {
  static const std::set<std::string> texts = {
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
      "[EOT]", "[EOS]", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "<end_of_utterance>", "<|eom_id|>",
      "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "</s>", "<eos>", "<turn|>", "<|tool_response>", "[e~[",
      "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>", "<PRE>",
      "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
      "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>", "<SUF>", "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>",
      "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>", "<MID>",
      "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
      "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>"};
  return texts;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> ggufTokenizer(const Metadata& metadata, const std::string& name,
                                                 const TokenizerOptions& options) {
  auto bad = [&](const std::string& what) { return makeError(name + ": GGUF vocabulary: " + what); };
  const std::string* modelKey = findMetadata(metadata, "tokenizer.ggml.model");
  const std::string model = modelKey ? *modelKey : std::string("llama");
  if (model != "llama" && model != "gpt2")
    return bad("tokenizer.ggml.model '" + model +
               "' is not supported (only 'llama' SentencePiece and 'gpt2' byte-level BPE)");

  // --- tokens, scores, types
  const std::string* tokensText = findMetadata(metadata, "tokenizer.ggml.tokens");
  if (!tokensText) return bad("no tokenizer.ggml.tokens");
  const nlohmann::json tokens = nlohmann::json::parse(*tokensText, nullptr, false);
  if (!tokens.is_array() || tokens.empty()) return bad("tokenizer.ggml.tokens is not a non-empty array");
  const std::size_t n = tokens.size();
  if (n > kMaxTokens) return bad("tokenizer.ggml.tokens has " + std::to_string(n) + " entries (more than 2^24)");
  std::vector<std::string> pieces;
  pieces.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!tokens[i].is_string()) return bad("tokenizer.ggml.tokens[" + std::to_string(i) + "] is not a string");
    std::string p = tokens[i].get<std::string>();
    if (p.empty()) p = "[EMPTY_" + std::to_string(i) + "]";  // llama.cpp's name for an empty token
    pieces.push_back(std::move(p));
  }
  std::vector<float> scores(n, 0.0f);
  if (const std::string* scoresText = findMetadata(metadata, "tokenizer.ggml.scores")) {
    const nlohmann::json js = nlohmann::json::parse(*scoresText, nullptr, false);
    if (!js.is_array() || js.size() < n)
      return bad("tokenizer.ggml.scores is not an array of at least " + std::to_string(n) + " numbers");
    for (std::size_t i = 0; i < n; ++i) {
      if (!js[i].is_number())
        return bad("tokenizer.ggml.scores[" + std::to_string(i) + "] is not a finite number");
      scores[i] = js[i].get<float>();
      if (!std::isfinite(scores[i])) return bad("tokenizer.ggml.scores[" + std::to_string(i) + "] is not finite");
    }
  }
  std::vector<std::uint8_t> attrs(n, kAttrNormal);
  if (const std::string* typesText = findMetadata(metadata, "tokenizer.ggml.token_type")) {
    const nlohmann::json jt = nlohmann::json::parse(*typesText, nullptr, false);
    if (!jt.is_array() || jt.size() < n)
      return bad("tokenizer.ggml.token_type is not an array of at least " + std::to_string(n) + " integers");
    for (std::size_t i = 0; i < n; ++i) {
      if (!jt[i].is_number_integer())
        return bad("tokenizer.ggml.token_type[" + std::to_string(i) + "] is not an integer");
      switch (jt[i].get<long long>()) {  // llama.cpp's LLAMA_TOKEN_TYPE_*; others are "undefined"
        case 1: attrs[i] = kAttrNormal; break;
        case 2: attrs[i] = kAttrUnknown; break;
        case 3: attrs[i] = kAttrControl; break;
        case 4: attrs[i] = kAttrUserDefined; break;
        case 5: attrs[i] = kAttrUnused; break;
        case 6: attrs[i] = kAttrByte; break;
        default: attrs[i] = 0; break;
      }
    }
  }
  // Duplicate pieces make token_to_id ambiguous (llama.cpp aborts on them).
  {
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto [it, fresh] = seen.emplace(pieces[i], i);
      if (!fresh)
        return bad("tokenizer.ggml.tokens[" + std::to_string(i) + "] repeats token " + std::to_string(it->second) +
                   " ('" + pieces[i].substr(0, 40) + "')");
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (forcedControlTexts().count(pieces[i]) && (attrs[i] & kAttrUserDefined)) attrs[i] = kAttrControl;
  // gpt-oss: these control tokens are always rendered (user-defined).
  for (std::size_t i = 0; i < n; ++i)
    if (pieces[i] == "<|channel|>" || pieces[i] == "<|message|>" || pieces[i] == "<|start|>" || pieces[i] == "<|constrain|>")
      attrs[i] = kAttrUserDefined;

  // --- special token ids
  auto idOf = [&](std::string_view key, int fallback) -> Result<int> {
    const std::string* v = findMetadata(metadata, key);
    if (!v) return fallback >= 0 && fallback < static_cast<int>(n) ? fallback : -1;
    long long id = -1;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
    if (ec != std::errc() || p != v->data() + v->size() || id < 0 || id >= static_cast<long long>(n))
      return bad(std::string(key) + " = " + *v + " is not a token id below " + std::to_string(n));
    return static_cast<int>(id);
  };
  auto flag = [&](std::string_view key, bool fallback) -> Result<bool> {
    const std::string* v = findMetadata(metadata, key);
    if (!v) return fallback;
    if (*v == "true") return true;
    if (*v == "false") return false;
    return bad(std::string(key) + " = '" + *v + "' is not a boolean");
  };
  const bool spm = model == "llama";
  // llama.cpp's defaults: SPM <unk>=0, <s>=1, </s>=2; BPE 11 for both BOS and EOS.
  auto bos = idOf("tokenizer.ggml.bos_token_id", spm ? 1 : 11);
  if (!bos) return bos.error();
  auto eos = idOf("tokenizer.ggml.eos_token_id", spm ? 2 : 11);
  if (!eos) return eos.error();
  auto unk = idOf("tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
  if (!unk) return unk.error();

  // --- special tokens matched in text: control, user-defined and unknown types
  const std::string modelName = lower(findMetadata(metadata, "general.name") ? *findMetadata(metadata, "general.name") : "");
  const std::string pre = findMetadata(metadata, "tokenizer.ggml.pre") ? *findMetadata(metadata, "tokenizer.ggml.pre") : "";
  const std::string arch = findMetadata(metadata, "general.architecture") ? *findMetadata(metadata, "general.architecture") : "";
  const bool phi3 = modelName.find("phi-3") != std::string::npos || modelName.find("phi3") != std::string::npos;
  const bool maskLstrip = pre.find("jina-v2-de") != std::string::npos || pre.find("jina-v2-es") != std::string::npos ||
                          pre.find("jina-v2-code") != std::string::npos || arch.find("nomic-bert-moe") != std::string::npos ||
                          arch.find("jina-bert-v3") != std::string::npos;
  std::vector<AddedToken> specials;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t a = attrs[i];
    if (!(a & (kAttrControl | kAttrUserDefined | kAttrUnknown))) continue;
    if (!options.parseSpecial && (a & (kAttrControl | kAttrUnknown))) continue;
    AddedToken t;
    t.content = pieces[i];
    t.id = static_cast<int>(i);
    // llama.cpp's per-model attributes: Phi-3 strips spaces after its special tokens (and after
    // </s>) but not after <unk>, <s>, <|endoftext|>; some encoders strip before <mask>/[MASK].
    if (phi3) t.rstrip = pieces[i] != "<unk>" && pieces[i] != "<s>" && pieces[i] != "<|endoftext|>";
    if ((maskLstrip && pieces[i] == "<mask>") || (modelName.find("modern-bert") != std::string::npos && pieces[i] == "[MASK]"))
      t.lstrip = true;
    specials.push_back(std::move(t));
  }

  if (spm) {
    auto addBos = flag("tokenizer.ggml.add_bos_token", true);
    if (!addBos) return addBos.error();
    auto addEos = flag("tokenizer.ggml.add_eos_token", false);
    if (!addEos) return addEos.error();
    auto prefix = flag("tokenizer.ggml.add_space_prefix", true);
    if (!prefix) return prefix.error();
    auto tok = std::make_unique<SpmTokenizer>(std::move(pieces), std::move(scores), *bos, *eos, *unk);
    SpmTokenizer::GgufExtras extras;
    extras.attrs = std::move(attrs);
    extras.specials = AddedTokenMatcher(std::move(specials), AddedTokenMatcher::Style::LlamaCpp);
    extras.addBos = *addBos;
    extras.addEos = *addEos;
    extras.description = "GGUF SentencePiece (llama), " + std::to_string(n) + " tokens";
    tok->setGguf(std::move(extras));
    tok->setAddSpacePrefix(*prefix && options.prefixSpace);
    return std::unique_ptr<Tokenizer>(std::move(tok));
  }

  // --- byte-level BPE
  auto preset = llamaCppPreset(pre);
  if (!preset) return bad("tokenizer.ggml.pre: " + preset.error().message);
  BpeSpec s;
  s.flavor = BpeSpec::Flavor::LlamaCpp;
  s.description = "GGUF byte-level BPE (gpt2), pre-tokenizer " + (pre.empty() ? std::string("default") : pre) + ", " +
                  std::to_string(n) + " tokens";
  s.ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) s.ids.emplace(pieces[i], static_cast<int>(i));
  const std::string* mergesText = findMetadata(metadata, "tokenizer.ggml.merges");
  if (!mergesText) return bad("no tokenizer.ggml.merges (a 'gpt2' vocabulary needs its merges)");
  const nlohmann::json merges = nlohmann::json::parse(*mergesText, nullptr, false);
  if (!merges.is_array()) return bad("tokenizer.ggml.merges is not an array");
  s.merges.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::string where = "tokenizer.ggml.merges[" + std::to_string(r) + "]";
    if (!merges[r].is_string()) return bad(where + " is not a string");
    const std::string m = merges[r].get<std::string>();
    const std::size_t sp = m.find(' ', 1);
    if (sp == std::string::npos) return bad(where + " '" + m.substr(0, 40) + "' is not two tokens separated by a space");
    const std::string left = m.substr(0, sp), right = m.substr(sp + 1);
    auto a = s.ids.find(left), b = s.ids.find(right), ab = s.ids.find(left + right);
    if (a == s.ids.end() || b == s.ids.end() || ab == s.ids.end())
      return bad(where + " '" + m.substr(0, 40) + "' names a token that is not in tokenizer.ggml.tokens");
    // The first of two equal merges keeps its rank, as llama.cpp's bpe_ranks.emplace.
    s.merges.emplace((static_cast<std::uint64_t>(static_cast<std::uint32_t>(a->second)) << 32) |
                         static_cast<std::uint32_t>(b->second),
                     std::make_pair(static_cast<int>(r), ab->second));
  }
  auto addBos = flag("tokenizer.ggml.add_bos_token", preset->addBos);
  if (!addBos) return addBos.error();
  auto addEos = flag("tokenizer.ggml.add_eos_token", false);
  if (!addEos) return addEos.error();
  s.pieces = std::move(pieces);
  s.attrs = std::move(attrs);
  s.rawTokens = AddedTokenMatcher(std::move(specials), AddedTokenMatcher::Style::LlamaCpp);
  s.preTokenizer = std::move(preset->split);
  s.byteLevel = true;
  s.ignoreMerges = preset->ignoreMerges;
  s.unk = *unk;
  s.bos = preset->noBosToken && !findMetadata(metadata, "tokenizer.ggml.bos_token_id") ? -1 : *bos;
  s.eos = *eos;
  s.addBos = *addBos;
  s.addEos = *addEos;
  return std::unique_ptr<Tokenizer>(std::make_unique<BpeTokenizer>(std::move(s)));
}

}  // namespace quench::model
