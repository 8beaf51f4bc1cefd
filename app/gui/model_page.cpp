#include "widgets/text_format.h"
#include "app/gui/model_page.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "app/gui/job_runner.h"
#include "app/gui/model_page_parts.h"
#include "widgets/curves_view.h"
#include "widgets/evaluation_view.h"
#include "widgets/model_info_view.h"
#include "widgets/sensitivity_view.h"

namespace quench::app {
namespace {

QString seconds(double ms) { return QObject::tr("%1 s").arg(ms / 1000.0, 0, 'f', ms < 10000 ? 2 : 1); }

JobEnd failedEnd(const QString& what) {
  JobEnd end;
  end.error = what;
  return end;
}

}  // namespace

ModelPage::ModelPage(QWidget* parent) : QWidget(parent), m_jobs(new JobRunner(JobPolicy::Supersede, this)) {
  // Left: what is evaluated and on what. Right: the three views. Bottom: message, progress, Cancel.
  m_modelBox = new ModelBox;
  m_source = new SourceBox;
  m_compare = new CompareBox;
  connect(m_modelBox, &ModelBox::openRequested, this, [this](bool folder) { chooseModel(folder, false); });
  connect(m_modelBox, &ModelBox::tokenizerRequested, this, &ModelPage::chooseTokenizer);
  connect(m_modelBox, &ModelBox::noPrefixSpaceChanged, this, [this] {
    if (!m_modelPath.isEmpty()) openModel(m_modelPath, m_tokenizerPath);
  });
  connect(m_compare, &CompareBox::openSecondRequested, this, [this](bool folder) { chooseModel(folder, true); });
  auto* controls = new QWidget;
  auto* controlsLayout = new QVBoxLayout(controls);
  controlsLayout->setContentsMargins(0, 0, 4, 0);
  controlsLayout->addWidget(m_modelBox);
  controlsLayout->addWidget(m_source);
  controlsLayout->addWidget(m_compare);
  controlsLayout->addStretch(1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(controls);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(280);

  m_curvesTab = new CurvesTab;
  connect(m_curvesTab->runButton(), &QPushButton::clicked, this, &ModelPage::runSweep);
  m_tabs = new QTabWidget;
  m_tabs->addTab(createEvaluationTab(), tr("Evaluation"));
  m_tabs->addTab(m_curvesTab, tr("Curves"));
  m_tabs->addTab(createSensitivityTab(), tr("Sensitivity"));

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(scroll);
  split->addWidget(m_tabs);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setChildrenCollapsible(false);

  m_status = new JobStatusRow;
  connect(m_status->cancelButton(), &QPushButton::clicked, this, &ModelPage::cancel);
  connect(m_jobs, &JobRunner::progressChanged, this, [this](double f) {
    m_status->setProgress(f);
    emit progress(f);
  });

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split, 1);
  layout->addWidget(m_status);
  setBusy(false);
  m_compare->setRecipe(m_recipe);
}

ModelPage::~ModelPage() { m_jobs->shutdown(); }

QWidget* ModelPage::createEvaluationTab() {
  auto* tab = new QWidget;
  m_evaluateButton = new QPushButton(tr("Evaluate"));
  m_evaluateButton->setToolTip(tr("Per-token KL(P‖Q), JS, top-1 agreement and perplexities of Q against P"));
  connect(m_evaluateButton, &QPushButton::clicked, this, &ModelPage::evaluate);
  auto* row = new QHBoxLayout;
  row->addWidget(m_evaluateButton);
  row->addStretch(1);
  m_evaluation = new widgets::EvaluationView;
  auto* l = new QVBoxLayout(tab);
  l->addLayout(row);
  l->addWidget(m_evaluation, 1);
  return tab;
}

QWidget* ModelPage::createSensitivityTab() {
  auto* tab = new QWidget;
  m_sensitivityButton = new QPushButton(tr("Run sensitivity"));
  m_sensitivityButton->setToolTip(
      tr("Apply the current recipe to one weight matrix at a time and measure the mean KL of each"));
  connect(m_sensitivityButton, &QPushButton::clicked, this, &ModelPage::runSensitivity);
  auto* row = new QHBoxLayout;
  row->addWidget(m_sensitivityButton);
  row->addWidget(new QLabel(tr("The current recipe on one weight matrix at a time: which tensors deserve more bits")));
  row->addStretch(1);
  m_sensitivity = new widgets::SensitivityView;
  auto* l = new QVBoxLayout(tab);
  l->addLayout(row);
  l->addWidget(m_sensitivity, 1);
  return tab;
}

// ---- controls --------------------------------------------------------------------------------

void ModelPage::chooseModel(bool folder, bool second) {
  const QString start = QFileInfo(second ? m_secondPath : m_modelPath).absolutePath();
  const QString path =
      folder ? QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"), start)
             : QFileDialog::getOpenFileName(this, tr("Open a model"), start,
                                            tr("Models (*.bin *.gguf *.safetensors);;All files (*)"));
  if (path.isEmpty()) return;
  // A model.safetensors picked as a file means its folder.
  const QString target = !folder && path.endsWith(QLatin1String(".safetensors")) ? QFileInfo(path).absolutePath() : path;
  if (second)
    openSecondModel(target);
  else
    openModel(target);
}

void ModelPage::chooseTokenizer() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Choose the llama2.c tokenizer"),
                                                    QFileInfo(m_modelPath).absolutePath(),
                                                    tr("Tokenizers (*.bin);;All files (*)"));
  if (path.isEmpty()) return;
  if (m_modelPath.isEmpty()) {
    m_tokenizerPath = path;
    showMessage(tr("Tokenizer %1 will be used with the next model.").arg(QFileInfo(path).fileName()), false);
    return;
  }
  openModel(m_modelPath, path);
}

void ModelPage::setRecipe(const Recipe& recipe) {
  m_recipe = recipe;
  m_compare->setRecipe(m_recipe);
}

SourceSettings ModelPage::sourceSettings() const { return m_source->settings(); }
void ModelPage::setSourceSettings(const SourceSettings& s) { m_source->setSettings(s); }
void ModelPage::setCandidate(Candidate c) { m_compare->setSecondModelChosen(c == Candidate::SecondModel); }
ModelPage::Candidate ModelPage::candidate() const {
  return m_compare->secondModelChosen() ? Candidate::SecondModel : Candidate::Recipe;
}
void ModelPage::setTemperature(double t) { m_compare->setTemperature(t); }
double ModelPage::temperature() const { return m_compare->temperature(); }
void ModelPage::setSweep(const QString& setting, const QString& values) { m_curvesTab->setSweep(setting, values); }
QString ModelPage::sweepSetting() const { return m_curvesTab->setting(); }
QString ModelPage::sweepValues() const { return m_curvesTab->values(); }
void ModelPage::setFamilyEnabled(const QString& name, bool on) { m_curvesTab->setFamilyEnabled(name, on); }
QStringList ModelPage::enabledFamilies() const { return m_curvesTab->enabledFamilies(); }
void ModelPage::showView(View v) { m_tabs->setCurrentIndex(int(v)); }

widgets::CurvesView* ModelPage::curvesView() const { return m_curvesTab->view(); }
widgets::ModelInfoView* ModelPage::modelInfoView() const { return m_modelBox->infoView(); }
QPushButton* ModelPage::cancelButton() const { return m_status->cancelButton(); }
QPushButton* ModelPage::sweepButton() const { return m_curvesTab->runButton(); }
QProgressBar* ModelPage::progressBar() const { return m_status->progressBar(); }
QLabel* ModelPage::messageLabel() const { return m_status->messageLabel(); }

std::shared_ptr<const TensorReader> ModelPage::tensorReader() const {
  if (!m_model || !m_model->files.reader) return nullptr;
  // Shares ownership of the whole model, so the reader lives as long as anyone holds it.
  return std::shared_ptr<const TensorReader>(m_model, m_model->files.reader.get());
}

QString ModelPage::message() const { return m_status->message(); }

QString ModelPage::modelName() const {
  if (m_modelPath.isEmpty()) return QString();
  return QFileInfo(m_modelPath).fileName();
}

// ---- jobs ------------------------------------------------------------------------------------

void ModelPage::beginJob(const QString& what) {
  m_jobText = what;
  m_status->setBusyText(what);
  m_status->setProgress(0.0);
  m_skipped.clear();
  setBusy(true);
  emit progress(0.0);
}

void ModelPage::endJob(const JobEnd& end, const QString& doneText) {
  setBusy(false);
  m_status->setBusyText(QString());
  QString text;
  if (end.cancelled) {
    text = tr("Cancelled: %1.").arg(m_jobText);
    showMessage(text, false);
  } else if (!end.error.isEmpty()) {
    text = end.error;
    showMessage(text, true);
    emit errorShown(text);
  } else {
    text = doneText;
    if (!m_skipped.isEmpty()) text += QLatin1Char(' ') + tr("Skipped: %1").arg(m_skipped.join(QStringLiteral("; ")));
    showMessage(text, false);
    m_status->setProgress(1.0);
    emit progress(1.0);
  }
  emit jobFinished(text);
}

void ModelPage::refuse(const QString& text) {
  showMessage(text, true);
  emit errorShown(text);
  emit jobFinished(text);
}

void ModelPage::cancel() {
  if (!m_busy) return;
  // The worker sees the stop within one forward pass and ends with "cancelled"; endJob then says
  // so. Any new request meanwhile supersedes it (and waits for it to let go of the model).
  m_jobs->cancel();
  m_status->setBusyText(tr("Cancelling…"));
}

void ModelPage::setBusy(bool busy) {
  const bool changed = busy != m_busy;
  m_busy = busy;
  m_status->setBusy(busy);
  if (changed) emit busyChanged(busy);
}

void ModelPage::showMessage(const QString& text, bool error) { m_status->showMessage(text, error); }

bool ModelPage::requireModel() {
  if (m_model) return true;
  refuse(m_busy && !m_modelPath.isEmpty() ? tr("The model is still loading.") : tr("Open a model first."));
  return false;
}

void ModelPage::setNoPrefixSpace(bool on) { m_modelBox->setNoPrefixSpace(on); }

bool ModelPage::noPrefixSpace() const { return m_modelBox->noPrefixSpace(); }

QLabel* ModelPage::tokenizerNote() const { return m_modelBox->tokenizerNote(); }

void ModelPage::openModel(const QString& path, const QString& tokenizerPath) {
  // The working model stays loaded (and evaluable) until the new one has opened: a file that
  // fails to open must not unload it (issue 13).
  beginJob(tr("Opening %1").arg(QFileInfo(path).fileName()));
  m_modelBox->showOpening(path);
  const std::string p = path.toStdString(), t = tokenizerPath.toStdString();
  JobCallbacks<OpenOutcome> done;
  auto keepPrevious = [this] {
    m_modelBox->showModel(m_model ? m_modelPath : QString(), m_model.get());
  };
  done.result = [this, path, tokenizerPath, keepPrevious](const OpenOutcome& r) {
    if (!r.model) {
      keepPrevious();
      endJob(r.end, QString());
      return;
    }
    m_modelPath = path;
    m_tokenizerPath = tokenizerPath;
    m_model = r.model;
    m_evaluation->clear(tr("Evaluate to see Q against P"));
    m_evaluated = false;
    m_curvesTab->view()->clear();
    m_sensitivity->clear();
    m_modelBox->showModel(path, m_model.get());
    endJob(r.end, tr("Opened %1 in %2.").arg(QFileInfo(path).fileName(), seconds(r.end.elapsedMs)));
    emit modelOpened(path);
  };
  done.failed = [this, keepPrevious](const QString& what) {
    keepPrevious();
    endJob(failedEnd(what), QString());
  };
  model::TokenizerOptions topt;
  topt.prefixSpace = !noPrefixSpace();
  m_jobs->start<OpenOutcome>([p, t, topt](QPromise<OpenOutcome>& promise, std::stop_token stop) {
    return openModelOutcome(p, t, true, stop, promise, topt);
  }, done);
}

void ModelPage::openSecondModel(const QString& path, const QString& tokenizerPath) {
  // The second model is opened like the first, but does not disturb the views.
  beginJob(tr("Opening %1").arg(QFileInfo(path).fileName()));
  m_secondPath = path;
  m_secondTokenizerPath = tokenizerPath;
  m_second.reset();
  m_compare->showSecondOpening(path);
  setCandidate(Candidate::SecondModel);
  const std::string p = path.toStdString(), t = tokenizerPath.toStdString();
  JobCallbacks<OpenOutcome> done;
  done.result = [this, path](const OpenOutcome& r) {
    m_second = r.model;
    m_compare->showSecondModel(path, m_second.get());
    endJob(r.end, tr("Opened %1 as Q in %2.").arg(QFileInfo(path).fileName(), seconds(r.end.elapsedMs)));
  };
  done.failed = [this](const QString& what) { endJob(failedEnd(what), QString()); };
  m_jobs->start<OpenOutcome>([p, t](QPromise<OpenOutcome>& promise, std::stop_token stop) {
    return openModelOutcome(p, t, false, stop, promise);
  }, done);
}

void ModelPage::evaluate() {
  if (!requireModel()) return;
  const bool second = candidate() == Candidate::SecondModel;
  if (second && !m_second)
    return refuse(tr("Open a second model to compare with, or compare with the current recipe."));
  const QString qName = second ? QFileInfo(m_secondPath).fileName() : recipeShortName(m_recipe);
  beginJob(tr("Evaluating %1").arg(qName));
  showView(View::Evaluation);
  std::shared_ptr<LoadedModel> model = m_model, student = second ? m_second : nullptr;
  const Recipe recipe = m_recipe;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  JobCallbacks<EvaluationOutcome> done;
  done.result = [this, model, qName, t](const EvaluationOutcome& r) {
    if (r.end.error.isEmpty() && !r.end.cancelled) {
      QString title = tr("%1: %2 against the original").arg(modelName(), qName);
      if (t != 1.0) title += tr(", T = %1").arg(t);
      title += QStringLiteral(" · ") + r.dataDescription;
      m_evaluation->setEvaluation(r.evaluation, r.figures, model->files.tokenizer.get(), title);
      m_evaluated = true;
    }
    const TokenSummary& s = r.evaluation.summary;
    endJob(r.end, tr("Evaluated %1 on %2 positions in %3: mean KL %4 nats/token.")
                      .arg(qName)
                      .arg(s.tokens)
                      .arg(seconds(r.end.elapsedMs))
                      .arg(s.klMean, 0, 'g', 4));
  };
  done.failed = [this](const QString& what) { endJob(failedEnd(what), QString()); };
  m_jobs->start<EvaluationOutcome>(
      [model, student, recipe, source, t](QPromise<EvaluationOutcome>& promise, std::stop_token stop) {
        return evaluateJob(model, student, recipe, source, t, stop, promise);
      },
      done);
}

void ModelPage::runSweep() {
  if (!requireModel()) return;
  // The families to overlay, in the order of the checkboxes.
  const std::vector<SweepFamily> families =
      m_curvesTab->families(tr("current: %1").arg(recipeShortName(m_recipe)), m_recipe);
  const eval::SweepAxis axis = m_curvesTab->axis();
  if (axis.values.empty() || families.empty())
    return refuse(axis.values.empty() ? tr("Give the values to sweep, e.g. 2,4,8.")
                                      : tr("Check at least one recipe family."));
  const QString settingLabel = m_curvesTab->settingLabel();
  beginJob(tr("Sweeping %1").arg(settingLabel));
  showView(View::Curves);
  widgets::CurvesView* curves = m_curvesTab->view();
  curves->clear();
  curves->setSetting(settingLabel, tr("%1: %2 against the original, varying %3")
                                       .arg(modelName(), families.size() == 1 ? families.front().name
                                                                              : tr("%1 families").arg(families.size()),
                                            settingLabel));
  m_runFamilies = families;
  m_seriesOfFamily.assign(families.size(), -1);
  std::shared_ptr<LoadedModel> model = m_model;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  startSweepJob(false, [model, families, axis, source, t](QPromise<SweepUpdate>& promise, std::stop_token stop) {
    sweepJob(model, families, axis, source, t, stop, promise);
  });
}

void ModelPage::runSensitivity() {
  if (!requireModel()) return;
  const QString name = recipeShortName(m_recipe);
  beginJob(tr("Sensitivity of %1").arg(name));
  showView(View::Sensitivity);
  m_sensitivity->clear();
  m_sensitivity->setTitle(tr("%1 · %2 on one tensor at a time").arg(modelName(), name));
  m_runFamilies = {SweepFamily{name, recipeToJson(m_recipe)}};
  m_seriesOfFamily.assign(1, -1);
  std::shared_ptr<LoadedModel> model = m_model;
  const Recipe recipe = m_recipe;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  startSweepJob(true, [model, recipe, source, t](QPromise<SweepUpdate>& promise, std::stop_token stop) {
    sensitivityJob(model, recipe, source, t, stop, promise);
  });
}

void ModelPage::startSweepJob(bool sensitivity, std::function<void(QPromise<SweepUpdate>&, std::stop_token)> body) {
  // Points are shown as the worker posts them; the Finished update ends the job.
  JobCallbacks<SweepUpdate> cb;
  cb.update = [this, sensitivity](const SweepUpdate& u) { applySweepUpdate(u, sensitivity); };
  cb.failed = [this](const QString& what) { endJob(failedEnd(what), QString()); };
  m_jobs->start<SweepUpdate>(std::move(body), cb);
}

void ModelPage::applySweepUpdate(const SweepUpdate& u, bool sensitivity) {
  const bool known = u.family >= 0 && std::size_t(u.family) < m_seriesOfFamily.size();
  widgets::CurvesView* curves = m_curvesTab->view();
  switch (u.kind) {
    case SweepUpdate::Kind::Skipped:
      m_skipped << tr("%1 (%2)").arg(u.label, u.message);
      break;
    case SweepUpdate::Kind::Family:
      if (!sensitivity && known) m_seriesOfFamily[std::size_t(u.family)] = curves->addSeries(u.label);
      m_status->setBusyText(tr("%1: %2").arg(m_jobText, u.label));
      break;
    case SweepUpdate::Kind::Point: {
      if (!known) break;
      const QString family = m_runFamilies[std::size_t(u.family)].name;
      if (sensitivity) {
        m_sensitivity->addEntry(u.label, widgets::CurvePoint::fromEvaluation(
                                             u.label, u.evaluation, int(m_sensitivity->entries().size())));
      } else {
        const int series = m_seriesOfFamily[std::size_t(u.family)];
        if (series < 0) break;
        const int index = int(curves->points(series).size());
        curves->appendPoint(series, widgets::CurvePoint::fromEvaluation(u.label, u.evaluation, index));
      }
      emit pointShown(family, u.label);
      break;
    }
    case SweepUpdate::Kind::Finished: {
      int points = 0;
      if (sensitivity)
        points = int(m_sensitivity->entries().size());
      else
        for (int s = 0; s < curves->seriesCount(); ++s) points += int(curves->points(s).size());
      endJob(u.end, sensitivity ? tr("Sensitivity of %1 in %2.").arg(widgets::countedNoun(points, tr("tensor"), tr("tensors")), seconds(u.end.elapsedMs))
                                : tr("Swept %1 points in %2.").arg(points).arg(seconds(u.end.elapsedMs)));
      break;
    }
  }
}

// ---- session ---------------------------------------------------------------------------------

QJsonObject ModelPage::saveState() const {
  const SourceSettings s = sourceSettings();
  QJsonObject source{{"kind", int(s.kind)},
                     {"path", QString::fromStdString(s.path)},
                     {"text", QString::fromStdString(s.text)},
                     {"count", s.count},
                     {"length", s.length},
                     {"seed", double(s.seed)},
                     {"context", s.context}};
  QJsonObject sweep{{"setting", sweepSetting()},
                    {"values", sweepValues()},
                    {"families", QJsonArray::fromStringList(enabledFamilies())}};
  return QJsonObject{{"model", m_modelPath},
                     {"tokenizer", m_tokenizerPath},
                     {"second_model", m_secondPath},
                     {"second_tokenizer", m_secondTokenizerPath},
                     {"candidate", candidate() == Candidate::SecondModel ? "second_model" : "recipe"},
                     {"temperature", temperature()},
                     {"source", source},
                     {"sweep", sweep},
                     {"view", m_tabs->currentIndex()},
                     {"evaluated", m_evaluated},
                     {"no_prefix_space", noPrefixSpace()}};
}

void ModelPage::restoreState(const QJsonObject& state) {
  const QJsonObject source = state.value("source").toObject();
  SourceSettings s = sourceSettings();
  const int kind = source.value("kind").toInt(int(s.kind));
  if (kind >= 0 && kind <= int(SourceKind::LlamaKld)) s.kind = SourceKind(kind);
  s.path = source.value("path").toString(QString::fromStdString(s.path)).toStdString();
  s.text = source.value("text").toString(QString::fromStdString(s.text)).toStdString();
  s.count = source.value("count").toInt(s.count);
  s.length = source.value("length").toInt(s.length);
  s.seed = std::uint64_t(std::max(0.0, source.value("seed").toDouble(double(s.seed))));
  s.context = source.value("context").toInt(s.context);
  setSourceSettings(s);
  const QJsonObject sweep = state.value("sweep").toObject();
  setSweep(sweep.value("setting").toString(sweepSetting()), sweep.value("values").toString(sweepValues()));
  if (sweep.contains("families")) {
    QStringList names;
    for (const QJsonValue& v : sweep.value("families").toArray()) names << v.toString();
    m_curvesTab->setEnabledFamilies(names);
  }
  if (state.contains("temperature")) setTemperature(state.value("temperature").toDouble(1.0));
  // Quietly, before the models open below (they are opened with it).
  m_modelBox->setNoPrefixSpace(state.value("no_prefix_space").toBool(false), true);
  const int view = state.value("view").toInt(m_tabs->currentIndex());
  if (view >= 0 && view < m_tabs->count()) m_tabs->setCurrentIndex(view);
  // Models last: opening one is a job, and the second one's job would supersede the first's, so
  // the first model's job is chained after the second's when both are given.
  const QString modelPath = state.value("model").toString();
  const QString secondPath = state.value("second_model").toString();
  const QString tokenizer = state.value("tokenizer").toString();
  const bool wantSecond = state.value("candidate").toString() == QLatin1String("second_model");
  if (!secondPath.isEmpty()) {
    const QString secondTokenizer = state.value("second_tokenizer").toString();
    if (!modelPath.isEmpty()) {
      auto once = std::make_shared<QMetaObject::Connection>();
      *once = connect(this, &ModelPage::jobFinished, this, [this, once, secondPath, secondTokenizer, wantSecond] {
        disconnect(*once);
        openSecondModel(secondPath, secondTokenizer);
        setCandidate(wantSecond ? Candidate::SecondModel : Candidate::Recipe);
      });
    } else {
      openSecondModel(secondPath, secondTokenizer);
    }
  }
  // The evaluation the session showed is not stored (it is a function of the inputs): run it
  // again once the last model is open.
  if (state.value("evaluated").toBool() && !modelPath.isEmpty()) {
    auto remaining = std::make_shared<int>(secondPath.isEmpty() ? 1 : 2);
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(this, &ModelPage::jobFinished, this, [this, once, remaining] {
      if (--*remaining > 0) return;
      disconnect(*once);
      // Queued: the open job's end must have released the runner first.
      QMetaObject::invokeMethod(this, [this] { evaluate(); }, Qt::QueuedConnection);
    });
  }
  if (!modelPath.isEmpty()) openModel(modelPath, tokenizer);
  setCandidate(wantSecond ? Candidate::SecondModel : Candidate::Recipe);
}

}  // namespace quench::app
