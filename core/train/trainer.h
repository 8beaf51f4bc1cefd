#pragma once
// Training runs: distillation of a student from a teacher (MATH.md §16), and quantization-aware
// training (QAT) against post-training quantization (PTQ). Several runs share one data stream and
// step together, so that they see the same batches in the same order and the teacher's logits of
// a batch are computed once for all of them; a run's numbers do not depend on which other runs
// are in the set, nor on the number of threads.
//
// Per step: B windows of (n + 1) tokens are drawn (seeded); the teacher's logits of the n inputs
// are computed when some run needs them; each trained run computes the §16 loss at every position
// (label: the next token) averaged over the B·n positions, backpropagates through its forward
// weights W̃ (W itself, or Q̃(Q(W)) under a quantizer, with the straight-through gradient: 0 where
// an element saturated), clips the global gradient norm, takes an AdamW step on W and, under a
// quantizer, re-quantizes. Parallel over (run, group of sequences); groups are fixed by the batch
// size, and their gradients are summed in group order, so the result is bit for bit reproducible.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/recipe/recipe.h"
#include "core/tensor/result.h"
#include "core/train/data.h"
#include "core/train/loss.h"
#include "core/train/parameters.h"

namespace quench::train {

/// A student's architecture (the rest — vocabulary, context, RMSNorm eps, RoPE — is the teacher's)
/// and where its weights start.
struct StudentSpec {
  enum class Init {
    Seed,           ///< N(0, σ²) matrices (σ/√(2·layers) for wo and w2, as GPT-2), gains 1
    TeacherLayers,  ///< the teacher's embedding, first `nLayers` blocks, final norm and output
  };
  int dim = 32;
  int hiddenDim = 88;
  int nLayers = 2;
  int nHeads = 2;
  int nKvHeads = 1;
  bool tied = true;  ///< output projection = token embedding
  Init init = Init::Seed;
  double initStd = 0.02;
};

/// The student's config, or an error naming what does not fit (sizes, heads, TeacherLayers with a
/// different width or more layers than the teacher, more than kMaxParameters).
Result<model::ModelConfig> studentConfig(const model::ModelConfig& teacher, const StudentSpec& spec);

/// The student's initial weights (layout of `student`): seeded, or copied from the teacher.
Result<std::vector<float>> initialStudent(const ParameterLayout& teacher, std::span<const float> teacherParams,
                                          const ParameterLayout& student, const StudentSpec& spec, std::uint64_t seed);

/// One run of a set.
struct RunSpec {
  std::string label;       ///< "T = 4", "hard labels", "QAT int3", ...
  LossSpec loss;           ///< the §16 loss (α = 0: hard labels only)
  bool train = true;       ///< false: never updated, evaluated once (the PTQ baseline, a flat line)
  std::optional<Recipe> quantizer;  ///< fake quantization W̃ = Q̃(Q(W)) of the tensors it selects
};

/// Shared settings of a set of runs.
struct TrainOptions {
  int steps = 300;
  int batch = 8;            ///< windows per step
  int seqLen = 64;          ///< input tokens per window (each window holds seqLen + 1 tokens)
  double lr = 3e-3;         ///< peak learning rate
  int warmup = 20;          ///< linear warm-up steps
  double minLrFraction = 0.1;  ///< cosine decay to this fraction of lr at the last step
  double weightDecay = 0.0;    ///< AdamW λ on weight matrices (gains are not decayed)
  double clipNorm = 1.0;       ///< global gradient-norm clip (≤ 0: none)
  int evalEvery = 25;          ///< steps between held-out evaluations (also at 0 and at the end)
  std::uint64_t seed = 1;      ///< batches and seeded initialization
};

/// One evaluation of one run. Held-out figures (MATH.md §9 positions rule): KL and top-1 over
/// every position of every window, perplexity over the positions with a true next token.
struct CurvePoint {
  int step = 0;
  std::int64_t tokens = 0;  ///< training tokens seen (step · batch · seqLen)
  double trainLoss = std::numeric_limits<double>::quiet_NaN();  ///< mean §16 loss of the steps since the last point (NaN at step 0 and for untrained runs)
  double kl = 0;            ///< held-out KL(teacher ‖ model) at T = 1, nats per position
  double ppl = 0;           ///< held-out perplexity of the model
  double top1 = 0;          ///< fraction of positions where the model's argmax is the teacher's
  double saturated = 0;     ///< fraction of quantized weights that saturated (0 without a quantizer)
  double seconds = 0;       ///< wall time since the start of training (after preparation)
  double cpuSeconds = 0;    ///< process CPU time since the start of training
};

struct RunResult {
  RunSpec spec;
  std::vector<CurvePoint> curve;
  std::vector<float> master;     ///< W after the last step
  std::vector<float> effective;  ///< the weights the model runs with: W, or Q̃(Q(W)) under a quantizer
};

/// Everything a set of runs needs. The spans/pointers must outlive runTraining().
struct TrainSetup {
  const ParameterLayout* teacherLayout = nullptr;
  std::span<const float> teacherParams;
  ParameterLayout studentLayout;
  std::vector<float> studentInit;
  /// Per student slot, the name recipes match (the file's names for a model read from a file);
  /// empty: the canonical names.
  std::vector<std::string> tensorNames;
  const TokenData* data = nullptr;
  std::vector<RunSpec> runs;
  TrainOptions options;
};

struct TrainProgress {
  int step = 0;           ///< steps done
  int steps = 0;
  double seconds = 0;     ///< wall time of training so far
  double cpuSeconds = 0;
};

/// Called on the worker thread. onStep may block (a paused GUI) without affecting any value.
struct TrainObserver {
  /// After the preparation: the teacher's held-out perplexity and the number of held-out positions.
  std::function<void(double teacherPpl, std::size_t heldoutPositions)> onReady;
  std::function<void(std::size_t run, const CurvePoint&)> onPoint;
  std::function<void(const TrainProgress&)> onStep;
};

struct TrainOutcome {
  std::vector<RunResult> runs;
  double teacherPpl = 0;          ///< held-out perplexity of the teacher
  std::size_t heldoutPositions = 0;
  double prepareSeconds = 0;      ///< teacher logits of the held-out windows, initial quantization
  double seconds = 0;             ///< training wall time (evaluations included)
  double cpuSeconds = 0;
};

/// Run the set. Errors: invalid settings (named), a quantizer that fails on a tensor, "cancelled".
/// Work progress is (steps done, steps).
Result<TrainOutcome> runTraining(const TrainSetup& setup, const TrainObserver& observer = {}, const Work& work = {});

/// Held-out figures of one model against the teacher's logits on the same windows (exposed for
/// tests and tools; runTraining() uses the same code).
struct HeldoutFigures {
  double kl = 0, ppl = 0, top1 = 0;
  std::size_t positions = 0, scored = 0;
};
HeldoutFigures evaluateHeldout(const Network<float>& model, std::span<const float> params,
                               const std::vector<std::vector<int>>& windows,
                               const std::vector<MatrixT<float>>& teacherLogits);

/// The teacher's logits of every window (parallel over windows).
std::vector<MatrixT<float>> windowLogits(const Network<float>& model, std::span<const float> params,
                                         const std::vector<std::vector<int>>& windows);

}  // namespace quench::train
