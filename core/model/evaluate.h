#pragma once
// Evaluation of a model against a reference (MATH.md §9, §11): the original network P against the
// same network Q with its weights replaced by recipe reconstructions (simulated quantization), on
// token sequences, on sequences sampled from P, or against a llama.cpp --kl-divergence-base file.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/divergence/kld_file.h"
#include "core/divergence/token_summary.h"
#include "core/model/model_loader.h"
#include "core/recipe/recipe.h"

namespace quench::model {

/// A runtime whose weights went through a recipe, with the storage it would take.
struct QuantizedModel {
  std::unique_ptr<Transformer> transformer;
  double bitsPerParam = 32.0;         ///< over every weight the runtime loads (untouched ones at 32)
  std::size_t tensorsTransformed = 0;
};

/// Load `files`' weights, replacing each tensor a rule of `recipe` selects (by its name in the
/// file, MATH.md §7 matching) by quantizeTensor's reconstruction.
Result<QuantizedModel> loadQuantized(const ModelFiles& files, const Recipe& recipe, const Work& work = {});

/// Split `tokens` into consecutive chunks of `context` tokens, each fed as given from an empty
/// cache (the last chunk may be shorter).
std::vector<std::vector<int>> chunkTokens(const std::vector<int>& tokens, int context);

/// `count` sequences of `length` tokens from P: BOS, then length − 1 tokens drawn from
/// softmax(logits) with Sampler(1, seed + sequence index).
Result<std::vector<std::vector<int>>> sampleSequences(Transformer& p, int count, int length, int bos,
                                                      std::uint64_t seed, const Work& work = {});

/// Each sequence fed from an empty cache to both models; every position is a row (its true next
/// token is the following one in the sequence, none for the last). Rows are added to `acc`.
/// temperature T ≠ 1 compares softmax(z/T) of both models (MATH.md §8), perplexities included.
Status compareModels(Transformer& p, Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work = {}, double temperature = 1.0);

/// Q against the base log-probabilities of a llama.cpp .kld file (MATH.md §11): each chunk is run
/// from an empty cache with its first token replaced by `bos`; row r is compared after chunk
/// position ⌊n_ctx/2⌋ + r, KL over the entries above the file's floor.
Status compareToLlamaKld(Transformer& q, const LlamaKldFile& base, int bos, TokenAccumulator& acc,
                         const Work& work = {});

/// Figures of one evaluated recipe.
struct RecipeEvaluation {
  TokenSummary summary;
  double bitsPerParam = 32.0;
  std::size_t tensorsTransformed = 0;
};

/// Q = `files` with `recipe` applied, against `reference` when given (llama.cpp .kld), else
/// against the original runtime `p` on `sequences` at `temperature` (a .kld base holds
/// probabilities at T = 1 only, so any other temperature is an error there).
Result<RecipeEvaluation> evaluateRecipe(const ModelFiles& files, const Recipe& recipe, Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, double temperature = 1.0,
                                        const Work& work = {});

}  // namespace quench::model
