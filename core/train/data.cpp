#include "core/train/data.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/exec/parallel.h"
#include "core/model/sampler.h"

namespace quench::train {

namespace fs = std::filesystem;

namespace {
Result<std::string> readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return makeError(path.string() + ": read failed");
  return ss.str();
}
}  // namespace

std::size_t TokenData::heldoutTokens() const {
  std::size_t n = 0;
  for (const auto& w : heldout) n += w.size();
  return n;
}

std::string unwrapParagraphs(std::string_view text) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  std::string out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    // The paragraph runs to the next run of two or more newlines.
    std::size_t end = text.find("\n\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string para;
    for (std::size_t a = pos; a < end;) {
      std::size_t b = text.find('\n', a);
      if (b == std::string_view::npos || b > end) b = end;
      std::string_view line = text.substr(a, b - a);
      while (!line.empty() && isSpace(line.front())) line.remove_prefix(1);
      while (!line.empty() && isSpace(line.back())) line.remove_suffix(1);
      if (!line.empty()) {
        if (!para.empty()) para += ' ';
        para += line;
      }
      a = b + 1;
    }
    if (!para.empty()) {
      if (!out.empty()) out += '\n';
      out += para;
    }
    if (end == text.size()) break;
    pos = end;
    while (pos < text.size() && text[pos] == '\n') ++pos;
  }
  return out;
}

Result<TokenData> corpusData(const model::Tokenizer& tok, const CorpusOptions& o) {
  if (o.train.empty()) return makeError("no training text given");
  if (o.context < 2) return makeError("held-out windows need at least 2 tokens (context " + std::to_string(o.context) + ")");
  if (o.heldout.empty() && !(o.heldoutFraction > 0 && o.heldoutFraction < 1))
    return makeError("the held-out fraction must lie in (0, 1)");
  TokenData d;
  std::string heldoutText;
  for (std::size_t i = 0; i < o.train.size(); ++i) {
    auto text = readText(o.train[i]);
    if (!text) return text.error();
    std::string body = std::move(text).value();
    if (o.heldout.empty() && i + 1 == o.train.size()) {
      const auto from = static_cast<std::size_t>((1.0 - o.heldoutFraction) * static_cast<double>(body.size()));
      const std::size_t cut = body.find("\n\n", from);
      if (cut == std::string::npos)
        return makeError(o.train[i].string() + ": no paragraph break (blank line) after " +
                         std::to_string(from) + " bytes to start the held-out part at");
      heldoutText = body.substr(cut + 2);
      body.resize(cut + 2);
    }
    const std::string doc = o.unwrap ? unwrapParagraphs(body) : body;
    const std::vector<int> ids = tok.encode(doc, true, true);
    d.train.insert(d.train.end(), ids.begin(), ids.end());
  }
  if (!o.heldout.empty()) {
    auto text = readText(o.heldout);
    if (!text) return text.error();
    heldoutText = std::move(text).value();
  }
  const std::vector<int> held = tok.encode(o.unwrap ? unwrapParagraphs(heldoutText) : heldoutText, true, false);
  if (held.size() < 2) return makeError("the held-out text has no tokens");
  std::size_t kept = 0;
  for (std::size_t a = 0; a < held.size(); a += static_cast<std::size_t>(o.context)) {
    const std::size_t b = std::min(held.size(), a + static_cast<std::size_t>(o.context));
    if (o.maxHeldoutTokens && !d.heldout.empty() && kept + (b - a) > o.maxHeldoutTokens) break;
    d.heldout.emplace_back(held.begin() + static_cast<std::ptrdiff_t>(a), held.begin() + static_cast<std::ptrdiff_t>(b));
    kept += b - a;
  }
  std::string names;
  for (const fs::path& p : o.train) names += (names.empty() ? "" : ", ") + p.filename().string();
  d.description = names + " (" + std::to_string(d.train.size()) + " training tokens; held-out: " +
                  (o.heldout.empty() ? "the last part of " + o.train.back().filename().string()
                                     : o.heldout.filename().string()) +
                  ", " + std::to_string(kept) + " tokens)";
  return d;
}

Result<TokenData> sampledData(const Network<float>& teacher, const float* params, int bos, const SampleOptions& o,
                              const Work& work) {
  const model::ModelConfig& c = teacher.layout().config();
  if (o.length < 2 || o.length > c.seqLen)
    return makeError("sampled sequences need 2 to " + std::to_string(c.seqLen) + " tokens (asked " +
                     std::to_string(o.length) + ")");
  if (o.trainSequences < 1 || o.heldoutSequences < 1) return makeError("sample at least one training and one held-out sequence");
  const int total = o.trainSequences + o.heldoutSequences;
  std::vector<std::vector<int>> seqs(static_cast<std::size_t>(total));
  std::atomic<int> done{0};
  exec::parallelForEach(static_cast<std::size_t>(total), [&](std::size_t index) {
    const int i = static_cast<int>(index);
    if (work.cancelled()) return;
    model::Sampler sampler(1.0f, o.seed + static_cast<std::uint64_t>(i));
    SequenceCache<float> cache;
    std::vector<int>& s = seqs[static_cast<std::size_t>(i)];
    s.push_back(bos);
    // Each new token re-runs the prefix (no KV cache in the training engine): length²/2 token
    // evaluations per sequence, seconds in all at teaching scale.
    while (static_cast<int>(s.size()) < o.length) {
      teacher.forward(params, s, cache);
      const auto row = cache.logits.row(cache.logits.rows() - 1);
      s.push_back(sampler.sample({row.data(), static_cast<std::size_t>(row.size())}));
    }
    work.report(++done, total);
  });
  if (work.cancelled()) return makeError("cancelled");
  TokenData d;
  for (int i = 0; i < o.trainSequences; ++i) d.train.insert(d.train.end(), seqs[i].begin(), seqs[i].end());
  for (int i = o.trainSequences; i < total; ++i) d.heldout.push_back(std::move(seqs[static_cast<std::size_t>(i)]));
  d.description = std::to_string(o.trainSequences) + " training and " + std::to_string(o.heldoutSequences) +
                  " held-out sequences of " + std::to_string(o.length) + " tokens sampled from the teacher (seed " +
                  std::to_string(o.seed) + ")";
  return d;
}

WindowSampler::WindowSampler(const std::vector<int>& stream, int length, std::uint64_t seed)
    : m_stream(stream), m_length(length), m_rng(seed) {}

std::span<const int> WindowSampler::next() {
  const std::size_t starts = m_stream.size() - static_cast<std::size_t>(m_length) + 1;
  const std::size_t s = static_cast<std::size_t>(m_rng.below(starts));
  return {m_stream.data() + s, static_cast<std::size_t>(m_length)};
}

}  // namespace quench::train
