#include "app/gui/classroom_divergence.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "core/divergence/pmf_terms.h"
#include "widgets/divergence_calculator_view.h"

namespace quench::app {

DivergenceTool::DivergenceTool(QWidget* parent) : ClassroomTool(parent) {
  m_p = new QLineEdit(this);
  m_p->setToolTip(tr("Probabilities of P, comma-separated; fractions like 1/4 are allowed"));
  m_q = new QLineEdit(this);
  m_q->setToolTip(tr("Probabilities of Q, same outcomes in the same order"));
  m_normalize = new QCheckBox(tr("Normalise (divide each list by its sum)"), this);
  m_units = new QComboBox(this);
  m_units->addItem(tr("nats (ln)"));
  m_units->addItem(tr("bits (log₂)"));
  auto* swap = new QPushButton(tr("Swap P and Q"), this);
  QLabel* error = makeErrorLabel();
  auto* form = new QFormLayout;
  form->addRow(tr("p:"), m_p);
  form->addRow(tr("q:"), m_q);
  auto* row = new QHBoxLayout;
  row->addWidget(m_normalize);
  row->addWidget(new QLabel(tr("Units:"), this));
  row->addWidget(m_units);
  row->addStretch(1);
  row->addWidget(swap);
  m_view = new widgets::DivergenceCalculatorView(this);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(row);
  layout->addWidget(error);
  layout->addWidget(m_view, 1);
  connect(m_p, &QLineEdit::textChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_q, &QLineEdit::textChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_normalize, &QCheckBox::toggled, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_units, &QComboBox::currentIndexChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(swap, &QPushButton::clicked, this, [this] {
    const QString p = m_p->text();
    m_loading = true;
    m_p->setText(m_q->text());
    m_loading = false;
    m_q->setText(p);
  });
}

void DivergenceTool::setInputs(const QString& p, const QString& q, bool normalize, bool bits) {
  const bool outer = m_loading;
  m_loading = true;
  m_p->setText(p);
  m_q->setText(q);
  m_normalize->setChecked(normalize);
  m_units->setCurrentIndex(bits ? 1 : 0);
  m_loading = outer;
  recompute();
}

void DivergenceTool::recompute() {
  if (m_loading) return;
  auto fail = [this](const QString& why) {
    showError(why);
    m_view->clear(inputErrorHint());
  };
  auto p = parsePmfText(m_p->text().toStdString(), "p");
  if (!p) return fail(QString::fromStdString(p.error().message));
  auto q = parsePmfText(m_q->text().toStdString(), "q");
  if (!q) return fail(QString::fromStdString(q.error().message));
  const bool bits = m_units->currentIndex() == 1;
  auto t = pmfTerms(*p, *q, m_normalize->isChecked(), bits);
  if (!t) {
    // checkPmf speaks the CLI's language; point at the check box instead.
    QString msg = QString::fromStdString(t.error().message);
    msg.replace(QLatin1String("use --normalize to rescale"), tr("tick Normalise to rescale"));
    return fail(msg);
  }
  showError({});
  const QString title = tr("KL and JS of p = (%1) and q = (%2), %3")
                            .arg(m_p->text().simplified(), m_q->text().simplified(), bits ? tr("bits") : tr("nats"));
  m_view->setTerms(*t, title);
}

QCustomPlot* DivergenceTool::plot() const { return m_view->plot(); }

QString DivergenceTool::tableText(widgets::TableFormat format, QString* error) const {
  if (m_view->rowCount() == 0) {
    *error = tr("nothing to export: %1").arg(inputError());
    return {};
  }
  return widgets::formatTable(m_view->table(), format);
}

QJsonObject DivergenceTool::saveState() const {
  QJsonObject kl;
  kl[QStringLiteral("p")] = m_p->text();
  kl[QStringLiteral("q")] = m_q->text();
  kl[QStringLiteral("normalize")] = m_normalize->isChecked();
  kl[QStringLiteral("bits")] = m_units->currentIndex() == 1;
  return kl;
}

void DivergenceTool::restoreState(const QJsonObject& kl) {
  if (kl.isEmpty()) return;
  const bool outer = m_loading;
  m_loading = true;
  m_p->setText(kl[QStringLiteral("p")].toString());
  m_q->setText(kl[QStringLiteral("q")].toString());
  m_normalize->setChecked(kl[QStringLiteral("normalize")].toBool());
  m_units->setCurrentIndex(kl[QStringLiteral("bits")].toBool() ? 1 : 0);
  m_loading = outer;
}

QList<QWidget*> DivergenceTool::selfScaling() const { return {m_view}; }

void DivergenceTool::presentationChanged(bool on, double) { m_view->setPresentation(on); }

}  // namespace quench::app
