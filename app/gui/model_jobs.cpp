#include "app/gui/model_jobs.h"

#include <QElapsedTimer>
#include <QObject>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "widgets/evaluation_view.h"


namespace quench::app {
namespace {

// The end of a job from a core error: "cancelled" when the stop was requested (whatever the
// message says: core names the file in front of it), else the message.
JobEnd endFrom(const std::stop_token& stop, const std::string& error, const QElapsedTimer& timer) {
  JobEnd end;
  end.cancelled = stop.stop_requested();
  if (!end.cancelled) end.error = QString::fromStdString(error);
  end.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  return end;
}

}  // namespace

Result<std::shared_ptr<LoadedModel>> openModelJob(const std::string& path, const std::string& tokenizerPath,
                                                  const Work& work, const model::TokenizerOptions& tokenizerOptions) {
  auto files = model::openModel(path, tokenizerPath, tokenizerOptions);
  if (!files) return files.error();
  if (work.cancelled()) return makeError("cancelled");
  auto loaded = std::make_shared<LoadedModel>();
  loaded->files = std::move(files).value();
  auto p = model::loadTransformer(loaded->files, work);
  if (!p) return makeError(path + ": " + p.error().message);
  loaded->p = std::move(p).value();
  return loaded;
}

OpenOutcome openModelOutcome(const std::string& path, const std::string& tokenizerPath, bool reportProgress,
                             std::stop_token stop, QPromise<OpenOutcome>& promise,
                             const model::TokenizerOptions& tokenizerOptions) {
  QElapsedTimer timer;
  timer.start();
  OpenOutcome out;
  auto m = openModelJob(path, tokenizerPath, reportProgress ? promiseWork(promise, stop) : Work{stop, {}},
                        tokenizerOptions);
  if (m)
    out.model = std::move(m).value();
  else
    out.end = endFrom(stop, m.error().message, timer);
  out.end.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  return out;
}

QString sourceDescription(const SourceSettings& s, const eval::EvalData& d) {
  std::size_t tokens = 0;
  for (const auto& q : d.sequences) tokens += q.size();
  switch (s.kind) {
    case SourceKind::Sample:
      return QObject::tr("%1 sampled sequences of %2 tokens (seed %3)").arg(s.count).arg(s.length).arg(s.seed);
    case SourceKind::Text:
      return QObject::tr("pasted text: %1 tokens in %2 chunks").arg(tokens).arg(d.sequences.size());
    case SourceKind::TextFile:
    case SourceKind::TokenFile:
      return QObject::tr("%1: %2 tokens in %3 chunks")
          .arg(QString::fromStdString(std::filesystem::path(s.path).filename().string()))
          .arg(tokens)
          .arg(d.sequences.size());
    case SourceKind::LlamaKld:
      return QObject::tr("%1: %2 llama.cpp chunks of %3 tokens")
          .arg(QString::fromStdString(std::filesystem::path(s.path).filename().string()))
          .arg(d.reference ? d.reference->nChunk() : 0)
          .arg(d.reference ? d.reference->nCtx() : 0);
  }
  return {};
}

EvaluationOutcome evaluateJob(const std::shared_ptr<LoadedModel>& model, const std::shared_ptr<LoadedModel>& student,
                              const Recipe& recipe, const SourceSettings& source, double temperature,
                              std::stop_token stop, QPromise<EvaluationOutcome>& promise) {
  QElapsedTimer timer;
  timer.start();
  EvaluationOutcome out;
  // P (and the student) are run by one job at a time; a superseded job stops promptly first.
  std::unique_lock lock(model->busy);
  std::unique_lock<std::mutex> studentLock;
  if (student && student != model) studentLock = std::unique_lock(student->busy);
  if (stop.stop_requested()) {
    out.end = endFrom(stop, "cancelled", timer);
    return out;
  }
  const double dataShare = source.kind == SourceKind::Sample ? 0.2 : 0.0;
  auto data = eval::prepareEvalData(model->files, model->p.get(), source, promiseWork(promise, stop, 0.0, dataShare));
  if (!data) {
    out.end = endFrom(stop, data.error().message, timer);
    return out;
  }
  out.dataDescription = sourceDescription(source, *data);
  const Work rest = promiseWork(promise, stop, dataShare, 1.0 - dataShare);
  if (student) {
    if (data->reference) {
      out.end.error = QObject::tr("comparing two models needs token sequences, not a llama.cpp logits file");
      return out;
    }
    TokenAccumulator acc;
    std::vector<eval::PositionRecord> positions;
    if (auto st = eval::compareModels(*model->p, *student->p, data->sequences, acc, rest, temperature, &positions);
        !st) {
      out.end = endFrom(stop, st.error().message, timer);
      return out;
    }
    out.evaluation.summary = acc.summary();
    out.evaluation.positions = std::move(positions);
  } else {
    eval::EvaluateOptions o;
    o.temperature = temperature;
    o.keepPositions = true;
    auto e = eval::evaluateRecipe(model->files, recipe, model->p.get(), data->sequences,
                                   data->reference ? &*data->reference : nullptr, o, rest);
    if (!e) {
      out.end = endFrom(stop, e.error().message, timer);
      return out;
    }
    out.evaluation = std::move(e).value();
  }
  out.figures = eval::positionFigures(out.evaluation.positions, widgets::EvaluationView::kHistogramBins,
                                      widgets::EvaluationView::kMovedRows);
  promise.setProgressValue(kJobProgressSteps);
  out.end.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  return out;
}

std::vector<SweepFamily> presetFamilies() {
  return {
      {QStringLiteral("int4 group:128"),
       R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4, "partition": "group:128"}]})"},
      {QStringLiteral("nf4"), R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4"}]})"},
      {QStringLiteral("fp4"), R"({"quench_recipe": 1, "rules": [{"tensors": "*", "method": "fp4"}]})"},
  };
}

namespace {

// Runs `points` (already validated) as family `family`, posting a Point update per point. Progress
// covers [start, start + span]. Returns the core error, if any.
Status runFamily(LoadedModel& model, const eval::EvalData& data, int family,
                 const std::vector<eval::SweepPoint>& points, std::stop_token stop,
                 QPromise<SweepUpdate>& promise, double start, double span) {
  const eval::SweepData sd{model.p.get(), &data.sequences, data.reference ? &*data.reference : nullptr};
  auto onPoint = [&](std::size_t, const eval::SweepPoint& pt, const eval::RecipeEvaluation& e) -> Status {
    SweepUpdate u;
    u.kind = SweepUpdate::Kind::Point;
    u.family = family;
    u.label = QString::fromStdString(pt.label);
    u.evaluation = e;
    promise.addResult(std::move(u));
    return {};
  };
  auto r = eval::runSweep(model.files, sd, points, onPoint, promiseWork(promise, stop, start, span));
  if (!r) return r.error();
  return {};
}

void finish(QPromise<SweepUpdate>& promise, JobEnd end) {
  SweepUpdate u;
  u.kind = SweepUpdate::Kind::Finished;
  u.end = std::move(end);
  if (!u.end.cancelled && u.end.error.isEmpty()) promise.setProgressValue(kJobProgressSteps);
  promise.addResult(std::move(u));
}

// A family's reason to skip a sweep, in words: the recipe parser's "rules[0].bits: unknown key
// for method 'nf4'" becomes "nf4 has no bits setting to sweep".
std::string sweepSkipReason(const std::string& message, const std::string& axis) {
  static const std::string kUnknown = "unknown key for method '";
  const auto at = message.find(kUnknown);
  if (at == std::string::npos) return message;
  const auto start = at + kUnknown.size();
  const auto end = message.find('\'', start);
  const std::string method = message.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const std::string setting = axis == kGroupOrBlock ? "group or block size" : axis;
  return method + " has no " + setting + " setting to sweep";
}

}  // namespace

void sweepJob(const std::shared_ptr<LoadedModel>& model, const std::vector<SweepFamily>& families,
              const eval::SweepAxis& axis, const SourceSettings& source, double temperature, std::stop_token stop,
              QPromise<SweepUpdate>& promise) {
  QElapsedTimer timer;
  timer.start();
  // Every family's points are built and validated before any model work (milliseconds), so a
  // family that cannot take the setting is reported at once.
  std::vector<std::pair<int, std::vector<eval::SweepPoint>>> runs;
  std::string why;  // each skipped family's reason, for the error when none can run
  for (std::size_t f = 0; f < families.size(); ++f) {
    auto points = eval::sweepPoints(families[f].recipeJson, axis, temperature);
    if (axis.name == kGroupOrBlock) {  // int takes a group size, nf4/fp4/float a block size
      points = eval::sweepPoints(families[f].recipeJson, eval::SweepAxis{"group", axis.values}, temperature);
      if (!points)
        points = eval::sweepPoints(families[f].recipeJson, eval::SweepAxis{"block", axis.values}, temperature);
    }
    if (!points) {
      SweepUpdate u;
      u.kind = SweepUpdate::Kind::Skipped;
      u.family = int(f);
      u.label = families[f].name;
      const std::string reason = sweepSkipReason(points.error().message, axis.name);
      u.message = QString::fromStdString(reason);
      why += (why.empty() ? "" : "; ") + families[f].name.toStdString() + ": " + reason;
      promise.addResult(std::move(u));
      continue;
    }
    runs.emplace_back(int(f), std::move(points).value());
  }
  if (runs.empty()) {
    finish(promise, endFrom(stop,
                            families.empty() ? "choose at least one recipe family"
                                             : "no recipe family can take this sweep (" + why + ")",
                            timer));
    return;
  }
  std::unique_lock lock(model->busy);
  if (stop.stop_requested()) return finish(promise, endFrom(stop, "cancelled", timer));
  const double dataShare = source.kind == SourceKind::Sample ? 0.05 : 0.0;
  auto data = eval::prepareEvalData(model->files, model->p.get(), source, promiseWork(promise, stop, 0.0, dataShare));
  if (!data) return finish(promise, endFrom(stop, data.error().message, timer));
  if (data->reference && axis.name == "temperature")
    return finish(promise, endFrom(stop, "a llama.cpp logits file holds probabilities at temperature 1 only", timer));
  std::size_t total = 0;
  for (const auto& r : runs) total += r.second.size();
  std::size_t done = 0;
  for (const auto& [family, points] : runs) {
    SweepUpdate u;
    u.kind = SweepUpdate::Kind::Family;
    u.family = family;
    u.label = families[std::size_t(family)].name;
    u.points = int(points.size());
    promise.addResult(std::move(u));
    const double start = dataShare + (1.0 - dataShare) * double(done) / double(total);
    const double span = (1.0 - dataShare) * double(points.size()) / double(total);
    if (auto st = runFamily(*model, *data, family, points, stop, promise, start, span); !st)
      return finish(promise, endFrom(stop, families[std::size_t(family)].name.toStdString() + ": " + st.error().message,
                                     timer));
    done += points.size();
  }
  JobEnd end;
  end.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  finish(promise, end);
}

void sensitivityJob(const std::shared_ptr<LoadedModel>& model, const Recipe& recipe, const SourceSettings& source,
                    double temperature, std::stop_token stop, QPromise<SweepUpdate>& promise) {
  QElapsedTimer timer;
  timer.start();
  auto points = eval::perTensorPoints(model->files, recipe, temperature);
  if (!points) return finish(promise, endFrom(stop, points.error().message, timer));
  std::unique_lock lock(model->busy);
  if (stop.stop_requested()) return finish(promise, endFrom(stop, "cancelled", timer));
  const double dataShare = source.kind == SourceKind::Sample ? 0.05 : 0.0;
  auto data = eval::prepareEvalData(model->files, model->p.get(), source, promiseWork(promise, stop, 0.0, dataShare));
  if (!data) return finish(promise, endFrom(stop, data.error().message, timer));
  SweepUpdate u;
  u.kind = SweepUpdate::Kind::Family;
  u.family = 0;
  u.label = recipeShortName(recipe);
  u.points = int(points->size());
  promise.addResult(std::move(u));
  if (auto st = runFamily(*model, *data, 0, *points, stop, promise, dataShare, 1.0 - dataShare); !st)
    return finish(promise, endFrom(stop, st.error().message, timer));
  JobEnd end;
  end.elapsedMs = static_cast<double>(timer.nsecsElapsed()) * 1e-6;
  finish(promise, end);
}

QString recipeShortName(const Recipe& recipe) {
  if (recipe.rules.empty()) return QObject::tr("no rule (Q = P)");
  if (recipe.rules.size() > 1) return QObject::tr("%1 rules").arg(recipe.rules.size());
  QString s = QString::fromStdString(recipe.rules.front().params.label(LabelStyle::Short));
  const std::string& t = recipe.rules.front().tensors;
  if (t != "*") s += QStringLiteral(" on %1").arg(QString::fromStdString(t));
  return s;
}

}  // namespace quench::app
