#include "app/gui/progress_text.h"
#include "app/gui/model_page_parts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <iterator>

#include "widgets/curves_view.h"
#include "widgets/model_info_view.h"
#include "widgets/plot_style.h"

namespace quench::app {
namespace {

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

// In SourceKind order (the combo's index is the kind).
const char* const kSourceNames[] = {"Text file", "Pasted text", "Token file", "Sampled from the model",
                                    "llama.cpp logits (.kld)"};

QString currentRecipeFamily() { return QObject::tr("current recipe"); }

// A tool button "Open … model…" whose menu offers a model file or a Hugging Face folder;
// `chosen(folder)` is called with the choice (a click means a file).
QToolButton* openModelButton(const QString& text, QWidget* owner, const std::function<void(bool)>& chosen) {
  auto* button = new QToolButton;
  button->setText(text);
  button->setPopupMode(QToolButton::MenuButtonPopup);
  auto* menu = new QMenu(button);
  menu->addAction(QObject::tr("Model file (.bin, .gguf)…"), owner, [chosen] { chosen(false); });
  menu->addAction(QObject::tr("Hugging Face folder…"), owner, [chosen] { chosen(true); });
  button->setMenu(menu);
  QObject::connect(button, &QToolButton::clicked, owner, [chosen] { chosen(false); });
  return button;
}

}  // namespace

// ---- ModelBox ----------------------------------------------------------------------------------

ModelBox::ModelBox(QWidget* parent) : QGroupBox(tr("Model"), parent) {
  m_label = new QLabel(tr("none"));
  m_label->setWordWrap(true);
  QToolButton* open = openModelButton(tr("Open model…"), this, [this](bool folder) { emit openRequested(folder); });
  open->setToolTip(tr("A llama2.c checkpoint (.bin), a GGUF file, or a Hugging Face folder "
                      "(model.safetensors + config.json + tokenizer.json)"));
  m_tokenizerButton = new QPushButton(tr("Tokenizer…"));
  m_tokenizerButton->setToolTip(tr("The tokenizer.bin of a llama2.c checkpoint (found beside it by default)"));
  connect(m_tokenizerButton, &QPushButton::clicked, this, &ModelBox::tokenizerRequested);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(open);
  buttons->addWidget(m_tokenizerButton);
  buttons->addStretch(1);
  m_noPrefixSpace = new QCheckBox(tr("No prefix space"));
  m_noPrefixSpace->setToolTip(
      tr("Tokenize text without the space SentencePiece tokenizers put in front of it, whatever the tokenizer "
         "file says. TinyStories-656K needs this: its tokenizer.json prepends \u2581 but the model was trained "
         "without it (quench-cli: --no-prefix-space). Changing it reopens the model."));
  connect(m_noPrefixSpace, &QCheckBox::toggled, this, &ModelBox::noPrefixSpaceChanged);
  m_tokenizerNote = new QLabel;
  m_tokenizerNote->setWordWrap(true);
  m_info = new widgets::ModelInfoView;
  m_info->setMinimumHeight(260);
  auto* l = new QVBoxLayout(this);
  l->addWidget(m_label);
  l->addLayout(buttons);
  l->addWidget(m_noPrefixSpace);
  l->addWidget(m_tokenizerNote);
  l->addWidget(m_info);
}

bool ModelBox::noPrefixSpace() const { return m_noPrefixSpace->isChecked(); }

void ModelBox::setNoPrefixSpace(bool on, bool quiet) {
  const QSignalBlocker block(quiet ? m_noPrefixSpace : nullptr);
  m_noPrefixSpace->setChecked(on);
}

void ModelBox::showOpening(const QString& path) {
  m_info->clear();
  m_tokenizerNote->clear();
  m_label->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
}

void ModelBox::showModel(const QString& path, const LoadedModel* model) {
  if (!model) {
    m_label->setText(tr("none"));
    return;
  }
  m_label->setText(QStringLiteral("<b>%1</b><br>%2")
                       .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                            QString::fromStdString(model->files.format).toHtmlEscaped()));
  m_label->setToolTip(path);
  m_info->setModel(model->files);
  m_tokenizerButton->setEnabled(model->files.format == "llama2c");
  m_tokenizerNote->setText(
      model->files.tokenizer
          ? tr("Tokenizer: %1").arg(QString::fromStdString(model->files.tokenizer->describe()))
          : tr("No tokenizer.json: the model runs on token files and sampled sequences; text needs a tokenizer."));
}

// ---- SourceBox ---------------------------------------------------------------------------------

SourceBox::SourceBox(QWidget* parent) : QGroupBox(tr("Evaluate on"), parent) {
  m_kind = new QComboBox;
  for (const char* n : kSourceNames) m_kind->addItem(tr(n));
  m_kind->setCurrentIndex(int(SourceKind::Sample));
  connect(m_kind, &QComboBox::currentIndexChanged, this, &SourceBox::updateControls);

  // One page per kind of source: a file, a pasted text, the sampling settings.
  m_stack = new QStackedWidget;
  auto* filePage = new QWidget;
  m_path = new QLineEdit;
  m_path->setPlaceholderText(tr("path"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, &SourceBox::chooseFile);
  auto* fileRow = new QHBoxLayout(filePage);
  fileRow->setContentsMargins(0, 0, 0, 0);
  fileRow->addWidget(m_path, 1);
  fileRow->addWidget(browse);
  m_pasted = new QPlainTextEdit;
  m_pasted->setPlaceholderText(tr("Paste a text: it is tokenized (with BOS when the tokenizer adds one) and cut into context-sized chunks"));
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
  m_stack->addWidget(filePage);
  m_stack->addWidget(m_pasted);
  m_stack->addWidget(samplePage);

  m_context = new QSpinBox;
  m_context->setRange(0, 1 << 20);
  m_context->setSpecialValueText(tr("model's"));
  m_context->setToolTip(tr("Tokens per evaluated chunk of a text or token file (at most the model's context)"));

  auto* form = new QFormLayout(this);
  form->addRow(tr("Source"), m_kind);
  form->addRow(m_stack);
  form->addRow(tr("Context"), m_context);
  updateControls();
}

SourceSettings SourceBox::settings() const {
  SourceSettings s;
  s.kind = SourceKind(m_kind->currentIndex());
  s.path = m_path->text().toStdString();
  s.text = m_pasted->toPlainText().toStdString();
  s.count = m_count->value();
  s.length = m_length->value();
  s.seed = std::uint64_t(m_seed->value());
  s.context = m_context->value();
  return s;
}

void SourceBox::setSettings(const SourceSettings& s) {
  m_kind->setCurrentIndex(int(s.kind));
  m_path->setText(QString::fromStdString(s.path));
  m_pasted->setPlainText(QString::fromStdString(s.text));
  m_count->setValue(s.count);
  m_length->setValue(s.length);
  m_seed->setValue(int(s.seed));
  m_context->setValue(s.context);
  updateControls();
}

void SourceBox::chooseFile() {
  const auto kind = SourceKind(m_kind->currentIndex());
  const QString filter = kind == SourceKind::LlamaKld    ? tr("llama.cpp logits (*.kld *.bin);;All files (*)")
                         : kind == SourceKind::TokenFile ? tr("Token files (*.txt *.tok *.tokens);;All files (*)")
                                                         : tr("Text (*.txt *.md);;All files (*)");
  const QString path = QFileDialog::getOpenFileName(this, tr("Evaluate on"), m_path->text(), filter);
  if (!path.isEmpty()) m_path->setText(path);
}

void SourceBox::updateControls() {
  const auto kind = SourceKind(m_kind->currentIndex());
  m_stack->setCurrentIndex(kind == SourceKind::Text ? 1 : kind == SourceKind::Sample ? 2 : 0);
  // The stack is as tall as its current page, not its tallest (the pasted text).
  for (int i = 0; i < m_stack->count(); ++i)
    m_stack->widget(i)->setSizePolicy(QSizePolicy::Preferred,
                                      i == m_stack->currentIndex() ? QSizePolicy::Preferred : QSizePolicy::Ignored);
  m_stack->adjustSize();
  m_context->setEnabled(kind != SourceKind::Sample && kind != SourceKind::LlamaKld);
  m_path->setPlaceholderText(kind == SourceKind::LlamaKld    ? tr("llama-perplexity --kl-divergence-base file")
                             : kind == SourceKind::TokenFile ? tr("whitespace-separated ids, one sequence a line")
                                                             : tr("UTF-8 text file"));
}

// ---- CompareBox --------------------------------------------------------------------------------

CompareBox::CompareBox(QWidget* parent) : QGroupBox(tr("Compare"), parent) {
  m_candidate = new QComboBox;
  m_candidate->addItem(tr("the current recipe"));
  m_candidate->addItem(tr("a second model"));
  m_candidate->setToolTip(tr("Q: the model with the recipe's reconstructions, or another model with the same "
                             "vocabulary (e.g. a distilled student of the teacher P)"));
  connect(m_candidate, &QComboBox::currentIndexChanged, this, &CompareBox::updateControls);
  m_recipeLabel = new QLabel;
  m_recipeLabel->setWordWrap(true);
  m_secondLabel = new QLabel(tr("none"));
  m_secondLabel->setWordWrap(true);
  m_secondButton =
      openModelButton(tr("Open second model…"), this, [this](bool folder) { emit openSecondRequested(folder); });
  m_temperature = new QDoubleSpinBox;
  m_temperature->setRange(0.05, 100.0);
  m_temperature->setDecimals(2);
  m_temperature->setSingleStep(0.25);
  m_temperature->setValue(1.0);
  m_temperature->setToolTip(tr("Temperature T: both models' distributions are softmax(z/T) (MATH.md §8)"));
  auto* form = new QFormLayout(this);
  form->addRow(tr("P"), new QLabel(tr("the original model")));
  form->addRow(tr("Q"), m_candidate);
  form->addRow(tr("Recipe"), m_recipeLabel);
  form->addRow(tr("Second model"), m_secondLabel);
  form->addRow(QString(), m_secondButton);
  form->addRow(tr("Temperature"), m_temperature);
  updateControls();
}

bool CompareBox::secondModelChosen() const { return m_candidate->currentIndex() == 1; }
void CompareBox::setSecondModelChosen(bool on) { m_candidate->setCurrentIndex(on ? 1 : 0); }
double CompareBox::temperature() const { return m_temperature->value(); }
void CompareBox::setTemperature(double t) { m_temperature->setValue(t); }

void CompareBox::setRecipe(const Recipe& recipe) {
  m_recipeLabel->setText(recipeShortName(recipe));
  m_recipeLabel->setToolTip(QString::fromStdString(recipeToJson(recipe)));
}

void CompareBox::showSecondOpening(const QString& path) {
  m_secondLabel->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
}

void CompareBox::showSecondModel(const QString& path, const LoadedModel* model) {
  m_secondLabel->setText(model ? QStringLiteral("<b>%1</b> (%2, vocabulary %3)")
                                     .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                                          QString::fromStdString(model->files.format))
                                     .arg(model->files.config.vocabSize)
                               : tr("none"));
  m_secondLabel->setToolTip(path);
}

void CompareBox::updateControls() {
  const bool second = secondModelChosen();
  m_secondButton->setEnabled(second);
  m_secondLabel->setEnabled(second);
  m_recipeLabel->setEnabled(!second);
}

// ---- CurvesTab ---------------------------------------------------------------------------------

CurvesTab::CurvesTab(QWidget* parent) : QWidget(parent) {
  m_setting = new QComboBox;
  for (const SettingChoice& s : kSettings) {
    m_setting->addItem(tr(s.label), QString::fromLatin1(s.key));
    m_setting->setItemData(m_setting->count() - 1, tr(s.toolTip), Qt::ToolTipRole);
  }
  connect(m_setting, &QComboBox::currentIndexChanged, this, &CurvesTab::fillDefaultValues);
  m_values = new QLineEdit;
  m_values->setToolTip(tr("Comma-separated values of the setting, e.g. 2,3,4,8"));
  m_run = new QPushButton(tr("Run sweep"));
  m_run->setToolTip(tr("Evaluate every value for every checked family; points appear as they finish"));
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Vary")));
  row->addWidget(m_setting);
  row->addWidget(new QLabel(tr("over")));
  row->addWidget(m_values, 1);
  row->addWidget(m_run);
  auto* familyRow = new QHBoxLayout;
  familyRow->addWidget(new QLabel(tr("Families:")));
  auto addFamily = [&](const QString& name, const QString& toolTip, bool on) {
    auto* c = new QCheckBox(name);
    c->setToolTip(toolTip);
    c->setChecked(on);
    m_familyChecks.push_back(c);
    familyRow->addWidget(c);
  };
  addFamily(currentRecipeFamily(), tr("The recipe of the Recipe panel, with the setting replaced in every rule"), true);
  for (const SweepFamily& f : presetFamilies()) addFamily(f.name, QString::fromStdString(f.recipeJson), false);
  familyRow->addStretch(1);
  m_curves = new widgets::CurvesView;
  m_curves->setLogY(true);  // KL spans orders of magnitude between 2 and 8 bits
  auto* l = new QVBoxLayout(this);
  l->addLayout(row);
  l->addLayout(familyRow);
  l->addWidget(m_curves, 1);
  fillDefaultValues();
}

QString CurvesTab::setting() const { return m_setting->currentData().toString(); }
QString CurvesTab::settingLabel() const { return m_setting->currentText(); }
QString CurvesTab::values() const { return m_values->text(); }

void CurvesTab::setSweep(const QString& setting, const QString& values) {
  const int i = m_setting->findData(setting);
  if (i >= 0) m_setting->setCurrentIndex(i);
  if (!values.isEmpty()) m_values->setText(values);
}

void CurvesTab::setFamilyEnabled(const QString& name, bool on) {
  for (QCheckBox* c : m_familyChecks)
    if (c->text() == name) c->setChecked(on);
}

QStringList CurvesTab::enabledFamilies() const {
  QStringList out;
  for (QCheckBox* c : m_familyChecks)
    if (c->isChecked()) out << c->text();
  return out;
}

void CurvesTab::setEnabledFamilies(const QStringList& names) {
  for (QCheckBox* c : m_familyChecks) c->setChecked(names.contains(c->text()));
}

std::vector<SweepFamily> CurvesTab::families(const QString& currentName, const Recipe& current) const {
  std::vector<SweepFamily> out;
  const std::vector<SweepFamily> presets = presetFamilies();
  for (std::size_t i = 0; i < m_familyChecks.size(); ++i) {
    if (!m_familyChecks[i]->isChecked()) continue;
    if (i == 0)
      out.push_back({currentName, recipeToJson(current)});
    else
      out.push_back(presets[i - 1]);
  }
  return out;
}

eval::SweepAxis CurvesTab::axis() const {
  eval::SweepAxis axis;
  axis.name = setting().toStdString();
  for (const QString& v : m_values->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
    if (!v.trimmed().isEmpty()) axis.values.push_back(v.trimmed().toStdString());
  return axis;
}

void CurvesTab::fillDefaultValues() {
  const int i = m_setting->currentIndex();
  if (i >= 0 && i < int(std::size(kSettings))) m_values->setText(QString::fromLatin1(kSettings[i].values));
}

// ---- JobStatusRow ------------------------------------------------------------------------------

JobStatusRow::JobStatusRow(QWidget* parent) : QWidget(parent) {
  m_message = new QLabel(tr("Open a model to measure how far a recipe moves its next-token distributions."));
  m_message->setWordWrap(true);
  m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_busyLabel = new QLabel;
  m_progress = new QProgressBar;
  m_progress->setRange(0, kJobProgressSteps);
  m_progress->setTextVisible(true);
  m_progress->setMaximumWidth(260);
  m_cancel = new QPushButton(tr("Cancel"));
  m_cancel->setToolTip(tr("Stop the running job (Esc)"));
  m_cancel->setShortcut(Qt::Key_Escape);
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(m_message, 1);
  row->addWidget(m_busyLabel);
  row->addWidget(m_progress);
  row->addWidget(m_cancel);
}

void JobStatusRow::showMessage(const QString& text, bool error) {
  m_message->setText(text);
  QPalette pal = palette();
  if (error) pal.setColor(QPalette::WindowText, widgets::okabeIto::kVermilion);
  m_message->setPalette(pal);
}

QString JobStatusRow::message() const { return m_message->text(); }

void JobStatusRow::setBusy(bool busy) {
  m_cancel->setEnabled(busy);
  m_progress->setVisible(busy);
  if (busy) {
    m_started.start();
    m_progress->setFormat(QStringLiteral("0 %"));
  }
}

void JobStatusRow::setBusyText(const QString& text) { m_busyLabel->setText(text); }

void JobStatusRow::setProgress(double fraction) {
  m_progress->setValue(int(std::lround(fraction * kJobProgressSteps)));
  // The percentage and the time left on the bar (a full-text evaluation takes minutes).
  m_progress->setFormat(progressText(fraction, m_started.isValid() ? m_started.elapsed() : 0));
}

QString JobStatusRow::progressLabel() const { return m_progress->format(); }

}  // namespace quench::app
