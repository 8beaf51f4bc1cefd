#pragma once
// A worked example as a table of text cells, written as CSV (RFC 4180), a Markdown pipe table or a
// LaTeX tabular, so a teacher can paste the board table into notes, slides or a paper.
#include <QList>
#include <QString>
#include <QStringList>

class QTableWidget;

namespace quench::widgets {

/// Header and rows of display strings (every row as long as the header).
struct TextTable {
  QStringList header;
  QList<QStringList> rows;
};

enum class TableFormat { Csv, Markdown, Latex };

/// The table in `format`. CSV quotes cells holding a comma, quote or newline; Markdown escapes '|';
/// LaTeX escapes its special characters, writes ∞, −, x̃, ‖, ½ and ± as math, and right-aligns
/// every column but the first.
QString formatTable(const TextTable& table, TableFormat format);
/// .csv, .md/.markdown, .tex (case-insensitive); false for any other suffix.
bool tableFormatFromFileName(const QString& fileName, TableFormat* format);
/// Write formatTable(table, format) as UTF-8 to `fileName`; an empty string on success, otherwise
/// a message naming the file.
QString exportTable(const TextTable& table, const QString& fileName, TableFormat format);
/// The header and cells a QTableWidget shows (empty cells as "").
TextTable tableFromWidget(const QTableWidget& widget);

}  // namespace quench::widgets
