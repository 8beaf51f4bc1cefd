// quench-cli eval MODEL [--recipe R.json | --method M ...] (--text FILE | --tokens FILE |
// --sample N --length L --seed S | --reference-logits FILE) [--context C] [--ppl] [--per-layer [--mode M]] [--json]:
// per-token divergence of the quantized model Q from the original P (MATH.md §9, §11), and with
// --per-layer where in depth it enters (MATH.md §14). The computation is core/eval/layer_stream.h;
// this file only formats it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_options.h"
#include "app/cli/method_options.h"
#include "core/eval/layer_stream.h"

namespace quench::cli {
namespace {
struct EvalOptions {
  EvalSourceOptions source;
  std::string recipe;
  MethodOptions method;  // a one-rule recipe from the command line
  double temperature = 1.0;
  bool json = false;
  bool perLayer = false;
  bool ppl = false;  // llama-perplexity's chunks and scored positions
  std::string mode;  // "propagated" (default), "isolated" or "both"
};

// NaN/∞ are not JSON numbers: a lens KL of +∞ is written as the string "inf".
nlohmann::ordered_json number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return nullptr;
  return v;
}

nlohmann::ordered_json depthJson(const eval::DepthProfile& p) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const eval::LayerDepth& d : p.layers) {
    nlohmann::ordered_json j;
    j["layer"] = d.layer;
    j["rel_err_mean"] = number(d.relErrMean);
    j["rel_err_median"] = number(d.relErrMedian);
    j["rel_err_p90"] = number(d.relErrP90);
    j["rel_err_p99"] = number(d.relErrP99);
    j["rel_err_max"] = number(d.relErrMax);
    j["cosine_mean"] = number(d.cosineMean);
    j["cosine_min"] = number(d.cosineMin);
    j["lens_kl_mean"] = number(d.lensKlMean);
    j["lens_kl_median"] = number(d.lensKlMedian);
    j["lens_kl_p90"] = number(d.lensKlP90);
    j["lens_kl_p99"] = number(d.lensKlP99);
    j["lens_kl_max"] = number(d.lensKlMax);
    j["lens_kl_infinite"] = d.lensKlInfinite;
    layers.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["mode"] = eval::depthModeName(p.mode);
  j["positions"] = p.positions;
  j["layers"] = std::move(layers);
  return j;
}

void printDepthTable(const eval::DepthProfile& p) {
  std::printf("\nper layer, %s (%zu positions)\n", eval::depthModeName(p.mode), p.positions);
  std::printf("%5s  %11s %11s %11s  %9s %9s  %11s %11s %11s\n", "layer", "r mean", "r p90", "r max", "cos mean",
              "cos min", "lens KL", "lens p90", "lens max");
  for (const eval::LayerDepth& d : p.layers)
    std::printf("%5d  %11.4e %11.4e %11.4e  %9.6f %9.6f  %11.4e %11.4e %11.4e\n", d.layer, d.relErrMean, d.relErrP90,
                d.relErrMax, d.cosineMean, d.cosineMin, d.lensKlMean, d.lensKlP90, d.lensKlMax);
}

Result<Recipe> buildRecipe(const EvalOptions& o) {
  if (!o.recipe.empty()) return loadRecipe(o.recipe);
  auto rule = methodRule(o.method);
  if (!rule) return rule.error();
  if (rule->empty()) return Recipe{};  // Q = P (useful against a reference file)
  return recipeFromRule(*rule);
}

int runEval(const EvalOptions& o) {
  if (!o.recipe.empty() && !o.method.method().empty()) return fail("eval: give --recipe or --method, not both");
  if (!o.mode.empty() && !o.perLayer) return fail("eval: --mode chooses the per-layer figures: give --per-layer too");
  if (o.perLayer && !o.source.referenceLogits.empty())
    return fail("eval: --per-layer compares with the original model's activations, which --reference-logits does "
                "not hold: evaluate on --text, --tokens or --sample");
  if (o.ppl && o.source.textFile.empty())
    return fail("eval: --ppl scores a text as llama-perplexity does: give --text FILE (and --context C)");
  const std::string mode = o.mode.empty() ? "propagated" : o.mode;
  auto recipe = buildRecipe(o);
  if (!recipe) return fail(recipe.error().message);
  auto src = openEvalSource(o.source, false);
  if (!src) return fail("eval: " + src.error().message);
  src->p.reset();  // sampled sequences are drawn; the streamed evaluation runs P layer by layer
  if (o.ppl) {  // the text again, cut as llama-perplexity cuts it (--text implies a tokenizer)
    auto text = eval::readFile(o.source.textFile);
    if (!text) return fail("eval: " + text.error().message);
    const int seqLen = model::exactContext(src->files.config);
    const int context = o.source.context > 0 ? std::min(o.source.context, seqLen) : seqLen;
    auto chunks = eval::perplexityChunks(*src->files.tokenizer, *text, context);
    if (!chunks) return fail("eval: " + o.source.textFile + ": " + chunks.error().message);
    src->sequences = std::move(chunks).value();
  }
  eval::StreamedOptions so;
  so.temperature = o.temperature;
  so.llamaPerplexityRows = o.ppl;
  so.propagated = o.perLayer && (mode == "propagated" || mode == "both");
  so.isolated = o.perLayer && (mode == "isolated" || mode == "both");
  auto e = eval::evaluateStreamed(src->files, *recipe, src->sequences, src->reference ? &*src->reference : nullptr, so);
  if (!e) return fail(e.error().message);
  nlohmann::ordered_json j = evaluationJson(e->evaluation);
  if (o.ppl) {
    const eval::PerplexityEstimate& pe = e->perplexity;
    nlohmann::ordered_json p;
    p["chunks"] = src->sequences.size();
    p["context"] = src->sequences.empty() ? 0 : src->sequences.front().size();
    p["scored_tokens"] = pe.count;
    p["ppl_p"] = number(pe.pplP);
    p["ppl_p_error"] = number(pe.pplPError);
    p["ppl_q"] = number(pe.pplQ);
    p["ppl_q_error"] = number(pe.pplQError);
    j["llama_perplexity"] = std::move(p);
  }
  if (o.json) {
    if (o.perLayer) {
      nlohmann::ordered_json modes = nlohmann::ordered_json::array();
      for (const eval::DepthProfile& p : e->depth) modes.push_back(depthJson(p));
      j["per_layer"] = std::move(modes);
    }
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  for (auto it = j.begin(); it != j.end(); ++it) std::cout << std::left << it.key() << "  " << it.value().dump() << '\n';
  std::cout.flush();
  if (o.ppl)  // llama-perplexity's "Final estimate" line, for both models
    std::printf("\nFinal estimate: PPL(P) = %.4f +/- %.5f, PPL(Q) = %.4f +/- %.5f (%zu chunks, %zu scored tokens)\n",
                e->perplexity.pplP, e->perplexity.pplPError, e->perplexity.pplQ, e->perplexity.pplQError,
                src->sequences.size(), e->perplexity.count);
  for (const eval::DepthProfile& p : e->depth) printDepthTable(p);
  return 0;
}
}  // namespace

Runner addEvalCommand(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "KL/JS, top-1 and perplexity of a quantized model against the original");
  addEvalSourceOptions(*cmd, o->source);
  cmd->add_option("--recipe", o->recipe, "Recipe JSON applied to the weights (Q)");
  o->method.addTo(*cmd);
  cmd->add_option("--temperature", o->temperature, "Compare softmax(z/T) of both models (MATH.md §8)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--per-layer", o->perLayer,
                "Per layer: relative error and cosine of the residual stream, logit-lens KL (MATH.md §14)");
  cmd->add_option("--mode", o->mode,
                  "Per-layer mode: propagated (Q on its own activations, default), isolated (each block of Q fed "
                  "P's input) or both")
      ->check(CLI::IsMember({"propagated", "isolated", "both"}));
  cmd->add_flag("--ppl", o->ppl,
                "Score --text as llama-perplexity does: ⌊n/C⌋ chunks of --context C tokens, first token replaced by "
                "BOS, the second half of each chunk scored; adds PPL ± its uncertainty for P and Q");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runEval(*o); };
}

}  // namespace quench::cli
