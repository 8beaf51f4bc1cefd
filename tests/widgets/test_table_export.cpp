// Table export of the classroom's worked examples: CSV quoting (RFC 4180), Markdown pipe tables
// with escaped '|', LaTeX tabular with escaped specials and ∞/−/x̃ as math, suffix → format.
#include <QtTest/QtTest>

#include <QTableWidget>
#include <QTemporaryDir>

#include "widgets/table_export.h"

using namespace quench::widgets;

class TestTableExport : public QObject {
  Q_OBJECT
 private slots:
  void csv() {
    const TextTable t{{"i", "a, b", "say \"hi\""}, {{"0", "1", "x"}, {"1", "2,5", "y"}}};
    QCOMPARE(formatTable(t, TableFormat::Csv),
             QStringLiteral("i,\"a, b\",\"say \"\"hi\"\"\"\r\n0,1,x\r\n1,\"2,5\",y\r\n"));
  }
  void markdown() {
    const TextTable t{{"i", "a|b"}, {{"0", "1"}}};
    QCOMPARE(formatTable(t, TableFormat::Markdown), QStringLiteral("| i | a\\|b |\n| --- | ---: |\n| 0 | 1 |\n"));
  }
  // Issue 13: "max |error|" printed em dashes (text-mode '|'); "> U" an inverted question mark.
  void latexMathSymbols() {
    const TextTable t{{QStringLiteral("max |error|"), "sat"}, {{QStringLiteral("2  (tie ↑)"), "yes (> U)"}}};
    const QString tex = formatTable(t, TableFormat::Latex);
    QVERIFY2(tex.contains(QStringLiteral("max $|$error$|$")), qPrintable(tex));
    QVERIFY2(tex.contains(QStringLiteral("2  (tie $\\uparrow$)")), qPrintable(tex));
    QVERIFY2(tex.contains(QStringLiteral("yes ($>$ U)")), qPrintable(tex));
  }

  void latex() {
    const TextTable t{{"i", QStringLiteral("x̃ = s(n − b)"), "50%"}, {{"0", QStringLiteral("∞"), "a_b & c"}}};
    QCOMPARE(formatTable(t, TableFormat::Latex),
             QStringLiteral("\\begin{tabular}{lrr}\n\\hline\n"
                            "i & $\\tilde{x}$ = s(n $-$ b) & 50\\% \\\\\n\\hline\n"
                            "0 & $\\infty$ & a\\_b \\& c \\\\\n\\hline\n\\end{tabular}\n"));
  }
  void suffixes() {
    TableFormat f;
    QVERIFY(tableFormatFromFileName("a.CSV", &f) && f == TableFormat::Csv);
    QVERIFY(tableFormatFromFileName("a.md", &f) && f == TableFormat::Markdown);
    QVERIFY(tableFormatFromFileName("a.tex", &f) && f == TableFormat::Latex);
    QVERIFY(!tableFormatFromFileName("a.txt", &f));
  }
  void fromWidgetAndFile() {
    QTableWidget w(1, 2);
    w.setHorizontalHeaderLabels({"p", "q\nnext"});
    w.setItem(0, 0, new QTableWidgetItem("0.5"));
    const TextTable t = tableFromWidget(w);
    QCOMPARE(t.header, (QStringList{"p", "q next"}));
    QCOMPARE(t.rows.at(0), (QStringList{"0.5", ""}));
    QTemporaryDir dir;
    const QString file = dir.filePath("t.md");
    QCOMPARE(exportTable(t, file, TableFormat::Markdown), QString());
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()), QStringLiteral("| p | q next |\n| --- | ---: |\n| 0.5 |  |\n"));
    QVERIFY(!exportTable(t, dir.filePath("no/such/dir/t.md"), TableFormat::Markdown).isEmpty());
  }
};

QTEST_MAIN(TestTableExport)
#include "test_table_export.moc"
