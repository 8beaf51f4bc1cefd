#pragma once
// What `eval` and `sweep` compare on, from their shared command-line options: text, token file,
// sequences sampled from the original model, or a llama.cpp .kld base file. The options map onto
// core/eval/eval_source.h, the same switch the workbench's Divergence page uses.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/eval/eval_data.h"
#include "core/eval/eval_source.h"
#include "core/eval/evaluate.h"

namespace quench::cli {

struct EvalSourceOptions {
  std::string model, tokenizer;
  std::string textFile, tokensFile, referenceLogits;
  int sample = 0, length = 0, context = 0;
  std::uint64_t seed = 0;
  bool noPrefixSpace = false;
};

/// The tokenizer options of --no-prefix-space (shared by every command that tokenizes text).
void addPrefixSpaceFlag(CLI::App& cmd, bool& noPrefixSpace);

/// The opened model, the original runtime P (absent against a .kld) and the data.
struct EvalSource {
  model::ModelFiles files;
  std::unique_ptr<model::Transformer> p;
  std::vector<std::vector<int>> sequences;
  std::optional<LlamaKldFile> reference;
};

// Shared with the workbench (core/eval/eval_data.h).
using eval::readFile;
using eval::readTokenFile;

/// Adds MODEL, --tokenizer, --text, --tokens, --sample, --length, --seed, --reference-logits, --context,
/// --no-prefix-space.
void addEvalSourceOptions(CLI::App& cmd, EvalSourceOptions& o);
/// Opens everything; exactly one data source must be given. Without `loadOriginal` the runtime P
/// is loaded only when sampling needs it (a layer-streamed evaluation runs P itself).
Result<EvalSource> openEvalSource(const EvalSourceOptions& o, bool loadOriginal = true);
/// The summary as the JSON object of `eval --json` (MATH.md §9 figures + bits_per_param).
nlohmann::ordered_json evaluationJson(const eval::RecipeEvaluation& e);

}  // namespace quench::cli
