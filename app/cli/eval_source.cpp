#include "app/cli/eval_source.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace quench::cli {

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

void addEvalSourceOptions(CLI::App& cmd, EvalSourceOptions& o) {
  cmd.add_option("MODEL", o.model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd.add_option("--tokenizer", o.tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  cmd.add_option("--text", o.textFile, "UTF-8 text: tokenized with BOS, cut into --context chunks");
  cmd.add_option("--tokens", o.tokensFile, "Whitespace-separated ids, one sequence per line (cut into --context chunks)");
  cmd.add_option("--sample", o.sample, "Sample N sequences from the original model")->check(CLI::Range(1, 1 << 20));
  cmd.add_option("--length", o.length, "Tokens per sampled sequence (BOS included)");
  cmd.add_option("--seed", o.seed, "Sampling seed");
  cmd.add_option("--reference-logits", o.referenceLogits, "llama.cpp --kl-divergence-base file (P)");
  cmd.add_option("--context", o.context, "Tokens per evaluated chunk (default: the model's context)");
}

Result<EvalSource> openEvalSource(const EvalSourceOptions& o) {
  const int sources = !o.textFile.empty() + !o.tokensFile.empty() + (o.sample > 0) + !o.referenceLogits.empty();
  if (sources != 1)
    return makeError("give exactly one of --text FILE, --tokens FILE, --sample N --length L, --reference-logits FILE");
  EvalSource s;
  auto files = model::openModel(o.model, o.tokenizer);
  if (!files) return files.error();
  s.files = std::move(files).value();
  if (!o.referenceLogits.empty()) {
    auto base = LlamaKldFile::open(o.referenceLogits);
    if (!base) return base.error();
    s.reference = std::move(base).value();
    return s;
  }
  auto p = model::loadTransformer(s.files);
  if (!p) return p.error();
  s.p = std::move(p).value();
  const int seqLen = s.files.config.seqLen;
  const int context = o.context > 0 ? std::min(o.context, seqLen) : seqLen;
  if (!o.textFile.empty()) {
    auto text = readFile(o.textFile);
    if (!text) return text.error();
    s.sequences = model::chunkTokens(s.files.tokenizer->encode(*text, true, false), context);
  } else if (!o.tokensFile.empty()) {
    auto lines = readTokenFile(o.tokensFile);
    if (!lines) return lines.error();
    for (const auto& line : *lines)
      for (auto& chunk : model::chunkTokens(line, context)) s.sequences.push_back(std::move(chunk));
  } else {
    auto sampled = model::sampleSequences(*s.p, o.sample, o.length, s.files.tokenizer->bosId(), o.seed);
    if (!sampled) return makeError(o.model + ": " + sampled.error().message);
    s.sequences = std::move(sampled).value();
  }
  return s;
}

nlohmann::ordered_json evaluationJson(const model::RecipeEvaluation& e) {
  const TokenSummary& t = e.summary;
  nlohmann::ordered_json j;
  j["tokens"] = t.tokens;
  j["kl_mean"] = t.klMean;
  j["kl_stderr"] = t.klStderr;
  j["kl_median"] = t.klMedian;
  j["kl_p90"] = t.klP90;
  j["kl_p95"] = t.klP95;
  j["kl_p99"] = t.klP99;
  j["kl_p999"] = t.klP999;
  j["kl_min"] = t.klMin;
  j["kl_max"] = t.klMax;
  j["kl_infinite"] = t.klInfinite;
  j["js_mean"] = t.jsMean;
  j["top1_agreement"] = t.top1Agreement;
  j["scored_tokens"] = t.withTrue;
  j["ppl_p"] = t.pplP;
  j["ppl_q"] = t.pplQ;
  j["ppl_ratio"] = t.pplRatio;
  j["ln_ppl_ratio"] = t.lnPplRatio;
  j["delta_p_mean"] = t.deltaPMean;
  j["delta_p_rms"] = t.deltaPRms;
  j["bits_per_param"] = e.bitsPerParam;
  j["tensors_transformed"] = e.tensorsTransformed;
  return j;
}

}  // namespace quench::cli
