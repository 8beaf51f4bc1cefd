#include "core/model/tokenizer_gguf.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace quench::model {

const std::string* findMetadata(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata)
    if (k == key) return &v;
  return nullptr;
}

namespace {
std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}
}  // namespace

Result<std::unique_ptr<SpmTokenizer>> ggufTokenizer(const Metadata& metadata, const std::string& name) {
  auto bad = [&](const std::string& what) { return makeError(name + ": GGUF vocabulary: " + what); };
  if (const auto* model = findMetadata(metadata, "tokenizer.ggml.model"); model && *model != "llama")
    return bad("tokenizer model '" + *model + "' is not supported (only SentencePiece 'llama')");
  const std::string* tokensText = findMetadata(metadata, "tokenizer.ggml.tokens");
  if (!tokensText) return bad("no tokenizer.ggml.tokens");
  const nlohmann::json tokens = nlohmann::json::parse(*tokensText, nullptr, false);
  if (!tokens.is_array() || tokens.empty()) return bad("tokenizer.ggml.tokens is not a non-empty array");
  const std::size_t n = tokens.size();
  if (n < 3) return bad("fewer than 3 tokens");
  std::vector<float> scores(n, 0.0f);
  if (const std::string* scoresText = findMetadata(metadata, "tokenizer.ggml.scores")) {
    const nlohmann::json js = nlohmann::json::parse(*scoresText, nullptr, false);
    if (!js.is_array() || js.size() != n)
      return bad("tokenizer.ggml.scores is not an array of " + std::to_string(n) + " numbers");
    for (std::size_t i = 0; i < n; ++i) {
      if (!js[i].is_number()) return bad("score " + std::to_string(i) + " is not a number");
      scores[i] = js[i].get<float>();
      if (!std::isfinite(scores[i])) return bad("score " + std::to_string(i) + " is not finite");
    }
  }
  std::vector<std::string> pieces;
  pieces.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!tokens[i].is_string()) return bad("token " + std::to_string(i) + " is not a string");
    pieces.push_back(replaceAll(tokens[i].get<std::string>(), "\xE2\x96\x81", " "));  // U+2581 ▁
  }
  auto idOf = [&](std::string_view key, int fallback) -> Result<int> {
    const std::string* v = findMetadata(metadata, key);
    if (!v) return fallback;
    long long id = -1;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
    if (ec != std::errc() || p != v->data() + v->size() || id < 0 || id >= static_cast<long long>(n))
      return bad(std::string(key) + " = " + *v + " is not a token id below " + std::to_string(n));
    return static_cast<int>(id);
  };
  auto bos = idOf("tokenizer.ggml.bos_token_id", 1);
  if (!bos) return bos.error();
  auto eos = idOf("tokenizer.ggml.eos_token_id", 2);
  if (!eos) return eos.error();
  auto unk = idOf("tokenizer.ggml.unknown_token_id", 0);
  if (!unk) return unk.error();
  return std::make_unique<SpmTokenizer>(std::move(pieces), std::move(scores), *bos, *eos, *unk);
}

}  // namespace quench::model
