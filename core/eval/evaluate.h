#pragma once
// Evaluation of a model against a reference (MATH.md §9, §11): the original network P against the
// same network Q with its weights replaced by recipe reconstructions (simulated quantization), on
// token sequences, on sequences sampled from P, or against a llama.cpp --kl-divergence-base file.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "core/divergence/kld_file.h"
#include "core/divergence/token_summary.h"
#include "core/model/model_loader.h"
#include "core/recipe/recipe.h"
#include "core/stats/histogram.h"

namespace quench::eval {

/// A runtime whose weights went through a recipe, with the storage it would take.
struct QuantizedModel {
  std::unique_ptr<model::Transformer> transformer;
  double bitsPerParam = 32.0;         ///< over every weight the runtime loads (untouched ones at 32)
  std::size_t tensorsTransformed = 0;
};

/// Load `files`' weights, replacing each tensor a rule of `recipe` selects (by its name in the
/// file, MATH.md §7 matching) by quantizeTensor's reconstruction.
Result<QuantizedModel> loadQuantized(const model::ModelFiles& files, const Recipe& recipe, const Work& work = {});

/// Split `tokens` into consecutive chunks of `context` tokens, each fed as given from an empty
/// cache (the last chunk may be shorter).
std::vector<std::vector<int>> chunkTokens(const std::vector<int>& tokens, int context);

/// `count` sequences of `length` tokens from P: BOS, then length − 1 tokens drawn from
/// softmax(logits) with Sampler(1, seed + sequence index).
Result<std::vector<std::vector<int>>> sampleSequences(model::Transformer& p, int count, int length, int bos,
                                                      std::uint64_t seed, const Work& work = {});

/// The figures of one evaluated position (a row of the comparison), for the "KL along the
/// positions of a sequence" view and the list of the tokens that moved most.
struct PositionRecord {
  std::size_t sequence = 0;           ///< index of the sequence (or .kld chunk) evaluated
  std::size_t position = 0;           ///< index within it of the last token of the context
  std::int32_t token = 0;             ///< id at `position` (the last input token)
  std::int32_t nextToken = kNoToken;  ///< the true next id (kNoToken for the last position)
  double kl = 0;                      ///< KL(P‖Q), nats
  double js = 0;                      ///< JS(P‖Q), nats
  bool top1Same = false;              ///< argmax P == argmax Q
  double pTrue = std::numeric_limits<double>::quiet_NaN();  ///< P(nextToken); NaN without one
  double qTrue = std::numeric_limits<double>::quiet_NaN();  ///< Q(nextToken); NaN without one
};

/// Each sequence fed from an empty cache to both models; every position is a row (its true next
/// token is the following one in the sequence, none for the last). Rows are added to `acc`, and
/// appended to `positions` when given (same rows, same order).
/// temperature T ≠ 1 compares softmax(z/T) of both models (MATH.md §8), perplexities included.
/// Progress in sequences; stops between sequences and inside each forward pass ("cancelled").
Status compareModels(model::Transformer& p, model::Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work = {}, double temperature = 1.0,
                     std::vector<PositionRecord>* positions = nullptr);

/// P's logits of every sequence, (length, vocab) each, for reuse by several comparisons against
/// the same P (a sweep). Progress in sequences.
Result<std::vector<model::Matrix>> referenceLogits(model::Transformer& p, const std::vector<std::vector<int>>& sequences,
                                            const Work& work = {});

/// compareModels with P given by its logits from referenceLogits (one matrix per sequence, of
/// the sequence's length and Q's vocabulary); identical results.
Status compareModels(std::span<const model::Matrix> pLogits, model::Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work = {}, double temperature = 1.0,
                     std::vector<PositionRecord>* positions = nullptr);

/// Q against the base log-probabilities of a llama.cpp .kld file (MATH.md §11): each chunk is run
/// from an empty cache with its first token replaced by `bos`; row r is compared after chunk
/// position ⌊n_ctx/2⌋ + r, KL over the entries above the file's floor. Rows are appended to
/// `positions` when given (sequence = chunk, position = ⌊n_ctx/2⌋ + r, token = the stored one).
Status compareToLlamaKld(model::Transformer& q, const LlamaKldFile& base, int bos, TokenAccumulator& acc,
                         const Work& work = {}, std::vector<PositionRecord>* positions = nullptr);

/// Figures of one evaluated recipe.
struct RecipeEvaluation {
  TokenSummary summary;
  double bitsPerParam = 32.0;
  std::size_t tensorsTransformed = 0;
  std::vector<PositionRecord> positions;  ///< every row, when EvaluateOptions::keepPositions
};

/// How evaluateRecipe runs.
struct EvaluateOptions {
  double temperature = 1.0;     ///< compare softmax(z/T) (not with a llama.cpp reference)
  bool keepPositions = false;   ///< fill RecipeEvaluation::positions
  /// P's logits from referenceLogits on the same sequences: P is then not run again (may be null).
  const std::vector<model::Matrix>* pLogits = nullptr;
};

/// Q = `files` with `recipe` applied, against `reference` when given (llama.cpp .kld), else
/// against the original runtime `p` on `sequences` at `temperature` (a .kld base holds
/// probabilities at T = 1 only, so any other temperature is an error there).
Result<RecipeEvaluation> evaluateRecipe(const model::ModelFiles& files, const Recipe& recipe, model::Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, double temperature = 1.0,
                                        const Work& work = {});
/// evaluateRecipe with options. Progress in one unit over the whole evaluation: (layers loaded +
/// sequences or chunks compared, layers + 2 + sequences or chunks).
Result<RecipeEvaluation> evaluateRecipe(const model::ModelFiles& files, const Recipe& recipe, model::Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, const EvaluateOptions& options,
                                        const Work& work = {});

/// Indices into `positions` of the `k` rows with the largest KL, largest first (ties: the earlier
/// row first; +∞ ranks above every finite value).
std::vector<std::size_t> largestKlPositions(std::span<const PositionRecord> positions, std::size_t k);

/// Histogram of the finite per-position KL values over [0, largest finite KL] in `bins` bins
/// (+∞ rows counted in Histogram::inf).
Histogram klHistogram(std::span<const PositionRecord> positions, std::size_t bins);

/// What a view of an evaluation shows beyond the summary, computed with it (on the worker that ran
/// the evaluation, so that the GUI thread only draws).
struct PositionFigures {
  Histogram klHistogram;               ///< klHistogram(positions, bins)
  std::vector<std::size_t> mostMoved;  ///< largestKlPositions(positions, top)
};

/// klHistogram and largestKlPositions of `positions`.
PositionFigures positionFigures(std::span<const PositionRecord> positions, std::size_t bins, std::size_t top);

/// The model's parameter count: the values of every weight the runtime loads, a tensor shared by
/// two roles (tied embedding and classifier) once.
std::uint64_t parameterCount(const model::ModelFiles& files);

}  // namespace quench::eval
