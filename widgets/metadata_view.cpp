#include "widgets/metadata_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace quench::widgets {

namespace {
QString shortened(const QString& s, int limit) {
  return s.size() <= limit ? s : s.left(limit) + QStringLiteral("… (%1 characters)").arg(s.size());
}
}  // namespace

MetadataView::MetadataView(QWidget* parent)
    : QWidget(parent), m_title(new QLabel(this)), m_table(new QTableWidget(0, 2, this)) {
  m_title->setObjectName(QStringLiteral("metadataTitle"));
  m_title->setWordWrap(true);
  m_table->setObjectName(QStringLiteral("metadataTable"));
  m_table->setHorizontalHeaderLabels({tr("Key"), tr("Value")});
  m_table->verticalHeader()->hide();
  // Both columns share the dock's width: a long key (tied-weight aliases) must not push the value
  // out of sight. Cut text is elided; the tooltips show it whole.
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->setTextElideMode(Qt::ElideMiddle);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setWordWrap(false);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_title);
  layout->addWidget(m_table, 1);
  clear();
}

void MetadataView::setMetadata(const Metadata& metadata, const QString& title) {
  m_title->setText(metadata.empty() ? tr("%1 carries no metadata").arg(title) : title);
  m_table->setRowCount(static_cast<int>(metadata.size()));
  for (int r = 0; r < static_cast<int>(metadata.size()); ++r) {
    const QString key = QString::fromStdString(metadata[r].first);
    const QString value = QString::fromStdString(metadata[r].second);
    auto* k = new QTableWidgetItem(key);
    k->setToolTip(key);
    auto* v = new QTableWidgetItem(shortened(value, kMaxCell));
    v->setToolTip(shortened(value, kMaxToolTip));
    m_table->setItem(r, 0, k);
    m_table->setItem(r, 1, v);
  }
}

void MetadataView::clear() {
  m_title->setText(tr("No file selected"));
  m_table->setRowCount(0);
}

QString MetadataView::title() const { return m_title->text(); }

}  // namespace quench::widgets
