#include "core/model/tokenizer_hf.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "core/model/merge_queue.h"
#include "core/model/token_text.h"

namespace quench::model {

namespace {
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁", SentencePiece's space
}  // namespace

void BpeTokenizer::encodeSegment(std::string_view text, std::vector<int>& out) const {
  // Normalizer: " " → "▁". The file's normalizer also prepends "▁", but TinyStories-656K was
  // trained without it (shared/data/README.md), so it is deliberately not applied.
  std::string norm;
  for (char ch : text) {
    if (ch == ' ') norm += kSpaceMark;
    else norm += ch;
  }
  // 1. one id per character; unknown characters as <0xXX> byte tokens (byte_fallback) or as the
  //    unknown token, with runs of unknowns fused into one (fuse_unk)
  std::vector<int> seq;
  for (std::size_t i = 0; i < norm.size();) {
    const std::size_t n = std::min(utf8Length(static_cast<unsigned char>(norm[i])), norm.size() - i);
    auto it = m_ids.find(norm.substr(i, n));
    if (it != m_ids.end()) {
      seq.push_back(it->second);
    } else {
      bool allBytes = m_byteFallback;
      for (std::size_t j = 0; j < n && allBytes; ++j) allBytes = m_byteIds[static_cast<unsigned char>(norm[i + j])] >= 0;
      if (allBytes) {
        for (std::size_t j = 0; j < n; ++j) seq.push_back(m_byteIds[static_cast<unsigned char>(norm[i + j])]);
      } else if (m_unk >= 0 && !(m_fuseUnk && !seq.empty() && seq.back() == m_unk)) {
        seq.push_back(m_unk);
      }
    }
    i += n;
  }
  // 2. apply the merge of lowest rank (leftmost among equals) until no adjacent pair has one
  detail::mergeGreedy(seq, [&](int a, int b) -> std::optional<std::pair<double, int>> {
    auto it = m_merges.find({a, b});
    if (it == m_merges.end()) return std::nullopt;
    return std::pair<double, int>{-static_cast<double>(it->second.first), it->second.second};
  });
  out.insert(out.end(), seq.begin(), seq.end());
}

std::vector<int> BpeTokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> ids;
  if (bos) ids.push_back(m_bos);
  // Added tokens written literally in the text become their ids; the text between is BPE-encoded.
  std::size_t start = 0, i = 0;
  while (i < text.size()) {
    bool matched = false;
    for (const auto& [content, id] : m_added) {
      if (!content.empty() && text.substr(i, content.size()) == content) {
        if (i > start) encodeSegment(text.substr(start, i - start), ids);
        ids.push_back(id);
        i += content.size();
        start = i;
        matched = true;
        break;
      }
    }
    if (!matched) ++i;
  }
  if (start < text.size()) encodeSegment(text.substr(start), ids);
  if (eos) ids.push_back(m_eos);
  return ids;
}

std::string BpeTokenizer::decodePiece(int /*prev*/, int token) const {
  // Decoder: "▁" → " ", <0xXX> → the byte. The file's decoder also strips one leading space,
  // which undoes the prepended "▁" that encode() deliberately leaves out, so it is not applied.
  if (m_special[static_cast<std::size_t>(token)]) return {};
  const std::string& p = piece(token);
  if (const int b = byteTokenValue(p); b >= 0) return std::string(1, static_cast<char>(b));
  std::string out;
  for (std::size_t i = 0; i < p.size();) {
    if (p.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
      out += ' ';
      i += kSpaceMark.size();
    } else {
      out += p[i++];
    }
  }
  return out;
}

Result<std::unique_ptr<BpeTokenizer>> parseHfTokenizer(std::string_view text, const std::string& name, int bos,
                                                       int eos) {
  auto bad = [&](const std::string& what) { return makeError(name + ": invalid tokenizer.json: " + what); };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("model") || !j["model"].is_object()) return bad("no \"model\" object");
  const nlohmann::json& m = j["model"];
  if (!m.contains("type") || m["type"] != "BPE") return bad("model type is not \"BPE\"");
  if (!m.contains("vocab") || !m["vocab"].is_object() || m["vocab"].empty()) return bad("no \"model.vocab\" object");
  if (!m.contains("merges") || !m["merges"].is_array()) return bad("no \"model.merges\" array");

  auto tok = std::make_unique<BpeTokenizer>();
  const nlohmann::json& vocab = m["vocab"];
  const std::size_t n = vocab.size();
  if (n > (1u << 22)) return bad("vocabulary of " + std::to_string(n) + " entries is too large");
  tok->m_pieces.assign(n, {});
  std::vector<bool> seen(n, false);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_integer()) return bad("vocab entry '" + it.key() + "' has no integer id");
    const auto id = it->get<long long>();
    if (id < 0 || id >= static_cast<long long>(n) || seen[static_cast<std::size_t>(id)])
      return bad("vocab ids are not a permutation of 0.." + std::to_string(n - 1) + " (id " + std::to_string(id) + ")");
    seen[static_cast<std::size_t>(id)] = true;
    tok->m_pieces[static_cast<std::size_t>(id)] = it.key();
    tok->m_ids.emplace(it.key(), static_cast<int>(id));
    if (const int b = byteTokenValue(it.key()); b >= 0 && tok->m_byteIds[static_cast<std::size_t>(b)] < 0)
      tok->m_byteIds[static_cast<std::size_t>(b)] = static_cast<int>(id);
  }
  tok->m_special.assign(n, false);

  const nlohmann::json& merges = m["merges"];
  for (std::size_t r = 0; r < merges.size(); ++r) {
    std::string left, right;
    if (merges[r].is_string()) {  // "a b"
      const std::string s = merges[r].get<std::string>();
      const auto sp = s.find(' ');
      if (sp == std::string::npos) return bad("merge " + std::to_string(r) + " has no space");
      left = s.substr(0, sp);
      right = s.substr(sp + 1);
    } else if (merges[r].is_array() && merges[r].size() == 2 && merges[r][0].is_string() && merges[r][1].is_string()) {
      left = merges[r][0].get<std::string>();
      right = merges[r][1].get<std::string>();
    } else {
      return bad("merge " + std::to_string(r) + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto a = tok->m_ids.find(left), b = tok->m_ids.find(right), ab = tok->m_ids.find(left + right);
    if (a == tok->m_ids.end() || b == tok->m_ids.end() || ab == tok->m_ids.end())
      return bad("merge " + std::to_string(r) + " ('" + left + "' + '" + right + "') names a piece not in the vocab");
    tok->m_merges.emplace(std::make_pair(a->second, b->second), std::make_pair(static_cast<int>(r), ab->second));
  }

  if (j.contains("added_tokens")) {
    if (!j["added_tokens"].is_array()) return bad("\"added_tokens\" is not an array");
    for (const auto& a : j["added_tokens"]) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string())
        return bad("an added token lacks an integer id or a string content");
      const auto id = a["id"].get<long long>();
      if (id < 0 || id >= static_cast<long long>(n)) return bad("added token id " + std::to_string(id) + " out of range");
      tok->m_added.emplace_back(a["content"].get<std::string>(), static_cast<int>(id));
      if (a.value("special", false)) tok->m_special[static_cast<std::size_t>(id)] = true;
    }
    // Longest first, so that an added token that is a prefix of another does not shadow it.
    std::stable_sort(tok->m_added.begin(), tok->m_added.end(),
                     [](const auto& x, const auto& y) { return x.first.size() > y.first.size(); });
  }
  if (m.contains("unk_token") && m["unk_token"].is_string()) {
    auto it = tok->m_ids.find(m["unk_token"].get<std::string>());
    if (it == tok->m_ids.end()) return bad("unk_token is not in the vocab");
    tok->m_unk = it->second;
  }
  tok->m_byteFallback = m.value("byte_fallback", false);
  tok->m_fuseUnk = m.value("fuse_unk", false);
  if (bos < 0 || bos >= static_cast<int>(n) || eos < 0 || eos >= static_cast<int>(n))
    return bad("BOS " + std::to_string(bos) + " / EOS " + std::to_string(eos) + " outside the vocabulary of " +
               std::to_string(n));
  tok->m_bos = bos;
  tok->m_eos = eos;
  tok->m_special[static_cast<std::size_t>(bos)] = true;
  tok->m_special[static_cast<std::size_t>(eos)] = true;
  return tok;
}

Result<std::unique_ptr<BpeTokenizer>> loadHfTokenizer(const std::filesystem::path& path, int bos, int eos) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(path.string() + ": cannot open tokenizer.json");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseHfTokenizer(ss.str(), path.string(), bos, eos);
}

}  // namespace quench::model
