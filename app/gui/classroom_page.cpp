#include "app/gui/classroom_page.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QDateTime>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include <algorithm>

#include "app/gui/classroom_divergence.h"
#include "app/gui/classroom_lm.h"
#include "app/gui/classroom_worked.h"
#include "app/gui/training_tool.h"
#include "core/quant/calibrate.h"
#include "core/quant/worked.h"
#include "widgets/classroom_style.h"
#include "widgets/table_export.h"
#include "widgets/training_curves_view.h"
#include "widgets/worked_quantization_view.h"
// The export dialog (size presets, dpi) and the plots' right-click "Export figure…" when the
// widgets library has them; otherwise a plain file dialog at the slide size.
#if __has_include("widgets/figure_export_dialog.h") && __has_include("widgets/plot_export_menu.h")
#include "widgets/figure_export_dialog.h"
#include "widgets/plot_export_menu.h"
#define QUENCH_HAS_EXPORT_DIALOG 1
#endif

namespace quench::app {
namespace {

// A preset: which tool and its inputs.
struct Preset {
  const char* name;
  ClassroomPage::Tool tool;
  // worked quantization
  const char* values = "";
  const char* parts = "";
  Rounding rounding = Rounding::HalfEven;
  int bits = 8;           // grid of every part
  bool symmetric = true;  // [−M, M] or [0, 2^k − 1]
  enum class Calib { AbsMax, MinMax, Typed } calib = Calib::AbsMax;
  std::vector<PartParams> typed = {};
  // KL/JS
  const char* p = "";
  const char* q = "";
  bool bits2 = false;  // show in bits
  // explicit LM
  const char* lmP = "";
  const char* lmQ = "";
  int length = 4;
};

const std::vector<Preset>& presets() {
  using C = Preset::Calib;
  static const std::vector<Preset> list{
      {.name = "Symmetric int4, one part (absmax)", .tool = ClassroomPage::kWorked,
       .values = "1.2, -0.55, 0.07, 2.31, -1.8, 0.4", .bits = 4},
      {.name = "Two parts with saturation (s typed by hand)", .tool = ClassroomPage::kWorked,
       .values = "1.2, -0.55, 0.07, 2.31", .parts = "0,1;2,3", .calib = C::Typed,
       .typed = {{0.01, 0, -127, 127}, {0.02, 0, -7, 7}}},
      {.name = "Asymmetric uint8 (min-max, zero point)", .tool = ClassroomPage::kWorked,
       .values = "0.1, 0.5, 1.3, 2.2, -0.3, 0", .bits = 8, .symmetric = false, .calib = C::MinMax},
      {.name = "Ties: round half to even", .tool = ClassroomPage::kWorked, .values = "0.25, 0.75, -0.25, 1.25, -0.75",
       .calib = C::Typed, .typed = {{0.5, 0, -7, 7}}},
      {.name = "Ties: round half away from zero", .tool = ClassroomPage::kWorked,
       .values = "0.25, 0.75, -0.25, 1.25, -0.75", .rounding = Rounding::HalfAwayFromZero, .calib = C::Typed,
       .typed = {{0.5, 0, -7, 7}}},
      {.name = "An outlier spoils its group (int4, two groups)", .tool = ClassroomPage::kWorked,
       .values = "0.1, -0.2, 0.15, 8, 0.05, -0.12, 0.3, -0.25", .parts = "0,1,2,3;4,5,6,7", .bits = 4},
      {.name = "Coin vs loaded coin (KL/JS)", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/2", .q = "1/4, 3/4"},
      {.name = "KL is not symmetric", .tool = ClassroomPage::kDivergence, .p = "0.8, 0.15, 0.05",
       .q = "1/3, 1/3, 1/3"},
      {.name = "q = 0 where p > 0 (KL = ∞, JS finite)", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/2",
       .q = "1, 0"},
      {.name = "In bits: 1.75-bit source vs uniform", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/4, 1/8, 1/8",
       .q = "1/4, 1/4, 1/4, 1/4", .bits2 = true},
      // The default: P starts in B and drifts into A (π_A: 0.1, 0.36, 0.516, … → 0.75); Q knows B
      // but is a fair coin after A, so position i adds c·π_A(i−1) with c = KL((0.9, 0.1)‖(½, ½)):
      // the chain-rule terms grow along the sequence, and since the number of A's varies between
      // sampled sequences the running estimate wanders before it settles on the exact value.
      {.name = "Markov chain drifting into the state Q gets wrong (explicit LM)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["A", "B"], "next": {"": [0.1, 0.9], "A": [0.9, 0.1], "B": [0.3, 0.7]}})",
       .lmQ = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.3, 0.7]}})", .length = 6},
      {.name = "Coin vs loaded coin (explicit LM)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["H", "T"], "next": {"": [0.5, 0.5]}})",
       .lmQ = R"({"vocab": ["H", "T"], "next": {"": [0.7, 0.3]}})", .length = 4},
      {.name = "Bigram: Q changes after A (chain rule)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.5, 0.5]}})",
       .lmQ = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.75, 0.25], "B": [0.5, 0.5]}})", .length = 3},
      {.name = "Sticky Markov chain vs fair coin (explicit LM)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.9, 0.1], "B": [0.1, 0.9]}})",
       .lmQ = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.5, 0.5]}})", .length = 6},
  };
  return list;
}

constexpr int kEditCommandId = 0x434c;  // 'CL'
constexpr qint64 kMergeWindowMs = 1500;   // keystrokes into one field closer than this are one step

// The top-level keys whose values differ between two states of a tool ("values", "params", …).
QStringList changedKeys(const QJsonObject& a, const QJsonObject& b) {
  QStringList out;
  for (auto it = a.begin(); it != a.end(); ++it)
    if (b.value(it.key()) != it.value()) out << it.key();
  for (auto it = b.begin(); it != b.end(); ++it)
    if (!a.contains(it.key())) out << it.key();
  return out;
}

}  // namespace

// One step of the Classroom's history: a tool's inputs before and after.
class ClassroomEdit : public QUndoCommand {
 public:
  ClassroomEdit(ClassroomPage* page, ClassroomPage::Tool tool, QJsonObject before, QJsonObject after, QString field,
                const QString& text)
      : m_page(page), m_tool(tool), m_before(std::move(before)), m_after(std::move(after)), m_field(std::move(field)),
        m_time(QDateTime::currentMSecsSinceEpoch()) {
    setText(text);
  }
  void undo() override { m_page->restoreTool(m_tool, m_before); }
  void redo() override {
    if (m_first) {  // the edit is already on screen when it is pushed
      m_first = false;
      return;
    }
    m_page->restoreTool(m_tool, m_after);
  }
  int id() const override { return kEditCommandId; }
  bool mergeWith(const QUndoCommand* other) override {
    const auto* o = static_cast<const ClassroomEdit*>(other);
    if (o->m_tool != m_tool || m_field.isEmpty() || o->m_field != m_field || o->m_time - m_time > kMergeWindowMs)
      return false;
    m_after = o->m_after;
    m_time = o->m_time;
    return true;
  }

 private:
  ClassroomPage* m_page;
  ClassroomPage::Tool m_tool;
  QJsonObject m_before, m_after;
  QString m_field;
  qint64 m_time;
  bool m_first = true;
};

ClassroomPage::ClassroomPage(QWidget* parent) : QWidget(parent) {
  m_presets = new QComboBox(this);
  m_presets->addItem(tr("Presets…"));
  for (const Preset& p : presets()) m_presets->addItem(QString::fromUtf8(p.name));
  m_presets->setToolTip(tr("Load a ready-made example"));
  m_presentationButton = new QToolButton(this);
  m_presentationButton->setText(tr("Presentation"));
  m_presentationButton->setCheckable(true);
  m_presentationButton->setToolTip(tr("Large fonts and thick lines, readable from the back of a lecture hall"));
  m_exportFigure = new QPushButton(tr("Export figure…"), this);
  m_exportFigure->setToolTip(tr("Save the current tool's figure as PNG, SVG or PDF"));
  m_exportTable = new QPushButton(tr("Export table…"), this);
  m_exportTable->setToolTip(tr("Save the current tool's table as CSV, Markdown or LaTeX"));
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Example:"), this));
  bar->addWidget(m_presets, 1);
  bar->addWidget(m_presentationButton);
  bar->addWidget(m_exportFigure);
  bar->addWidget(m_exportTable);

  m_undo = new QUndoStack(this);
  m_tools = new QTabWidget(this);
  m_worked = new WorkedQuantizationTool(this);
  m_divergence = new DivergenceTool(this);
  m_lm = new ExplicitLmTool(this);
  m_tools->addTab(m_worked, tr("Worked quantization"));
  m_tools->addTab(m_divergence, tr("KL / JS calculator"));
  m_tools->addTab(m_lm, tr("Explicit LM"));
  m_training = new TrainingTool(this);
  m_tools->addTab(m_training, tr("Training"));

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(bar);
  layout->addWidget(m_tools, 1);

  connect(m_presets, &QComboBox::activated, this, [this](int i) {
    if (i > 0) applyPreset(i - 1);
  });
  for (Tool t : {kWorked, kDivergence, kExplicitLm})
    connect(tool(t), &ClassroomTool::edited, this, [this, t] { recordEdit(t, {}); });
  connect(m_presentationButton, &QToolButton::toggled, this, [this](bool on) {
    setPresentation(on);
    emit presentationRequested(on);
  });
  connect(m_exportFigure, &QPushButton::clicked, this, [this] { showExportMenu(true); });
  connect(m_exportTable, &QPushButton::clicked, this, [this] { showExportMenu(false); });
#ifdef QUENCH_HAS_EXPORT_DIALOG
  for (Tool t : {kWorked, kDivergence, kExplicitLm})
    widgets::installExportMenu(tool(t)->plot(), tool(t)->fileStem() + QStringLiteral(".png"));
#endif

  // First start: one example per tool, so every tool shows something.
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) tool(t)->setLoading(true);
  applyPreset(10);  // a Markov chain drifting into the state Q gets wrong (explicit LM)
  applyPreset(6);   // coin vs loaded coin (KL/JS)
  applyPreset(1);   // two parts with saturation
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) {
    tool(t)->setLoading(false);
    tool(t)->recompute();
  }
  m_presets->setCurrentIndex(0);
  resetHistory();
}

void ClassroomPage::resetHistory() {
  m_undo->clear();
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) m_snapshot[t] = tool(t)->saveState();
}

void ClassroomPage::recordEdit(Tool t, const QString& what) {
  const QJsonObject now = tool(t)->saveState();
  if (now == m_snapshot[t]) return;
  const QStringList keys = changedKeys(m_snapshot[t], now);
  const QString field = what.isEmpty() && keys.size() == 1 ? keys.front() : QString();
  // After an undo the next edit starts a step of its own (it never merges into the step before).
  const QString mergeKey = m_undo->canRedo() ? QString() : field;
  const QString tab = m_tools->tabText(int(t));
  const QString text = !what.isEmpty() ? what
                       : field.isEmpty() ? tr("Edit %1").arg(tab)
                                         : tr("Edit %1 (%2)").arg(tab, field);
  QJsonObject before = m_snapshot[t];
  m_snapshot[t] = now;
  m_undo->push(new ClassroomEdit(this, t, std::move(before), now, mergeKey, text));
  if (what.isEmpty()) {
    // The inputs are no longer the preset's: the Example combo says so.
    m_presets->setItemText(0, tr("Custom (edited)"));
    m_presets->setCurrentIndex(0);
  }
}

void ClassroomPage::restoreTool(Tool t, const QJsonObject& state) {
  ClassroomTool* tl = tool(t);
  tl->setLoading(true);
  tl->restoreState(state);
  tl->setLoading(false);
  tl->recompute();
  m_snapshot[t] = tl->saveState();
  setCurrentTool(t);
  m_presets->setItemText(0, tr("Custom (edited)"));
  m_presets->setCurrentIndex(0);
}

QString ClassroomPage::exampleText() const { return m_presets->currentText(); }

ClassroomPage::~ClassroomPage() = default;

ClassroomTool* ClassroomPage::tool(Tool t) const {
  switch (t) {
    case kWorked: return m_worked;
    case kDivergence: return m_divergence;
    case kExplicitLm: return m_lm;
    case kTraining: return m_training;
  }
  return m_worked;
}

widgets::WorkedQuantizationView* ClassroomPage::workedView() const { return m_worked->view(); }
widgets::DivergenceCalculatorView* ClassroomPage::divergenceView() const { return m_divergence->view(); }
widgets::ExplicitLmEditor* ClassroomPage::lmEditor() const { return m_lm->editor(); }
widgets::LmDivergenceView* ClassroomPage::lmView() const { return m_lm->view(); }

// ---------------------------------------------------------------- the tools' inputs

void ClassroomPage::setWorkedInputs(const QString& values, const QString& parts, Rounding rounding,
                                    const std::vector<PartParams>& params) {
  m_worked->setInputs(values, parts, rounding, params);
}
void ClassroomPage::proposeAbsmax() { m_worked->proposeAbsmax(); }
void ClassroomPage::proposeMinMax() { m_worked->proposeMinMax(); }
void ClassroomPage::proposeEachPart(
    const std::function<Result<PartParams>(int part, std::span<const double> values)>& propose) {
  m_worked->proposeEachPart(propose);
}
QString ClassroomPage::workedCliCommand() const { return m_worked->cliCommand(); }
void ClassroomPage::setPmfInputs(const QString& p, const QString& q, bool normalize, bool bits) {
  m_divergence->setInputs(p, q, normalize, bits);
}
void ClassroomPage::setLmSettings(int length, int maxSamples, quint64 seed) { m_lm->setSettings(length, maxSamples, seed); }
bool ClassroomPage::lmBusy() const { return m_lm->busy(); }

// ---------------------------------------------------------------- presets, tools

QStringList ClassroomPage::presetNames() const {
  QStringList out;
  for (const Preset& p : presets()) out << QString::fromUtf8(p.name);
  return out;
}

bool ClassroomPage::applyPreset(int index) {
  if (index < 0 || index >= int(presets().size())) return false;
  const Preset& pr = presets()[std::size_t(index)];
  switch (pr.tool) {
    case kWorked: {
      auto x = parseWorkedValues(pr.values);
      if (!x) return false;
      auto partition = parseWorkedParts(pr.parts, std::int64_t(x->size()));
      if (!partition) return false;
      std::vector<PartParams> params = pr.typed;
      if (pr.calib != Preset::Calib::Typed) {
        const auto [lo, hi] = integerGrid(pr.bits, pr.symmetric);
        for (std::size_t j = 0; j < partition->partCount(); ++j) {
          std::vector<double> v;
          partition->forEachIndex(j, [&](std::int64_t i) { v.push_back((*x)[std::size_t(i)]); });
          auto p = pr.calib == Preset::Calib::AbsMax ? quench::proposeAbsmax(v, hi) : quench::proposeMinMax(v, lo, hi);
          if (!p) return false;
          params.push_back(*p);
        }
      }
      m_worked->setGridChoice(pr.bits, pr.symmetric);
      m_worked->setInputs(QString::fromUtf8(pr.values), QString::fromUtf8(pr.parts), pr.rounding, params);
      break;
    }
    case kDivergence:
      m_divergence->setInputs(QString::fromUtf8(pr.p), QString::fromUtf8(pr.q), false, pr.bits2);
      break;
    case kExplicitLm:
      m_lm->setModels(nlohmann::json::parse(pr.lmP), nlohmann::json::parse(pr.lmQ), pr.length);
      break;
    case kTraining:  // the Training tool has its own presets
      break;
  }
  setCurrentTool(pr.tool);
  if (pr.tool != kTraining && !tool(pr.tool)->loading()) recordEdit(pr.tool, tr("Load example “%1”").arg(QString::fromUtf8(pr.name)));
  m_presets->setItemText(0, tr("Presets…"));
  m_presets->setCurrentIndex(index + 1);
  return true;
}

ClassroomPage::Tool ClassroomPage::currentTool() const { return Tool(m_tools->currentIndex()); }
void ClassroomPage::setCurrentTool(Tool tool) { m_tools->setCurrentIndex(int(tool)); }

QString ClassroomPage::inputError(Tool t) const { return tool(t)->inputError(); }

// ---------------------------------------------------------------- presentation, export

void ClassroomPage::setPresentation(bool on) {
  m_presentation = on;
  if (m_presentationButton->isChecked() != on) {
    const QSignalBlocker block(m_presentationButton);
    m_presentationButton->setChecked(on);
  }
  const double scale = on ? widgets::kPresentationScale : 1.0;
  const QFont base = QWidget::font();
  // The page's own bar; each tool scales its inputs and views.
  for (QWidget* w : std::initializer_list<QWidget*>{m_presets, m_presentationButton, m_exportFigure, m_exportTable})
    w->setFont(widgets::scaledFont(base, scale));
  for (QLabel* l : findChildren<QLabel*>(Qt::FindDirectChildrenOnly)) l->setFont(widgets::scaledFont(base, scale));
  m_tools->tabBar()->setFont(widgets::scaledFont(base, scale, true));
  for (Tool t : {kWorked, kDivergence, kExplicitLm, kTraining}) tool(t)->setPresentation(on);
}

QString ClassroomPage::exportFigure(const QString& fileName, widgets::FigurePreset preset) {
  widgets::FigureFormat format;
  if (!widgets::formatFromFileName(fileName, &format))
    return tr("%1: unknown figure format (use .png, .svg or .pdf)").arg(fileName);
  return widgets::exportFigure(*tool(currentTool())->plot(), fileName, format, widgets::presetSize(preset));
}

QString ClassroomPage::exportTable(const QString& fileName) {
  widgets::TableFormat format;
  if (!widgets::tableFormatFromFileName(fileName, &format))
    return tr("%1: unknown table format (use .csv, .md or .tex)").arg(fileName);
  QString error;
  const QString text = tool(currentTool())->tableText(format, &error);
  if (!error.isEmpty()) return error;
  QFile file(fileName);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
    return tr("cannot write %1: %2").arg(fileName, file.errorString());
  const QByteArray bytes = text.toUtf8();
  if (file.write(bytes) != bytes.size()) return tr("cannot write %1: %2").arg(fileName, file.errorString());
  return {};
}

void ClassroomPage::showExportMenu(bool figure) {
  const QString name = tool(currentTool())->fileStem();
#ifdef QUENCH_HAS_EXPORT_DIALOG
  if (figure) {
    widgets::FigureExportDialog::openFor(tool(currentTool())->plot(), name + QStringLiteral(".png"), this);
    return;
  }
#endif
  const QString file = figure ? QFileDialog::getSaveFileName(this, tr("Export figure"), name + QStringLiteral(".png"),
                                                             tr("PNG image (*.png);;SVG (*.svg);;PDF (*.pdf)"))
                              : QFileDialog::getSaveFileName(this, tr("Export table"), name + QStringLiteral(".csv"),
                                                             tr("CSV (*.csv);;Markdown (*.md);;LaTeX tabular (*.tex)"));
  if (file.isEmpty()) return;
  const QString error = figure ? exportFigure(file) : exportTable(file);
  if (!error.isEmpty()) QMessageBox::warning(this, figure ? tr("Export figure") : tr("Export table"), error);
}

// ---------------------------------------------------------------- session

QJsonObject ClassroomPage::saveState() const {
  QJsonObject s;
  s[QStringLiteral("tool")] = int(currentTool());
  s[QStringLiteral("presentation")] = m_presentation;
  s[QStringLiteral("worked")] = m_worked->saveState();
  s[QStringLiteral("kl")] = m_divergence->saveState();
  s[QStringLiteral("lm")] = m_lm->saveState();
  s[QStringLiteral("training")] = m_training->saveState();
  return s;
}

void ClassroomPage::restoreState(const QJsonObject& s) {
  if (s.isEmpty()) return;
  m_worked->restoreState(s[QStringLiteral("worked")].toObject());
  m_divergence->restoreState(s[QStringLiteral("kl")].toObject());
  m_lm->restoreState(s[QStringLiteral("lm")].toObject());
  m_training->restoreState(s[QStringLiteral("training")].toObject());
  setCurrentTool(Tool(std::clamp(s[QStringLiteral("tool")].toInt(), 0, int(kTraining))));
  setPresentation(s[QStringLiteral("presentation")].toBool());
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) tool(t)->recompute();
  resetHistory();
}

}  // namespace quench::app
