#include "core/eval/eval_data.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "core/eval/evaluate.h"

namespace quench::eval {

// The runtime this room evaluates (core/model).
using model::Tokenizer;

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::vector<std::vector<int>>> readTokenFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return text.error();
  std::vector<std::vector<int>> seqs;
  std::istringstream lines(*text);
  std::string line;
  for (int lineNo = 1; std::getline(lines, line); ++lineNo) {
    std::istringstream words(line);
    std::vector<int> seq;
    for (std::string w; words >> w;) {
      int id = 0;
      const auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), id);
      if (ec != std::errc() || p != w.data() + w.size())
        return makeError(path + ":" + std::to_string(lineNo) + ": '" + w + "' is not a token id");
      seq.push_back(id);
    }
    if (!seq.empty()) seqs.push_back(std::move(seq));
  }
  if (seqs.empty()) return makeError(path + ": no token ids");
  return seqs;
}

std::vector<std::vector<int>> textSequences(const Tokenizer& tokenizer, const std::string& text, int context) {
  return chunkTokens(tokenizer.encode(text, tokenizer.addsBos(), false), context);
}

Result<std::vector<std::vector<int>>> perplexityChunks(const Tokenizer& tokenizer, const std::string& text,
                                                      int context) {
  if (context < 2) return makeError("a perplexity context needs at least 2 tokens");
  const std::vector<int> ids = tokenizer.encode(text, tokenizer.addsBos(), false);
  const auto c = static_cast<std::size_t>(context);
  if (ids.size() < 2 * c)
    return makeError("the text tokenizes to " + std::to_string(ids.size()) + " tokens; scoring it as llama-perplexity "
                     "does with a context of " + std::to_string(context) + " needs at least " + std::to_string(2 * c));
  std::vector<std::vector<int>> chunks;
  for (std::size_t at = 0; at + c <= ids.size(); at += c) {
    std::vector<int> chunk(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.begin() + static_cast<std::ptrdiff_t>(at + c));
    if (tokenizer.addsBos()) chunk[0] = tokenizer.bosId();
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

std::vector<std::vector<int>> lineSequences(const std::vector<std::vector<int>>& lines, int context) {
  std::vector<std::vector<int>> out;
  for (const auto& line : lines)
    for (auto& chunk : chunkTokens(line, context)) out.push_back(std::move(chunk));
  return out;
}

}  // namespace quench::eval
