// quench-cli generate MODEL [--prompt TEXT] [--tokens N] [--greedy | --temperature T --seed S]:
// text from a llama2.c .bin, a .gguf or a Hugging Face folder, streamed to stdout.
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_options.h"
#include "core/model/model_loader.h"
#include "core/model/sampler.h"

namespace quench::cli {
namespace {
struct GenerateCliOptions {
  std::string model;
  std::string tokenizer;
  std::string prompt;
  int tokens = 256;
  bool greedy = false;
  float temperature = 1.0f;
  std::uint64_t seed = 0;
  bool json = false;
  bool noPrefixSpace = false;
};

int runGenerate(const GenerateCliOptions& o) {
  model::TokenizerOptions topt;
  topt.prefixSpace = !o.noPrefixSpace;
  auto files = model::openModel(o.model, o.tokenizer, topt);
  if (!files) return fail(files.error().message);
  if (!files->tokenizer)
    return fail(o.model + ": the folder has no tokenizer.json: generate needs a tokenizer to write text");
  auto transformer = model::loadTransformer(*files);
  if (!transformer) return fail(transformer.error().message);
  const model::Tokenizer& tok = *files->tokenizer;
  // Generation always starts from BOS (the prompt is the beginning of a document).
  const std::vector<int> prompt = tok.encode(o.prompt, tok.bosId() >= 0, false);
  model::GenerateOptions g;
  g.maxNewTokens = o.tokens;
  g.temperature = o.greedy ? 0.0f : o.temperature;
  g.seed = o.seed;
  std::string text = *tok.decode(prompt);  // prompt ids come from the tokenizer: always in range
  if (!o.json) std::cout << text << std::flush;
  auto generated = model::generate(**transformer, prompt, g, tok.bosId(), tok.eosId(), [&](int prev, int token) {
    const std::string piece = tok.decodePiece(prev, token);
    text += piece;
    if (!o.json) std::cout << piece << std::flush;
  });
  if (!generated) return fail(o.model + ": " + generated.error().message);
  if (o.json) {
    nlohmann::ordered_json out;
    out["model"] = o.model;
    out["prompt_tokens"] = prompt;
    out["tokens"] = *generated;
    out["text"] = text;
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << '\n';
  }
  return 0;
}
}  // namespace

Runner addGenerateCommand(CLI::App& app) {
  auto o = std::make_shared<GenerateCliOptions>();
  auto* cmd = app.add_subcommand("generate", "Generate text with a Llama-family model");
  cmd->add_option("MODEL", o->model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (default: tokenizer.bin or tok*.bin beside MODEL)");
  cmd->add_option("--prompt", o->prompt, "Text to continue (default: start from BOS)");
  cmd->add_option("--tokens", o->tokens, "Most new tokens to generate")->check(CLI::Range(1, 1 << 20));
  auto* greedy = cmd->add_flag("--greedy", o->greedy, "Always take the most likely token");
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (> 0)")
      ->check(CLI::Range(1e-3f, 100.0f))
      ->excludes(greedy);
  cmd->add_option("--seed", o->seed, "Random seed for sampling")->excludes(greedy);
  addPrefixSpaceFlag(*cmd, o->noPrefixSpace);
  cmd->add_flag("--json", o->json, "Print JSON (prompt ids, new ids, text)");
  return [o] { return runGenerate(*o); };
}

}  // namespace quench::cli
