#pragma once
// A file's metadata (safetensors __metadata__, GGUF key/values, llama2.c header, ...) as a
// two-column key/value table.
#include <QWidget>

#include "core/io/reader.h"

class QLabel;
class QTableWidget;

namespace quench::widgets {

class MetadataView : public QWidget {
  Q_OBJECT
 public:
  /// Characters of a value shown in its cell; the tooltip shows up to kMaxToolTip. GGUF vocabularies
  /// arrive as JSON arrays of tens of thousands of strings.
  static constexpr int kMaxCell = 160;
  static constexpr int kMaxToolTip = 2000;

  explicit MetadataView(QWidget* parent = nullptr);

  /// Show `metadata` of the file called `title`.
  void setMetadata(const Metadata& metadata, const QString& title);
  void clear();

  QTableWidget* table() const { return m_table; }
  QString title() const;

 private:
  QLabel* m_title;
  QTableWidget* m_table;
};

}  // namespace quench::widgets
