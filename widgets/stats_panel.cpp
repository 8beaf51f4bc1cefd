#include "widgets/text_format.h"
#include "widgets/stats_panel.h"

#include <QFormLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace quench::widgets {

namespace {
const char* const kObjectNames[] = {"count", "min", "max", "mean", "std", "absmax", "nan", "inf"};
const QString kEmpty = QStringLiteral("–");
}  // namespace

StatsPanel::StatsPanel(QWidget* parent) : QWidget(parent), m_heading(new QLabel(this)) {
  const QString labels[] = {tr("Count (finite)"),   tr("Min"),     tr("Max"), tr("Mean"),
                            tr("Std (population)"), tr("Abs max"), tr("NaN"), tr("Inf")};
  const QString tips[] = {tr("Number of finite values; NaN and Inf are counted apart"),
                          tr("Smallest finite value"),
                          tr("Largest finite value"),
                          tr("μ = Σx / N over the finite values"),
                          tr("σ = √(Σ(x − μ)² / N)"),
                          tr("max |x| over the finite values: the absmax calibration's clip point"),
                          tr("Values that are not a number"),
                          tr("Values that are +∞ or −∞")};
  m_heading->setObjectName(QStringLiteral("statsHeading"));
  m_heading->setWordWrap(true);
  m_heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont bold = m_heading->font();
  bold.setBold(true);
  m_heading->setFont(bold);

  auto* form = new QFormLayout;
  form->setLabelAlignment(Qt::AlignLeft);
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  for (int f = 0; f < kFieldCount; ++f) {
    auto* value = new QLabel(kEmpty, this);
    value->setObjectName(QString::fromLatin1(kObjectNames[f]));
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    value->setToolTip(tips[f]);
    auto* label = new QLabel(labels[f], this);
    label->setToolTip(tips[f]);
    form->addRow(label, value);
    m_values[f] = value;
  }
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_heading);
  layout->addLayout(form);
  layout->addStretch(1);
  clear();
}

QString StatsPanel::formatValue(double v) { return QString::number(v, 'g', 6); }

QString StatsPanel::formatCount(std::uint64_t n) { return widgets::formatCount(qint64(n)); }

void StatsPanel::setSummary(const Summary& s, const QString& heading) {
  m_heading->setText(heading);
  m_values[kCount]->setText(formatCount(s.count));
  const bool any = s.count > 0;  // min/max/... are meaningless without a finite value
  m_values[kMin]->setText(any ? formatValue(s.min) : kEmpty);
  m_values[kMax]->setText(any ? formatValue(s.max) : kEmpty);
  m_values[kMean]->setText(any ? formatValue(s.mean) : kEmpty);
  m_values[kStd]->setText(any ? formatValue(s.std) : kEmpty);
  m_values[kAbsMax]->setText(any ? formatValue(s.absmax) : kEmpty);
  m_values[kNaN]->setText(formatCount(s.nan));
  m_values[kInf]->setText(formatCount(s.inf));
}

void StatsPanel::clear() {
  m_heading->setText(tr("No tensor selected"));
  for (QLabel* v : m_values) v->setText(kEmpty);
}

QString StatsPanel::text(Field field) const { return m_values[field]->text(); }
QString StatsPanel::heading() const { return m_heading->text(); }

}  // namespace quench::widgets
