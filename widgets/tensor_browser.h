#pragma once
// Files and their tensors as a tree: one top-level node per open file, tensors grouped by their
// dotted name prefix (blk.0.attn_q.weight → blk ▸ 0 ▸ attn_q.weight), a filter box above. Each
// tensor shows its stored type (F32, BF16, Q4_K, IQ2_XS, ...) and its true bits per weight (block
// scales included: Q4_K 4.5); groups and files show the bits per weight of all they hold.
#include <QWidget>
#include <cstdint>
#include <vector>

#include "core/tensor/tensor.h"

class QLineEdit;
class QModelIndex;
class QSortFilterProxyModel;
class QStandardItem;
class QStandardItemModel;
class QTreeView;

namespace quench::widgets {

class TensorBrowser : public QWidget {
  Q_OBJECT
 public:
  /// Columns of the tree.
  enum Column { kName = 0, kDType, kBits, kShape, kSize, kColumnCount };
  /// Item data roles carried by every row (on the kName column).
  enum Role {
    kFileIdRole = Qt::UserRole + 1,  ///< int: the id given to addFile
    kTensorIndexRole,                ///< int: index into the file's catalog; -1 for groups and files
    kFullNameRole,                   ///< QString: dotted tensor name (or group prefix) the filter matches
    kFormatRole,                     ///< QString: the file's format (file rows only)
  };

  explicit TensorBrowser(QWidget* parent = nullptr);

  /// Add a file as a new top-level node. `title` is shown (usually the file name), `toolTip` gives
  /// the full path and, with `format`, is the file row's tooltip. Returns the file's id.
  int addFile(const QString& title, const QString& toolTip, const QString& format,
              const std::vector<TensorInfo>& tensors);
  /// Remove every file.
  void clear();
  /// Select (and scroll to) tensor `name` of file `fileId`; false if there is no such tensor or it
  /// is hidden by the filter.
  bool selectTensor(int fileId, const QString& name);
  /// Move keyboard focus to the filter box and select its text (Ctrl+F).
  void focusFilter();

  QLineEdit* filterEdit() const { return m_filter; }
  QTreeView* treeView() const { return m_view; }
  /// The name column's width that shows every name (leaf or group) in full at its depth.
  int nameColumnWidthNeeded() const;
  /// The filtered model the view shows.
  QSortFilterProxyModel* proxyModel() const { return m_proxy; }

  /// "1.5 MiB" style size: binary units, three significant digits.
  static QString humanBytes(std::uint64_t bytes);
  /// Bits per weight as shown: exact for a type ("4.5", "6.5625", "32"), two decimals for the
  /// average of a group or file ("4.92", as llama-quantize prints it).
  static QString bitsText(double bits, bool average);

 signals:
  /// The current row became tensor `tensorIndex` of file `fileId`.
  void tensorSelected(int fileId, int tensorIndex);

 private:
  void onCurrentChanged(const QModelIndex& current);
  QStandardItem* findSource(int fileId, const QString& name) const;

  QLineEdit* m_filter;
  QTreeView* m_view;
  void fitNameColumn();
  QStandardItemModel* m_model;
  QSortFilterProxyModel* m_proxy;
  int m_nextFileId = 1;
};

}  // namespace quench::widgets
