#pragma once
// A training job from what a user asks for (the CLI's options, the workbench's Training tool):
// open the teacher, make the data, build the student and the runs; then save the trained models
// and describe the outcome as JSON. `quench-cli train` and the GUI share this code, so the same
// request gives the same curves in both.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/exec/progress.h"
#include "core/recipe/recipe.h"
#include "core/tensor/result.h"
#include "core/train/data.h"
#include "core/train/model_io.h"
#include "core/train/trainer.h"

namespace quench::train {

/// Where the tokens come from.
struct DataSpec {
  enum class Source { Text, TeacherSamples };
  Source source = Source::Text;
  CorpusOptions corpus;        ///< Text (its context / maxHeldoutTokens are set from the fields below)
  SampleOptions samples;       ///< TeacherSamples (length defaults to the training window)
  int evalContext = 0;         ///< held-out window length; 0: the training sequence length
  std::size_t maxEvalTokens = 4096;  ///< held-out tokens kept (whole windows; 0: all)
};

struct DistillRequest {
  std::filesystem::path teacher;
  std::filesystem::path tokenizer;  ///< llama2.c tokenizer.bin, when not beside the checkpoint
  StudentSpec student;
  std::vector<RunSpec> runs;        ///< e.g. T = 1, T = 4, hard labels
  TrainOptions options;
  DataSpec data;
};

struct QatRequest {
  std::filesystem::path model;
  std::filesystem::path tokenizer;
  Recipe recipe;                    ///< the quantizer of the forward pass
  std::string recipeLabel;          ///< "int3 per row", for the runs' labels
  LossSpec loss;                    ///< default: KL to the original model at T = 1 (α = 1)
  TrainOptions options;
  DataSpec data;
};

/// An opened job: teacher, data and the TrainSetup that points into them (so the job is not movable
/// once prepared: it lives behind a unique_ptr).
struct PreparedJob {
  std::string kind;                 ///< "distill" or "qat"
  LoadedModel teacher;
  TokenData data;
  TrainSetup setup;
  StudentSpec student;              ///< distill only
  std::string recipeJson;           ///< qat only: the recipe, canonical JSON
  PreparedJob() = default;
  PreparedJob(const PreparedJob&) = delete;
  PreparedJob& operator=(const PreparedJob&) = delete;
};

/// Distillation runs (progress: loading, then sampling when the data is sampled).
Result<std::unique_ptr<PreparedJob>> prepareDistill(const DistillRequest& request, const Work& work = {});
/// Two runs on the model itself: "PTQ" (quantized once, never trained: a flat line) and "QAT"
/// (fake quantization in the forward pass, straight-through gradient), starting from the same W.
Result<std::unique_ptr<PreparedJob>> prepareQat(const QatRequest& request, const Work& work = {});

/// Parse a list of runs "T=1; T=4; hard; T=2,alpha=0.5" (';' between runs; "hard" is α = 0;
/// T defaults to 1 and α to 1). Labels: "T = 4", "T = 2, α = 0.5", "hard labels".
Result<std::vector<RunSpec>> parseRuns(const std::string& text);
/// The label of a distillation run with these settings.
std::string runLabel(const LossSpec& loss);
/// A folder name for a distillation run: "T4", "T2_alpha0.5", "hard".
std::string runSlug(const LossSpec& loss);

/// A short name of a one-rule quantizer for run labels: "int3", "int4 per group:64", "nf4",
/// "float e2m1" (method, bits, format, and the partition when the rule names one).
std::string quantizerLabel(const nlohmann::ordered_json& rule);

/// Save a run's model as a Hugging Face folder (its forward weights: for QAT the reconstruction
/// Q̃(Q(W))), with the teacher's tokenizer.json when it has one.
Status saveRun(const PreparedJob& job, const RunResult& run, const std::filesystem::path& dir);

/// The outcome as JSON (see README "Training"): setup, per run its settings, the saved model's
/// folder (`models[i]`, empty for none) and its curve; timings. NaN training losses are null.
nlohmann::ordered_json outcomeJson(const PreparedJob& job, const TrainOutcome& outcome,
                                   const std::vector<std::string>& models = {});

}  // namespace quench::train
