// quench-cli eval MODEL [--recipe R.json | --method M ...] (--text FILE | --tokens FILE |
// --sample N --length L --seed S | --reference-logits FILE) [--context C] [--json]:
// per-token divergence of the quantized model Q from the original P (MATH.md §9, §11).
#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "core/model/evaluate.h"

namespace quench::cli {
namespace {
struct EvalOptions {
  std::string model, tokenizer, recipe;
  // A one-rule recipe from the command line (every tensor of rank ≥ 2).
  std::string method, partition, format, calib, sparsity;
  int bits = 0, block = -1;
  double threshold = 0;
  bool doubleQuant = false;
  std::string textFile, tokensFile, referenceLogits;
  int sample = 0, length = 0, context = 0;
  std::uint64_t seed = 0;
  bool json = false;
};

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Recipe> buildRecipe(const EvalOptions& o) {
  if (!o.recipe.empty()) return loadRecipe(o.recipe);
  if (o.method.empty()) return Recipe{};  // Q = P (useful against a reference file)
  nlohmann::ordered_json rule;
  rule["tensors"] = "*";
  rule["method"] = o.method;
  if (o.bits) rule["bits"] = o.bits;
  if (!o.partition.empty()) rule["partition"] = o.partition;
  if (!o.format.empty()) rule["format"] = o.format;
  if (!o.calib.empty()) rule["calib"] = o.calib;
  if (!o.sparsity.empty()) rule["sparsity"] = o.sparsity;
  if (o.block >= 0) rule["block"] = o.block;
  if (o.threshold > 0) rule["threshold"] = o.threshold;
  if (o.doubleQuant) rule["double_quant"] = true;
  nlohmann::ordered_json j;
  j["quench_recipe"] = kRecipeVersion;
  j["rules"] = nlohmann::ordered_json::array({rule});
  return recipeFromJson(j.dump());
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

int runEval(const EvalOptions& o) {
  const int sources = !o.textFile.empty() + !o.tokensFile.empty() + (o.sample > 0) + !o.referenceLogits.empty();
  if (sources != 1)
    return fail("eval: give exactly one of --text FILE, --tokens FILE, --sample N --length L, --reference-logits FILE");
  if (!o.recipe.empty() && !o.method.empty()) return fail("eval: give --recipe or --method, not both");
  auto recipe = buildRecipe(o);
  if (!recipe) return fail(recipe.error().message);
  auto files = model::openModel(o.model, o.tokenizer);
  if (!files) return fail(files.error().message);
  auto q = model::loadQuantized(*files, *recipe);
  if (!q) return fail(q.error().message);
  const model::ModelConfig& c = files->config;
  const int context = o.context > 0 ? std::min(o.context, c.seqLen) : c.seqLen;

  TokenAccumulator acc;
  if (!o.referenceLogits.empty()) {
    auto base = LlamaKldFile::open(o.referenceLogits);
    if (!base) return fail(base.error().message);
    if (auto s = model::compareToLlamaKld(*q->transformer, *base, files->tokenizer->bosId(), acc); !s)
      return fail(s.error().message);
  } else {
    auto p = model::loadTransformer(*files);
    if (!p) return fail(p.error().message);
    std::vector<std::vector<int>> seqs;
    if (!o.textFile.empty()) {
      auto text = readFile(o.textFile);
      if (!text) return fail(text.error().message);
      seqs = model::chunkTokens(files->tokenizer->encode(*text, true, false), context);
    } else if (!o.tokensFile.empty()) {
      auto lines = readTokenFile(o.tokensFile);
      if (!lines) return fail(lines.error().message);
      for (const auto& line : *lines)
        for (auto& chunk : model::chunkTokens(line, context)) seqs.push_back(std::move(chunk));
    } else {
      auto sampled = model::sampleSequences(**p, o.sample, o.length, files->tokenizer->bosId(), o.seed);
      if (!sampled) return fail(o.model + ": " + sampled.error().message);
      seqs = std::move(sampled).value();
    }
    if (auto s = model::compareModels(**p, *q->transformer, seqs, acc); !s) return fail(o.model + ": " + s.error().message);
  }
  const TokenSummary t = acc.summary();
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
  j["bits_per_param"] = q->bitsPerParam;
  j["tensors_transformed"] = q->tensorsTransformed;
  if (o.json) {
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  for (auto it = j.begin(); it != j.end(); ++it) std::cout << std::left << it.key() << "  " << it.value().dump() << '\n';
  return 0;
}
}  // namespace

Runner addEvalCommand(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "KL/JS, top-1 and perplexity of a quantized model against the original");
  cmd->add_option("MODEL", o->model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  cmd->add_option("--recipe", o->recipe, "Recipe JSON applied to the weights (Q)");
  cmd->add_option("--method", o->method, "One rule for every matrix: int, float, nf4, fp4, prune, llm-int8");
  cmd->add_option("--bits", o->bits, "int: bits");
  cmd->add_option("--partition", o->partition, "int: tensor, row, column, group:G[:column]");
  cmd->add_option("--calib", o->calib, "int: absmax, minmax, percentile:P, mse, entropy");
  cmd->add_option("--format", o->format, "float: e4m3, e5m2, ...");
  cmd->add_option("--block", o->block, "float: MX block (0 = none); nf4/fp4: absmax block");
  cmd->add_flag("--double-quant", o->doubleQuant, "nf4/fp4: quantize the block scales");
  cmd->add_option("--sparsity", o->sparsity, "prune: fraction or N:M");
  cmd->add_option("--threshold", o->threshold, "llm-int8: outlier threshold");
  cmd->add_option("--text", o->textFile, "UTF-8 text: tokenized with BOS, cut into --context chunks");
  cmd->add_option("--tokens", o->tokensFile, "Whitespace-separated ids, one sequence per line");
  cmd->add_option("--sample", o->sample, "Sample N sequences from the original model")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--length", o->length, "Tokens per sampled sequence (BOS included)");
  cmd->add_option("--seed", o->seed, "Sampling seed");
  cmd->add_option("--reference-logits", o->referenceLogits, "llama.cpp --kl-divergence-base file (P)");
  cmd->add_option("--context", o->context, "Tokens per evaluated chunk (default: the model's context)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runEval(*o); };
}

}  // namespace quench::cli
