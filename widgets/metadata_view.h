#pragma once
// A file's metadata (safetensors __metadata__, GGUF key/values, llama2.c header, ...) as a
// key / type / value table. GGUF values are typed; arrays show their element type and length
// ("string[32000]") and their first elements, never all of them.
#include <QWidget>
#include <vector>

#include "core/io/metadata_summary.h"
#include "core/io/reader.h"

class QLabel;
class QTableWidget;

namespace quench::widgets {

class MetadataView : public QWidget {
  Q_OBJECT
 public:
  /// Columns of the table.
  enum Column { kKey = 0, kType, kValue, kColumnCount };
  /// Characters of a value shown in its cell; the tooltip shows up to kMaxToolTip. Plain-text
  /// metadata may hold long JSON (tied-weight lists, configs).
  static constexpr int kMaxCell = 160;
  static constexpr int kMaxToolTip = 2000;

  explicit MetadataView(QWidget* parent = nullptr);

  /// Show the metadata of `reader` (typed and summarized: summarizeMetadata) under `title`.
  void setReader(const TensorReader& reader, const QString& title);
  /// Show summarized entries of the file called `title`. The Type column is hidden when no entry
  /// has a type (formats whose metadata is plain text).
  void setEntries(const std::vector<MetadataEntry>& entries, const QString& title);
  /// Show plain-text `metadata` of the file called `title`.
  void setMetadata(const Metadata& metadata, const QString& title);
  void clear();

  QTableWidget* table() const { return m_table; }
  QString title() const;

 private:
  QLabel* m_title;
  QTableWidget* m_table;
};

}  // namespace quench::widgets
