#include "core/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "core/exec/parallel.h"
#include "core/train/model_io.h"
#include "core/train/optimizer.h"

namespace quench::train {

namespace {

// Sequences of a batch are split into this many fixed groups (fewer when the batch is smaller);
// each group's gradient is summed in its own buffer and the buffers are added in group order.
constexpr int kGroups = 4;

double cpuNow() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// W̃ = Q̃(Q(W)) for every tensor a rule of `recipe` selects (by its name in `names`, MATH.md §7
// matching), W elsewhere; `frozen` marks the elements that saturated (their straight-through
// gradient is 0).
struct QuantState {
  std::uint64_t quantized = 0, saturated = 0;
};

Result<QuantState> quantize(const Recipe& recipe, const ParameterLayout& layout, const std::vector<std::string>& names,
                            const std::vector<float>& master, std::vector<float>& effective,
                            std::vector<unsigned char>& frozen) {
  QuantState q;
  effective = master;
  frozen.assign(master.size(), 0);
  const auto& slots = layout.tensors();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const TensorSlot& s = slots[i];
    const std::string& name = names.empty() ? s.name : names[i];
    const auto rule = matchRule(recipe, name, s.matrix ? 2 : 1);
    if (!rule) continue;
    FloatTensor t;
    t.name = name;
    t.shape = s.shape();
    t.values.assign(master.begin() + static_cast<std::ptrdiff_t>(s.offset),
                    master.begin() + static_cast<std::ptrdiff_t>(s.offset + s.size()));
    auto r = quantizeTensor(t, recipe.rules[*rule].params);
    if (!r) return makeError("quantizing '" + name + "': " + r.error().message);
    if (r->reconstruction.size() != s.size())
      return makeError("quantizing '" + name + "': the method returned " + std::to_string(r->reconstruction.size()) +
                       " values for " + std::to_string(s.size()));
    std::copy(r->reconstruction.begin(), r->reconstruction.end(), effective.begin() + static_cast<std::ptrdiff_t>(s.offset));
    if (r->saturated.size() == s.size())
      for (std::size_t k = 0; k < s.size(); ++k) {
        frozen[s.offset + k] = r->saturated[k];
        q.saturated += r->saturated[k] ? 1 : 0;
      }
    q.quantized += s.size();
  }
  return q;
}

// State of one run while training.
struct RunState {
  std::vector<float> master, effective;
  std::vector<unsigned char> frozen;  // saturated elements (straight-through gradient 0)
  double saturatedFraction = 0;
  std::optional<AdamW> opt;
  std::vector<std::vector<float>> groupGrads;  // kGroups × layout size
  std::vector<double> groupLoss;
  std::vector<float> grad;
  double lossSum = 0;
  int lossSteps = 0;
  std::optional<CurvePoint> frozenPoint;  // the constant figures of an untrained run
};

Status validate(const TrainSetup& s) {
  const TrainOptions& o = s.options;
  if (!s.teacherLayout || s.teacherParams.size() != s.teacherLayout->size())
    return makeError("training: the teacher's weights do not match its layout");
  if (s.studentInit.size() != s.studentLayout.size())
    return makeError("training: the student's initial weights do not match its layout");
  if (!s.tensorNames.empty() && s.tensorNames.size() != s.studentLayout.tensors().size())
    return makeError("training: one tensor name per student tensor is needed");
  const model::ModelConfig &tc = s.teacherLayout->config(), &sc = s.studentLayout.config();
  if (tc.vocabSize != sc.vocabSize)
    return makeError("training: the student's vocabulary (" + std::to_string(sc.vocabSize) + ") is not the teacher's (" +
                     std::to_string(tc.vocabSize) + ")");
  if (s.runs.empty()) return makeError("training: no run to train");
  if (o.steps < 0) return makeError("training: steps must be ≥ 0");
  if (o.batch < 1 || o.batch > 1024) return makeError("training: batch must be 1..1024");
  const int ctx = std::min(tc.seqLen, sc.seqLen);
  if (o.seqLen < 1 || o.seqLen > ctx)
    return makeError("training: sequence length must be 1.." + std::to_string(ctx) + " (the models' context)");
  if (!(o.lr >= 0) || !(o.weightDecay >= 0) || !(o.minLrFraction >= 0 && o.minLrFraction <= 1) || o.warmup < 0)
    return makeError("training: learning rate, weight decay, warm-up and the final lr fraction must be ≥ 0 (fraction ≤ 1)");
  if (o.evalEvery < 1) return makeError("training: evaluate at least every step count ≥ 1");
  for (const RunSpec& r : s.runs)
    if (!(r.loss.temperature > 0) || !(r.loss.alpha >= 0 && r.loss.alpha <= 1))
      return makeError("training: run '" + r.label + "': T must be > 0 and α in [0, 1]");
  if (!s.data) return makeError("training: no data");
  if (s.data->train.size() < static_cast<std::size_t>(o.seqLen) + 1 && o.steps > 0)
    return makeError("training: " + std::to_string(s.data->train.size()) + " training tokens are fewer than one window of " +
                     std::to_string(o.seqLen + 1));
  if (s.data->heldout.empty()) return makeError("training: no held-out windows");
  for (const auto& w : s.data->heldout) {
    if (w.empty() || w.size() > static_cast<std::size_t>(ctx))
      return makeError("training: a held-out window has " + std::to_string(w.size()) + " tokens (1.." + std::to_string(ctx) +
                       " allowed)");
    for (int id : w)
      if (id < 0 || id >= tc.vocabSize) return makeError("training: held-out token " + std::to_string(id) + " is outside the vocabulary");
  }
  for (int id : s.data->train)
    if (id < 0 || id >= tc.vocabSize) return makeError("training: training token " + std::to_string(id) + " is outside the vocabulary");
  return {};
}

}  // namespace

Result<model::ModelConfig> studentConfig(const model::ModelConfig& teacher, const StudentSpec& spec) {
  model::ModelConfig c = teacher;
  c.dim = spec.dim;
  c.hiddenDim = spec.hiddenDim;
  c.nLayers = spec.nLayers;
  c.nHeads = spec.nHeads;
  c.nKvHeads = spec.nKvHeads;
  c.sharedClassifier = spec.tied;
  c.headSize = 0;  // the student's heads tile its own width (dim / nHeads), not the teacher's
  c.ropeDims = 0;
  if (auto s = model::validateConfig(c, "student"); !s) return s.error();
  if (spec.init == StudentSpec::Init::TeacherLayers) {
    if (c.dim != teacher.dim || c.hiddenDim != teacher.hiddenDim || c.nHeads != teacher.nHeads ||
        c.nKvHeads != teacher.nKvHeads)
      return makeError("student: initializing from the teacher's layers needs the teacher's width (" +
                       std::to_string(teacher.dim) + "), FFN size (" + std::to_string(teacher.hiddenDim) + ") and heads (" +
                       std::to_string(teacher.nHeads) + "/" + std::to_string(teacher.nKvHeads) + ")");
    if (c.nLayers > teacher.nLayers)
      return makeError("student: the teacher has only " + std::to_string(teacher.nLayers) + " layers to copy");
  }
  if (!(spec.initStd > 0 && spec.initStd < 10)) return makeError("student: initialization σ must lie in (0, 10)");
  if (parameterCount(c) > kMaxParameters)
    return makeError("student: " + std::to_string(parameterCount(c)) + " parameters exceed the engine's " +
                     std::to_string(kMaxParameters));
  return c;
}

Result<std::vector<float>> initialStudent(const ParameterLayout& teacher, std::span<const float> teacherParams,
                                          const ParameterLayout& student, const StudentSpec& spec, std::uint64_t seed) {
  std::vector<float> p(student.size(), 0.0f);
  if (spec.init == StudentSpec::Init::Seed) {
    Rng rng(seed ^ 0x1A2B3C4D5E6F7081ull);  // a stream apart from the batch sampler's
    const double deep = spec.initStd / std::sqrt(2.0 * student.config().nLayers);
    for (const TensorSlot& s : student.tensors()) {
      float* v = p.data() + s.offset;
      if (!s.matrix) {
        std::fill(v, v + s.size(), 1.0f);
        continue;
      }
      const double sd = (s.role == Role::Wo || s.role == Role::W2) ? deep : spec.initStd;
      for (std::size_t i = 0; i < s.size(); ++i) v[i] = static_cast<float>(sd * rng.normal());
    }
    return p;
  }
  for (const TensorSlot& s : student.tensors()) {
    // The student's output (untied) takes the teacher's classifier, which is its embedding when tied.
    const TensorSlot& from = s.role == Role::Output ? teacher.slot(Role::Output)
                                                    : teacher.tensors()[static_cast<std::size_t>(teacher.find(s.name))];
    if (from.size() != s.size()) return makeError("student: tensor '" + s.name + "' differs in shape from the teacher's");
    std::copy_n(teacherParams.begin() + static_cast<std::ptrdiff_t>(from.offset), s.size(),
                p.begin() + static_cast<std::ptrdiff_t>(s.offset));
  }
  return p;
}

std::vector<MatrixT<float>> windowLogits(const Network<float>& model, std::span<const float> params,
                                         const std::vector<std::vector<int>>& windows) {
  std::vector<MatrixT<float>> out(windows.size());
  exec::parallelForEach(windows.size(), [&](std::size_t w) {
    SequenceCache<float> cache;
    model.forward(params.data(), windows[w], cache);
    out[w] = std::move(cache.logits);
  });
  return out;
}

HeldoutFigures evaluateHeldout(const Network<float>& model, std::span<const float> params,
                               const std::vector<std::vector<int>>& windows,
                               const std::vector<MatrixT<float>>& teacherLogits) {
  struct Part {
    double kl = 0, nll = 0;
    std::size_t agree = 0, positions = 0, scored = 0;
  };
  std::vector<Part> parts(windows.size());
  const int V = model.layout().config().vocabSize;
  exec::parallelForEach(windows.size(), [&](std::size_t w) {
    SequenceCache<float> cache;
    model.forward(params.data(), windows[w], cache);
    Part& p = parts[w];
    const auto n = static_cast<Eigen::Index>(windows[w].size());
    for (Eigen::Index t = 0; t < n; ++t) {
      const int label = t + 1 < n ? windows[w][static_cast<std::size_t>(t + 1)] : -1;
      const float* zs = cache.logits.row(t).data();
      const float* zt = teacherLogits[w].row(t).data();
      const RowLoss r = distillRow<float>(zs, zt, label, V, LossSpec{1.0, 1.0}, 0.0, nullptr);
      p.kl += r.kl;
      if (label >= 0) {
        p.nll += r.ce;
        ++p.scored;
      }
      // argmax with the lowest id on ties, for both
      const auto as = std::max_element(zs, zs + V) - zs, at = std::max_element(zt, zt + V) - zt;
      p.agree += as == at ? 1 : 0;
      ++p.positions;
    }
  });
  Part sum;
  for (const Part& p : parts) {  // window order: the same sum on any thread count
    sum.kl += p.kl;
    sum.nll += p.nll;
    sum.agree += p.agree;
    sum.positions += p.positions;
    sum.scored += p.scored;
  }
  HeldoutFigures f;
  f.positions = sum.positions;
  f.scored = sum.scored;
  f.kl = sum.positions ? sum.kl / static_cast<double>(sum.positions) : 0.0;
  f.top1 = sum.positions ? static_cast<double>(sum.agree) / static_cast<double>(sum.positions) : 0.0;
  f.ppl = sum.scored ? std::exp(sum.nll / static_cast<double>(sum.scored)) : 0.0;
  return f;
}

Result<TrainOutcome> runTraining(const TrainSetup& setup, const TrainObserver& observer, const Work& work) {
  if (auto s = validate(setup); !s) return s.error();
  const TrainOptions& o = setup.options;
  const ParameterLayout& sl = setup.studentLayout;
  const std::size_t P = sl.size();
  const int V = sl.config().vocabSize, B = o.batch, n = o.seqLen;
  const int groups = std::min(B, kGroups);
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  const auto wall0 = Clock::now();

  Network<float> teacher(*setup.teacherLayout), student(sl);
  const TokenData& data = *setup.data;

  // Preparation: the teacher's held-out logits and perplexity, each run's starting weights
  // (quantized when the run has a quantizer).
  const std::vector<MatrixT<float>> heldLogits = windowLogits(teacher, setup.teacherParams, data.heldout);
  if (work.cancelled()) return makeError("cancelled");
  TrainOutcome out;
  {
    const HeldoutFigures t = evaluateHeldout(teacher, setup.teacherParams, data.heldout, heldLogits);
    out.teacherPpl = t.ppl;
    out.heldoutPositions = t.positions;
  }
  std::vector<RunState> runs(setup.runs.size());
  std::vector<unsigned char> decay(P, 0);  // AdamW decays weight matrices, not RMSNorm gains
  for (const TensorSlot& s : sl.tensors())
    if (s.matrix)
      std::fill(decay.begin() + static_cast<std::ptrdiff_t>(s.offset),
                decay.begin() + static_cast<std::ptrdiff_t>(s.offset + s.size()), 1);
  auto refresh = [&](std::size_t r) -> Status {
    RunState& st = runs[r];
    const RunSpec& spec = setup.runs[r];
    if (!spec.quantizer) {
      st.effective = st.master;
      return {};
    }
    auto q = quantize(*spec.quantizer, sl, setup.tensorNames, st.master, st.effective, st.frozen);
    if (!q) return q.error();
    st.saturatedFraction = q->quantized ? static_cast<double>(q->saturated) / static_cast<double>(q->quantized) : 0.0;
    return {};
  };
  bool anyTrained = false, needTeacher = false;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    runs[r].master = setup.studentInit;
    if (auto s = refresh(r); !s) return s.error();
    if (!setup.runs[r].train) continue;
    anyTrained = true;
    needTeacher = needTeacher || setup.runs[r].loss.alpha > 0;
    runs[r].opt.emplace(P, AdamWOptions{0.9, 0.999, 1e-8, o.weightDecay}, decay);
    runs[r].groupGrads.assign(static_cast<std::size_t>(groups), std::vector<float>(P, 0.0f));
    runs[r].groupLoss.assign(static_cast<std::size_t>(groups), 0.0);
    runs[r].grad.assign(P, 0.0f);
  }
  out.prepareSeconds = since(wall0);
  if (observer.onReady) observer.onReady(out.teacherPpl, out.heldoutPositions);

  const auto train0 = Clock::now();
  const double cpu0 = cpuNow();
  std::vector<std::vector<CurvePoint>> curves(runs.size());
  auto evaluateAll = [&](int step) {
    for (std::size_t r = 0; r < runs.size(); ++r) {
      RunState& st = runs[r];
      CurvePoint pt;
      if (st.frozenPoint) {
        pt = *st.frozenPoint;
      } else {
        const HeldoutFigures f = evaluateHeldout(student, st.effective, data.heldout, heldLogits);
        pt.kl = f.kl;
        pt.ppl = f.ppl;
        pt.top1 = f.top1;
        pt.saturated = st.saturatedFraction;
        if (!setup.runs[r].train) st.frozenPoint = pt;
      }
      pt.step = step;
      pt.tokens = static_cast<std::int64_t>(step) * B * n;
      pt.trainLoss = st.lossSteps ? st.lossSum / st.lossSteps : std::numeric_limits<double>::quiet_NaN();
      st.lossSum = 0;
      st.lossSteps = 0;
      pt.seconds = since(train0);
      pt.cpuSeconds = cpuNow() - cpu0;
      curves[r].push_back(pt);
      if (observer.onPoint) observer.onPoint(r, pt);
    }
  };
  evaluateAll(0);

  // Per-step buffers: the batch's windows, the teacher's logits of each, and one activation cache
  // and logit-gradient matrix per (run, group) task.
  WindowSampler sampler(data.train, n + 1, o.seed);
  std::vector<std::span<const int>> windows(static_cast<std::size_t>(B));
  std::vector<SequenceCache<float>> teacherCaches(static_cast<std::size_t>(B));
  std::vector<std::size_t> trained;
  for (std::size_t r = 0; r < runs.size(); ++r)
    if (setup.runs[r].train) trained.push_back(r);
  const std::size_t tasks = trained.size() * static_cast<std::size_t>(groups);
  std::vector<SequenceCache<float>> caches(tasks);
  std::vector<MatrixT<float>> dz(tasks, MatrixT<float>(n, V));
  const double weight = 1.0 / (static_cast<double>(B) * n);  // the loss is the mean over B·n positions

  for (int step = 0; anyTrained && step < o.steps; ++step) {
    if (work.cancelled()) return makeError("cancelled");
    for (auto& w : windows) w = sampler.next();
    if (needTeacher)
      exec::parallelForEach(static_cast<std::size_t>(B), [&](std::size_t b) {
        teacher.forward(setup.teacherParams.data(), windows[static_cast<std::size_t>(b)].first(static_cast<std::size_t>(n)),
                        teacherCaches[static_cast<std::size_t>(b)]);
      });
    exec::parallelForEach(tasks, [&](std::size_t task) {
      const std::size_t r = trained[task / static_cast<std::size_t>(groups)];
      const int g = static_cast<int>(task % static_cast<std::size_t>(groups));
      RunState& st = runs[r];
      const LossSpec& spec = setup.runs[r].loss;
      std::vector<float>& grad = st.groupGrads[static_cast<std::size_t>(g)];
      std::fill(grad.begin(), grad.end(), 0.0f);
      double loss = 0;
      SequenceCache<float>& cache = caches[task];
      MatrixT<float>& d = dz[task];
      for (int b = g * B / groups; b < (g + 1) * B / groups; ++b) {
        const std::span<const int> w = windows[static_cast<std::size_t>(b)];
        student.forward(st.effective.data(), w.first(static_cast<std::size_t>(n)), cache);
        for (int t = 0; t < n; ++t) {
          const float* zt = spec.alpha > 0 ? teacherCaches[static_cast<std::size_t>(b)].logits.row(t).data() : nullptr;
          loss += distillRow<float>(cache.logits.row(t).data(), zt, w[static_cast<std::size_t>(t) + 1], V, spec, weight,
                                    d.row(t).data())
                      .loss;
        }
        student.backward(st.effective.data(), cache, d, grad.data());
      }
      st.groupLoss[static_cast<std::size_t>(g)] = loss;
    });
    const double lr = scheduledLr(step, o.steps, o.lr, o.warmup, o.minLrFraction);
    for (std::size_t r : trained) {
      RunState& st = runs[r];
      // Sum the groups in order, then the straight-through mask, clipping and the AdamW step on W.
      std::copy(st.groupGrads[0].begin(), st.groupGrads[0].end(), st.grad.begin());
      double loss = st.groupLoss[0];
      for (int g = 1; g < groups; ++g) {
        const std::vector<float>& gg = st.groupGrads[static_cast<std::size_t>(g)];
        for (std::size_t i = 0; i < P; ++i) st.grad[i] += gg[i];
        loss += st.groupLoss[static_cast<std::size_t>(g)];
      }
      if (!st.frozen.empty())
        for (std::size_t i = 0; i < P; ++i)
          if (st.frozen[i]) st.grad[i] = 0.0f;
      clipGlobalNorm(st.grad, o.clipNorm);
      st.opt->step(st.master, st.grad, lr);
      if (auto s = refresh(r); !s) return s.error();
      st.lossSum += loss * weight;
      ++st.lossSteps;
    }
    if ((step + 1) % o.evalEvery == 0 || step + 1 == o.steps) evaluateAll(step + 1);
    work.report(step + 1, o.steps);
    if (observer.onStep) observer.onStep(TrainProgress{step + 1, o.steps, since(train0), cpuNow() - cpu0});
  }
  out.seconds = since(train0);
  out.cpuSeconds = cpuNow() - cpu0;
  for (std::size_t r = 0; r < runs.size(); ++r)
    out.runs.push_back(RunResult{setup.runs[r], std::move(curves[r]), std::move(runs[r].master),
                                 std::move(runs[r].effective)});
  return out;
}

}  // namespace quench::train
