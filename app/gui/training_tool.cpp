// The Classroom's Training tool (training_tool.h). Length (~910 lines): the form is long (about
// 30 labelled fields for the two lessons) and the run control (worker, pause gate, live events,
// saving) is one state machine; the computation itself is core/train's.
#include "app/gui/training_tool.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>

#include "app/gui/demo_assets.h"
#include "app/gui/job_runner.h"
#include "core/train/job.h"
#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"
#include "widgets/training_curves_view.h"
#if __has_include("widgets/plot_export_menu.h")
#include "widgets/plot_export_menu.h"
#define QUENCH_HAS_PLOT_EXPORT_MENU 1
#endif

namespace quench::app {

namespace fs = std::filesystem;

// What a finished run set leaves: the opened job (teacher, layout) and the trained weights.
struct TrainingTool::Finished {
  std::unique_ptr<train::PreparedJob> job;
  train::TrainOutcome outcome;
};

// What the worker reports, in order, to the GUI thread.
struct TrainingTool::Event {
  enum Kind { Ready, Point, Step, Done, Failed } kind = Step;
  double teacherPpl = 0;
  std::size_t positions = 0;
  QString description;           // Ready: the data
  int run = 0;
  train::CurvePoint point;       // Point
  int step = 0, steps = 0;       // Step
  double activeSeconds = 0;      // Step: wall time of training, pauses excluded
  std::shared_ptr<Finished> finished;  // Done
  QString error;                 // Failed
};

// Pause between two steps: the worker waits on the condition until resumed or stopped (a stop
// request wakes it, so stop() and closing the window never wait for a paused run).
struct TrainingTool::Gate {
  std::mutex mutex;
  std::condition_variable_any resumed;
  bool paused = false;
  double pausedSeconds = 0;  // total time the worker waited
};

namespace {

using Clock = std::chrono::steady_clock;

// The preset lessons. Step counts are chosen so each shows its lesson within five minutes on a
// loaded 2-core machine (README "Training", measured).
struct Preset {
  const char* name;
  TrainingTool::Settings settings;
};

// The corpus the README's lessons use: two novels in ../shared/data/corpus (a build tree), or
// $QUENCH_CORPUS_DIR; empty when neither exists (then the presets sample from the model).
QStringList demoCorpus() {
  QStringList dirs;
  if (qEnvironmentVariableIsSet("QUENCH_CORPUS_DIR")) dirs << qEnvironmentVariable("QUENCH_CORPUS_DIR");
#ifdef QUENCH_CORPUS_SOURCE_DIR
  dirs << QStringLiteral(QUENCH_CORPUS_SOURCE_DIR);
#endif
  for (const QString& d : dirs) {
    const QDir dir(d);
    const QString a = dir.filePath(QStringLiteral("prideprejudice.txt")), b = dir.filePath(QStringLiteral("persuasion.txt"));
    if (QFileInfo(a).isFile() && QFileInfo(b).isFile())
      return {QFileInfo(a).canonicalFilePath(), QFileInfo(b).canonicalFilePath()};
  }
  return {};
}

std::vector<Preset> presets() {
  using S = TrainingTool::Settings;
  S base;
  base.model = demoModelDir();
  base.texts = demoCorpus();
  base.data = base.texts.isEmpty() ? TrainingTool::Data::Samples : TrainingTool::Data::Text;
  S distill = base;
  distill.mode = TrainingTool::Mode::Distill;
  distill.runs = QStringLiteral("T=1; T=4; hard");
  distill.steps = 400;
  distill.lr = 3e-3;
  distill.warmup = 20;
  distill.evalEvery = 20;
  S qat = base;
  qat.mode = TrainingTool::Mode::Qat;
  qat.bits = 3;
  qat.steps = 300;
  qat.lr = 1e-3;
  qat.warmup = 10;
  qat.evalEvery = 10;
  return {
      {"Distil the demo LM into a 2-layer 32-wide student: T = 1 vs T = 4 vs hard labels", distill},
      {"int3 PTQ vs QAT on the demo LM", qat},
  };
}

QString clock(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("–");
  const long s = std::lround(seconds);
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QSpinBox* spin(QWidget* parent, int lo, int hi, const QString& tip) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setToolTip(tip);
  return s;
}

// The quantizer rule of `quench-cli train qat --method int --bits k` (app/cli methodRule).
nlohmann::ordered_json intRule(int bits) {
  nlohmann::ordered_json rule;
  rule["tensors"] = "*";
  rule["method"] = "int";
  rule["bits"] = bits;
  return rule;
}

}  // namespace

TrainingTool::TrainingTool(QWidget* parent) : ClassroomTool(parent) {
  m_jobs = new JobRunner(JobPolicy::Supersede, this);
  m_saveJobs = new JobRunner(JobPolicy::Parallel, this);

  m_form = buildForm();
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(m_form);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(m_form->sizeHint().width() + 24);

  m_start = new QPushButton(tr("Start"), this);
  m_start->setObjectName(QStringLiteral("start"));
  m_start->setToolTip(tr("Train with these settings (the curves start over)"));
  m_pause = new QPushButton(tr("Pause"), this);
  m_pause->setCheckable(true);
  m_pause->setToolTip(tr("Hold the run between two steps; Resume continues it exactly as if never paused"));
  m_stop = new QPushButton(tr("Stop"), this);
  m_stop->setToolTip(tr("End the run now; its curves stay (its weights are not kept)"));
  m_save = new QPushButton(tr("Save model…"), this);
  m_save->setToolTip(tr("Save the trained student(s) or the QAT reconstruction as a Hugging Face folder "
                        "(config.json, model.safetensors, the teacher's tokenizer.json)"));
  m_progress = new QProgressBar(this);
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_progress->setTextVisible(false);
  m_stepLabel = new QLabel(this);
  m_stepLabel->setMinimumWidth(10);
  auto* controls = new QHBoxLayout;
  controls->addWidget(m_start);
  controls->addWidget(m_pause);
  controls->addWidget(m_stop);
  controls->addWidget(m_progress, 1);
  controls->addWidget(m_stepLabel);
  controls->addWidget(m_save);
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_curves = new widgets::TrainingCurvesView(this);
#ifdef QUENCH_HAS_PLOT_EXPORT_MENU
  widgets::installExportMenu(m_curves->plot(), QStringLiteral("training.png"));
#endif

  auto* right = new QWidget(this);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  rightLayout->addLayout(controls);
  rightLayout->addWidget(m_status);
  rightLayout->addWidget(m_curves, 1);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(scroll);
  split->addWidget(right);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setChildrenCollapsible(false);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(split, 1);

  connect(m_start, &QPushButton::clicked, this, [this] { start(); });
  connect(m_pause, &QPushButton::toggled, this, [this](bool on) { setPaused(on); });
  connect(m_stop, &QPushButton::clicked, this, [this] { stop(); });
  connect(m_save, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Save the trained model into"));
    if (!dir.isEmpty()) saveModels(dir);
  });
  connect(this, &TrainingTool::saved, this, [this](const QString& error) {
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Save model"), error);
  });
  connect(m_jobs, &JobRunner::runningChanged, this, [this](bool running) {
    m_form->setEnabled(!running);
    m_start->setEnabled(!running);
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
    m_save->setEnabled(!running && canSave());
    emit runningChanged(running);
  });
  m_pause->setEnabled(false);
  m_stop->setEnabled(false);
  m_save->setEnabled(false);

  applyPreset(0);
  m_presets->setCurrentIndex(0);
  setStatus(tr("Pick a preset or set up a run, then press Start."));
  fitFormWidth();
}

TrainingTool::~TrainingTool() {
  // The worker may wait in the pause gate: shutdown() requests the stop (waking it) and waits.
  m_jobs->shutdown();
  m_saveJobs->shutdown();
}

QWidget* TrainingTool::buildForm() {
  auto* form = new QWidget(this);
  m_presets = new QComboBox(form);
  for (const Preset& p : presets()) m_presets->addItem(QString::fromUtf8(p.name));
  m_presets->setToolTip(tr("Load a lesson's settings"));
  m_presets->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_presets->setMinimumContentsLength(24);
  m_mode = new QComboBox(form);
  m_mode->addItem(tr("Distillation (student ← teacher)"));
  m_mode->addItem(tr("QAT vs PTQ (int-k, the model itself)"));
  m_mode->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_mode->setMinimumContentsLength(24);
  m_model = new QLineEdit(form);
  m_model->setToolTip(tr("Teacher (distillation) or the model to quantize (QAT): a Hugging Face folder, a GGUF "
                         "file or a llama2.c .bin"));
  auto* browseModel = new QPushButton(tr("…"), form);
  browseModel->setToolTip(tr("Choose a Hugging Face model folder"));
  m_data = new QComboBox(form);
  m_data->addItem(tr("text files"));
  m_data->addItem(tr("sequences sampled from the model"));
  m_texts = new QLineEdit(form);
  m_texts->setToolTip(tr("Training text files separated by ';' (tokenized with the model's tokenizer). The held-out "
                         "text is the last 5 % of the last file, which is then not trained on."));
  m_browseTexts = new QPushButton(tr("…"), form);
  m_browseTexts->setToolTip(tr("Choose text files"));
  m_sampleTrain = spin(form, 1, 1 << 20, tr("Training sequences sampled from the model (seeded); 16 more are held out"));

  m_studentBox = new QGroupBox(tr("Student"), form);
  m_studentBox->setObjectName(QStringLiteral("student"));
  m_dim = spin(m_studentBox, 2, 4096, tr("Hidden size (model width)"));
  m_hidden = spin(m_studentBox, 1, 16384, tr("SwiGLU inner size"));
  m_layers = spin(m_studentBox, 1, 64, tr("Transformer blocks"));
  m_heads = spin(m_studentBox, 1, 64, tr("Query heads (width must be a multiple)"));
  m_kvHeads = spin(m_studentBox, 1, 64, tr("Key/value heads (grouped-query attention; divides the query heads)"));
  m_tied = new QCheckBox(tr("tied output (= embedding)"), m_studentBox);
  m_init = new QComboBox(m_studentBox);
  m_init->addItem(tr("seeded, N(0, 0.02²)"));
  m_init->addItem(tr("the teacher's first layers"));
  m_init->setToolTip(tr("Seeded: random weights from the seed. Teacher's first layers: the teacher's embedding, its "
                        "first blocks, final norm and output (the width must be the teacher's)."));
  m_runs = new QLineEdit(m_studentBox);
  m_runs->setToolTip(tr("Runs trained side by side on the same batches from the same start, separated by ';': "
                        "T=4 (soft labels at T = 4, α = 1), hard (α = 0: next-token labels only), T=2,alpha=0.5.\n"
                        "Loss: α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1 − α)·CE(next token)"));
  m_temperature = new QDoubleSpinBox(m_studentBox);
  m_temperature->setRange(0.05, 100);
  m_temperature->setDecimals(2);
  m_temperature->setValue(2);
  m_temperature->setPrefix(tr("T = "));
  m_temperature->setToolTip(tr("Temperature of the soft labels of the run to add"));
  m_alpha = new QDoubleSpinBox(m_studentBox);
  m_alpha->setRange(0, 1);
  m_alpha->setSingleStep(0.1);
  m_alpha->setDecimals(2);
  m_alpha->setValue(1);
  m_alpha->setPrefix(tr("α = "));
  m_alpha->setToolTip(tr("Weight of the soft term of the run to add (1 − α on the hard labels)"));
  auto* addRun = new QPushButton(tr("Add run"), m_studentBox);
  addRun->setToolTip(tr("Append a run with this T and α"));
  auto* sform = new QFormLayout(m_studentBox);
  sform->addRow(tr("Width:"), m_dim);
  sform->addRow(tr("FFN size:"), m_hidden);
  sform->addRow(tr("Layers:"), m_layers);
  auto* headsRow = new QHBoxLayout;
  headsRow->addWidget(m_heads);
  headsRow->addWidget(new QLabel(tr("KV:"), m_studentBox));
  headsRow->addWidget(m_kvHeads);
  sform->addRow(tr("Heads:"), headsRow);
  sform->addRow(QString(), m_tied);
  sform->addRow(tr("Start from:"), m_init);
  sform->addRow(tr("Runs:"), m_runs);
  auto* addRow = new QHBoxLayout;
  addRow->addWidget(m_temperature);
  addRow->addWidget(m_alpha);
  addRow->addWidget(addRun);
  sform->addRow(QString(), addRow);

  m_qatBox = new QGroupBox(tr("Quantizer"), form);
  m_bits = spin(m_qatBox, 2, 8, tr("int-k with the registry's defaults (symmetric, absmax, per row) on every matrix; "
                                   "QAT trains W through W̃ = Q̃(Q(W)) with the straight-through gradient, PTQ "
                                   "quantizes once (a flat line). Loss: KL to the original model at T = 1."));
  m_bits->setPrefix(tr("int"));
  auto* qform = new QFormLayout(m_qatBox);
  qform->addRow(tr("Bits:"), m_bits);

  auto* trainBox = new QGroupBox(tr("Training"), form);
  m_steps = spin(trainBox, 1, 1 << 20, tr("Optimizer steps"));
  m_batch = spin(trainBox, 1, 1024, tr("Windows per step"));
  m_seqLen = spin(trainBox, 2, 4096, tr("Tokens per window (at most the model's context)"));
  m_lr = new QDoubleSpinBox(trainBox);
  m_lr->setDecimals(5);
  m_lr->setRange(0, 1);
  m_lr->setSingleStep(1e-4);
  m_lr->setToolTip(tr("Peak learning rate of AdamW (linear warm-up, cosine decay to 10 %)"));
  m_warmup = spin(trainBox, 0, 1 << 20, tr("Linear warm-up steps"));
  m_evalEvery = spin(trainBox, 1, 1 << 20, tr("Steps between held-out evaluations (the curves' points)"));
  m_seed = spin(trainBox, 0, std::numeric_limits<int>::max(), tr("Seed of the batches, the student and sampled data: "
                                                                   "the same seed gives the same curves"));
  m_evalTokens = spin(trainBox, 16, 1 << 22, tr("Held-out tokens evaluated at each point (whole windows)"));
  auto* tform = new QFormLayout(trainBox);
  tform->addRow(tr("Steps:"), m_steps);
  auto* shape = new QHBoxLayout;
  shape->addWidget(m_batch);
  shape->addWidget(new QLabel(tr("×"), trainBox));
  shape->addWidget(m_seqLen);
  tform->addRow(tr("Batch × tokens:"), shape);
  tform->addRow(tr("Learning rate:"), m_lr);
  tform->addRow(tr("Warm-up:"), m_warmup);
  tform->addRow(tr("Evaluate every:"), m_evalEvery);
  tform->addRow(tr("Held-out tokens:"), m_evalTokens);
  tform->addRow(tr("Seed:"), m_seed);

  m_error = makeErrorLabel();
  m_cli = new QLabel(form);
  m_cli->setWordWrap(true);
  m_cli->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_cli->setToolTip(tr("The same run from the command line (add --json for the curves, --out DIR for the model)"));

  auto* top = new QFormLayout;
  top->addRow(tr("Preset:"), m_presets);
  top->addRow(tr("Lesson:"), m_mode);
  auto* modelRow = new QHBoxLayout;
  modelRow->addWidget(m_model, 1);
  modelRow->addWidget(browseModel);
  top->addRow(tr("Model:"), modelRow);
  top->addRow(tr("Data:"), m_data);
  auto* textRow = new QHBoxLayout;
  textRow->addWidget(m_texts, 1);
  textRow->addWidget(m_browseTexts);
  top->addRow(tr("Texts:"), textRow);
  top->addRow(tr("Sequences:"), m_sampleTrain);
  auto* layout = new QVBoxLayout(form);
  layout->addLayout(top);
  layout->addWidget(m_studentBox);
  layout->addWidget(m_qatBox);
  layout->addWidget(trainBox);
  layout->addWidget(m_error);
  layout->addWidget(m_cli);
  layout->addStretch(1);

  connect(m_presets, &QComboBox::activated, this, [this](int i) { applyPreset(i); });
  connect(m_mode, &QComboBox::currentIndexChanged, this, [this] { updateModeFields(); });
  connect(m_data, &QComboBox::currentIndexChanged, this, [this] { updateModeFields(); });
  connect(browseModel, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"), m_model->text());
    if (!dir.isEmpty()) m_model->setText(dir);
  });
  connect(m_browseTexts, &QPushButton::clicked, this, [this] {
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Training texts"), QString(), tr("Text (*.txt);;All files (*)"));
    if (!files.isEmpty()) m_texts->setText(files.join(QLatin1String("; ")));
  });
  connect(addRun, &QPushButton::clicked, this, [this] {
    QString run = m_alpha->value() == 0 ? QStringLiteral("hard")
                                        : QStringLiteral("T=%1").arg(widgets::formatExact(m_temperature->value()));
    if (m_alpha->value() != 0 && m_alpha->value() != 1)
      run += QStringLiteral(",alpha=%1").arg(widgets::formatExact(m_alpha->value()));
    const QString t = m_runs->text().trimmed();
    m_runs->setText(t.isEmpty() ? run : t + QStringLiteral("; ") + run);
  });
  for (QLineEdit* e : {m_model, m_texts, m_runs}) connect(e, &QLineEdit::textChanged, this, [this] { updateCli(); });
  for (QSpinBox* s : {m_sampleTrain, m_dim, m_hidden, m_layers, m_heads, m_kvHeads, m_bits, m_steps, m_batch, m_seqLen,
                      m_warmup, m_evalEvery, m_seed, m_evalTokens})
    connect(s, &QSpinBox::valueChanged, this, [this] { updateCli(); });
  connect(m_lr, &QDoubleSpinBox::valueChanged, this, [this] { updateCli(); });
  connect(m_tied, &QCheckBox::toggled, this, [this] { updateCli(); });
  connect(m_init, &QComboBox::currentIndexChanged, this, [this] { updateCli(); });
  return form;
}

void TrainingTool::updateModeFields() {
  const bool distill = m_mode->currentIndex() == int(Mode::Distill);
  m_studentBox->setVisible(distill);
  m_qatBox->setVisible(!distill);
  const bool text = m_data->currentIndex() == int(Data::Text);
  m_texts->setEnabled(text);
  m_browseTexts->setEnabled(text);
  m_sampleTrain->setEnabled(!text);
  updateCli();
}

QStringList TrainingTool::presetNames() const {
  QStringList names;
  for (const Preset& p : presets()) names << QString::fromUtf8(p.name);
  return names;
}

bool TrainingTool::applyPreset(int index) {
  const std::vector<Preset> list = presets();
  if (index < 0 || index >= int(list.size())) return false;
  setSettings(list[std::size_t(index)].settings);
  m_presets->setCurrentIndex(index);
  setError({});
  return true;
}

TrainingTool::Settings TrainingTool::settings() const {
  Settings s;
  s.mode = Mode(m_mode->currentIndex());
  s.model = m_model->text().trimmed();
  s.data = Data(m_data->currentIndex());
  for (const QString& t : m_texts->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
    if (!t.trimmed().isEmpty()) s.texts << t.trimmed();
  s.sampleTrain = m_sampleTrain->value();
  s.dim = m_dim->value();
  s.hidden = m_hidden->value();
  s.layers = m_layers->value();
  s.heads = m_heads->value();
  s.kvHeads = m_kvHeads->value();
  s.tied = m_tied->isChecked();
  s.teacherInit = m_init->currentIndex() == 1;
  s.runs = m_runs->text().trimmed();
  s.bits = m_bits->value();
  s.steps = m_steps->value();
  s.batch = m_batch->value();
  s.seqLen = m_seqLen->value();
  s.lr = m_lr->value();
  s.warmup = m_warmup->value();
  s.evalEvery = m_evalEvery->value();
  s.seed = qulonglong(m_seed->value());
  s.evalTokens = m_evalTokens->value();
  return s;
}

void TrainingTool::setSettings(const Settings& s) {
  m_mode->setCurrentIndex(int(s.mode));
  m_model->setText(s.model);
  m_data->setCurrentIndex(int(s.data));
  m_texts->setText(s.texts.join(QLatin1String("; ")));
  m_sampleTrain->setValue(s.sampleTrain);
  m_dim->setValue(s.dim);
  m_hidden->setValue(s.hidden);
  m_layers->setValue(s.layers);
  m_heads->setValue(s.heads);
  m_kvHeads->setValue(s.kvHeads);
  m_tied->setChecked(s.tied);
  m_init->setCurrentIndex(s.teacherInit ? 1 : 0);
  m_runs->setText(s.runs);
  m_bits->setValue(s.bits);
  m_steps->setValue(s.steps);
  m_batch->setValue(s.batch);
  m_seqLen->setValue(s.seqLen);
  m_lr->setValue(s.lr);
  m_warmup->setValue(s.warmup);
  m_evalEvery->setValue(s.evalEvery);
  m_seed->setValue(int(std::min<qulonglong>(s.seed, qulonglong(std::numeric_limits<int>::max()))));
  m_evalTokens->setValue(s.evalTokens);
  updateModeFields();
}

QStringList TrainingTool::cliArguments() const {
  const Settings s = settings();
  const bool distill = s.mode == Mode::Distill;
  QStringList a{QStringLiteral("train"), distill ? QStringLiteral("distill") : QStringLiteral("qat"), s.model};
  if (s.data == Data::Text) {
    for (const QString& t : s.texts) a << QStringLiteral("--text") << t;
  } else {
    a << QStringLiteral("--sample-train") << QString::number(s.sampleTrain);
  }
  if (distill) {
    a << QStringLiteral("--dim") << QString::number(s.dim) << QStringLiteral("--hidden") << QString::number(s.hidden)
      << QStringLiteral("--layers") << QString::number(s.layers) << QStringLiteral("--heads") << QString::number(s.heads)
      << QStringLiteral("--kv-heads") << QString::number(s.kvHeads);
    if (!s.tied) a << QStringLiteral("--untied");
    if (s.teacherInit) a << QStringLiteral("--init") << QStringLiteral("teacher");
    a << QStringLiteral("--runs") << s.runs;
  } else {
    a << QStringLiteral("--method") << QStringLiteral("int") << QStringLiteral("--bits") << QString::number(s.bits);
  }
  a << QStringLiteral("--steps") << QString::number(s.steps) << QStringLiteral("--batch") << QString::number(s.batch)
    << QStringLiteral("--seq-len") << QString::number(s.seqLen) << QStringLiteral("--lr")
    << widgets::formatExact(s.lr) << QStringLiteral("--warmup") << QString::number(s.warmup)
    << QStringLiteral("--eval-every") << QString::number(s.evalEvery) << QStringLiteral("--eval-tokens")
    << QString::number(s.evalTokens) << QStringLiteral("--seed") << QString::number(s.seed);
  return a;
}

void TrainingTool::updateCli() {
  QStringList shown;
  for (const QString& arg : cliArguments())
    shown << (arg.contains(QLatin1Char(' ')) || arg.contains(QLatin1Char(';')) || arg.isEmpty()
                  ? QLatin1Char('"') + arg + QLatin1Char('"')
                  : arg);
  m_cli->setText(QStringLiteral("<small><code>quench-cli %1</code></small>").arg(shown.join(QLatin1Char(' ')).toHtmlEscaped()));
}

void TrainingTool::setError(const QString& text) { showError(text); }

void TrainingTool::setStatus(const QString& text) { m_status->setText(text); }
QString TrainingTool::statusText() const { return m_status->text(); }
bool TrainingTool::isRunning() const { return m_jobs->isRunning(); }
bool TrainingTool::canSave() const { return m_finished && m_finished->job && !m_finished->outcome.runs.empty(); }

bool TrainingTool::start() {
  if (isRunning()) return false;
  const Settings s = settings();
  setError({});
  if (s.model.isEmpty()) {
    setError(tr("Choose a model (a Hugging Face folder, a GGUF file or a llama2.c .bin)."));
    return false;
  }
  if (s.data == Data::Text && s.texts.isEmpty()) {
    setError(tr("Choose training text files, or sample sequences from the model."));
    return false;
  }
  // The request, as the CLI builds it from the same options (app/cli/cmd_train.cpp).
  train::TrainOptions opt;
  opt.steps = s.steps;
  opt.batch = s.batch;
  opt.seqLen = s.seqLen;
  opt.lr = s.lr;
  opt.warmup = s.warmup;
  opt.evalEvery = s.evalEvery;
  opt.seed = s.seed;
  train::DataSpec data;
  if (s.data == Data::Samples) {
    data.source = train::DataSpec::Source::TeacherSamples;
    data.samples.trainSequences = s.sampleTrain;
    data.samples.heldoutSequences = 16;
    data.samples.length = 0;
    data.samples.seed = s.seed;
  } else {
    for (const QString& t : s.texts) data.corpus.train.emplace_back(t.toStdString());
  }
  data.maxEvalTokens = std::size_t(s.evalTokens);

  QStringList labels;
  std::function<Result<std::unique_ptr<train::PreparedJob>>(const Work&)> prepare;
  widgets::TrainingCurvesView::Reference reference = widgets::TrainingCurvesView::Reference::Teacher;
  QString title;
  if (s.mode == Mode::Distill) {
    auto runs = train::parseRuns(s.runs.toStdString());
    if (!runs) {
      QString m = QString::fromStdString(runs.error().message);
      m.replace(QLatin1String("--runs: "), QString());
      setError(tr("Runs: %1").arg(m));
      return false;
    }
    train::DistillRequest q;
    q.teacher = s.model.toStdString();
    q.student.dim = s.dim;
    q.student.hiddenDim = s.hidden;
    q.student.nLayers = s.layers;
    q.student.nHeads = s.heads;
    q.student.nKvHeads = s.kvHeads;
    q.student.tied = s.tied;
    q.student.init = s.teacherInit ? train::StudentSpec::Init::TeacherLayers : train::StudentSpec::Init::Seed;
    q.runs = *runs;
    q.options = opt;
    q.data = data;
    for (const train::RunSpec& r : *runs) labels << QString::fromStdString(r.label);
    title = tr("Distillation into a %1-layer, %2-wide student (%3 heads, %4 KV) · %5 × %6 tokens per step · seed %7")
                .arg(s.layers)
                .arg(s.dim)
                .arg(s.heads)
                .arg(s.kvHeads)
                .arg(s.batch)
                .arg(s.seqLen)
                .arg(s.seed);
    prepare = [q](const Work& w) { return train::prepareDistill(q, w); };
  } else {
    const auto rule = intRule(s.bits);
    nlohmann::ordered_json j;
    j["quench_recipe"] = kRecipeVersion;
    j["rules"] = nlohmann::ordered_json::array({rule});
    auto recipe = recipeFromJson(j.dump());
    if (!recipe) {
      setError(QString::fromStdString(recipe.error().message));
      return false;
    }
    train::QatRequest q;
    q.model = s.model.toStdString();
    q.recipe = *recipe;
    q.recipeLabel = train::quantizerLabel(rule);
    q.loss = train::LossSpec{1.0, 1.0};
    q.options = opt;
    q.options.lr = s.lr;
    q.data = data;
    const QString what = QString::fromStdString(q.recipeLabel);
    labels << QStringLiteral("PTQ %1").arg(what) << QStringLiteral("QAT %1").arg(what);
    reference = widgets::TrainingCurvesView::Reference::Original;
    title = tr("%1: post-training quantization vs quantization-aware training · %2 × %3 tokens per step · seed %4")
                .arg(what)
                .arg(s.batch)
                .arg(s.seqLen)
                .arg(s.seed);
    prepare = [q](const Work& w) { return train::prepareQat(q, w); };
  }

  m_curves->setRuns(labels, s.steps, reference, title);
  m_finished.reset();
  m_stepsDone = 0;
  m_totalSteps = s.steps;
  m_paused = false;
  {
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(false);
    m_pause->setText(tr("Pause"));
  }
  m_progress->setRange(0, s.steps);
  m_progress->setValue(0);
  m_stepLabel->setText(tr("step 0 / %1").arg(s.steps));
  setStatus(tr("Opening the model and preparing the data…"));
  m_gate = std::make_shared<Gate>();

  JobCallbacks<Event> cb;
  cb.update = [this](const Event& e) { applyEvent(e); };
  cb.failed = [this](const QString& what) {
    Event e;
    e.kind = Event::Failed;
    e.error = what;
    applyEvent(e);
  };
  m_jobs->start<Event>(
      [prepare, gate = m_gate](QPromise<Event>& promise, std::stop_token stop) {
        const Work work{stop, {}};
        auto fail = [&](const std::string& message) {
          Event e;
          e.kind = Event::Failed;
          e.error = QString::fromStdString(message);
          promise.addResult(e);
        };
        auto job = prepare(work);
        if (!job) return fail(job.error().message);
        train::PreparedJob& pj = **job;
        const QString description = QString::fromStdString(pj.data.description);
        const auto t0 = Clock::now();
        train::TrainObserver obs;
        obs.onReady = [&](double ppl, std::size_t positions) {
          Event e;
          e.kind = Event::Ready;
          e.teacherPpl = ppl;
          e.positions = positions;
          e.description = description;
          promise.addResult(e);
        };
        obs.onPoint = [&](std::size_t run, const train::CurvePoint& p) {
          Event e;
          e.kind = Event::Point;
          e.run = int(run);
          e.point = p;
          promise.addResult(e);
        };
        obs.onStep = [&](const train::TrainProgress& p) {
          Event e;
          e.kind = Event::Step;
          e.step = p.step;
          e.steps = p.steps;
          {
            std::unique_lock lock(gate->mutex);
            if (gate->paused) {
              const auto p0 = Clock::now();
              gate->resumed.wait(lock, stop, [&] { return !gate->paused; });
              gate->pausedSeconds += std::chrono::duration<double>(Clock::now() - p0).count();
            }
            e.activeSeconds = std::chrono::duration<double>(Clock::now() - t0).count() - gate->pausedSeconds;
          }
          promise.addResult(e);
        };
        auto outcome = train::runTraining(pj.setup, obs, work);
        if (!outcome) return fail(outcome.error().message);
        Event e;
        e.kind = Event::Done;
        e.finished = std::make_shared<Finished>();
        e.finished->job = std::move(job).value();
        e.finished->outcome = std::move(outcome).value();
        promise.addResult(e);
      },
      std::move(cb));
  return true;
}

void TrainingTool::applyEvent(const Event& e) {
  switch (e.kind) {
    case Event::Ready:
      m_curves->setReferencePerplexity(e.teacherPpl);
      setStatus(tr("%1 · held-out: %2 positions, %3 perplexity %4")
                    .arg(e.description)
                    .arg(e.positions)
                    .arg(settings().mode == Mode::Qat ? tr("original's") : tr("teacher's"))
                    .arg(widgets::formatReal(e.teacherPpl, 4)));
      break;
    case Event::Point:
      m_curves->addPoint(e.run, e.point);
      break;
    case Event::Step: {
      m_stepsDone = e.step;
      m_progress->setValue(e.step);
      const double perStep = e.step > 0 ? e.activeSeconds / e.step : 0;
      m_stepLabel->setText(tr("step %1 / %2 · %3 elapsed · ETA %4")
                               .arg(e.step)
                               .arg(e.steps)
                               .arg(clock(e.activeSeconds), clock(perStep * (e.steps - e.step))));
      break;
    }
    case Event::Done: {
      m_finished = e.finished;
      const train::TrainOutcome& o = m_finished->outcome;
      QStringList finals;
      for (const train::RunResult& r : o.runs)
        if (!r.curve.empty())
          finals << tr("%1: KL %2").arg(QString::fromStdString(r.spec.label), widgets::formatReal(r.curve.back().kl, 3));
      const QString message = tr("Done: %1 steps in %2 (%3 s CPU). %4")
                                  .arg(m_stepsDone)
                                  .arg(clock(o.seconds))
                                  .arg(widgets::formatReal(o.cpuSeconds, 3))
                                  .arg(finals.join(QStringLiteral(" · ")));
      setStatus(message);
      m_save->setEnabled(!isRunning() && canSave());
      emit finished(true, message);
      break;
    }
    case Event::Failed: {
      const bool cancelled = e.error == QLatin1String("cancelled");
      const QString message =
          cancelled ? tr("Stopped at step %1 of %2 (the curves stay; a stopped run's weights are not kept).")
                          .arg(m_stepsDone)
                          .arg(m_totalSteps)
                    : tr("Training failed: %1").arg(e.error);
      if (cancelled)
        setStatus(message);
      else
        setError(message);
      emit finished(false, message);
      break;
    }
  }
}

void TrainingTool::setPaused(bool paused) {
  m_paused = paused && isRunning();
  if (m_gate) {
    std::lock_guard lock(m_gate->mutex);
    m_gate->paused = m_paused;
  }
  if (m_gate) m_gate->resumed.notify_all();
  const QSignalBlocker block(m_pause);
  m_pause->setChecked(m_paused);
  m_pause->setText(m_paused ? tr("Resume") : tr("Pause"));
  if (m_paused) m_stepLabel->setText(m_stepLabel->text() + tr(" · paused"));
}

void TrainingTool::stop() {
  if (!isRunning()) return;
  m_jobs->cancel();  // the stop request also wakes a paused worker
  m_paused = false;
  const QSignalBlocker block(m_pause);
  m_pause->setChecked(false);
  m_pause->setText(tr("Pause"));
}

void TrainingTool::saveModels(const QString& dir) {
  if (!canSave()) {
    emit saved(tr("Nothing to save: run the training to its end first."));
    return;
  }
  std::shared_ptr<Finished> f = m_finished;
  JobCallbacks<QString> cb;
  cb.result = [this](const QString& error) {
    if (error.isEmpty()) setStatus(statusText() + tr(" Saved."));
    emit saved(error);
  };
  cb.failed = [this](const QString& what) { emit saved(what); };
  m_saveJobs->start<QString>(
      [f, dir](QPromise<QString>&, std::stop_token) -> QString {
        const train::PreparedJob& job = *f->job;
        const auto& runs = f->outcome.runs;
        // As `quench-cli train --out DIR`: QAT saves its QAT run (run 1); several distillation
        // runs go to one sub-folder each.
        std::vector<std::size_t> which;
        if (job.kind == "qat") which = {1};
        else
          for (std::size_t r = 0; r < runs.size(); ++r) which.push_back(r);
        const bool nested = job.kind != "qat" && runs.size() > 1;
        for (std::size_t r : which) {
          if (r >= runs.size()) continue;
          const fs::path out = nested ? fs::path(dir.toStdString()) / train::runSlug(runs[r].spec.loss)
                                      : fs::path(dir.toStdString());
          if (auto st = train::saveRun(job, runs[r], out); !st) return QString::fromStdString(st.error().message);
        }
        return {};
      },
      std::move(cb));
}

QCustomPlot* TrainingTool::plot() const { return m_curves->plot(); }

QString TrainingTool::tableText(widgets::TableFormat, QString* error) const {
  *error = tr("the training curves have no table: export the figure, or run quench-cli train … --json");
  return {};
}

QList<QWidget*> TrainingTool::selfScaling() const { return {m_curves}; }

void TrainingTool::presentationChanged(bool on, double scale) {
  m_presentation = on;
  m_curves->setPresentation(on);
  m_stepLabel->setFont(widgets::scaledFont(QWidget::font(), scale, true));
  m_progress->setMinimumHeight(int(12 * scale));
  fitFormWidth();
}

void TrainingTool::fitFormWidth() {
  // The form scrolls vertically; its width follows its content up to a cap, so the curves keep
  // most of the tool.
  if (auto* scroll = qobject_cast<QScrollArea*>(m_form->parentWidget() ? m_form->parentWidget()->parentWidget() : nullptr))
    scroll->setMinimumWidth(std::min(m_form->sizeHint().width() + 24, 620));
}

QJsonObject TrainingTool::saveState() const {
  const Settings s = settings();
  QJsonObject o;
  o[QStringLiteral("mode")] = int(s.mode);
  o[QStringLiteral("model")] = s.model;
  o[QStringLiteral("data")] = int(s.data);
  o[QStringLiteral("texts")] = QJsonArray::fromStringList(s.texts);
  o[QStringLiteral("sample_train")] = s.sampleTrain;
  o[QStringLiteral("dim")] = s.dim;
  o[QStringLiteral("hidden")] = s.hidden;
  o[QStringLiteral("layers")] = s.layers;
  o[QStringLiteral("heads")] = s.heads;
  o[QStringLiteral("kv_heads")] = s.kvHeads;
  o[QStringLiteral("tied")] = s.tied;
  o[QStringLiteral("teacher_init")] = s.teacherInit;
  o[QStringLiteral("runs")] = s.runs;
  o[QStringLiteral("bits")] = s.bits;
  o[QStringLiteral("steps")] = s.steps;
  o[QStringLiteral("batch")] = s.batch;
  o[QStringLiteral("seq_len")] = s.seqLen;
  o[QStringLiteral("lr")] = s.lr;
  o[QStringLiteral("warmup")] = s.warmup;
  o[QStringLiteral("eval_every")] = s.evalEvery;
  o[QStringLiteral("seed")] = double(s.seed);
  o[QStringLiteral("eval_tokens")] = s.evalTokens;
  return o;
}

void TrainingTool::restoreState(const QJsonObject& o) {
  if (o.isEmpty()) return;
  const Settings d = settings();  // what the session does not say stays as it is
  Settings s = d;
  auto num = [&](const char* key, int fallback) { return o[QLatin1String(key)].toInt(fallback); };
  s.mode = Mode(std::clamp(num("mode", int(d.mode)), 0, 1));
  s.model = o[QStringLiteral("model")].toString(d.model);
  s.data = Data(std::clamp(num("data", int(d.data)), 0, 1));
  if (o.contains(QStringLiteral("texts"))) {
    s.texts.clear();
    for (const QJsonValue& v : o[QStringLiteral("texts")].toArray()) s.texts << v.toString();
  }
  s.sampleTrain = num("sample_train", d.sampleTrain);
  s.dim = num("dim", d.dim);
  s.hidden = num("hidden", d.hidden);
  s.layers = num("layers", d.layers);
  s.heads = num("heads", d.heads);
  s.kvHeads = num("kv_heads", d.kvHeads);
  s.tied = o[QStringLiteral("tied")].toBool(d.tied);
  s.teacherInit = o[QStringLiteral("teacher_init")].toBool(d.teacherInit);
  s.runs = o[QStringLiteral("runs")].toString(d.runs);
  s.bits = num("bits", d.bits);
  s.steps = num("steps", d.steps);
  s.batch = num("batch", d.batch);
  s.seqLen = num("seq_len", d.seqLen);
  s.lr = o[QStringLiteral("lr")].toDouble(d.lr);
  s.warmup = num("warmup", d.warmup);
  s.evalEvery = num("eval_every", d.evalEvery);
  s.seed = qulonglong(std::max(0.0, o[QStringLiteral("seed")].toDouble(double(d.seed))));
  s.evalTokens = num("eval_tokens", d.evalTokens);
  setSettings(s);  // the spin boxes clamp what is out of their ranges
}

}  // namespace quench::app
