#include "core/train/job.h"

#include <cmath>
#include <sstream>

namespace quench::train {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string number(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

// The data of a job: text through the model's tokenizer, or samples of the model.
Result<TokenData> makeData(const LoadedModel& m, const DataSpec& spec, int seqLen, const Work& work) {
  const int evalContext = spec.evalContext > 0 ? spec.evalContext : seqLen;
  if (evalContext > m.files.config.seqLen)
    return makeError("held-out windows of " + std::to_string(evalContext) + " tokens exceed the model's context of " +
                     std::to_string(m.files.config.seqLen));
  if (spec.source == DataSpec::Source::Text) {
    CorpusOptions c = spec.corpus;
    c.context = evalContext;
    c.maxHeldoutTokens = spec.maxEvalTokens;
    return corpusData(*m.files.tokenizer, c);
  }
  SampleOptions s = spec.samples;
  if (s.length <= 0) s.length = std::min(seqLen + 1, m.files.config.seqLen);
  Network<float> net(m.layout);
  auto d = sampledData(net, m.params.data(), m.files.tokenizer->bosId(), s, work);
  if (!d) return d.error();
  // Held-out windows longer than the evaluation context are cut (they start with BOS).
  for (auto& w : d->heldout)
    if (w.size() > static_cast<std::size_t>(evalContext)) w.resize(static_cast<std::size_t>(evalContext));
  return d;
}

}  // namespace

std::string runLabel(const LossSpec& loss) {
  if (loss.alpha == 0) return "hard labels";
  std::string s = "T = " + number(loss.temperature);
  if (loss.alpha != 1) s += ", α = " + number(loss.alpha);
  return s;
}

std::string runSlug(const LossSpec& loss) {
  if (loss.alpha == 0) return "hard";
  std::string s = "T" + number(loss.temperature);
  if (loss.alpha != 1) s += "_alpha" + number(loss.alpha);
  return s;
}

Result<std::vector<RunSpec>> parseRuns(const std::string& text) {
  std::vector<RunSpec> runs;
  std::stringstream all(text);
  for (std::string item; std::getline(all, item, ';');) {
    item = trim(item);
    if (item.empty()) continue;
    RunSpec r;
    if (item == "hard") {
      r.loss.alpha = 0;
    } else {
      std::stringstream kvs(item);
      for (std::string kv; std::getline(kvs, kv, ',');) {
        kv = trim(kv);
        const auto eq = kv.find('=');
        if (eq == std::string::npos) return makeError("--runs: '" + kv + "' is not KEY=VALUE (T=…, alpha=…) or 'hard'");
        const std::string key = trim(kv.substr(0, eq)), val = trim(kv.substr(eq + 1));
        double v = 0;
        try {
          std::size_t used = 0;
          v = std::stod(val, &used);
          if (used != val.size()) throw std::invalid_argument(val);
        } catch (const std::exception&) {
          return makeError("--runs: '" + val + "' is not a number");
        }
        if (key == "T" || key == "t") {
          if (!(v > 0) || !std::isfinite(v)) return makeError("--runs: T must be > 0");
          r.loss.temperature = v;
        } else if (key == "alpha" || key == "a") {
          if (!(v >= 0 && v <= 1)) return makeError("--runs: alpha must lie in [0, 1]");
          r.loss.alpha = v;
        } else {
          return makeError("--runs: unknown key '" + key + "' (T or alpha)");
        }
      }
    }
    r.label = runLabel(r.loss);
    for (const RunSpec& other : runs)
      if (other.label == r.label) return makeError("--runs: '" + r.label + "' is given twice");
    runs.push_back(std::move(r));
  }
  if (runs.empty()) return makeError("--runs: no run given");
  return runs;
}

std::string quantizerLabel(const nlohmann::ordered_json& rule) {
  std::string s = rule.value("method", std::string("quantized"));
  if (rule.contains("bits") && rule["bits"].is_number_integer()) s += std::to_string(rule["bits"].get<int>());
  if (rule.contains("format") && rule["format"].is_string()) s += " " + rule["format"].get<std::string>();
  if (rule.contains("partition") && rule["partition"].is_string()) s += " per " + rule["partition"].get<std::string>();
  return s;
}

Result<std::unique_ptr<PreparedJob>> prepareDistill(const DistillRequest& q, const Work& work) {
  auto job = std::make_unique<PreparedJob>();
  job->kind = "distill";
  auto m = loadModel(q.teacher, q.tokenizer, work);
  if (!m) return m.error();
  job->teacher = std::move(m).value();
  auto sc = studentConfig(job->teacher.files.config, q.student);
  if (!sc) return sc.error();
  job->student = q.student;
  auto d = makeData(job->teacher, q.data, q.options.seqLen, work);
  if (!d) return d.error();
  job->data = std::move(d).value();
  TrainSetup& s = job->setup;
  s.teacherLayout = &job->teacher.layout;
  s.teacherParams = job->teacher.params;
  s.studentLayout = ParameterLayout(*sc);
  auto init = initialStudent(job->teacher.layout, job->teacher.params, s.studentLayout, q.student, q.options.seed);
  if (!init) return init.error();
  s.studentInit = std::move(init).value();
  s.data = &job->data;
  s.runs = q.runs;
  s.options = q.options;
  return job;
}

Result<std::unique_ptr<PreparedJob>> prepareQat(const QatRequest& q, const Work& work) {
  auto job = std::make_unique<PreparedJob>();
  job->kind = "qat";
  auto m = loadModel(q.model, q.tokenizer, work);
  if (!m) return m.error();
  job->teacher = std::move(m).value();
  if (q.recipe.rules.empty()) return makeError("qat: the recipe has no rule (give a method or a recipe)");
  job->recipeJson = recipeToJson(q.recipe);
  auto d = makeData(job->teacher, q.data, q.options.seqLen, work);
  if (!d) return d.error();
  job->data = std::move(d).value();
  TrainSetup& s = job->setup;
  s.teacherLayout = &job->teacher.layout;
  s.teacherParams = job->teacher.params;
  s.studentLayout = job->teacher.layout;
  s.studentInit = job->teacher.params;
  s.tensorNames = job->teacher.fileNames;
  s.data = &job->data;
  s.options = q.options;
  const std::string what = q.recipeLabel.empty() ? std::string("quantized") : q.recipeLabel;
  RunSpec ptq{"PTQ " + what, q.loss, false, q.recipe};
  RunSpec qat{"QAT " + what, q.loss, true, q.recipe};
  s.runs = {ptq, qat};
  return job;
}

Status saveRun(const PreparedJob& job, const RunResult& run, const fs::path& dir) {
  const model::ModelFiles& f = job.teacher.files;
  Metadata meta{{"source", "quench-cli train " + job.kind}, {"run", run.spec.label}};
  return saveHfFolder(dir, job.setup.studentLayout, run.effective, tokenizerJsonOf(f), meta, {fs::path(f.path)},
                      f.tokenizer->bosId(), f.tokenizer->eosId());
}

nlohmann::ordered_json outcomeJson(const PreparedJob& job, const TrainOutcome& outcome,
                                   const std::vector<std::string>& models) {
  using J = nlohmann::ordered_json;
  auto num = [](double v) { return std::isfinite(v) ? J(v) : J(nullptr); };
  const model::ModelConfig& sc = job.setup.studentLayout.config();
  const TrainOptions& o = job.setup.options;
  J j;
  j["command"] = job.kind;
  j["teacher"] = job.teacher.files.path;
  j["teacher_parameters"] = job.teacher.layout.size();
  j["teacher_ppl"] = num(outcome.teacherPpl);
  J student;
  student["dim"] = sc.dim;
  student["hidden_dim"] = sc.hiddenDim;
  student["layers"] = sc.nLayers;
  student["heads"] = sc.nHeads;
  student["kv_heads"] = sc.nKvHeads;
  student["tied"] = sc.sharedClassifier;
  student["parameters"] = job.setup.studentLayout.size();
  if (job.kind == "distill")
    student["init"] = job.student.init == StudentSpec::Init::Seed ? "seed" : "teacher-layers";
  else
    student["init"] = "the model itself";
  j["student"] = student;
  if (!job.recipeJson.empty()) j["recipe"] = J::parse(job.recipeJson);
  j["data"] = job.data.description;
  j["training_tokens"] = job.data.train.size();
  j["heldout_windows"] = job.data.heldout.size();
  j["heldout_positions"] = outcome.heldoutPositions;
  J opt;
  opt["steps"] = o.steps;
  opt["batch"] = o.batch;
  opt["seq_len"] = o.seqLen;
  opt["lr"] = o.lr;
  opt["warmup"] = o.warmup;
  opt["min_lr_fraction"] = o.minLrFraction;
  opt["weight_decay"] = o.weightDecay;
  opt["clip"] = o.clipNorm;
  opt["eval_every"] = o.evalEvery;
  opt["seed"] = o.seed;
  j["options"] = opt;
  J runs = J::array();
  for (std::size_t r = 0; r < outcome.runs.size(); ++r) {
    const RunResult& rr = outcome.runs[r];
    J jr;
    jr["label"] = rr.spec.label;
    jr["temperature"] = rr.spec.loss.temperature;
    jr["alpha"] = rr.spec.loss.alpha;
    jr["trained"] = rr.spec.train;
    jr["quantized"] = rr.spec.quantizer.has_value();
    jr["model"] = r < models.size() && !models[r].empty() ? J(models[r]) : J(nullptr);
    J curve = J::array();
    for (const CurvePoint& p : rr.curve) {
      J jp;
      jp["step"] = p.step;
      jp["tokens"] = p.tokens;
      jp["train_loss"] = num(p.trainLoss);
      jp["kl"] = num(p.kl);
      jp["ppl"] = num(p.ppl);
      jp["top1"] = num(p.top1);
      if (rr.spec.quantizer) jp["saturated"] = p.saturated;
      jp["seconds"] = p.seconds;
      jp["cpu_seconds"] = p.cpuSeconds;
      curve.push_back(jp);
    }
    jr["curve"] = curve;
    runs.push_back(jr);
  }
  j["runs"] = runs;
  j["prepare_seconds"] = outcome.prepareSeconds;
  j["seconds"] = outcome.seconds;
  j["cpu_seconds"] = outcome.cpuSeconds;
  return j;
}

}  // namespace quench::train
