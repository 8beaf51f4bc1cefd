#pragma once
// The parts table of the recipe editor: one row per part of the current quantization result
// (part #, size, s, b, M or L/U, the calibrator's proposal beside each, saturated count and %,
// part MSE and SQNR). A model/view pair, no per-row widgets, so 4096 or 262144 parts stay cheap:
// rows are formatted on demand from the PartReports the window hands over.
//
// The model shows and validates; it never changes the recipe itself. A typed s, b, M, L or U that
// passes validation is announced with overrideEdited(part, the part's complete new override); the
// editor turns it into an undoable MethodParams change and hands the new overrides back with
// setOverrides(). A typed value that fails is announced with editRejected(...) and changes nothing.
#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QString>
#include <QStyledItemDelegate>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/quant/integer.h"
#include "core/quant/types.h"

namespace quench::widgets {

class PartsTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  /// Columns. "Cal" columns hold the calibrator's proposal (before overrides). The view shows
  /// kClip/kClipCal on a symmetric grid and kLow..kHighCal on an asymmetric one.
  enum Column {
    kPart = 0,
    kSize,
    kScale,
    kScaleCal,
    kZero,
    kZeroCal,
    kClip,  ///< M (symmetric grid: L = −M, U = M)
    kClipCal,
    kLow,  ///< L
    kLowCal,
    kHigh,  ///< U
    kHighCal,
    kSaturated,
    kSaturatedPct,
    kMse,
    kSqnr,
    kColumnCount
  };
  enum Role {
    kSortRole = Qt::UserRole + 1,  ///< numeric value for sorting (double)
    kOverriddenRole,               ///< bool: this cell's value was typed by hand
  };

  explicit PartsTableModel(QObject* parent = nullptr);

  /// The parts of the current result: `used` = what the quantizer used and reported, `proposed`
  /// = the calibrator's proposal per part before overrides (may be empty when unknown: then a
  /// part without override shows its used value as the proposal, an overridden part "–").
  void setParts(std::vector<PartReport> used, std::vector<PartParams> proposed);
  /// The hand-typed parameters (MethodParams::overrides); overridden cells show the typed value
  /// and are marked.
  void setOverrides(const std::map<std::size_t, PartOverride>& overrides);
  /// The code grid the typed values are checked against: k bits, symmetric or unsigned.
  void setGrid(int bits, bool symmetric);
  /// Whether s, b, M, L, U can be typed (the integer method only).
  void setEditable(bool editable);

  int partCount() const { return static_cast<int>(m_used.size()); }
  const std::vector<PartReport>& usedParts() const { return m_used; }
  const std::map<std::size_t, PartOverride>& overrides() const { return m_overrides; }
  bool isSymmetric() const { return m_symmetric; }
  int bits() const { return m_bits; }

  /// What the quantizer will use for part j: the override where typed, else the used value.
  PartParams effectiveParams(int part) const;
  /// The calibrator's proposal for part j, if known.
  std::optional<PartParams> proposedParams(int part) const;
  /// Code range allowed for L and U: symmetric [−2^(k−1), 2^(k−1) − 1], unsigned [0, 2^k − 1].
  std::pair<std::int64_t, std::int64_t> codeRange() const;
  /// Largest M of the symmetric grid: 2^(k−1) − 1.
  std::int64_t maxClip() const;

  /// Checks `text` typed into `column` (kScale, kZero, kClip, kLow, kHigh) of `part` and, when it
  /// is valid, returns the part's complete new override; else an error message for the user.
  std::optional<PartOverride> parseEdit(int part, int column, const QString& text, QString* error) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  /// Validates the typed value (see parseEdit); emits overrideEdited or editRejected and stores
  /// nothing itself.
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  /// The numeric value of a cell (what kSortRole returns; NaN for an unknown proposal), without
  /// going through QVariant: the proxy sorts 4096+ rows with it.
  double sortValue(int part, int column) const;

  /// The shortest decimal that reads back as `v` ("0.0314961", "1e-05").
  static QString formatNumber(double v);

 signals:
  void overrideEdited(int part, const quench::PartOverride& override);
  void editRejected(int part, int column, const QString& message);

 private:
  QVariant displayValue(int part, int column) const;
  bool isOverridden(int part, int column) const;

  std::vector<PartReport> m_used;
  std::vector<PartParams> m_proposed;
  std::map<std::size_t, PartOverride> m_overrides;
  int m_bits = 8;
  bool m_symmetric = true;
  bool m_editable = true;
};

/// Filter of the parts table. The text is a list of terms separated by spaces or commas:
///   "17"       part 17          "100-200"  parts 100..200 (inclusive)
///   "sat>0"    saturated count > 0 (also sat>=N, sat<N, sat=N; "sat%>1" compares the percentage)
///   "edited"   parts with an override
/// Part numbers and ranges select a union; the other terms must all hold. An empty text shows
/// every part. Sorts numerically by PartsTableModel::kSortRole.
class PartsFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT
 public:
  explicit PartsFilterProxy(QObject* parent = nullptr);

  /// Parses and applies `text`; on a syntax error keeps the previous filter and returns the
  /// message (empty on success).
  QString setFilterText(const QString& text);
  QString filterText() const { return m_text; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  struct Compare {
    bool percent = false;
    enum Op { Gt, Ge, Lt, Le, Eq } op = Gt;
    double value = 0;
  };
  QString m_text;
  std::vector<std::pair<std::int64_t, std::int64_t>> m_ranges;  // inclusive part ranges (union)
  std::vector<Compare> m_compares;
  bool m_editedOnly = false;
};

/// Editor of the s, b, M, L, U cells: a plain line edit holding the full-precision value, so that
/// any text (also "abc") reaches the model's validation and its message.
class PartValueDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
  void setEditorData(QWidget* editor, const QModelIndex& index) const override;
  void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;
};

}  // namespace quench::widgets
