// readTextFile and jsonDepthError (core/io/text_file.h): the size is checked before any byte is read
// (a sparse 1 GiB file is refused at once, with its size and the limit in the message), and JSON
// nesting is counted outside strings only. The same limits through quench-cli, on real hostile
// files under RLIMIT_AS = 2 GiB, are checked by tools/check_hostile_sizes.py (app_cli_hostile_sizes).
#include <QtTest/QtTest>

#include <fstream>
#include <string>

#include "core/io/text_file.h"

using quench::jsonDepthError;
using quench::readTextFile;

class TestTextFile : public QObject {
  Q_OBJECT
 private slots:
  void readsAFileWithinTheLimit() {
    QTemporaryDir tmp;
    const std::string path = tmp.filePath("a.json").toStdString();
    std::ofstream(path, std::ios::binary) << std::string("{\"x\":\0}", 7);
    auto t = readTextFile(path, 7, "test");
    QVERIFY(t.ok());
    QCOMPARE(*t, std::string("{\"x\":\0}", 7));  // every byte, NUL included
  }

  void refusesAFileOverTheLimitByItsSize() {
    QTemporaryDir tmp;
    const std::string path = tmp.filePath("big.json").toStdString();
    std::ofstream(path, std::ios::binary) << "{";
    std::filesystem::resize_file(path, 1ull << 30);  // sparse: reading it would take seconds
    auto t = readTextFile(path, 8ull << 20, "tokenizer.json");
    QVERIFY(!t.ok());
    QCOMPARE(t.error().message, path + ": 1073741824 bytes, over the 8 MiB limit for tokenizer.json files "
                                       "(refused before reading)");
    auto one = readTextFile(path, (1ull << 30) - 1, "x");
    QVERIFY(!one.ok());  // one byte over is over
  }

  void namesAMissingFileAndAFolder() {
    QTemporaryDir tmp;
    const std::string missing = tmp.filePath("none.json").toStdString();
    auto t = readTextFile(missing, 100, "recipe");
    QVERIFY(!t.ok());
    QCOMPARE(t.error().message, missing + ": cannot open recipe: No such file or directory");
    auto d = readTextFile(tmp.path().toStdString(), 100, "recipe");
    QVERIFY(!d.ok());
    QCOMPARE(d.error().message, tmp.path().toStdString() + ": not a regular file");
  }

  void depthCountsBracketsOutsideStrings() {
    QCOMPARE(jsonDepthError("[[[1]]]", 3), std::nullopt);
    QCOMPARE(*jsonDepthError("[[[[1]]]]", 3), std::string("JSON nested deeper than 3 levels (at byte 3)"));
    QCOMPARE(*jsonDepthError("{\"a\":[{\"b\":[]}]}", 3), std::string("JSON nested deeper than 3 levels (at byte 11)"));
    // Brackets inside strings, escaped quotes included, are text.
    QCOMPARE(jsonDepthError("[\"[[[[{{{{\"]", 1), std::nullopt);
    QCOMPARE(jsonDepthError("[\"\\\"[[[[\"]", 1), std::nullopt);
    QCOMPARE(jsonDepthError("[\"\\\\\",[1]]", 1).has_value(), true);  // "\\" ends the string: [1] is depth 2
    // Closing brackets never go below zero: "]]]]" then "[[" is depth 2.
    QCOMPARE(jsonDepthError("]]]][[", 2), std::nullopt);
    QCOMPARE(jsonDepthError(std::string(100000, '['), 256).has_value(), true);
    QCOMPARE(jsonDepthError(std::string(256, '['), 256), std::nullopt);
  }
};

QTEST_GUILESS_MAIN(TestTextFile)
#include "test_text_file.moc"
