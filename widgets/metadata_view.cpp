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
    : QWidget(parent), m_title(new QLabel(this)), m_table(new QTableWidget(0, kColumnCount, this)) {
  m_title->setObjectName(QStringLiteral("metadataTitle"));
  m_title->setWordWrap(true);
  m_table->setObjectName(QStringLiteral("metadataTable"));
  m_table->setHorizontalHeaderLabels({tr("Key"), tr("Type"), tr("Value")});
  m_table->horizontalHeaderItem(kType)->setToolTip(
      tr("Stored type; arrays show their element type and length, and their first elements"));
  m_table->verticalHeader()->hide();
  // Key and value share the dock's width: a long key (tied-weight aliases) must not push the
  // value out of sight. Cut text is elided; the tooltips show it whole.
  m_table->horizontalHeader()->setSectionResizeMode(kKey, QHeaderView::Stretch);
  m_table->horizontalHeader()->setSectionResizeMode(kType, QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setSectionResizeMode(kValue, QHeaderView::Stretch);
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

void MetadataView::setReader(const TensorReader& reader, const QString& title) {
  setEntries(summarizeMetadata(reader), title);
}

void MetadataView::setEntries(const std::vector<MetadataEntry>& entries, const QString& title) {
  m_title->setText(entries.empty()      ? tr("%1 carries no metadata").arg(title)
                   : entries.size() == 1 ? tr("%1 — 1 key").arg(title)
                                         : tr("%1 — %2 keys").arg(title).arg(entries.size()));
  m_table->setRowCount(static_cast<int>(entries.size()));
  bool typed = false;
  for (int r = 0; r < static_cast<int>(entries.size()); ++r) {
    const MetadataEntry& e = entries[r];
    const QString key = QString::fromStdString(e.key);
    const QString type = QString::fromStdString(e.type);
    const QString value = QString::fromStdString(e.text);
    typed = typed || !type.isEmpty();
    auto* k = new QTableWidgetItem(key);
    k->setToolTip(key);
    auto* t = new QTableWidgetItem(type);
    auto* v = new QTableWidgetItem(shortened(value, kMaxCell));
    const bool isArray = e.json.is_object() && e.json.value("type", "") == "array";
    if (isArray) {
      const auto shown = e.json["first"].size();
      const auto length = e.json["length"].get<std::uint64_t>();
      const QString what = shown < length ? tr("the first %1 of %2 elements").arg(shown).arg(length)
                                          : tr("all %1 elements").arg(length);
      t->setToolTip(tr("array of %1 %2 values").arg(length).arg(QString::fromStdString(e.json["element_type"].get<std::string>())));
      v->setToolTip(what + QStringLiteral(":\n") + shortened(value, kMaxToolTip));
    } else {
      t->setToolTip(type);
      v->setToolTip(shortened(value, kMaxToolTip));
    }
    m_table->setItem(r, kKey, k);
    m_table->setItem(r, kType, t);
    m_table->setItem(r, kValue, v);
  }
  m_table->setColumnHidden(kType, !typed);
}

void MetadataView::setMetadata(const Metadata& metadata, const QString& title) {
  std::vector<MetadataEntry> entries;
  entries.reserve(metadata.size());
  for (const auto& [key, value] : metadata) entries.push_back({key, std::string(), value, value});
  setEntries(entries, title);
}

void MetadataView::clear() {
  m_title->setText(tr("No file selected"));
  m_table->setRowCount(0);
  m_table->setColumnHidden(kType, true);
}

QString MetadataView::title() const { return m_title->text(); }

}  // namespace quench::widgets
