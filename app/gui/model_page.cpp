#include "app/gui/model_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <exception>
#include <iterator>

#include "widgets/curves_view.h"
#include "widgets/evaluation_view.h"
#include "widgets/model_info_view.h"
#include "widgets/plot_style.h"
#include "widgets/sensitivity_view.h"

namespace quench::app {
namespace {

constexpr int kProgressSteps = 1000;  // the promises' progress range (model_jobs.cpp)

// The settings a curve can vary: key (eval/sweep.h name), label, default values.
struct SettingChoice {
  const char* key;
  const char* label;
  const char* values;
  const char* toolTip;
};
const SettingChoice kSettings[] = {
    {"bits", "bits", "2,3,4,5,6,8", "Integer code width k (int families): M = 2^(k−1) − 1"},
    {kGroupOrBlock, "group/block size", "32,64,128,256",
     "Group size g of int (partition group:g) or block size B of nf4/fp4/float MX"},
    {"clip", "clip percentile", "99,99.9,99.99,100",
     "Percentile p of |x| used as the clip M (calib percentile:p, int families)"},
    {"threshold", "outlier threshold", "2,4,6,8", "LLM.int8() outlier threshold τ (llm-int8 families)"},
    {"sparsity", "sparsity", "0.1,0.3,0.5,0.7", "Fraction of weights pruned by magnitude (prune families)"},
    {"temperature", "temperature", "0.5,1,2,4", "Compare softmax(z/T) of both models (any family)"},
};

const char* const kSourceNames[] = {"Text file", "Pasted text", "Token file", "Sampled from the model",
                                    "llama.cpp logits (.kld)"};

QString currentRecipeFamily() { return QObject::tr("current recipe"); }

// Runs `body` on a worker thread; an exception (bad_alloc on a huge model, ...) becomes an error
// instead of crossing the thread boundary (STYLE.md §9).
template <typename T, typename Body>
QFuture<T> runJob(Body body, T (*onException)(const QString&)) {
  return QtConcurrent::run([body = std::move(body), onException](QPromise<T>& promise) {
    try {
      body(promise);
    } catch (const std::exception& e) {
      promise.addResult(onException(QString::fromLocal8Bit(e.what())));
    }
  });
}

SweepUpdate sweepFailure(const QString& what) {
  SweepUpdate u;
  u.kind = SweepUpdate::Kind::Finished;
  u.end.error = what;
  return u;
}

EvaluationOutcome evaluationFailure(const QString& what) {
  EvaluationOutcome o;
  o.end.error = what;
  return o;
}

struct OpenOutcome {
  std::shared_ptr<LoadedModel> model;
  JobEnd end;
};

OpenOutcome openFailure(const QString& what) {
  OpenOutcome o;
  o.end.error = what;
  return o;
}

QString seconds(double ms) { return QObject::tr("%1 s").arg(ms / 1000.0, 0, 'f', ms < 10000 ? 2 : 1); }

}  // namespace

ModelPage::ModelPage(QWidget* parent) : QWidget(parent) {
  // Left: what is evaluated and on what. Right: the three views. Bottom: message, progress, Cancel.
  auto* controls = new QWidget;
  auto* controlsLayout = new QVBoxLayout(controls);
  controlsLayout->setContentsMargins(0, 0, 4, 0);
  controlsLayout->addWidget(createModelBox());
  controlsLayout->addWidget(createSourceBox());
  controlsLayout->addWidget(createCompareBox());
  controlsLayout->addStretch(1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(controls);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(280);

  m_tabs = new QTabWidget;
  m_tabs->addTab(createEvaluationTab(), tr("Evaluation"));
  m_tabs->addTab(createCurvesTab(), tr("Curves"));
  m_tabs->addTab(createSensitivityTab(), tr("Sensitivity"));

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(scroll);
  split->addWidget(m_tabs);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setChildrenCollapsible(false);

  m_message = new QLabel(tr("Open a model to measure how far a recipe moves its next-token distributions."));
  m_message->setWordWrap(true);
  m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_busyLabel = new QLabel;
  m_progress = new QProgressBar;
  m_progress->setRange(0, kProgressSteps);
  m_progress->setTextVisible(false);
  m_progress->setMaximumWidth(220);
  m_cancel = new QPushButton(tr("Cancel"));
  m_cancel->setToolTip(tr("Stop the running job (Esc)"));
  m_cancel->setShortcut(Qt::Key_Escape);
  connect(m_cancel, &QPushButton::clicked, this, &ModelPage::cancel);
  auto* status = new QHBoxLayout;
  status->addWidget(m_message, 1);
  status->addWidget(m_busyLabel);
  status->addWidget(m_progress);
  status->addWidget(m_cancel);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split, 1);
  layout->addLayout(status);
  setBusy(false);
  updateSourceControls();
  updateCandidateControls();
  updateRecipeLabel();
}

ModelPage::~ModelPage() {
  m_stop.request_stop();
  for (QFutureWatcherBase* w : findChildren<QFutureWatcherBase*>()) w->waitForFinished();
}

QWidget* ModelPage::createModelBox() {
  auto* box = new QGroupBox(tr("Model"));
  m_modelLabel = new QLabel(tr("none"));
  m_modelLabel->setWordWrap(true);
  m_openButton = new QToolButton;
  m_openButton->setText(tr("Open model…"));
  m_openButton->setToolTip(tr("A llama2.c checkpoint (.bin), a GGUF file, or a Hugging Face folder "
                              "(model.safetensors + config.json + tokenizer.json)"));
  m_openButton->setPopupMode(QToolButton::MenuButtonPopup);
  auto* menu = new QMenu(m_openButton);
  menu->addAction(tr("Model file (.bin, .gguf)…"), this, [this] { chooseModel(false, false); });
  menu->addAction(tr("Hugging Face folder…"), this, [this] { chooseModel(true, false); });
  m_openButton->setMenu(menu);
  connect(m_openButton, &QToolButton::clicked, this, [this] { chooseModel(false, false); });
  m_tokenizerButton = new QPushButton(tr("Tokenizer…"));
  m_tokenizerButton->setToolTip(tr("The tokenizer.bin of a llama2.c checkpoint (found beside it by default)"));
  connect(m_tokenizerButton, &QPushButton::clicked, this, &ModelPage::chooseTokenizer);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_openButton);
  buttons->addWidget(m_tokenizerButton);
  buttons->addStretch(1);
  m_info = new widgets::ModelInfoView;
  m_info->setMinimumHeight(260);
  auto* l = new QVBoxLayout(box);
  l->addWidget(m_modelLabel);
  l->addLayout(buttons);
  l->addWidget(m_info);
  return box;
}

QWidget* ModelPage::createSourceBox() {
  auto* box = new QGroupBox(tr("Evaluate on"));
  m_sourceKind = new QComboBox;
  for (const char* n : kSourceNames) m_sourceKind->addItem(tr(n));
  m_sourceKind->setCurrentIndex(int(SourceKind::Sample));
  connect(m_sourceKind, &QComboBox::currentIndexChanged, this, &ModelPage::updateSourceControls);

  // One page per kind of source: a file, a pasted text, the sampling settings.
  m_sourceStack = new QStackedWidget;
  auto* filePage = new QWidget;
  m_sourcePath = new QLineEdit;
  m_sourcePath->setPlaceholderText(tr("path"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, &ModelPage::chooseSourceFile);
  auto* fileRow = new QHBoxLayout(filePage);
  fileRow->setContentsMargins(0, 0, 0, 0);
  fileRow->addWidget(m_sourcePath, 1);
  fileRow->addWidget(browse);
  m_pasted = new QPlainTextEdit;
  m_pasted->setPlaceholderText(tr("Paste a text: it is tokenized with BOS and cut into context-sized chunks"));
  m_pasted->setMinimumHeight(80);
  auto* samplePage = new QWidget;
  auto* sampleForm = new QFormLayout(samplePage);
  sampleForm->setContentsMargins(0, 0, 0, 0);
  m_count = new QSpinBox;
  m_count->setRange(1, 4096);
  m_count->setValue(4);
  m_count->setToolTip(tr("Number of sequences sampled from the original model P"));
  m_length = new QSpinBox;
  m_length->setRange(2, 1 << 16);
  m_length->setValue(64);
  m_length->setToolTip(tr("Tokens per sequence, BOS included: BOS, then length − 1 tokens drawn from P"));
  m_seed = new QSpinBox;
  m_seed->setRange(0, 1 << 30);
  m_seed->setToolTip(tr("Sequence s is drawn with seed + s"));
  sampleForm->addRow(tr("Sequences"), m_count);
  sampleForm->addRow(tr("Length"), m_length);
  sampleForm->addRow(tr("Seed"), m_seed);
  m_sourceStack->addWidget(filePage);
  m_sourceStack->addWidget(m_pasted);
  m_sourceStack->addWidget(samplePage);

  m_context = new QSpinBox;
  m_context->setRange(0, 1 << 20);
  m_context->setSpecialValueText(tr("model's"));
  m_context->setToolTip(tr("Tokens per evaluated chunk of a text or token file (at most the model's context)"));

  auto* form = new QFormLayout(box);
  form->addRow(tr("Source"), m_sourceKind);
  form->addRow(m_sourceStack);
  form->addRow(tr("Context"), m_context);
  return box;
}

QWidget* ModelPage::createCompareBox() {
  auto* box = new QGroupBox(tr("Compare"));
  m_candidate = new QComboBox;
  m_candidate->addItem(tr("the current recipe"));
  m_candidate->addItem(tr("a second model"));
  m_candidate->setToolTip(tr("Q: the model with the recipe's reconstructions, or another model with the same "
                             "vocabulary (e.g. a distilled student of the teacher P)"));
  connect(m_candidate, &QComboBox::currentIndexChanged, this, &ModelPage::updateCandidateControls);
  m_recipeLabel = new QLabel;
  m_recipeLabel->setWordWrap(true);
  m_secondLabel = new QLabel(tr("none"));
  m_secondLabel->setWordWrap(true);
  m_secondButton = new QToolButton;
  m_secondButton->setText(tr("Open second model…"));
  m_secondButton->setPopupMode(QToolButton::MenuButtonPopup);
  auto* menu = new QMenu(m_secondButton);
  menu->addAction(tr("Model file (.bin, .gguf)…"), this, [this] { chooseModel(false, true); });
  menu->addAction(tr("Hugging Face folder…"), this, [this] { chooseModel(true, true); });
  m_secondButton->setMenu(menu);
  connect(m_secondButton, &QToolButton::clicked, this, [this] { chooseModel(false, true); });
  m_temperature = new QDoubleSpinBox;
  m_temperature->setRange(0.05, 100.0);
  m_temperature->setDecimals(2);
  m_temperature->setSingleStep(0.25);
  m_temperature->setValue(1.0);
  m_temperature->setToolTip(tr("Temperature T: both models' distributions are softmax(z/T) (MATH.md §8)"));
  auto* form = new QFormLayout(box);
  form->addRow(tr("P"), new QLabel(tr("the original model")));
  form->addRow(tr("Q"), m_candidate);
  form->addRow(tr("Recipe"), m_recipeLabel);
  form->addRow(tr("Second model"), m_secondLabel);
  form->addRow(QString(), m_secondButton);
  form->addRow(tr("Temperature"), m_temperature);
  return box;
}

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

QWidget* ModelPage::createCurvesTab() {
  auto* tab = new QWidget;
  m_setting = new QComboBox;
  for (const SettingChoice& s : kSettings) {
    m_setting->addItem(tr(s.label), QString::fromLatin1(s.key));
    m_setting->setItemData(m_setting->count() - 1, tr(s.toolTip), Qt::ToolTipRole);
  }
  connect(m_setting, &QComboBox::currentIndexChanged, this, &ModelPage::fillDefaultValues);
  m_values = new QLineEdit;
  m_values->setToolTip(tr("Comma-separated values of the setting, e.g. 2,3,4,8"));
  m_sweepButton = new QPushButton(tr("Run sweep"));
  m_sweepButton->setToolTip(tr("Evaluate every value for every checked family; points appear as they finish"));
  connect(m_sweepButton, &QPushButton::clicked, this, &ModelPage::runSweep);
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Vary")));
  row->addWidget(m_setting);
  row->addWidget(new QLabel(tr("over")));
  row->addWidget(m_values, 1);
  row->addWidget(m_sweepButton);
  auto* families = new QHBoxLayout;
  families->addWidget(new QLabel(tr("Families:")));
  auto addFamily = [&](const QString& name, const QString& toolTip, bool on) {
    auto* c = new QCheckBox(name);
    c->setToolTip(toolTip);
    c->setChecked(on);
    m_familyChecks.push_back(c);
    families->addWidget(c);
  };
  addFamily(currentRecipeFamily(), tr("The recipe of the Recipe panel, with the setting replaced in every rule"), true);
  for (const SweepFamily& f : presetFamilies())
    addFamily(f.name, QString::fromStdString(f.recipeJson), false);
  families->addStretch(1);
  m_curves = new widgets::CurvesView;
  m_curves->setLogY(true);  // KL spans orders of magnitude between 2 and 8 bits
  auto* l = new QVBoxLayout(tab);
  l->addLayout(row);
  l->addLayout(families);
  l->addWidget(m_curves, 1);
  fillDefaultValues();
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

void ModelPage::chooseSourceFile() {
  const auto kind = SourceKind(m_sourceKind->currentIndex());
  const QString filter = kind == SourceKind::LlamaKld    ? tr("llama.cpp logits (*.kld *.bin);;All files (*)")
                         : kind == SourceKind::TokenFile ? tr("Token files (*.txt *.tok *.tokens);;All files (*)")
                                                         : tr("Text (*.txt *.md);;All files (*)");
  const QString path = QFileDialog::getOpenFileName(this, tr("Evaluate on"), m_sourcePath->text(), filter);
  if (!path.isEmpty()) m_sourcePath->setText(path);
}

void ModelPage::updateSourceControls() {
  const auto kind = SourceKind(m_sourceKind->currentIndex());
  m_sourceStack->setCurrentIndex(kind == SourceKind::Text ? 1 : kind == SourceKind::Sample ? 2 : 0);
  // The stack is as tall as its current page, not its tallest (the pasted text).
  for (int i = 0; i < m_sourceStack->count(); ++i)
    m_sourceStack->widget(i)->setSizePolicy(QSizePolicy::Preferred, i == m_sourceStack->currentIndex()
                                                                         ? QSizePolicy::Preferred
                                                                         : QSizePolicy::Ignored);
  m_sourceStack->adjustSize();
  m_context->setEnabled(kind != SourceKind::Sample && kind != SourceKind::LlamaKld);
  m_sourcePath->setPlaceholderText(kind == SourceKind::LlamaKld    ? tr("llama-perplexity --kl-divergence-base file")
                                   : kind == SourceKind::TokenFile ? tr("whitespace-separated ids, one sequence a line")
                                                                   : tr("UTF-8 text file"));
}

void ModelPage::updateCandidateControls() {
  const bool second = candidate() == Candidate::SecondModel;
  m_secondButton->setEnabled(second);
  m_secondLabel->setEnabled(second);
  m_recipeLabel->setEnabled(!second);
}

void ModelPage::updateRecipeLabel() {
  m_recipeLabel->setText(recipeShortName(m_recipe));
  m_recipeLabel->setToolTip(QString::fromStdString(recipeToJson(m_recipe)));
}

void ModelPage::fillDefaultValues() {
  const int i = m_setting->currentIndex();
  if (i >= 0 && i < int(std::size(kSettings))) m_values->setText(QString::fromLatin1(kSettings[i].values));
}

void ModelPage::setRecipe(const Recipe& recipe) {
  m_recipe = recipe;
  updateRecipeLabel();
}

SourceSettings ModelPage::sourceSettings() const {
  SourceSettings s;
  s.kind = SourceKind(m_sourceKind->currentIndex());
  s.path = m_sourcePath->text().toStdString();
  s.text = m_pasted->toPlainText().toStdString();
  s.count = m_count->value();
  s.length = m_length->value();
  s.seed = std::uint64_t(m_seed->value());
  s.context = m_context->value();
  return s;
}

void ModelPage::setSourceSettings(const SourceSettings& s) {
  m_sourceKind->setCurrentIndex(int(s.kind));
  m_sourcePath->setText(QString::fromStdString(s.path));
  m_pasted->setPlainText(QString::fromStdString(s.text));
  m_count->setValue(s.count);
  m_length->setValue(s.length);
  m_seed->setValue(int(s.seed));
  m_context->setValue(s.context);
  updateSourceControls();
}

void ModelPage::setCandidate(Candidate c) { m_candidate->setCurrentIndex(int(c)); }
ModelPage::Candidate ModelPage::candidate() const { return Candidate(m_candidate->currentIndex()); }
void ModelPage::setTemperature(double t) { m_temperature->setValue(t); }
double ModelPage::temperature() const { return m_temperature->value(); }

void ModelPage::setSweep(const QString& setting, const QString& values) {
  const int i = m_setting->findData(setting);
  if (i >= 0) m_setting->setCurrentIndex(i);
  if (!values.isEmpty()) m_values->setText(values);
}

QString ModelPage::sweepSetting() const { return m_setting->currentData().toString(); }
QString ModelPage::sweepValues() const { return m_values->text(); }

void ModelPage::setFamilyEnabled(const QString& name, bool on) {
  for (QCheckBox* c : m_familyChecks)
    if (c->text() == name) c->setChecked(on);
}

QStringList ModelPage::enabledFamilies() const {
  QStringList out;
  for (QCheckBox* c : m_familyChecks)
    if (c->isChecked()) out << c->text();
  return out;
}

void ModelPage::showView(View v) { m_tabs->setCurrentIndex(int(v)); }

std::shared_ptr<const TensorReader> ModelPage::tensorReader() const {
  if (!m_model || !m_model->files.reader) return nullptr;
  // Shares ownership of the whole model, so the reader lives as long as anyone holds it.
  return std::shared_ptr<const TensorReader>(m_model, m_model->files.reader.get());
}

QString ModelPage::message() const { return m_message->text(); }

QString ModelPage::modelName() const {
  if (m_modelPath.isEmpty()) return QString();
  return QFileInfo(m_modelPath).fileName();
}

// ---- jobs ------------------------------------------------------------------------------------

std::uint64_t ModelPage::beginJob(const QString& what) {
  // The newest request wins: stop the previous worker and forget its results.
  m_stop.request_stop();
  m_stop = std::stop_source();
  m_jobText = what;
  m_busyLabel->setText(what);
  m_progress->setValue(0);
  m_skipped.clear();
  setBusy(true);
  emit progress(0.0);
  return ++m_generation;
}

void ModelPage::endJob(std::uint64_t generation, const JobEnd& end, const QString& doneText) {
  if (generation != m_generation) return;  // superseded
  setBusy(false);
  m_busyLabel->clear();
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
    m_progress->setValue(kProgressSteps);
    emit progress(1.0);
  }
  emit jobFinished(text);
}

void ModelPage::cancel() {
  if (!m_busy) return;
  // The worker sees the stop within one forward pass and ends with "cancelled"; endJob then says
  // so. Any new request meanwhile supersedes it (and waits for it to let go of the model).
  m_stop.request_stop();
  m_busyLabel->setText(tr("Cancelling…"));
}

void ModelPage::setBusy(bool busy) {
  const bool changed = busy != m_busy;
  m_busy = busy;
  m_cancel->setEnabled(busy);
  m_progress->setVisible(busy);
  if (changed) emit busyChanged(busy);
}

void ModelPage::showMessage(const QString& text, bool error) {
  m_message->setText(text);
  QPalette pal = palette();
  if (error) pal.setColor(QPalette::WindowText, widgets::okabeIto::kVermilion);
  m_message->setPalette(pal);
}

void ModelPage::onProgress(std::uint64_t generation, int value) {
  if (generation != m_generation) return;
  m_progress->setValue(value);
  emit progress(double(value) / kProgressSteps);
}

bool ModelPage::requireModel() {
  if (m_model) return true;
  const QString text = m_busy && !m_modelPath.isEmpty() ? tr("The model is still loading.") : tr("Open a model first.");
  showMessage(text, true);
  emit errorShown(text);
  emit jobFinished(text);
  return false;
}

void ModelPage::openModel(const QString& path, const QString& tokenizerPath) {
  const std::uint64_t generation = beginJob(tr("Opening %1").arg(QFileInfo(path).fileName()));
  m_modelPath = path;
  m_tokenizerPath = tokenizerPath;
  m_model.reset();
  m_info->clear();
  m_evaluation->clear(tr("Evaluate to see Q against P"));
  m_curves->clear();
  m_sensitivity->clear();
  m_modelLabel->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  const std::string p = path.toStdString(), t = tokenizerPath.toStdString();
  std::stop_token stop = m_stop.get_token();
  auto* watcher = new QFutureWatcher<OpenOutcome>(this);
  connect(watcher, &QFutureWatcher<OpenOutcome>::progressValueChanged, this,
          [this, generation](int v) { onProgress(generation, v); });
  connect(watcher, &QFutureWatcher<OpenOutcome>::finished, this, [this, watcher, generation, path] {
    watcher->deleteLater();
    if (watcher->future().resultCount() == 0 || generation != m_generation) return;
    OpenOutcome r = watcher->result();
    if (r.model) {
      m_model = std::move(r.model);
      m_modelLabel->setText(QStringLiteral("<b>%1</b><br>%2")
                                .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                                     QString::fromStdString(m_model->files.format).toHtmlEscaped()));
      m_modelLabel->setToolTip(path);
      m_info->setModel(m_model->files);
      m_tokenizerButton->setEnabled(m_model->files.format == "llama2c");
    } else {
      m_modelLabel->setText(tr("none"));
    }
    endJob(generation, r.end, tr("Opened %1 in %2.").arg(QFileInfo(path).fileName(), seconds(r.end.elapsedMs)));
    if (m_model) emit modelOpened(path);
  });
  watcher->setFuture(runJob<OpenOutcome>(
      [p, t, stop](QPromise<OpenOutcome>& promise) {
        QElapsedTimer timer;
        timer.start();
        promise.setProgressRange(0, kProgressSteps);
        const Work work{stop, [&promise](double done, double total) {
                          if (total > 0) promise.setProgressValue(int(kProgressSteps * std::min(1.0, done / total)));
                        }};
        OpenOutcome out;
        auto m = openModelJob(p, t, work);
        if (m) {
          out.model = std::move(m).value();
        } else {
          out.end.cancelled = stop.stop_requested();
          if (!out.end.cancelled) out.end.error = QString::fromStdString(m.error().message);
        }
        out.end.elapsedMs = double(timer.nsecsElapsed()) * 1e-6;
        promise.addResult(std::move(out));
      },
      &openFailure));
}

void ModelPage::openSecondModel(const QString& path, const QString& tokenizerPath) {
  // The second model is opened like the first, but does not disturb the views.
  const std::uint64_t generation = beginJob(tr("Opening %1").arg(QFileInfo(path).fileName()));
  m_secondPath = path;
  m_secondTokenizerPath = tokenizerPath;
  m_second.reset();
  m_secondLabel->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  setCandidate(Candidate::SecondModel);
  const std::string p = path.toStdString(), t = tokenizerPath.toStdString();
  std::stop_token stop = m_stop.get_token();
  auto* watcher = new QFutureWatcher<OpenOutcome>(this);
  connect(watcher, &QFutureWatcher<OpenOutcome>::progressValueChanged, this,
          [this, generation](int v) { onProgress(generation, v); });
  connect(watcher, &QFutureWatcher<OpenOutcome>::finished, this, [this, watcher, generation, path] {
    watcher->deleteLater();
    if (watcher->future().resultCount() == 0 || generation != m_generation) return;
    OpenOutcome r = watcher->result();
    m_second = std::move(r.model);
    m_secondLabel->setText(m_second ? QStringLiteral("<b>%1</b> (%2, vocabulary %3)")
                                          .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                                               QString::fromStdString(m_second->files.format))
                                          .arg(m_second->files.config.vocabSize)
                                    : tr("none"));
    m_secondLabel->setToolTip(path);
    endJob(generation, r.end, tr("Opened %1 as Q in %2.").arg(QFileInfo(path).fileName(), seconds(r.end.elapsedMs)));
  });
  watcher->setFuture(runJob<OpenOutcome>(
      [p, t, stop](QPromise<OpenOutcome>& promise) {
        QElapsedTimer timer;
        timer.start();
        OpenOutcome out;
        auto m = openModelJob(p, t, Work{stop, {}});
        if (m) {
          out.model = std::move(m).value();
        } else {
          out.end.cancelled = stop.stop_requested();
          if (!out.end.cancelled) out.end.error = QString::fromStdString(m.error().message);
        }
        out.end.elapsedMs = double(timer.nsecsElapsed()) * 1e-6;
        promise.addResult(std::move(out));
      },
      &openFailure));
}

void ModelPage::evaluate() {
  if (!requireModel()) return;
  const bool second = candidate() == Candidate::SecondModel;
  if (second && !m_second) {
    const QString text = tr("Open a second model to compare with, or compare with the current recipe.");
    showMessage(text, true);
    emit errorShown(text);
    emit jobFinished(text);
    return;
  }
  const QString qName = second ? QFileInfo(m_secondPath).fileName() : recipeShortName(m_recipe);
  const std::uint64_t generation = beginJob(tr("Evaluating %1").arg(qName));
  showView(View::Evaluation);
  std::shared_ptr<LoadedModel> model = m_model, student = second ? m_second : nullptr;
  const Recipe recipe = m_recipe;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  std::stop_token stop = m_stop.get_token();
  auto* watcher = new QFutureWatcher<EvaluationOutcome>(this);
  connect(watcher, &QFutureWatcher<EvaluationOutcome>::progressValueChanged, this,
          [this, generation](int v) { onProgress(generation, v); });
  connect(watcher, &QFutureWatcher<EvaluationOutcome>::finished, this, [this, watcher, generation, model, qName, t] {
    watcher->deleteLater();
    if (watcher->future().resultCount() == 0 || generation != m_generation) return;
    const EvaluationOutcome r = watcher->result();
    if (r.end.error.isEmpty() && !r.end.cancelled) {
      QString title = tr("%1: %2 against the original").arg(modelName(), qName);
      if (t != 1.0) title += tr(", T = %1").arg(t);
      title += QStringLiteral(" · ") + r.dataDescription;
      m_evaluation->setEvaluation(r.evaluation, model->files.tokenizer.get(), title);
    }
    const TokenSummary& s = r.evaluation.summary;
    endJob(generation, r.end,
           tr("Evaluated %1 on %2 positions in %3: mean KL %4 nats/token.")
               .arg(qName)
               .arg(s.tokens)
               .arg(seconds(r.end.elapsedMs))
               .arg(s.klMean, 0, 'g', 4));
  });
  watcher->setFuture(runJob<EvaluationOutcome>(
      [model, student, recipe, source, t, stop](QPromise<EvaluationOutcome>& promise) {
        promise.addResult(evaluateJob(model, student, recipe, source, t, stop, promise));
      },
      &evaluationFailure));
}

void ModelPage::runSweep() {
  if (!requireModel()) return;
  // The families to overlay, in the order of the checkboxes.
  std::vector<SweepFamily> families;
  const std::vector<SweepFamily> presets = presetFamilies();
  for (std::size_t i = 0; i < m_familyChecks.size(); ++i) {
    if (!m_familyChecks[i]->isChecked()) continue;
    if (i == 0)
      families.push_back({tr("current: %1").arg(recipeShortName(m_recipe)), recipeToJson(m_recipe)});
    else
      families.push_back(presets[i - 1]);
  }
  eval::SweepAxis axis;
  axis.name = sweepSetting().toStdString();
  for (const QString& v : m_values->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
    if (!v.trimmed().isEmpty()) axis.values.push_back(v.trimmed().toStdString());
  if (axis.values.empty() || families.empty()) {
    const QString text = axis.values.empty() ? tr("Give the values to sweep, e.g. 2,4,8.")
                                             : tr("Check at least one recipe family.");
    showMessage(text, true);
    emit errorShown(text);
    emit jobFinished(text);
    return;
  }
  const QString settingLabel = m_setting->currentText();
  const std::uint64_t generation = beginJob(tr("Sweeping %1").arg(settingLabel));
  showView(View::Curves);
  m_curves->clear();
  m_curves->setSetting(settingLabel, tr("%1: %2 against the original, varying %3")
                                         .arg(modelName(), families.size() == 1 ? families.front().name
                                                                                : tr("%1 families").arg(families.size()),
                                              settingLabel));
  m_runFamilies = families;
  m_seriesOfFamily.assign(families.size(), -1);
  std::shared_ptr<LoadedModel> model = m_model;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  std::stop_token stop = m_stop.get_token();
  watchSweep(generation, false, [model, families, axis, source, t, stop](QPromise<SweepUpdate>& promise) {
    sweepJob(model, families, axis, source, t, stop, promise);
  });
}

void ModelPage::runSensitivity() {
  if (!requireModel()) return;
  const QString name = recipeShortName(m_recipe);
  const std::uint64_t generation = beginJob(tr("Sensitivity of %1").arg(name));
  showView(View::Sensitivity);
  m_sensitivity->clear();
  m_sensitivity->setTitle(tr("%1 · %2 on one tensor at a time").arg(modelName(), name));
  m_runFamilies = {SweepFamily{name, recipeToJson(m_recipe)}};
  m_seriesOfFamily.assign(1, -1);
  std::shared_ptr<LoadedModel> model = m_model;
  const Recipe recipe = m_recipe;
  const SourceSettings source = sourceSettings();
  const double t = temperature();
  std::stop_token stop = m_stop.get_token();
  watchSweep(generation, true, [model, recipe, source, t, stop](QPromise<SweepUpdate>& promise) {
    sensitivityJob(model, recipe, source, t, stop, promise);
  });
}

void ModelPage::watchSweep(std::uint64_t generation, bool sensitivity,
                           std::function<void(QPromise<SweepUpdate>&)> body) {
  // Points are shown as the worker posts them; progress and the end belong to `generation`.
  auto* watcher = new QFutureWatcher<SweepUpdate>(this);
  connect(watcher, &QFutureWatcher<SweepUpdate>::progressValueChanged, this,
          [this, generation](int v) { onProgress(generation, v); });
  connect(watcher, &QFutureWatcher<SweepUpdate>::resultsReadyAt, this,
          [this, watcher, generation, sensitivity](int begin, int end) {
            for (int i = begin; i < end; ++i) applySweepUpdate(generation, watcher->resultAt(i), sensitivity);
          });
  connect(watcher, &QFutureWatcher<SweepUpdate>::finished, watcher, &QObject::deleteLater);
  watcher->setFuture(runJob<SweepUpdate>(std::move(body), &sweepFailure));
}

void ModelPage::applySweepUpdate(std::uint64_t generation, const SweepUpdate& u, bool sensitivity) {
  if (generation != m_generation) return;
  const bool known = u.family >= 0 && std::size_t(u.family) < m_seriesOfFamily.size();
  switch (u.kind) {
    case SweepUpdate::Kind::Skipped:
      m_skipped << tr("%1 (%2)").arg(u.label, u.message);
      break;
    case SweepUpdate::Kind::Family:
      if (!sensitivity && known) m_seriesOfFamily[std::size_t(u.family)] = m_curves->addSeries(u.label);
      m_busyLabel->setText(tr("%1: %2").arg(m_jobText, u.label));
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
        const int index = int(m_curves->points(series).size());
        m_curves->appendPoint(series, widgets::CurvePoint::fromEvaluation(u.label, u.evaluation, index));
      }
      emit pointShown(family, u.label);
      break;
    }
    case SweepUpdate::Kind::Finished: {
      int points = 0;
      if (sensitivity)
        points = int(m_sensitivity->entries().size());
      else
        for (int s = 0; s < m_curves->seriesCount(); ++s) points += int(m_curves->points(s).size());
      endJob(generation, u.end,
             sensitivity ? tr("Sensitivity of %1 tensors in %2.").arg(points).arg(seconds(u.end.elapsedMs))
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
                     {"view", m_tabs->currentIndex()}};
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
    const QJsonArray on = sweep.value("families").toArray();
    QStringList names;
    for (const QJsonValue& v : on) names << v.toString();
    for (QCheckBox* c : m_familyChecks) c->setChecked(names.contains(c->text()));
  }
  if (state.contains("temperature")) setTemperature(state.value("temperature").toDouble(1.0));
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
  if (!modelPath.isEmpty()) openModel(modelPath, tokenizer);
  setCandidate(wantSecond ? Candidate::SecondModel : Candidate::Recipe);
}

}  // namespace quench::app
