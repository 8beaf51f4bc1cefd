#include "widgets/text_format.h"
#include "widgets/tensor_browser.h"


#include <QHeaderView>
#include <QLineEdit>
#include <QShortcut>
#include <QStyle>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTreeView>
#include <QVBoxLayout>
#include <functional>
#include <map>

namespace quench::widgets {

namespace {

// A tensor name's path in the tree: every dotted component but the last two is a group, and the
// last two stay together as the leaf ("attn_q.weight" reads better than "attn_q ▸ weight").
QStringList groupPath(const QString& name, QString* leaf) {
  QStringList parts = name.split(QLatin1Char('.'));
  if (parts.size() <= 2) {
    *leaf = name;
    return {};
  }
  *leaf = parts[parts.size() - 2] + QLatin1Char('.') + parts.back();
  parts.resize(parts.size() - 2);
  return parts;
}

QList<QStandardItem*> makeRow(const QString& name, const QString& dtype, const QString& bits, const QString& shape,
                              std::uint64_t bytes) {
  QList<QStandardItem*> row{new QStandardItem(name), new QStandardItem(dtype), new QStandardItem(bits),
                            new QStandardItem(shape), new QStandardItem(TensorBrowser::humanBytes(bytes))};
  for (auto* item : row) item->setEditable(false);
  row[TensorBrowser::kSize]->setData(QVariant::fromValue<qulonglong>(bytes), Qt::UserRole);
  row[TensorBrowser::kSize]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  row[TensorBrowser::kBits]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return row;
}

// Group rows accumulate their children's count, bytes and elements.
struct GroupTotals {
  QStandardItem* item = nullptr;
  QStandardItem* bits = nullptr;
  QStandardItem* shape = nullptr;
  QStandardItem* size = nullptr;
  int tensors = 0;
  std::uint64_t bytes = 0;
  double elements = 0;
};

// Stored bits over elements: the true bits per weight of everything a group or file holds.
void setAverageBits(QStandardItem* item, std::uint64_t bytes, double elements) {
  if (elements <= 0) return;
  const double bits = 8.0 * static_cast<double>(bytes) / elements;
  item->setText(TensorBrowser::bitsText(bits, true));
  item->setData(bits, Qt::UserRole);
  item->setToolTip(TensorBrowser::tr("%1 bits per weight on average (stored bits over elements)")
                       .arg(bits, 0, 'g', 6));
}

QString tensorCount(int n) {
  return countedNoun(n, TensorBrowser::tr("tensor"), TensorBrowser::tr("tensors"));
}

}  // namespace

TensorBrowser::TensorBrowser(QWidget* parent)
    : QWidget(parent),
      m_filter(new QLineEdit(this)),
      m_view(new QTreeView(this)),
      m_model(new QStandardItemModel(0, kColumnCount, this)),
      m_proxy(new QSortFilterProxyModel(this)) {
  m_model->setHorizontalHeaderLabels({tr("Name"), tr("Type"), tr("Bits"), tr("Shape"), tr("Size")});
  m_model->horizontalHeaderItem(kBits)->setToolTip(tr("Bits per weight as stored, block scales and minima included"));
  m_proxy->setSourceModel(m_model);
  m_proxy->setFilterRole(kFullNameRole);
  m_proxy->setFilterKeyColumn(kName);
  m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
  m_proxy->setRecursiveFilteringEnabled(true);  // a group stays while any descendant matches
  m_proxy->setAutoAcceptChildRows(true);        // "blk.0" shows the whole group

  m_filter->setPlaceholderText(tr("Filter tensors (Ctrl+F)"));
  m_filter->setClearButtonEnabled(true);
  m_filter->setObjectName(QStringLiteral("tensorFilter"));
  connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
    m_proxy->setFilterFixedString(text);
    if (!text.isEmpty()) m_view->expandAll();
  });

  m_view->setModel(m_proxy);
  m_view->setObjectName(QStringLiteral("tensorTree"));
  m_view->setUniformRowHeights(true);
  m_view->setIndentation(14);  // model.layers.0.mlp.down_proj.weight nests five deep
  m_view->setAlternatingRowColors(true);
  m_view->setSelectionMode(QAbstractItemView::SingleSelection);
  m_view->header()->setStretchLastSection(false);
  // The name column is as wide as the longest leaf name at its depth (fitNameColumn), so "q_proj"
  // never becomes "q_…"; a narrow dock scrolls sideways, and a column the user narrows elides in
  // the middle (the tooltip has the full name).
  m_view->header()->setSectionResizeMode(kName, QHeaderView::Interactive);
  m_view->setTextElideMode(Qt::ElideMiddle);
  for (int c : {kDType, kBits, kShape, kSize})
    m_view->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& current) { onCurrentChanged(current); });

  // Ctrl+F anywhere in the window holding the browser focuses the filter (GUI.md keyboard map).
  auto* find = new QShortcut(QKeySequence::Find, this);
  find->setContext(Qt::WindowShortcut);
  connect(find, &QShortcut::activated, this, &TensorBrowser::focusFilter);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(4);
  layout->addWidget(m_filter);
  layout->addWidget(m_view);
}

QString TensorBrowser::bitsText(double bits, bool average) {
  return average ? QString::number(bits, 'f', 2) : QString::number(bits, 'g', 6);
}

QString TensorBrowser::humanBytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return tr("%1 B").arg(bytes);
  double v = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (v >= 1024.0 && unit < 4) {
    v /= 1024.0;
    ++unit;
  }
  const int decimals = v < 10 ? 2 : v < 100 ? 1 : 0;
  return QStringLiteral("%1 %2").arg(v, 0, 'f', decimals).arg(QLatin1String(kUnits[unit]));
}

int TensorBrowser::addFile(const QString& title, const QString& toolTip, const QString& format,
                           const std::vector<TensorInfo>& tensors) {
  const int fileId = m_nextFileId++;
  std::uint64_t total = 0;
  double totalElements = 0;
  for (const auto& t : tensors) {
    total += t.bytes;
    totalElements += static_cast<double>(checkedElementCount(t.shape).value_or(0));
  }
  // The format goes in the tooltip, not the dtype column: "safetensors" would widen that column
  // for every row and squeeze the names of deeply nested tensors.
  QList<QStandardItem*> fileRow = makeRow(title, QString(), QString(), tensorCount(int(tensors.size())), total);
  setAverageBits(fileRow[kBits], total, totalElements);
  QStandardItem* fileItem = fileRow[kName];
  fileItem->setToolTip(tr("%1\n%2, %3").arg(toolTip, format, tensorCount(int(tensors.size()))));
  fileItem->setData(format, kFormatRole);
  fileItem->setData(fileId, kFileIdRole);
  fileItem->setData(-1, kTensorIndexRole);
  fileItem->setData(title, kFullNameRole);
  QFont bold = fileItem->font();
  bold.setBold(true);
  fileItem->setFont(bold);

  // Groups in order of first appearance, keyed by their dotted prefix.
  std::map<QString, GroupTotals> groups;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& t = tensors[i];
    const QString name = QString::fromStdString(t.name);
    QString leaf;
    const QStringList path = groupPath(name, &leaf);
    QStandardItem* parent = fileItem;
    QString prefix;
    std::vector<GroupTotals*> chain;
    for (const QString& part : path) {
      prefix = prefix.isEmpty() ? part : prefix + QLatin1Char('.') + part;
      auto& g = groups[prefix];
      if (!g.item) {
        QList<QStandardItem*> row = makeRow(part, QString(), QString(), QString(), 0);
        g.item = row[kName];
        g.bits = row[kBits];
        g.shape = row[kShape];
        g.size = row[kSize];
        g.item->setData(fileId, kFileIdRole);
        g.item->setData(-1, kTensorIndexRole);
        g.item->setData(prefix, kFullNameRole);
        parent->appendRow(row);
      }
      chain.push_back(&g);
      parent = g.item;
    }
    const double elements = static_cast<double>(checkedElementCount(t.shape).value_or(0));
    for (GroupTotals* g : chain) {
      ++g->tensors;
      g->bytes += t.bytes;
      g->elements += elements;
    }
    const double bits = bitsPerWeight(t.dtype);
    QList<QStandardItem*> row = makeRow(leaf, QString::fromLatin1(dtypeName(t.dtype)), bitsText(bits, false),
                                        QString::fromStdString(shapeToString(t.shape)), t.bytes);
    row[kBits]->setData(bits, Qt::UserRole);
    row[kDType]->setToolTip(t.layout.empty()
                                ? tr("%1: %2 bits per weight").arg(QString::fromLatin1(dtypeName(t.dtype))).arg(bits)
                                : QString::fromStdString(t.layout));
    row[kName]->setData(fileId, kFileIdRole);
    row[kName]->setData(int(i), kTensorIndexRole);
    row[kName]->setData(name, kFullNameRole);
    row[kName]->setToolTip(t.layout.empty() ? name
                                            : name + QLatin1Char('\n') + QString::fromStdString(t.layout));
    parent->appendRow(row);
  }
  for (auto& [prefix, g] : groups) {
    g.shape->setText(tensorCount(g.tensors));
    g.size->setText(humanBytes(g.bytes));
    g.size->setData(QVariant::fromValue<qulonglong>(g.bytes), Qt::UserRole);
    setAverageBits(g.bits, g.bytes, g.elements);
  }
  m_model->appendRow(fileRow);
  const QModelIndex fileIndex = m_proxy->mapFromSource(fileItem->index());
  m_view->expand(fileIndex);
  // Open the first level of groups too, so a small model is visible at a glance.
  for (int r = 0; r < m_proxy->rowCount(fileIndex); ++r) m_view->expand(m_proxy->index(r, 0, fileIndex));
  fitNameColumn();
  return fileId;
}

int TensorBrowser::nameColumnWidthNeeded() const {
  // Every row, expanded or not: indentation by depth, the branch decoration, the text and margins.
  const QFontMetrics fm(m_view->font());
  const int margin = 2 * m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_view) + 8;
  int widest = 0;
  std::function<void(const QModelIndex&, int)> walk = [&](const QModelIndex& parent, int depth) {
    for (int r = 0; r < m_model->rowCount(parent); ++r) {
      const QModelIndex i = m_model->index(r, kName, parent);
      widest = std::max(widest, m_view->indentation() * (depth + 1) + fm.horizontalAdvance(i.data().toString()) + margin);
      walk(i, depth + 1);
    }
  };
  walk(QModelIndex(), 0);
  return widest;
}

void TensorBrowser::fitNameColumn() {
  m_view->header()->resizeSection(kName, std::max(m_view->header()->sectionSize(kName), nameColumnWidthNeeded()));
}

void TensorBrowser::clear() { m_model->removeRows(0, m_model->rowCount()); }

QStandardItem* TensorBrowser::findSource(int fileId, const QString& name) const {
  const auto hits = m_model->match(m_model->index(0, kName), kFullNameRole, name, -1,
                                   Qt::MatchExactly | Qt::MatchRecursive);
  for (const QModelIndex& h : hits)
    if (h.data(kFileIdRole).toInt() == fileId && h.data(kTensorIndexRole).toInt() >= 0)
      return m_model->itemFromIndex(h);
  return nullptr;
}

bool TensorBrowser::selectTensor(int fileId, const QString& name) {
  QStandardItem* item = findSource(fileId, name);
  if (!item) return false;
  const QModelIndex index = m_proxy->mapFromSource(item->index());
  if (!index.isValid()) return false;
  m_view->scrollTo(index);
  m_view->selectionModel()->setCurrentIndex(index,
                                            QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  return true;
}

void TensorBrowser::focusFilter() {
  m_filter->setFocus(Qt::ShortcutFocusReason);
  m_filter->selectAll();
}

void TensorBrowser::onCurrentChanged(const QModelIndex& current) {
  const QModelIndex nameIndex = current.siblingAtColumn(kName);
  const int tensorIndex = nameIndex.data(kTensorIndexRole).toInt();
  if (!nameIndex.isValid() || tensorIndex < 0) return;
  emit tensorSelected(nameIndex.data(kFileIdRole).toInt(), tensorIndex);
}

}  // namespace quench::widgets
