#include "core/model/tokenizer_hf.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <functional>
#include <optional>
#include <limits>
#include <sstream>

#include "core/io/text_file.h"
#include "core/model/unicode_text.h"

namespace quench::model {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxVocab = std::size_t{1} << 24;

// A literal string as a PCRE2 pattern (every non-alphanumeric ASCII byte escaped).
std::string escapeRegex(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u)) out += '\\';
    out += c;
  }
  return out;
}

class Parser {
 public:
  Parser(const std::string& name, const TokenizerOptions& options) : m_name(name), m_opt(options) {}

  Error bad(const std::string& what) const { return makeError(m_name + ": " + what); }

  // "pattern": {"String": s} or {"Regex": r} → a PCRE2 pattern.
  Result<std::string> pattern(const json& p, const std::string& where) const {
    if (!p.is_object() || p.size() != 1) return bad(where + " is not {\"String\": ...} or {\"Regex\": ...}");
    if (p.contains("String") && p["String"].is_string()) return escapeRegex(p["String"].get<std::string>());
    if (p.contains("Regex") && p["Regex"].is_string()) return p["Regex"].get<std::string>();
    return bad(where + " is not {\"String\": ...} or {\"Regex\": ...}");
  }

  Result<Regex> compile(const std::string& pat, const std::string& where) const {
    auto re = Regex::compile(pat);
    if (!re) return bad(where + ": " + re.error().message);
    return re;
  }

  Status normalizer(const json& n, const std::string& where, std::vector<NormalizerStep>& out) const {
    if (n.is_null()) return {};
    if (!n.is_object() || !n.contains("type") || !n["type"].is_string()) return bad(where + " has no \"type\"");
    const std::string type = n["type"].get<std::string>();
    const std::string at = where + " (type " + type + ")";
    NormalizerStep s;
    if (type == "Sequence") {
      if (!n.contains("normalizers") || !n["normalizers"].is_array()) return bad(at + " has no \"normalizers\" array");
      for (std::size_t i = 0; i < n["normalizers"].size(); ++i)
        if (auto st = normalizer(n["normalizers"][i], where + ".normalizers[" + std::to_string(i) + "]", out); !st) return st;
      return {};
    }
    if (type == "Prepend") {
      if (!n.contains("prepend") || !n["prepend"].is_string()) return bad(at + " has no \"prepend\" string");
      if (!m_opt.prefixSpace) return {};  // the documented TinyStories-656K option
      s.kind = NormalizerStep::Kind::Prepend;
      s.to = n["prepend"].get<std::string>();
    } else if (type == "Replace") {
      if (!n.contains("pattern") || !n.contains("content") || !n["content"].is_string())
        return bad(at + " needs \"pattern\" and \"content\"");
      s.to = n["content"].get<std::string>();
      if (n["pattern"].is_object() && n["pattern"].contains("String") && n["pattern"]["String"].is_string()) {
        s.kind = NormalizerStep::Kind::Replace;
        s.from = n["pattern"]["String"].get<std::string>();
        if (s.from.empty()) return bad(at + ": empty pattern");
      } else {
        auto pat = pattern(n["pattern"], at + ".pattern");
        if (!pat) return pat.error();
        auto re = compile(*pat, at + ".pattern");
        if (!re) return re.error();
        s.kind = NormalizerStep::Kind::ReplaceRegex;
        s.regex = std::make_shared<const Regex>(std::move(re).value());
      }
    } else if (type == "NFC") {
      s.kind = NormalizerStep::Kind::Nfc;
    } else if (type == "NFD") {
      s.kind = NormalizerStep::Kind::Nfd;
    } else if (type == "NFKC") {
      s.kind = NormalizerStep::Kind::Nfkc;
    } else if (type == "NFKD") {
      s.kind = NormalizerStep::Kind::Nfkd;
    } else if (type == "Lowercase") {
      s.kind = NormalizerStep::Kind::Lowercase;
    } else if (type == "Strip") {
      s.kind = NormalizerStep::Kind::Strip;
      s.left = n.value("strip_left", true);
      s.right = n.value("strip_right", true);
    } else {
      return bad(where + ".type '" + type + "' is not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip)");
    }
    out.push_back(std::move(s));
    return {};
  }

  Result<SplitBehavior> behavior(const json& n, const std::string& where, SplitBehavior fallback) const {
    if (!n.contains("behavior")) return fallback;
    const std::string b = n["behavior"].is_string() ? n["behavior"].get<std::string>() : std::string("?");
    if (b == "Removed") return SplitBehavior::Removed;
    if (b == "Isolated") return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (b == "Contiguous") return SplitBehavior::Contiguous;
    return bad(where + ".behavior '" + b + "' is not a split behaviour");
  }

  Result<std::unique_ptr<PreTokenizer>> preTokenizer(const json& n, const std::string& where) {
    if (!n.is_object() || !n.contains("type") || !n["type"].is_string()) return bad(where + " has no \"type\"");
    const std::string type = n["type"].get<std::string>();
    const std::string at = where + " (type " + type + ")";
    auto split = [&](const std::string& pat, SplitBehavior b, bool invert) -> Result<std::unique_ptr<PreTokenizer>> {
      auto re = compile(pat, at);
      if (!re) return re.error();
      return std::unique_ptr<PreTokenizer>(std::make_unique<RegexSplit>(std::move(re).value(), b, invert));
    };
    if (type == "Sequence") {
      if (!n.contains("pretokenizers") || !n["pretokenizers"].is_array()) return bad(at + " has no \"pretokenizers\" array");
      std::vector<std::unique_ptr<PreTokenizer>> steps;
      for (std::size_t i = 0; i < n["pretokenizers"].size(); ++i) {
        auto p = preTokenizer(n["pretokenizers"][i], where + ".pretokenizers[" + std::to_string(i) + "]");
        if (!p) return p.error();
        steps.push_back(std::move(p).value());
      }
      return std::unique_ptr<PreTokenizer>(std::make_unique<SequenceSplit>(std::move(steps)));
    }
    if (type == "Split") {
      if (!n.contains("pattern")) return bad(at + " has no \"pattern\"");
      auto pat = pattern(n["pattern"], where + ".pattern");
      if (!pat) return pat.error();
      auto b = behavior(n, where, SplitBehavior::Isolated);
      if (!b) return b.error();
      return split(*pat, *b, n.value("invert", false));
    }
    if (type == "ByteLevel") {
      if (m_byteLevelSeen) return bad(at + ": more than one ByteLevel pre-tokenizer");
      m_byteLevelSeen = true;
      std::optional<RegexSplit> gpt2;
      if (n.value("use_regex", true)) {
        auto re = compile(std::string(gpt2Pattern()), at);
        if (!re) return re.error();
        gpt2.emplace(std::move(re).value(), SplitBehavior::Isolated, false);
      }
      return std::unique_ptr<PreTokenizer>(
          std::make_unique<ByteLevelSplit>(n.value("add_prefix_space", true) && m_opt.prefixSpace, std::move(gpt2)));
    }
    if (type == "Metaspace") {
      const std::string rep = n.contains("replacement") && n["replacement"].is_string() ? n["replacement"].get<std::string>()
                                                                                        : std::string("\xE2\x96\x81");
      auto prepend = MetaspaceSplit::Prepend::Always;
      if (n.contains("prepend_scheme") && n["prepend_scheme"].is_string()) {
        const std::string ps = n["prepend_scheme"].get<std::string>();
        if (ps == "first") prepend = MetaspaceSplit::Prepend::First;
        else if (ps == "never") prepend = MetaspaceSplit::Prepend::Never;
        else if (ps != "always") return bad(where + ".prepend_scheme '" + ps + "' is not always/first/never");
      } else if (!n.value("add_prefix_space", true)) {
        prepend = MetaspaceSplit::Prepend::Never;
      }
      if (!m_opt.prefixSpace) prepend = MetaspaceSplit::Prepend::Never;
      return std::unique_ptr<PreTokenizer>(std::make_unique<MetaspaceSplit>(rep, prepend, n.value("split", true)));
    }
    if (type == "Digits") return split(R"(\p{N})", n.value("individual_digits", false) ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false);
    if (type == "Punctuation") {
      auto b = behavior(n, where, SplitBehavior::Isolated);
      if (!b) return b.error();
      return split(R"([\p{P}!-/:-@\[-`{-~])", *b, false);
    }
    if (type == "Whitespace") return split(R"(\w+|[^\w\s]+)", SplitBehavior::Removed, true);
    if (type == "WhitespaceSplit") return split(R"(\s)", SplitBehavior::Removed, false);
    return bad(where + ".type '" + type +
               "' is not supported (supported: Sequence, Split, ByteLevel, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit)");
  }

  Status decoder(const json& n, const std::string& where, std::vector<DecoderStep>& out) const {
    if (n.is_null()) return {};
    if (!n.is_object() || !n.contains("type") || !n["type"].is_string()) return bad(where + " has no \"type\"");
    const std::string type = n["type"].get<std::string>();
    const std::string at = where + " (type " + type + ")";
    DecoderStep d;
    if (type == "Sequence") {
      if (!n.contains("decoders") || !n["decoders"].is_array()) return bad(at + " has no \"decoders\" array");
      for (std::size_t i = 0; i < n["decoders"].size(); ++i)
        if (auto st = decoder(n["decoders"][i], where + ".decoders[" + std::to_string(i) + "]", out); !st) return st;
      return {};
    }
    if (type == "Replace") {
      if (!n.contains("pattern") || !n["pattern"].is_object() || !n["pattern"].contains("String") ||
          !n["pattern"]["String"].is_string() || !n.contains("content") || !n["content"].is_string())
        return bad(at + " needs a {\"String\": ...} pattern and a content (a regex pattern is not supported)");
      d.kind = DecoderStep::Kind::Replace;
      d.from = n["pattern"]["String"].get<std::string>();
      d.to = n["content"].get<std::string>();
    } else if (type == "ByteFallback") {
      d.kind = DecoderStep::Kind::ByteFallback;
    } else if (type == "Fuse") {
      d.kind = DecoderStep::Kind::Fuse;
    } else if (type == "Strip") {
      d.kind = DecoderStep::Kind::Strip;
      d.content = n.contains("content") && n["content"].is_string() ? n["content"].get<std::string>() : " ";
      const long long start = n.value("start", 0ll), stop = n.value("stop", 0ll);
      if (stop != 0) return bad(at + ": stripping at the end (\"stop\": " + std::to_string(stop) + ") is not supported");
      if (start < 0 || start > 1024) return bad(at + ": \"start\" " + std::to_string(start) + " out of range");
      d.start = m_opt.prefixSpace ? static_cast<int>(start) : 0;
    } else if (type == "ByteLevel") {
      d.kind = DecoderStep::Kind::ByteLevel;
    } else if (type == "Metaspace") {
      d.kind = DecoderStep::Kind::Metaspace;
      d.from = n.contains("replacement") && n["replacement"].is_string() ? n["replacement"].get<std::string>()
                                                                           : std::string("\xE2\x96\x81");
      const std::string ps = n.value("prepend_scheme", std::string(n.value("add_prefix_space", true) ? "always" : "never"));
      d.prefix = ps != "never" && m_opt.prefixSpace;
    } else {
      return bad(where + ".type '" + type +
                 "' is not supported (supported: Sequence, Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace)");
    }
    out.push_back(std::move(d));
    return {};
  }

 bool byteLevelSeen() const { return m_byteLevelSeen; }

 private:
  std::string m_name;
  TokenizerOptions m_opt;
  bool m_byteLevelSeen = false;
};

// A token named in tokenizer_config.json: "text" or {"content": "text", ...}; nullopt when absent.
Result<std::optional<std::string>> configToken(const json& cfg, const char* key, const std::string& where) {
  if (!cfg.contains(key) || cfg[key].is_null()) return std::optional<std::string>{};
  const json& v = cfg[key];
  if (v.is_string()) return std::optional<std::string>{v.get<std::string>()};
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return std::optional<std::string>{v["content"].get<std::string>()};
  return makeError(where + ": \"" + key + "\" is neither a string nor {\"content\": ...}");
}

}  // namespace

Result<std::unique_ptr<BpeTokenizer>> parseHfTokenizer(std::string_view text, const std::string& name, int bos,
                                                       int eos, const TokenizerOptions& options,
                                                       std::string_view configJson, const std::string& configName) {
  Parser P(name, options);
  auto bad = [&](const std::string& what) { return P.bad(what); };
  if (auto deep = jsonDepthError(text)) return bad(*deep);
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("model") || !j["model"].is_object()) return bad("no \"model\" object");
  const json& m = j["model"];
  const std::string type = m.contains("type") && m["type"].is_string() ? m["type"].get<std::string>() : std::string();
  if (type != "BPE")
    return bad("model.type '" + type + "' is not supported (only BPE; Unigram and WordPiece models are not read)");
  if (!m.contains("vocab") || !m["vocab"].is_object() || m["vocab"].empty()) return bad("no \"model.vocab\" object");
  if (!m.contains("merges") || !m["merges"].is_array()) return bad("no \"model.merges\" array");
  if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0))
    return bad("model.dropout is set (BPE dropout is random: not supported)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(key) && !m[key].is_null() && !(m[key].is_string() && m[key].get<std::string>().empty()))
      return bad(std::string("model.") + key + " is set (not supported)");

  BpeSpec s;
  s.flavor = BpeSpec::Flavor::HuggingFace;

  // --- vocabulary and added tokens: ids may leave holes (filled as unused, never produced)
  const json& vocab = m["vocab"];
  if (vocab.size() > kMaxVocab) return bad("model.vocab has " + std::to_string(vocab.size()) + " entries (more than 2^24)");
  std::size_t size = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() >= static_cast<long long>(kMaxVocab))
      return bad("model.vocab['" + it.key().substr(0, 40) + "'] is not a token id in [0, 2^24)");
    size = std::max(size, static_cast<std::size_t>(it->get<long long>()) + 1);
  }
  const json added = j.contains("added_tokens") && !j["added_tokens"].is_null() ? j["added_tokens"] : json::array();
  if (!added.is_array()) return bad("\"added_tokens\" is not an array");
  if (added.size() > kMaxVocab) return bad("\"added_tokens\" is too large");
  for (std::size_t i = 0; i < added.size(); ++i) {
    const json& a = added[i];
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
        !a["content"].is_string() || a["content"].get<std::string>().empty())
      return bad("added_tokens[" + std::to_string(i) + "] lacks an integer \"id\" or a non-empty \"content\"");
    const long long id = a["id"].get<long long>();
    if (id < 0 || id >= static_cast<long long>(kMaxVocab))
      return bad("added_tokens[" + std::to_string(i) + "].id " + std::to_string(id) + " is out of range");
    size = std::max(size, static_cast<std::size_t>(id) + 1);
  }
  s.pieces.assign(size, {});
  s.attrs.assign(size, kAttrUnused);
  std::vector<char> filled(size, 0);
  s.ids.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const auto id = static_cast<std::size_t>(it->get<long long>());
    if (filled[id])
      return bad("model.vocab gives id " + std::to_string(id) + " to both '" + s.pieces[id].substr(0, 40) + "' and '" +
                 it.key().substr(0, 40) + "'");
    if (!utf8::isValid(it.key())) return bad("model.vocab has a piece that is not valid UTF-8 (id " + std::to_string(id) + ")");
    filled[id] = 1;
    s.pieces[id] = it.key();
    s.attrs[id] = kAttrNormal;
    s.ids.emplace(it.key(), static_cast<int>(id));
  }

  // --- normalizer (needed to match "normalized" added tokens)
  if (j.contains("normalizer"))
    if (auto st = P.normalizer(j["normalizer"], "normalizer", s.normalizer); !st) return st.error();

  std::vector<AddedToken> raw, normalized;
  std::unordered_map<std::string, int> addedIds;
  for (std::size_t i = 0; i < added.size(); ++i) {
    const json& a = added[i];
    const auto id = static_cast<std::size_t>(a["id"].get<long long>());
    const std::string content = a["content"].get<std::string>();
    const std::string where = "added_tokens[" + std::to_string(i) + "] ('" + content.substr(0, 40) + "')";
    if (!utf8::isValid(content)) return bad(where + ": content is not valid UTF-8");
    if (filled[id] && s.pieces[id] != content)
      return bad(where + ": id " + std::to_string(id) + " already belongs to '" + s.pieces[id].substr(0, 40) + "'");
    if (auto v = s.ids.find(content); v != s.ids.end() && v->second != static_cast<int>(id))
      return bad(where + ": the vocabulary gives this content id " + std::to_string(v->second) + ", not " + std::to_string(id));
    filled[id] = 1;
    s.pieces[id] = content;
    const bool special = a.value("special", false);
    s.attrs[id] = special ? kAttrControl : kAttrUserDefined;
    addedIds[content] = static_cast<int>(id);
    AddedToken t;
    t.id = static_cast<int>(id);
    t.lstrip = a.value("lstrip", false);
    t.rstrip = a.value("rstrip", false);
    t.singleWord = a.value("single_word", false);
    if (a.value("normalized", !special)) {
      t.content = applyNormalizer(s.normalizer, content);
      normalized.push_back(std::move(t));
    } else {
      t.content = content;
      raw.push_back(std::move(t));
    }
  }
  s.rawTokens = AddedTokenMatcher(std::move(raw), AddedTokenMatcher::Style::HuggingFace);
  s.normalizedTokens = AddedTokenMatcher(std::move(normalized), AddedTokenMatcher::Style::HuggingFace);

  // --- merges: both sides and their concatenation must be pieces (tokenizers refuses otherwise);
  // of two equal merges the later rank wins, as tokenizers builds its map.
  const json& merges = m["merges"];
  s.merges.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::string where = "model.merges[" + std::to_string(r) + "]";
    std::string left, right;
    if (merges[r].is_string()) {
      const std::string t = merges[r].get<std::string>();
      const auto sp = t.find(' ');
      if (sp == std::string::npos || t.find(' ', sp + 1) != std::string::npos)
        return bad(where + " '" + t.substr(0, 40) + "' is not two pieces separated by one space");
      left = t.substr(0, sp);
      right = t.substr(sp + 1);
    } else if (merges[r].is_array() && merges[r].size() == 2 && merges[r][0].is_string() && merges[r][1].is_string()) {
      left = merges[r][0].get<std::string>();
      right = merges[r][1].get<std::string>();
    } else {
      return bad(where + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto a = s.ids.find(left), b = s.ids.find(right), ab = s.ids.find(left + right);
    if (a == s.ids.end() || b == s.ids.end() || ab == s.ids.end())
      return bad(where + " ('" + left.substr(0, 40) + "' + '" + right.substr(0, 40) + "') names a piece not in model.vocab");
    s.merges.insert_or_assign((static_cast<std::uint64_t>(static_cast<std::uint32_t>(a->second)) << 32) |
                                  static_cast<std::uint32_t>(b->second),
                              std::make_pair(static_cast<int>(r), ab->second));
  }
  s.byteFallback = m.value("byte_fallback", false);
  s.fuseUnk = m.value("fuse_unk", false);
  s.ignoreMerges = m.value("ignore_merges", false);
  if (m.contains("unk_token") && !m["unk_token"].is_null()) {
    if (!m["unk_token"].is_string()) return bad("model.unk_token is not a string");
    auto it = s.ids.find(m["unk_token"].get<std::string>());
    if (it == s.ids.end()) return bad("model.unk_token '" + m["unk_token"].get<std::string>() + "' is not in model.vocab");
    s.unk = it->second;
  }

  // --- pre-tokenizer and decoder
  if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null()) {
    auto p = P.preTokenizer(j["pre_tokenizer"], "pre_tokenizer");
    if (!p) return p.error();
    s.preTokenizer = std::move(p).value();
    s.byteLevel = P.byteLevelSeen();
  }
  if (j.contains("decoder"))
    if (auto st = P.decoder(j["decoder"], "decoder", s.decoder); !st) return st.error();

  // --- BOS/EOS: tokenizer_config.json, else the post-processor's template, else config.json
  int templBos = -1, templEos = -1;
  bool templAddBos = false, templAddEos = false;
  std::function<Status(const json&, const std::string&)> post = [&](const json& p, const std::string& where) -> Status {
    if (p.is_null()) return {};
    const std::string t = p.is_object() && p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : "";
    if (t == "Sequence") {
      if (!p.contains("processors") || !p["processors"].is_array()) return bad(where + " has no \"processors\" array");
      for (std::size_t i = 0; i < p["processors"].size(); ++i)
        if (auto st = post(p["processors"][i], where + ".processors[" + std::to_string(i) + "]"); !st) return st;
      return {};
    }
    if (t == "ByteLevel") return {};  // offsets only
    if (t == "RobertaProcessing" || t == "BertProcessing") {
      for (const char* key : {"cls", "sep"})
        if (!p.contains(key) || !p[key].is_array() || p[key].size() != 2 || !p[key][1].is_number_integer())
          return bad(where + "." + key + " is not [\"token\", id]");
      templBos = static_cast<int>(p["cls"][1].get<long long>());
      templEos = static_cast<int>(p["sep"][1].get<long long>());
      templAddBos = templAddEos = true;
      return {};
    }
    if (t == "TemplateProcessing") {
      if (!p.contains("single") || !p["single"].is_array()) return bad(where + " has no \"single\" template");
      const json& specialTokens = p.contains("special_tokens") ? p["special_tokens"] : json::object();
      std::vector<int> before, after;
      bool seenA = false;
      for (const json& item : p["single"]) {
        if (item.contains("Sequence")) {
          seenA = true;
          continue;
        }
        if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") || !item["SpecialToken"]["id"].is_string())
          return bad(where + ".single has an item that is neither a Sequence nor a SpecialToken");
        const std::string tokName = item["SpecialToken"]["id"].get<std::string>();
        if (!specialTokens.contains(tokName) || !specialTokens[tokName].contains("ids") || !specialTokens[tokName]["ids"].is_array() ||
            specialTokens[tokName]["ids"].size() != 1 || !specialTokens[tokName]["ids"][0].is_number_integer())
          return bad(where + ".special_tokens['" + tokName + "'] does not give exactly one id");
        (seenA ? after : before).push_back(static_cast<int>(specialTokens[tokName]["ids"][0].get<long long>()));
      }
      if (before.size() > 1 || after.size() > 1)
        return bad(where + ".single puts more than one token before or after the text (not supported)");
      if (!before.empty()) templBos = before[0], templAddBos = true;
      if (!after.empty()) templEos = after[0], templAddEos = true;
      return {};
    }
    return bad(where + ".type '" + t + "' is not supported (supported: TemplateProcessing, ByteLevel, Sequence, RobertaProcessing, BertProcessing)");
  };
  if (j.contains("post_processor"))
    if (auto st = post(j["post_processor"], "post_processor"); !st) return st.error();

  s.bos = templBos >= 0 ? templBos : bos;
  s.eos = templEos >= 0 ? templEos : eos;
  s.addBos = templAddBos;
  s.addEos = templAddEos;
  if (!configJson.empty()) {
    if (auto deep = jsonDepthError(configJson)) return makeError(configName + ": " + *deep);
    const json cfg = json::parse(configJson, nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object()) return makeError(configName + ": not a JSON object");
    auto idOf = [&](const std::string& content) -> int {
      if (auto it = addedIds.find(content); it != addedIds.end()) return it->second;
      if (auto it = s.ids.find(content); it != s.ids.end()) return it->second;
      return -1;
    };
    for (auto [key, field] : {std::pair{"bos_token", &s.bos}, {"eos_token", &s.eos}}) {
      auto t = configToken(cfg, key, configName);
      if (!t) return t.error();
      if (*t) {
        const int id = idOf(**t);
        if (id < 0) return makeError(configName + ": " + key + " '" + **t + "' is not a token of " + name);
        *field = id;
      }
    }
    for (auto [key, field] : {std::pair{"add_bos_token", &s.addBos}, {"add_eos_token", &s.addEos}}) {
      if (!cfg.contains(key) || cfg[key].is_null()) continue;
      if (!cfg[key].is_boolean()) return makeError(configName + ": \"" + key + "\" is not true or false");
      *field = cfg[key].get<bool>();
    }
  }
  for (auto [what, id] : {std::pair{"BOS", s.bos}, {"EOS", s.eos}})
    if (id >= static_cast<int>(size))
      return bad(std::string(what) + " id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(size));
  for (int id : {s.bos, s.eos})
    if (id >= 0 && s.attrs[static_cast<std::size_t>(id)] == kAttrNormal) s.attrs[static_cast<std::size_t>(id)] = kAttrControl;
  s.description = std::string("tokenizer.json ") + (s.byteLevel ? "byte-level BPE" : "BPE") + ", " +
                  std::to_string(size) + " tokens" + (options.prefixSpace ? "" : ", no prefix space");
  return std::make_unique<BpeTokenizer>(std::move(s));
}

Result<std::unique_ptr<BpeTokenizer>> loadHfTokenizer(const std::filesystem::path& path, int bos, int eos,
                                                      const TokenizerOptions& options) {
  // Sizes are checked before reading: a 4 GiB tokenizer.json is refused, not read into memory.
  auto text = readTextFile(path, kMaxTokenizerJsonBytes, "tokenizer.json");
  if (!text) return text.error();
  const std::filesystem::path cfgPath = path.parent_path() / "tokenizer_config.json";
  std::error_code ec;
  std::string cfg;
  if (std::filesystem::exists(cfgPath, ec)) {
    auto c = readTextFile(cfgPath, kMaxConfigJsonBytes, "tokenizer_config.json");
    if (!c) return c.error();
    cfg = std::move(*c);
  }
  return parseHfTokenizer(*text, path.string(), bos, eos, options, cfg, cfgPath.string());
}

}  // namespace quench::model
