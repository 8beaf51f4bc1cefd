#include "app/cli/eval_options.h"

namespace quench::cli {

void addPrefixSpaceFlag(CLI::App& cmd, bool& noPrefixSpace) {
  cmd.add_flag("--no-prefix-space", noPrefixSpace,
               "Never put SentencePiece's prefix space in front of text, whatever the tokenizer file says "
               "(TinyStories-656K was trained without it)");
}

void addEvalSourceOptions(CLI::App& cmd, EvalSourceOptions& o) {
  cmd.add_option("MODEL", o.model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd.add_option("--tokenizer", o.tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  cmd.add_option("--text", o.textFile, "UTF-8 text: tokenized (BOS as the tokenizer says), cut into --context chunks");
  cmd.add_option("--tokens", o.tokensFile, "Whitespace-separated ids, one sequence per line (cut into --context chunks)");
  cmd.add_option("--sample", o.sample, "Sample N sequences from the original model")->check(CLI::Range(1, 1 << 20));
  cmd.add_option("--length", o.length, "Tokens per sampled sequence (BOS included)");
  cmd.add_option("--seed", o.seed, "Sampling seed");
  cmd.add_option("--reference-logits", o.referenceLogits, "llama.cpp --kl-divergence-base file (P)");
  cmd.add_option("--context", o.context, "Tokens per evaluated chunk (default: the model's context)");
  addPrefixSpaceFlag(cmd, o.noPrefixSpace);
}

Result<EvalSource> openEvalSource(const EvalSourceOptions& o, bool loadOriginal) {
  const int sources = !o.textFile.empty() + !o.tokensFile.empty() + (o.sample > 0) + !o.referenceLogits.empty();
  if (sources != 1)
    return makeError("give exactly one of --text FILE, --tokens FILE, --sample N --length L, --reference-logits FILE");
  eval::EvalSource source;
  source.kind = !o.textFile.empty()          ? eval::SourceKind::TextFile
                : !o.tokensFile.empty()      ? eval::SourceKind::TokenFile
                : !o.referenceLogits.empty() ? eval::SourceKind::LlamaKld
                                             : eval::SourceKind::Sample;
  source.path = !o.textFile.empty() ? o.textFile : !o.tokensFile.empty() ? o.tokensFile : o.referenceLogits;
  source.count = o.sample;
  source.length = o.length;
  source.seed = o.seed;
  source.context = o.context;
  EvalSource s;
  model::TokenizerOptions topt;
  topt.prefixSpace = !o.noPrefixSpace;
  auto files = model::openModel(o.model, o.tokenizer, topt);
  if (!files) return files.error();
  s.files = std::move(files).value();
  // Against a .kld the file holds P.
  if (eval::needsOriginal(source.kind) && (loadOriginal || source.kind == eval::SourceKind::Sample)) {
    auto p = model::loadTransformer(s.files);
    if (!p) return p.error();
    s.p = std::move(p).value();
  }
  auto data = eval::prepareEvalData(s.files, s.p.get(), source);
  if (!data) return data.error();
  s.sequences = std::move(data->sequences);
  s.reference = std::move(data->reference);
  return s;
}

nlohmann::ordered_json evaluationJson(const eval::RecipeEvaluation& e) {
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
