#pragma once
// The background work behind the Divergence page: open a model, turn the chosen evaluation source
// into token sequences (or a llama.cpp reference), evaluate a recipe, sweep a setting over several
// recipe families, rank tensors by sensitivity, compare two models. Each job is a JobRunner body
// (job_runner.h): a worker thread with a QPromise for progress and results, and a std::stop_token
// that core watches (STYLE.md §3); the page applies the results on the GUI thread.
#include <QPromise>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "app/gui/job_runner.h"
#include "core/divergence/kld_file.h"
#include "core/eval/evaluate.h"
#include "core/eval/eval_source.h"
#include "core/model/model_loader.h"
#include "core/eval/sweep.h"
#include "core/recipe/recipe.h"

namespace quench::app {

/// An opened model and its original runtime P. Shared between the page and its jobs: `busy` is
/// held by the job that runs P (a Transformer keeps its activations inside), so a cancelled job
/// finishes before the next one starts using P.
struct LoadedModel {
  model::ModelFiles files;
  std::unique_ptr<model::Transformer> p;  ///< weights as stored in the file
  std::mutex busy;
};

/// Open `path` (llama2.c .bin + tokenizer, .gguf, Hugging Face folder) and load P, its tokenizer
/// built with `tokenizerOptions`. The error names the file; the message is "cancelled" when stopped.
Result<std::shared_ptr<LoadedModel>> openModelJob(const std::string& path, const std::string& tokenizerPath,
                                                  const Work& work, const model::TokenizerOptions& tokenizerOptions = {});

/// The evaluation source as the page's controls set it (core/eval/eval_source.h: the same switch
/// as `quench-cli eval`).
using SourceKind = eval::SourceKind;
using SourceSettings = eval::EvalSource;

/// "4 sampled sequences of 64 tokens (seed 0)", "persuasion.txt: 5,000 tokens in 20 chunks", ...
/// for titles and messages.
QString sourceDescription(const SourceSettings& source, const eval::EvalData& data);

/// How a job ended.
struct JobEnd {
  bool cancelled = false;
  QString error;  ///< empty on success (and when cancelled)
  double elapsedMs = 0;
};

/// A finished open: the model (null unless it loaded) and how the job ended.
struct OpenOutcome {
  std::shared_ptr<LoadedModel> model;
  JobEnd end;
};

/// openModelJob as a job (JobRunner): its progress on `promise` when `reportProgress`.
OpenOutcome openModelOutcome(const std::string& path, const std::string& tokenizerPath, bool reportProgress,
                             std::stop_token stop, QPromise<OpenOutcome>& promise,
                             const model::TokenizerOptions& tokenizerOptions = {});

/// A finished evaluation: Q = the model with `recipe` applied (or the second model) against P.
struct EvaluationOutcome {
  JobEnd end;
  eval::RecipeEvaluation evaluation;  ///< positions kept
  eval::PositionFigures figures;      ///< for the EvaluationView, computed on the worker
  QString dataDescription;
};

/// Evaluate `recipe` on `model` (Q = its reconstruction) against P on `source`, at `temperature`,
/// keeping every position. With `student`, Q is that model instead (same vocabulary; `recipe` is
/// not used). Progress 0..1 is set on `promise`.
EvaluationOutcome evaluateJob(const std::shared_ptr<LoadedModel>& model, const std::shared_ptr<LoadedModel>& student,
                              const Recipe& recipe, const SourceSettings& source, double temperature,
                              std::stop_token stop, QPromise<EvaluationOutcome>& promise);

/// A recipe family of a curve: a name for the legend and its base recipe (JSON, recipe.h format).
struct SweepFamily {
  QString name;
  std::string recipeJson;
};

/// The preset families offered besides the current recipe: "int4 group:128", "nf4", "fp4".
std::vector<SweepFamily> presetFamilies();

/// The sweep setting "group/block size": each family takes the values as its group size (int,
/// partition group:V) or, failing that, as its block size (nf4, fp4, float MX).
inline constexpr const char* kGroupOrBlock = "group_or_block";

/// One update of a running sweep or sensitivity job, delivered in order through the promise.
struct SweepUpdate {
  enum class Kind {
    Family,   ///< a family starts: `family`, `label` = its name, `points` = its point count
    Skipped,  ///< a family cannot take the setting: `message` says why
    Point,    ///< a point is evaluated: `family`, `label`, `evaluation`
    Finished  ///< the last update: `end`
  };
  Kind kind = Kind::Point;
  int family = -1;
  QString label;
  int points = 0;
  eval::RecipeEvaluation evaluation;  ///< positions not kept
  QString message;
  JobEnd end;
};

/// Sweep `axis` (a eval/sweep.h setting, or kGroupOrBlock) over every family in turn (each point exactly like `quench-cli sweep --vary`), on
/// `source` at `temperature`. A family whose recipe cannot take the setting is skipped with a
/// message. P's logits are computed once per family and reused by its points.
void sweepJob(const std::shared_ptr<LoadedModel>& model, const std::vector<SweepFamily>& families,
              const eval::SweepAxis& axis, const SourceSettings& source, double temperature, std::stop_token stop,
              QPromise<SweepUpdate>& promise);

/// Per-tensor sensitivity of `recipe` (one weight matrix quantized at a time, like
/// `quench-cli sweep --per-tensor`): one Point update per tensor (label = its name in the file).
void sensitivityJob(const std::shared_ptr<LoadedModel>& model, const Recipe& recipe, const SourceSettings& source,
                    double temperature, std::stop_token stop, QPromise<SweepUpdate>& promise);

/// A short human name of a recipe for titles: "int4 row", "nf4 block 64", "2 rules", "no rule".
QString recipeShortName(const Recipe& recipe);

}  // namespace quench::app
