#include "widgets/table_export.h"

#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QTableWidget>

namespace quench::widgets {
namespace {

QString csvCell(const QString& s) {
  if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))) return s;
  QString q = s;
  q.replace(QLatin1String("\""), QLatin1String("\"\""));
  return QLatin1Char('"') + q + QLatin1Char('"');
}

QString markdownCell(const QString& s) {
  QString q = s;
  q.replace(QLatin1String("|"), QLatin1String("\\|"));
  q.replace(QLatin1Char('\n'), QLatin1Char(' '));
  return q;
}

QString latexCell(const QString& s) {
  QString out;
  for (const QChar c : s) {
    switch (c.unicode()) {
      case '\\': out += QLatin1String("\\textbackslash{}"); break;
      case '&': case '%': case '$': case '#': case '_': case '{': case '}':
        out += QLatin1Char('\\');
        out += c;
        break;
      case '~': out += QLatin1String("\\textasciitilde{}"); break;
      case '^': out += QLatin1String("\\textasciicircum{}"); break;
      // In text mode (OT1) '|', '<' and '>' print as an em dash, '¡' and '¿': math mode.
      case '|': out += QLatin1String("$|$"); break;
      case '<': out += QLatin1String("$<$"); break;
      case '>': out += QLatin1String("$>$"); break;
      case 0x2191: out += QLatin1String("$\\uparrow$"); break;    // ↑
      case 0x2193: out += QLatin1String("$\\downarrow$"); break;  // ↓
      case 0x221E: out += QLatin1String("$\\infty$"); break;       // ∞
      case 0x2212: out += QLatin1String("$-$"); break;             // −
      case 0x2016: out += QLatin1String("$\\|$"); break;           // ‖
      case 0x00BD: out += QLatin1String("$\\frac{1}{2}$"); break;  // ½
      case 0x00B1: out += QLatin1String("$\\pm$"); break;          // ±
      case 0x2264: out += QLatin1String("$\\le$"); break;          // ≤
      case 0x03A3: out += QLatin1String("$\\Sigma$"); break;       // Σ
      case 0x2713: out += QLatin1String("yes"); break;             // ✓
      case 0x0303:                                                 // combining tilde: x̃ → \tilde{x}
        if (!out.isEmpty()) {
          const QChar base = out.back();
          out.chop(1);
          out += QLatin1String("$\\tilde{") + base + QLatin1String("}$");
        }
        break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

QString formatTable(const TextTable& table, TableFormat format) {
  QString out;
  const int cols = int(table.header.size());
  switch (format) {
    case TableFormat::Csv: {
      auto line = [&](const QStringList& cells) {
        QStringList q;
        for (const QString& c : cells) q << csvCell(c);
        out += q.join(QLatin1Char(',')) + QLatin1String("\r\n");
      };
      line(table.header);
      for (const QStringList& r : table.rows) line(r);
      break;
    }
    case TableFormat::Markdown: {
      auto line = [&](const QStringList& cells) {
        QStringList q;
        for (const QString& c : cells) q << markdownCell(c);
        out += QLatin1String("| ") + q.join(QLatin1String(" | ")) + QLatin1String(" |\n");
      };
      line(table.header);
      QStringList rule;
      for (int c = 0; c < cols; ++c) rule << (c == 0 ? QStringLiteral("---") : QStringLiteral("---:"));
      out += QLatin1String("| ") + rule.join(QLatin1String(" | ")) + QLatin1String(" |\n");
      for (const QStringList& r : table.rows) line(r);
      break;
    }
    case TableFormat::Latex: {
      out += QLatin1String("\\begin{tabular}{l") + QString(cols > 0 ? cols - 1 : 0, QLatin1Char('r')) +
             QLatin1String("}\n\\hline\n");
      auto line = [&](const QStringList& cells) {
        QStringList q;
        for (const QString& c : cells) q << latexCell(c);
        out += q.join(QLatin1String(" & ")) + QLatin1String(" \\\\\n");
      };
      line(table.header);
      out += QLatin1String("\\hline\n");
      for (const QStringList& r : table.rows) line(r);
      out += QLatin1String("\\hline\n\\end{tabular}\n");
      break;
    }
  }
  return out;
}

bool tableFormatFromFileName(const QString& fileName, TableFormat* format) {
  const QString suffix = QFileInfo(fileName).suffix().toLower();
  TableFormat f;
  if (suffix == QLatin1String("csv")) f = TableFormat::Csv;
  else if (suffix == QLatin1String("md") || suffix == QLatin1String("markdown")) f = TableFormat::Markdown;
  else if (suffix == QLatin1String("tex")) f = TableFormat::Latex;
  else return false;
  if (format) *format = f;
  return true;
}

QString exportTable(const TextTable& table, const QString& fileName, TableFormat format) {
  QFile file(fileName);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
    return QStringLiteral("cannot write %1: %2").arg(fileName, file.errorString());
  const QByteArray bytes = formatTable(table, format).toUtf8();
  if (file.write(bytes) != bytes.size()) return QStringLiteral("cannot write %1: %2").arg(fileName, file.errorString());
  return {};
}

TextTable tableFromWidget(const QTableWidget& widget) {
  TextTable t;
  for (int c = 0; c < widget.columnCount(); ++c) {
    const QTableWidgetItem* h = widget.horizontalHeaderItem(c);
    t.header << (h ? h->text().replace(QLatin1Char('\n'), QLatin1Char(' ')) : QString());
  }
  for (int r = 0; r < widget.rowCount(); ++r) {
    QStringList row;
    for (int c = 0; c < widget.columnCount(); ++c) {
      const QTableWidgetItem* it = widget.item(r, c);
      row << (it ? it->text() : QString());
    }
    t.rows << row;
  }
  return t;
}

}  // namespace quench::widgets
