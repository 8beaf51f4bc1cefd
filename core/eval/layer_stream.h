#pragma once
// Layer-streamed evaluation (issue 14; MATH.md §9, §11, §14): the original model P and the
// recipe-quantized model Q advance one decoder layer at a time over the whole evaluation batch.
// Layer l of P is a view of the mapped file; layer l of Q is the same layer with every tensor a
// rule selects replaced by its reconstruction, quantized just before the layer runs and dropped
// after it (tensors no rule selects stay views). Resident memory is therefore about one layer of
// P and of Q, Q's classifier when the recipe quantizes it, plus the batch's activations — never
// the model converted to float32 — so an 8B checkpoint evaluates on a 24 GiB machine.
//
// The figures are those of evaluateRecipe (core/eval/evaluate.h) on the same sequences, bit for
// bit: the decoder's products are batch-invariant (core/simd/gemm_kernels.h), sequences longer
// than a block run in blocks of kBlockTokens with a KV cache exactly as Transformer::prefill does,
// and rows are compared and accumulated in the same order.
//
// Where in depth the divergence enters (MATH.md §14), on request, for every layer l = 1..L over
// every evaluated position t:
//   r_{l,t} = ‖h^Q_{l,t} − h^P_{l,t}‖₂ / ‖h^P_{l,t}‖₂, the cosine of h^Q_{l,t} and h^P_{l,t}, and
//   the logit-lens KL(softmax(head_P(h^P_{l,t})) ‖ softmax(head_Q(h^Q_{l,t}))), where each model's
//   head is its own final norm and output matrix (Q's is the reconstruction when the recipe
//   quantizes it), at the evaluation's temperature; at l = L this is exactly the model's KL.
// Modes: propagated (h^Q is Q's own residual stream) and isolated (h^Q_l = block l of Q applied
// to h^P_{l−1}: the error block l alone adds). Both can be computed in one pass.
#include <cstddef>
#include <vector>

#include "core/divergence/kld_file.h"
#include "core/eval/evaluate.h"
#include "core/exec/progress.h"
#include "core/model/model_loader.h"
#include "core/recipe/recipe.h"
#include "core/tensor/result.h"

namespace quench::eval {

/// Which residual stream of Q a depth profile compares with P's (MATH.md §14).
enum class DepthMode {
  Propagated,  ///< Q on its own activations: errors accumulate, as deployed
  Isolated,    ///< block l of Q fed P's input h^P_{l−1}: the error block l alone adds
};

/// "propagated" / "isolated".
const char* depthModeName(DepthMode mode);

/// The figures of one layer over every evaluated position. Quantiles use NumPy's "linear"
/// definition (quantileSorted). The lens KL is in nats; +∞ rows (Q gives probability 0 where P
/// does not) are counted and make the mean +∞, as in TokenSummary.
struct LayerDepth {
  int layer = 0;  ///< 1..L: the residual stream after block `layer`
  double relErrMean = 0, relErrMedian = 0, relErrP90 = 0, relErrP99 = 0, relErrMax = 0;
  double cosineMean = 0, cosineMin = 0;
  double lensKlMean = 0, lensKlMedian = 0, lensKlP90 = 0, lensKlP99 = 0, lensKlMax = 0;
  std::size_t lensKlInfinite = 0;
};

/// One mode's profile: one entry per layer, and optionally every (layer, position) cell.
struct DepthProfile {
  DepthMode mode = DepthMode::Propagated;
  std::vector<LayerDepth> layers;  ///< layers 1..L in order
  /// Cells, when StreamedOptions::keepDepthCells: (L, positions) row-major, layer l − 1 in row
  /// l − 1; positions in evaluation order (sequence by sequence, every position of each: the rows
  /// of RecipeEvaluation::positions).
  std::size_t positions = 0;
  std::vector<double> relErr, cosine, lensKl;
};

/// Positions per block of the decoder (as Transformer::kPrefillBlock): sequences up to this
/// length are packed whole into blocks; a longer one runs in blocks of this many positions with
/// a KV cache.
inline constexpr int kBlockTokens = 512;

/// How evaluateStreamed runs.
struct StreamedOptions {
  double temperature = 1.0;     ///< compare softmax(z/T) (not with a llama.cpp reference)
  bool keepPositions = false;   ///< fill RecipeEvaluation::positions
  bool propagated = false;      ///< compute the propagated depth profile (needs P: not with a .kld)
  bool isolated = false;        ///< compute the isolated depth profile (one more pass of Q per layer)
  bool keepDepthCells = false;  ///< keep every (layer, position) cell of the profiles
  /// Score as llama-perplexity does: in a sequence of n tokens only the rows after positions
  /// ⌊n/2⌋ .. n − 2 are compared (the first half is context, the last position has no next
  /// token); depth profiles still cover every position. With perplexityChunks' sequences this is
  /// its scoring rule exactly (MATH.md §11).
  bool llamaPerplexityRows = false;
  /// Positions per decoder block (see kBlockTokens); smaller values only serve tests of the
  /// blocked path on small models.
  int blockTokens = kBlockTokens;
};

/// Perplexity over the compared rows that have a true next token, with llama-perplexity's
/// uncertainty: with v = −ln p(true) per row, mean m = Σv/N, PPL = e^m and ± PPL·sqrt((Σv²/N −
/// m²)/(N − 1)) (0 when N < 2 or the variance is not positive).
struct PerplexityEstimate {
  std::size_t count = 0;
  double pplP = 0, pplPError = 0;  ///< P's (NaN against a .kld reference: its floor caps ln p)
  double pplQ = 0, pplQError = 0;
};

/// The evaluation and the depth profiles asked for (propagated first).
struct StreamedEvaluation {
  RecipeEvaluation evaluation;
  std::vector<DepthProfile> depth;
  PerplexityEstimate perplexity;
};

/// Q = `files` with `recipe` applied, against the original P = `files` as stored on `sequences`
/// (each fed from an empty cache; every position a row, its true next token the following one),
/// or, when `reference` is given, against a llama.cpp .kld base file exactly as
/// compareToLlamaKld (P is not run; depth profiles are then an error). Progress in one unit over
/// the whole evaluation: (done, L + 3) — P's and Q's embedding and heads, then one per layer, then
/// the final comparison; cancellation is checked between layers and inside each layer's blocks
/// (error "cancelled").
Result<StreamedEvaluation> evaluateStreamed(const model::ModelFiles& files, const Recipe& recipe,
                                            const std::vector<std::vector<int>>& sequences,
                                            const LlamaKldFile* reference, const StreamedOptions& options = {},
                                            const Work& work = {});

}  // namespace quench::eval
