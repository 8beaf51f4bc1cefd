#include "widgets/parts_table_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QLineEdit>
#include <QRegularExpression>
#include <charconv>
#include <cmath>
#include <limits>

namespace quench::widgets {

namespace {

// Okabe–Ito orange, faint, behind a cell typed by hand; the proposal columns in grey.
const QColor kOverriddenBackground(0xE6, 0x9F, 0x00, 70);
const QColor kProposalText(0x70, 0x70, 0x70);

bool isEditableColumn(int c) {
  return c == PartsTableModel::kScale || c == PartsTableModel::kZero || c == PartsTableModel::kClip ||
         c == PartsTableModel::kLow || c == PartsTableModel::kHigh;
}

// Parses an integer the user typed; accepts "12", "-3", "+4" and "5.0" (an integral value).
std::optional<std::int64_t> parseInteger(const QString& text) {
  const QString t = text.trimmed();
  bool ok = false;
  const qlonglong v = t.toLongLong(&ok);
  if (ok) return v;
  const double d = t.toDouble(&ok);
  if (ok && std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  return std::nullopt;
}

QString sqnrText(double db) {
  if (std::isinf(db)) return db > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  return QString::number(db, 'f', 2);
}

}  // namespace

PartsTableModel::PartsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

QString PartsTableModel::formatNumber(double v) {
  if (std::isnan(v)) return QStringLiteral("NaN");
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return QString::number(v, 'g', 17);
  return QString::fromLatin1(buf, static_cast<int>(ptr - buf));
}

void PartsTableModel::setParts(std::vector<PartReport> used, std::vector<PartParams> proposed) {
  if (used.size() == m_used.size()) {
    // Same parts (a re-quantization after a parameter change): keep selection, sorting and any
    // open editor; only the values change. Part numbers cannot: leaving column 0 out of the
    // range spares the proxy a re-sort of every row when the table is sorted by part.
    m_used = std::move(used);
    m_proposed = std::move(proposed);
    if (!m_used.empty()) emit dataChanged(index(0, kSize), index(rowCount() - 1, kColumnCount - 1));
    return;
  }
  beginResetModel();
  m_used = std::move(used);
  m_proposed = std::move(proposed);
  endResetModel();
}

void PartsTableModel::setOverrides(const std::map<std::size_t, PartOverride>& overrides) {
  if (overrides == m_overrides) return;
  // Rows whose override appeared, changed or vanished.
  std::vector<std::size_t> rows;
  for (const auto& [j, o] : overrides) {
    auto it = m_overrides.find(j);
    if (it == m_overrides.end() || !(it->second == o)) rows.push_back(j);
  }
  for (const auto& [j, o] : m_overrides)
    if (!overrides.count(j)) rows.push_back(j);
  m_overrides = overrides;
  const auto n = static_cast<std::size_t>(rowCount());
  if (rows.size() > 64) {
    if (n > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, kColumnCount - 1));
    return;
  }
  for (std::size_t j : rows)
    if (j < n) emit dataChanged(index(static_cast<int>(j), 0), index(static_cast<int>(j), kColumnCount - 1));
}

void PartsTableModel::setGrid(int bits, bool symmetric) {
  if (bits == m_bits && symmetric == m_symmetric) return;
  m_bits = bits;
  m_symmetric = symmetric;
  if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, kColumnCount - 1));
}

void PartsTableModel::setEditable(bool editable) {
  if (editable == m_editable) return;
  m_editable = editable;
  if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, kColumnCount - 1));
}

PartParams PartsTableModel::effectiveParams(int part) const {
  PartParams p = m_used.at(static_cast<std::size_t>(part)).params;
  if (auto it = m_overrides.find(static_cast<std::size_t>(part)); it != m_overrides.end()) {
    const PartOverride& o = it->second;
    if (o.scale) p.scale = *o.scale;
    if (o.zeroPoint) p.zeroPoint = *o.zeroPoint;
    if (o.clipLow) p.clipLow = *o.clipLow;
    if (o.clipHigh) p.clipHigh = *o.clipHigh;
  }
  return p;
}

std::optional<PartParams> PartsTableModel::proposedParams(int part) const {
  const auto j = static_cast<std::size_t>(part);
  if (j < m_proposed.size()) return m_proposed[j];
  if (j < m_used.size() && !m_overrides.count(j)) return m_used[j].params;
  return std::nullopt;
}

std::pair<std::int64_t, std::int64_t> PartsTableModel::codeRange() const {
  const std::int64_t half = std::int64_t{1} << (m_bits - 1);
  if (m_symmetric) return {-half, half - 1};
  return {0, 2 * half - 1};
}

std::int64_t PartsTableModel::maxClip() const { return (std::int64_t{1} << (m_bits - 1)) - 1; }

bool PartsTableModel::isOverridden(int part, int column) const {
  auto it = m_overrides.find(static_cast<std::size_t>(part));
  if (it == m_overrides.end()) return false;
  const PartOverride& o = it->second;
  switch (column) {
    case kScale: return o.scale.has_value();
    case kZero: return o.zeroPoint.has_value();
    case kClip: return o.clipLow.has_value() || o.clipHigh.has_value();
    case kLow: return o.clipLow.has_value();
    case kHigh: return o.clipHigh.has_value();
    default: return false;
  }
}

std::optional<PartOverride> PartsTableModel::parseEdit(int part, int column, const QString& text,
                                                       QString* error) const {
  auto fail = [&](const QString& message) -> std::optional<PartOverride> {
    if (error) *error = QStringLiteral("part %1: %2").arg(part).arg(message);
    return std::nullopt;
  };
  if (part < 0 || part >= rowCount()) return fail(QStringLiteral("no such part"));
  PartOverride o;
  if (auto it = m_overrides.find(static_cast<std::size_t>(part)); it != m_overrides.end()) o = it->second;
  const PartParams cur = effectiveParams(part);
  const QString shown = text.trimmed();
  switch (column) {
    case kScale: {
      bool ok = false;
      const double s = shown.toDouble(&ok);
      if (!ok || !std::isfinite(s) || !(s > 0))
        return fail(QStringLiteral("s must be a positive finite number, got '%1'").arg(shown));
      o.scale = s;
      return o;
    }
    case kZero: {
      const auto b = parseInteger(shown);
      constexpr std::int64_t kLimit = std::numeric_limits<std::int32_t>::max();
      if (!b || *b < -kLimit || *b > kLimit)
        return fail(QStringLiteral("b must be an integer (|b| < 2^31), got '%1'").arg(shown));
      o.zeroPoint = *b;
      return o;
    }
    case kClip: {
      const auto m = parseInteger(shown);
      if (!m || *m < 1 || *m > maxClip())
        return fail(QStringLiteral("M must be an integer in [1, %1] for %2 bits, got '%3'")
                        .arg(maxClip())
                        .arg(m_bits)
                        .arg(shown));
      o.clipLow = -*m;
      o.clipHigh = *m;
      return o;
    }
    case kLow:
    case kHigh: {
      const auto v = parseInteger(shown);
      const auto [lo, hi] = codeRange();
      const QString name = column == kLow ? QStringLiteral("L") : QStringLiteral("U");
      if (!v || *v < lo || *v > hi)
        return fail(QStringLiteral("%1 must be an integer in [%2, %3] for %4 bits, got '%5'")
                        .arg(name)
                        .arg(lo)
                        .arg(hi)
                        .arg(m_bits)
                        .arg(shown));
      if (column == kLow && *v > cur.clipHigh)
        return fail(QStringLiteral("L = %1 exceeds U = %2").arg(*v).arg(cur.clipHigh));
      if (column == kHigh && *v < cur.clipLow)
        return fail(QStringLiteral("U = %1 is below L = %2").arg(*v).arg(cur.clipLow));
      // Both ends are stored, so the pair stays L ≤ U whatever the calibrator proposes later.
      o.clipLow = column == kLow ? *v : cur.clipLow;
      o.clipHigh = column == kHigh ? *v : cur.clipHigh;
      return o;
    }
    default: return fail(QStringLiteral("this column cannot be edited"));
  }
}

int PartsTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_used.size());
}

int PartsTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kColumnCount; }

double PartsTableModel::sortValue(int part, int column) const {
  const PartReport& r = m_used[static_cast<std::size_t>(part)];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  switch (column) {  // the figures first: no override lookup
    case kPart: return part;
    case kSize: return static_cast<double>(r.size);
    case kSaturated: return static_cast<double>(r.saturated);
    case kSaturatedPct: return r.size ? 100.0 * static_cast<double>(r.saturated) / static_cast<double>(r.size) : 0.0;
    case kMse: return r.figures.mse;
    case kSqnr: return r.figures.sqnrDb;
    default: break;
  }
  if (column == kScaleCal || column == kZeroCal || column == kClipCal || column == kLowCal || column == kHighCal) {
    const std::optional<PartParams> p = proposedParams(part);
    if (!p) return nan;
    switch (column) {
      case kScaleCal: return p->scale;
      case kZeroCal: return static_cast<double>(p->zeroPoint);
      case kLowCal: return static_cast<double>(p->clipLow);
      default: return static_cast<double>(p->clipHigh);  // kClipCal, kHighCal
    }
  }
  const PartParams e = effectiveParams(part);
  switch (column) {
    case kScale: return e.scale;
    case kZero: return static_cast<double>(e.zeroPoint);
    case kLow: return static_cast<double>(e.clipLow);
    case kClip:
    case kHigh: return static_cast<double>(e.clipHigh);
    default: return nan;
  }
}

QVariant PartsTableModel::displayValue(int part, int column) const {
  const double v = sortValue(part, column);
  switch (column) {
    case kScale:
    case kScaleCal: return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'g', 6);
    case kSaturatedPct: return QString::number(v, 'f', 2);
    case kMse: return QString::number(v, 'g', 4);
    case kSqnr: return sqnrText(v);
    default:
      if (std::isnan(v)) return QStringLiteral("–");
      return QString::number(static_cast<qlonglong>(v));
  }
}

QVariant PartsTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= kColumnCount) return {};
  const int part = index.row(), column = index.column();
  switch (role) {
    case Qt::DisplayRole: return displayValue(part, column);
    case Qt::EditRole: {
      const PartParams e = effectiveParams(part);
      switch (column) {
        case kScale: return formatNumber(e.scale);
        case kZero: return QString::number(e.zeroPoint);
        case kClip:
        case kHigh: return QString::number(e.clipHigh);
        case kLow: return QString::number(e.clipLow);
        default: return displayValue(part, column);
      }
    }
    case kSortRole: return sortValue(part, column);
    case kOverriddenRole: return isOverridden(part, column);
    case Qt::TextAlignmentRole: return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole:
      if (isOverridden(part, column)) return QBrush(kOverriddenBackground);
      return {};
    case Qt::ForegroundRole:
      if (column == kScaleCal || column == kZeroCal || column == kClipCal || column == kLowCal ||
          column == kHighCal)
        return QBrush(kProposalText);
      return {};
    case Qt::FontRole:
      if (isOverridden(part, column)) {
        QFont f;
        f.setBold(true);
        return f;
      }
      return {};
    case Qt::ToolTipRole: {
      if (!isOverridden(part, column)) return {};
      const std::optional<PartParams> p = proposedParams(part);
      QString proposal = QStringLiteral("unknown");
      if (p) {
        switch (column) {
          case kScale: proposal = formatNumber(p->scale); break;
          case kZero: proposal = QString::number(p->zeroPoint); break;
          case kClip:
          case kHigh: proposal = QString::number(p->clipHigh); break;
          case kLow: proposal = QString::number(p->clipLow); break;
          default: break;
        }
      }
      return QStringLiteral("typed by hand; the calibrator proposes %1").arg(proposal);
    }
    default: return {};
  }
}

QVariant PartsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::DisplayRole) {
    switch (section) {
      case kPart: return QStringLiteral("part");
      case kSize: return QStringLiteral("size");
      case kScale: return QStringLiteral("s");
      case kScaleCal: return QStringLiteral("s cal.");
      case kZero: return QStringLiteral("b");
      case kZeroCal: return QStringLiteral("b cal.");
      case kClip: return QStringLiteral("M");
      case kClipCal: return QStringLiteral("M cal.");
      case kLow: return QStringLiteral("L");
      case kLowCal: return QStringLiteral("L cal.");
      case kHigh: return QStringLiteral("U");
      case kHighCal: return QStringLiteral("U cal.");
      case kSaturated: return QStringLiteral("sat");
      case kSaturatedPct: return QStringLiteral("sat %");
      case kMse: return QStringLiteral("MSE");
      case kSqnr: return QStringLiteral("SQNR dB");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case kPart: return QStringLiteral("part index j (rows, columns or groups of the partition, in order)");
      case kSize: return QStringLiteral("elements in part j");
      case kScale: return QStringLiteral("scale s_j > 0 used (stored format): n = clip(round(x/s) + b, L, U), x̃ = s·(n − b). Type to override");
      case kScaleCal: return QStringLiteral("the calibrator's proposal for s_j (absmax: s = max|x| / M)");
      case kZero: return QStringLiteral("zero point b_j ∈ ℤ: n = clip(round(x/s) + b, L, U). Type to override");
      case kZeroCal: return QStringLiteral("the calibrator's proposal for b_j (min-max: b = round(−min / s))");
      case kClip: return QStringLiteral("clipping value M_j: L = −M, U = M (k-bit symmetric grid: M = 2^(k−1) − 1). Type to override");
      case kClipCal: return QStringLiteral("the calibrator's proposal for M_j");
      case kLow: return QStringLiteral("lower clip L_j of the code: n = clip(round(x/s) + b, L, U). Type to override");
      case kLowCal: return QStringLiteral("the calibrator's proposal for L_j");
      case kHigh: return QStringLiteral("upper clip U_j of the code (unsigned k-bit grid: U = 2^k − 1). Type to override");
      case kHighCal: return QStringLiteral("the calibrator's proposal for U_j");
      case kSaturated: return QStringLiteral("saturated elements: round(x/s) + b outside [L, U] before clipping");
      case kSaturatedPct: return QStringLiteral("saturated / size · 100");
      case kMse: return QStringLiteral("MSE = Σ(x − x̃)² / N over the part");
      case kSqnr: return QStringLiteral("SQNR = 10·log10(Σx² / Σ(x − x̃)²) dB over the part");
      default: return {};
    }
  }
  return {};
}

Qt::ItemFlags PartsTableModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  if (m_editable && isEditableColumn(index.column())) f |= Qt::ItemIsEditable;
  return f;
}

bool PartsTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || !index.isValid() || !m_editable || !isEditableColumn(index.column())) return false;
  QString error;
  const auto o = parseEdit(index.row(), index.column(), value.toString(), &error);
  if (!o) {
    emit editRejected(index.row(), index.column(), error);
    return false;
  }
  emit overrideEdited(index.row(), *o);
  return true;
}

// ---------------------------------------------------------------------------------------------

PartsFilterProxy::PartsFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(PartsTableModel::kSortRole);
}

QString PartsFilterProxy::setFilterText(const QString& text) {
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  std::vector<Compare> compares;
  bool editedOnly = false;
  static const QRegularExpression kSplit(QStringLiteral("[\\s,;]+"));
  static const QRegularExpression kRange(QStringLiteral("^(\\d+)\\s*-\\s*(\\d+)$"));
  static const QRegularExpression kNumber(QStringLiteral("^\\d+$"));
  static const QRegularExpression kCompare(QStringLiteral("^sat(%?)\\s*(>=|<=|>|<|==|=)\\s*([0-9.eE+-]+)$"));
  // "100 - 200" typed with spaces: glue the dash to its neighbours before splitting.
  QString normalized = text.trimmed();
  normalized.replace(QRegularExpression(QStringLiteral("\\s*-\\s*")), QStringLiteral("-"));
  normalized.replace(QRegularExpression(QStringLiteral("\\s*(>=|<=|==|>|<|=)\\s*")), QStringLiteral("\\1"));
  for (const QString& term : normalized.split(kSplit, Qt::SkipEmptyParts)) {
    const QString t = term.toLower();
    if (kNumber.match(t).hasMatch()) {
      bool ok = false;
      const qlonglong v = t.toLongLong(&ok);
      if (!ok) return QStringLiteral("filter: part number '%1' is too large").arg(term);
      ranges.emplace_back(v, v);
    } else if (auto m = kRange.match(t); m.hasMatch()) {
      bool ok1 = false, ok2 = false;
      const qlonglong a = m.captured(1).toLongLong(&ok1), b = m.captured(2).toLongLong(&ok2);
      if (!ok1 || !ok2) return QStringLiteral("filter: range '%1' is too large").arg(term);
      if (a > b) return QStringLiteral("filter: range '%1' runs backwards (write %2-%3)").arg(term).arg(b).arg(a);
      ranges.emplace_back(a, b);
    } else if (auto c = kCompare.match(t); c.hasMatch()) {
      Compare cmp;
      cmp.percent = !c.captured(1).isEmpty();
      const QString op = c.captured(2);
      cmp.op = op == QLatin1String(">")    ? Compare::Gt
               : op == QLatin1String(">=") ? Compare::Ge
               : op == QLatin1String("<")  ? Compare::Lt
               : op == QLatin1String("<=") ? Compare::Le
                                           : Compare::Eq;
      bool ok = false;
      cmp.value = c.captured(3).toDouble(&ok);
      if (!ok || !std::isfinite(cmp.value)) return QStringLiteral("filter: '%1' is not a number").arg(c.captured(3));
      compares.push_back(cmp);
    } else if (t == QLatin1String("edited") || t == QLatin1String("override") || t == QLatin1String("overridden")) {
      editedOnly = true;
    } else {
      return QStringLiteral("filter: cannot read '%1' (use 17, 100-200, sat>0, sat%>1 or edited)").arg(term);
    }
  }
  m_text = text;
  m_ranges = std::move(ranges);
  m_compares = std::move(compares);
  m_editedOnly = editedOnly;
  invalidateFilter();
  return {};
}

bool PartsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex&) const {
  const auto* model = qobject_cast<const PartsTableModel*>(sourceModel());
  if (!model || sourceRow >= model->partCount()) return true;
  if (!m_ranges.empty()) {
    bool in = false;
    for (const auto& [a, b] : m_ranges)
      if (sourceRow >= a && sourceRow <= b) {
        in = true;
        break;
      }
    if (!in) return false;
  }
  if (m_editedOnly && !model->overrides().count(static_cast<std::size_t>(sourceRow))) return false;
  if (!m_compares.empty()) {
    const PartReport& r = model->usedParts()[static_cast<std::size_t>(sourceRow)];
    for (const Compare& c : m_compares) {
      const double v = c.percent ? (r.size ? 100.0 * static_cast<double>(r.saturated) / static_cast<double>(r.size) : 0.0)
                                 : static_cast<double>(r.saturated);
      bool ok = false;
      switch (c.op) {
        case Compare::Gt: ok = v > c.value; break;
        case Compare::Ge: ok = v >= c.value; break;
        case Compare::Lt: ok = v < c.value; break;
        case Compare::Le: ok = v <= c.value; break;
        case Compare::Eq: ok = v == c.value; break;
      }
      if (!ok) return false;
    }
  }
  return true;
}

bool PartsFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const auto* model = qobject_cast<const PartsTableModel*>(sourceModel());
  if (!model) return QSortFilterProxyModel::lessThan(left, right);
  const double a = model->sortValue(left.row(), left.column());
  const double b = model->sortValue(right.row(), right.column());
  if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);  // unknowns last
  if (a != b) return a < b;
  return left.row() < right.row();
}

// ---------------------------------------------------------------------------------------------

QWidget* PartValueDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const {
  auto* edit = new QLineEdit(parent);
  edit->setFrame(false);
  return edit;
}

void PartValueDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
  if (auto* edit = qobject_cast<QLineEdit*>(editor)) {
    edit->setText(index.data(Qt::EditRole).toString());
    edit->selectAll();
  }
}

void PartValueDelegate::setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const {
  if (auto* edit = qobject_cast<QLineEdit*>(editor)) {
    // Unchanged text is not an edit (opening and closing a cell must not create an override).
    if (edit->text().trimmed() == index.data(Qt::EditRole).toString()) return;
    model->setData(index, edit->text(), Qt::EditRole);
  }
}

}  // namespace quench::widgets
