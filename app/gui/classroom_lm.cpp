#include "app/gui/progress_text.h"
#include "app/gui/classroom_lm.h"

#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "app/gui/job_runner.h"
#include "widgets/explicit_lm_editor.h"
#include "widgets/lm_divergence_view.h"

namespace quench::app {
namespace {

// Core messages speak the CLI's language; in the page the fix is a control, not a flag.
QString lmMessage(const std::string& core) {
  QString m = QString::fromStdString(core);
  m.replace(QLatin1String("use --normalize to rescale"), QObject::tr("Normalise rows rescales them"));
  m.replace(QLatin1String("use a shorter --length"), QObject::tr("use a shorter length n"));
  return m;
}

}  // namespace

ExplicitLmTool::ExplicitLmTool(QWidget* parent) : ClassroomTool(parent) {
  m_editor = new widgets::ExplicitLmEditor(this);
  m_length = new QSpinBox(this);
  m_length->setRange(1, 24);
  m_length->setValue(4);
  m_length->setToolTip(tr("Sequence length n: the exact figures enumerate V^n sequences"));
  m_samples = new QSpinBox(this);
  m_samples->setRange(10, 1000000);
  m_samples->setValue(20000);
  m_samples->setSingleStep(1000);
  m_samples->setToolTip(tr("Largest number of sequences sampled from P for the running estimate"));
  m_seed = new QSpinBox(this);
  m_seed->setRange(0, 1 << 30);
  m_seed->setValue(1);
  QLabel* error = makeErrorLabel();
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Length n:"), this));
  row->addWidget(m_length);
  row->addWidget(new QLabel(tr("samples up to:"), this));
  row->addWidget(m_samples);
  row->addWidget(new QLabel(tr("seed:"), this));
  row->addWidget(m_seed);
  row->addStretch(1);
  m_view = new widgets::LmDivergenceView(this);
  auto* split = new QSplitter(Qt::Horizontal, this);
  auto* left = new QWidget(split);
  auto* ll = new QVBoxLayout(left);
  ll->setContentsMargins(0, 0, 0, 0);
  ll->addWidget(m_editor, 1);
  ll->addLayout(row);
  ll->addWidget(error);
  split->addWidget(left);
  split->addWidget(m_view);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split, 1);

  m_timer = new QTimer(this);
  m_timer->setSingleShot(true);
  m_timer->setInterval(150);
  connect(m_timer, &QTimer::timeout, this, [this] { recompute(); });
  m_jobs = new JobRunner(JobPolicy::Supersede, this);
  // A large run (V^n sequences, many samples) says how far it is and how long it has left.
  connect(m_jobs, &JobRunner::progressChanged, this, [this](double f) {
    if (m_jobs->isRunning()) m_view->setStatus(tr("computing… %1").arg(progressText(f, m_started.elapsed())));
  });
  connect(m_editor, &widgets::ExplicitLmEditor::edited, this, [this] {
    schedule();
    noteEdit();
  });
  for (QSpinBox* s : {m_length, m_samples, m_seed})
    connect(s, &QSpinBox::valueChanged, this, [this] {
      schedule();
      noteEdit();
    });
}

ExplicitLmTool::~ExplicitLmTool() { m_jobs->shutdown(); }

void ExplicitLmTool::setSettings(int length, int maxSamples, quint64 seed) {
  const bool outer = m_loading;
  m_loading = true;
  m_length->setValue(length);
  m_samples->setValue(maxSamples);
  m_seed->setValue(int(seed));
  m_loading = outer;
  recompute();
}

// Busy until the result has been applied on the GUI thread.
bool ExplicitLmTool::busy() const { return m_jobs->isRunning() || m_timer->isActive(); }

void ExplicitLmTool::schedule() {
  if (m_loading) return;
  m_timer->start();
}

void ExplicitLmTool::recompute() {
  if (m_loading) return;
  m_timer->stop();
  // Newest request wins: the running computation is superseded by the new one, or dropped when
  // the new inputs are invalid (their error is what the page shows).
  m_jobs->discard();
  nlohmann::json pj, qj;
  QString error;
  if (!m_editor->modelJson(widgets::ExplicitLmEditor::kP, &pj, &error) ||
      !m_editor->modelJson(widgets::ExplicitLmEditor::kQ, &qj, &error)) {
    showError(error);
    m_view->clear(inputErrorHint());
    return;
  }
  auto p = ExplicitLm::fromJson(pj, "P");
  if (!p) {
    showError(lmMessage(p.error().message));
    m_view->clear(inputErrorHint());
    return;
  }
  auto q = ExplicitLm::fromJson(qj, "Q");
  if (!q) {
    showError(lmMessage(q.error().message));
    m_view->clear(inputErrorHint());
    return;
  }
  const std::size_t length = std::size_t(m_length->value());
  const std::size_t samples = std::size_t(m_samples->value());
  const std::uint64_t seed = std::uint64_t(m_seed->value());
  showError({});
  m_view->setStatus(tr("computing…"));
  m_started.start();
  JobCallbacks<Outcome> done;
  done.result = [this](const Outcome& out) { apply(out); };
  done.failed = [this](const QString& what) {
    showError(what);
    m_view->clear(inputErrorHint());
  };
  m_jobs->start<Outcome>(
      [p = std::move(*p), q = std::move(*q), length, samples, seed](QPromise<Outcome>& promise, std::stop_token stop) {
        Outcome out;
        out.length = length;
        out.seed = seed;
        // Progress: the enumeration is the first half, the sampled curve the second.
        auto exact = exactLmDivergence(p, q, length, promiseWork(promise, stop, 0.0, 0.5));
        if (!exact) {
          out.cancelled = stop.stop_requested();
          out.error = lmMessage(exact.error().message);
          return out;
        }
        out.exact = std::move(*exact);
        auto curve = sampledLmKlCurve(p, q, length, samples, seed, 8, promiseWork(promise, stop, 0.5, 0.5));
        if (!curve) {
          out.cancelled = stop.stop_requested();
          out.error = QString::fromStdString(curve.error().message);
          return out;
        }
        out.curve = std::move(*curve);
        return out;
      },
      done);
}

void ExplicitLmTool::apply(const Outcome& out) {
  if (out.cancelled) return;
  if (!out.exact) {
    showError(out.error);
    m_view->clear(inputErrorHint());
    return;
  }
  const QStringList vocab = m_editor->vocab();
  const QString title = tr("Explicit LMs over {%1}, context k = %2, n = %3: sampled KL converging to the exact value")
                            .arg(vocab.join(QLatin1String(", ")))
                            .arg(m_editor->contextLength())
                            .arg(out.length);
  m_view->setExact(*out.exact, out.length, title);
  if (!out.error.isEmpty())
    m_view->setStatus(out.error, true);
  else
    m_view->setCurve(out.curve, out.seed);
}

void ExplicitLmTool::setModels(const nlohmann::json& p, const nlohmann::json& q, int length) {
  const bool outer = m_loading;
  m_loading = true;
  m_editor->setModels(p, q);
  m_length->setValue(length);
  m_loading = outer;
  recompute();
}

QCustomPlot* ExplicitLmTool::plot() const { return m_view->plot(); }

QString ExplicitLmTool::tableText(widgets::TableFormat format, QString* error) const {
  if (m_view->rowCount() == 0) {
    *error = tr("nothing to export yet");
    return {};
  }
  return widgets::formatTable(m_view->table(), format);
}

QJsonObject ExplicitLmTool::saveState() const {
  QJsonObject lm;
  nlohmann::json pj, qj;
  QString error;
  if (m_editor->modelJson(widgets::ExplicitLmEditor::kP, &pj, &error) &&
      m_editor->modelJson(widgets::ExplicitLmEditor::kQ, &qj, &error)) {
    lm[QStringLiteral("p")] = QJsonDocument::fromJson(QByteArray::fromStdString(pj.dump())).object();
    lm[QStringLiteral("q")] = QJsonDocument::fromJson(QByteArray::fromStdString(qj.dump())).object();
  }
  lm[QStringLiteral("length")] = m_length->value();
  lm[QStringLiteral("samples")] = m_samples->value();
  lm[QStringLiteral("seed")] = m_seed->value();
  return lm;
}

void ExplicitLmTool::restoreState(const QJsonObject& lm) {
  if (lm.isEmpty()) return;
  const bool outer = m_loading;
  m_loading = true;
  const QJsonObject p = lm[QStringLiteral("p")].toObject(), q = lm[QStringLiteral("q")].toObject();
  if (!p.isEmpty() && !q.isEmpty()) {
    const QString err =
        m_editor->setModels(nlohmann::json::parse(QJsonDocument(p).toJson().toStdString(), nullptr, false),
                            nlohmann::json::parse(QJsonDocument(q).toJson().toStdString(), nullptr, false));
    showError(err);
  }
  m_length->setValue(lm[QStringLiteral("length")].toInt(m_length->value()));
  m_samples->setValue(lm[QStringLiteral("samples")].toInt(m_samples->value()));
  m_seed->setValue(lm[QStringLiteral("seed")].toInt(m_seed->value()));
  m_loading = outer;
}

QList<QWidget*> ExplicitLmTool::selfScaling() const { return {m_view, m_editor}; }

void ExplicitLmTool::presentationChanged(bool on, double) {
  m_view->setPresentation(on);
  m_editor->setPresentation(on);
}

}  // namespace quench::app
