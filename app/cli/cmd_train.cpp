// quench-cli train distill TEACHER ... / train qat MODEL ...: knowledge distillation of a student
// from a teacher, and quantization-aware training against post-training quantization (MATH.md §16),
// with the curves as JSON (--json) and the trained models as Hugging Face folders (--out).
#include <cmath>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/method_options.h"
#include "core/train/job.h"

namespace quench::cli {
namespace {

namespace fs = std::filesystem;

// Options both subcommands share: data, optimization, output.
struct CommonOptions {
  std::string model, tokenizer;
  std::vector<std::string> text;
  std::string heldout;
  double heldoutFraction = 0.05;
  bool noUnwrap = false;
  int sampleTrain = 0, sampleHeldout = 16, sampleLength = 0;
  int evalContext = 0;
  long long evalTokens = 4096;
  train::TrainOptions train;
  std::string out;
  bool json = false;
};

struct DistillOptions {
  CommonOptions c;
  train::StudentSpec student;
  bool untied = false;
  std::string init = "seed";
  std::string runs;
  double temperature = 1.0, alpha = 1.0;
};

struct QatOptions {
  CommonOptions c;
  std::string recipe;
  MethodOptions method;
  double temperature = 1.0, alpha = 1.0;
};

void addCommon(CLI::App& cmd, CommonOptions& o, const char* modelHelp) {
  cmd.add_option("MODEL", o.model, modelHelp)->required();
  cmd.add_option("--tokenizer", o.tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  cmd.add_option("--text", o.text, "Training text file(s), tokenized with the model's tokenizer (repeatable)");
  cmd.add_option("--heldout", o.heldout, "Held-out text file (default: the last --heldout-fraction of the last --text)");
  cmd.add_option("--heldout-fraction", o.heldoutFraction, "Held-out share of the last text, cut at a paragraph break (0.05)")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_flag("--no-unwrap", o.noUnwrap, "Keep the texts' line wraps (default: one paragraph per line)");
  cmd.add_option("--sample-train", o.sampleTrain, "Train on N sequences sampled from the model instead of text")
      ->check(CLI::Range(1, 1 << 20));
  cmd.add_option("--sample-heldout", o.sampleHeldout, "Held-out sequences sampled from the model (16)")
      ->check(CLI::Range(1, 1 << 16));
  cmd.add_option("--sample-length", o.sampleLength, "Tokens per sampled sequence, BOS included (default seq-len + 1)");
  cmd.add_option("--eval-context", o.evalContext, "Held-out window length in tokens (default: --seq-len)");
  cmd.add_option("--eval-tokens", o.evalTokens, "Held-out tokens evaluated, whole windows (4096; 0 = all)")
      ->check(CLI::Range(0LL, 1LL << 30));
  cmd.add_option("--steps", o.train.steps, "Optimizer steps")->check(CLI::Range(0, 1 << 24));
  cmd.add_option("--batch", o.train.batch, "Windows per step")->check(CLI::Range(1, 1024));
  cmd.add_option("--seq-len", o.train.seqLen, "Input tokens per window")->check(CLI::Range(1, 1 << 20));
  cmd.add_option("--lr", o.train.lr, "Peak learning rate (AdamW)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--warmup", o.train.warmup, "Linear warm-up steps")->check(CLI::NonNegativeNumber);
  cmd.add_option("--min-lr-fraction", o.train.minLrFraction, "Cosine decay to this fraction of --lr (0.1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--weight-decay", o.train.weightDecay, "AdamW decoupled weight decay on weight matrices")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--clip", o.train.clipNorm, "Clip the global gradient norm to this (0 = off)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--eval-every", o.train.evalEvery, "Steps between held-out evaluations")->check(CLI::Range(1, 1 << 24));
  cmd.add_option("--seed", o.train.seed, "Seed of the batches, the student's initialization and sampled data");
  cmd.add_option("--out", o.out, "Folder for the trained model (several runs: one sub-folder each)");
  cmd.add_flag("--json", o.json, "Print the curves as JSON");
}

train::DataSpec dataSpec(const CommonOptions& o) {
  train::DataSpec d;
  if (o.sampleTrain > 0) {
    d.source = train::DataSpec::Source::TeacherSamples;
    d.samples.trainSequences = o.sampleTrain;
    d.samples.heldoutSequences = o.sampleHeldout;
    d.samples.length = o.sampleLength;
    d.samples.seed = o.train.seed;
  } else {
    for (const auto& t : o.text) d.corpus.train.emplace_back(t);
    d.corpus.heldout = o.heldout;
    d.corpus.heldoutFraction = o.heldoutFraction;
    d.corpus.unwrap = !o.noUnwrap;
  }
  d.evalContext = o.evalContext;
  d.maxEvalTokens = static_cast<std::size_t>(o.evalTokens);
  return d;
}

Status checkData(const CommonOptions& o) {
  if (o.sampleTrain > 0 && !o.text.empty()) return makeError("give --text or --sample-train, not both");
  if (o.sampleTrain == 0 && o.text.empty()) return makeError("no data: give --text FILE (repeatable) or --sample-train N");
  return {};
}

// A line per evaluation on stderr while training (stdout carries the result).
train::TrainObserver progressPrinter(const train::PreparedJob& job, bool quiet) {
  train::TrainObserver obs;
  if (quiet) return obs;
  obs.onPoint = [&job](std::size_t run, const train::CurvePoint& p) {
    std::cerr << std::fixed << std::setprecision(4) << "step " << std::setw(5) << p.step << "  "
              << std::left << std::setw(16) << job.setup.runs[run].label << std::right << "  KL " << p.kl << "  ppl "
              << std::setprecision(2) << p.ppl << "  top-1 " << std::setprecision(3) << p.top1 << "  "
              << std::setprecision(1) << p.seconds << " s\n";
  };
  return obs;
}

int finish(const train::PreparedJob& job, const train::TrainOutcome& outcome, const CommonOptions& o,
           const std::vector<std::size_t>& save, bool nested) {
  std::vector<std::string> models(outcome.runs.size());
  if (!o.out.empty()) {
    for (std::size_t r : save) {
      const train::RunResult& run = outcome.runs[r];
      const fs::path dir = nested ? fs::path(o.out) / train::runSlug(run.spec.loss) : fs::path(o.out);
      if (auto st = train::saveRun(job, run, dir); !st) return fail(st.error().message);
      models[r] = dir.string();
    }
  }
  const auto j = train::outcomeJson(job, outcome, models);
  if (o.json) {
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << job.kind << ": " << job.data.description << "\n";
  std::cout << "teacher perplexity " << std::fixed << std::setprecision(2) << outcome.teacherPpl << " on "
            << outcome.heldoutPositions << " held-out positions\n";
  for (std::size_t r = 0; r < outcome.runs.size(); ++r) {
    const train::CurvePoint& last = outcome.runs[r].curve.back();
    std::cout << std::left << std::setw(18) << outcome.runs[r].spec.label << std::right << std::setprecision(4)
              << " KL " << last.kl << "  ppl " << std::setprecision(2) << last.ppl << "  top-1 " << std::setprecision(3)
              << last.top1 << (models[r].empty() ? "" : "  → " + models[r]) << "\n";
  }
  std::cout << std::setprecision(1) << outcome.seconds << " s (" << outcome.cpuSeconds << " s CPU)\n";
  return 0;
}

int runDistill(const DistillOptions& o) {
  if (auto s = checkData(o.c); !s) return fail("train distill: " + s.error().message);
  train::DistillRequest q;
  q.teacher = o.c.model;
  q.tokenizer = o.c.tokenizer;
  q.student = o.student;
  q.student.tied = !o.untied;
  if (o.init == "seed") q.student.init = train::StudentSpec::Init::Seed;
  else if (o.init == "teacher") q.student.init = train::StudentSpec::Init::TeacherLayers;
  else return fail("train distill: --init is seed or teacher");
  if (!o.runs.empty()) {
    auto runs = train::parseRuns(o.runs);
    if (!runs) return fail("train distill: " + runs.error().message);
    q.runs = std::move(runs).value();
  } else {
    train::RunSpec r;
    r.loss = train::LossSpec{o.temperature, o.alpha};
    r.label = train::runLabel(r.loss);
    q.runs = {r};
  }
  q.options = o.c.train;
  q.data = dataSpec(o.c);
  auto job = train::prepareDistill(q);
  if (!job) return fail("train distill: " + job.error().message);
  auto outcome = train::runTraining((*job)->setup, progressPrinter(**job, o.c.json));
  if (!outcome) return fail("train distill: " + outcome.error().message);
  std::vector<std::size_t> all;
  for (std::size_t r = 0; r < outcome->runs.size(); ++r) all.push_back(r);
  return finish(**job, *outcome, o.c, all, outcome->runs.size() > 1);
}

int runQat(const QatOptions& o) {
  if (auto s = checkData(o.c); !s) return fail("train qat: " + s.error().message);
  if (!o.recipe.empty() && !o.method.method().empty()) return fail("train qat: give --recipe or --method, not both");
  train::QatRequest q;
  q.model = o.c.model;
  q.tokenizer = o.c.tokenizer;
  if (!o.recipe.empty()) {
    auto r = loadRecipe(o.recipe);
    if (!r) return fail("train qat: " + r.error().message);
    q.recipe = std::move(r).value();
    q.recipeLabel = fs::path(o.recipe).stem().string();
  } else {
    auto rule = methodRule(o.method);
    if (!rule) return fail("train qat: " + rule.error().message);
    if (rule->empty()) return fail("train qat: give --method (e.g. --method int --bits 3) or --recipe FILE");
    auto r = recipeFromRule(*rule);
    if (!r) return fail("train qat: " + r.error().message);
    q.recipe = std::move(r).value();
    q.recipeLabel = train::quantizerLabel(*rule);
  }
  q.loss = train::LossSpec{o.temperature, o.alpha};
  q.options = o.c.train;
  q.data = dataSpec(o.c);
  auto job = train::prepareQat(q);
  if (!job) return fail("train qat: " + job.error().message);
  auto outcome = train::runTraining((*job)->setup, progressPrinter(**job, o.c.json));
  if (!outcome) return fail("train qat: " + outcome.error().message);
  return finish(**job, *outcome, o.c, {1}, false);  // run 1 is QAT; PTQ is the untouched baseline
}

}  // namespace

Runner addTrainCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Distillation and quantization-aware training at teaching scale (MATH.md §16)");
  cmd->require_subcommand(1);

  auto d = std::make_shared<DistillOptions>();
  d->c.train.steps = 600;
  d->c.train.lr = 3e-3;
  d->c.train.weightDecay = 0.0;
  auto* distill = cmd->add_subcommand("distill", "Train a student on a teacher's soft labels and/or hard labels");
  addCommon(*distill, d->c, "Teacher: llama2.c .bin, .gguf, or Hugging Face folder");
  distill->add_option("--dim", d->student.dim, "Student width (hidden size)");
  distill->add_option("--hidden", d->student.hiddenDim, "Student SwiGLU inner size");
  distill->add_option("--layers", d->student.nLayers, "Student blocks");
  distill->add_option("--heads", d->student.nHeads, "Student query heads");
  distill->add_option("--kv-heads", d->student.nKvHeads, "Student key/value heads (GQA)");
  distill->add_flag("--untied", d->untied, "Separate output projection (default: tied to the embedding)");
  distill->add_option("--init", d->init, "seed (random, --seed) or teacher (the teacher's first --layers blocks)");
  distill->add_option("--init-std", d->student.initStd, "σ of the seeded initialization (0.02)");
  distill->add_option("--temperature", d->temperature, "T of the soft labels (one run)")->check(CLI::PositiveNumber);
  distill->add_option("--alpha", d->alpha, "Weight α of the soft term; 1 − α on hard labels (one run)")
      ->check(CLI::Range(0.0, 1.0));
  distill->add_option("--runs", d->runs, "Several runs on the same batches: \"T=1; T=4; hard; T=2,alpha=0.5\"");

  auto q = std::make_shared<QatOptions>();
  q->c.train.steps = 300;
  q->c.train.lr = 1e-3;
  q->c.train.warmup = 10;
  auto* qat = cmd->add_subcommand("qat", "Quantization-aware training against post-training quantization");
  addCommon(*qat, q->c, "Model: llama2.c .bin, .gguf, or Hugging Face folder");
  qat->add_option("--recipe", q->recipe, "Recipe JSON: the quantizer of the forward pass");
  qat->add_option("--temperature", q->temperature, "T of the loss against the original model (1)")->check(CLI::PositiveNumber);
  qat->add_option("--alpha", q->alpha, "Weight of the KL to the original; 1 − α on the text's next tokens (1)")
      ->check(CLI::Range(0.0, 1.0));
  // After the command's own options: the int method's --alpha and --seed (MATH.md §13) give way to
  // the loss's α and the run's seed here (a recipe still sets those keys).
  q->method.addTo(*qat);

  return [distill, d, q] { return distill->parsed() ? runDistill(*d) : runQat(*q); };
}

}  // namespace quench::cli
