// quench-cli export-gguf: the files it writes equal llama-quantize's (../shared/data/gguf/
// llama-quantize), with --type (pure), --imatrix and --mix; the JSON plan; --dry-run writes
// nothing; mistakes are one clear line on stderr and a non-zero exit.
#include <QtTest/QtTest>
#include <QTemporaryDir>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "common/cli_run.h"
#include "common/fuzzy.h"

using quench::test::runCli;

namespace {
QString shared(const QString& rel) { return quench::test::sharedData("gguf/llama-quantize/" + rel); }
QByteArray contents(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}
}  // namespace

class TestCliExportGguf : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() { QVERIFY(m_dir.isValid()); }

  void identicalToLlamaQuantize_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("--type Q4_K_M") << QStringList{"--type", "Q4_K_M"} << "pure/Q4_K_M.gguf";
    QTest::newRow("--type IQ4_XS") << QStringList{"--type", "IQ4_XS"} << "pure/IQ4_XS.gguf";
    QTest::newRow("--type Q3_K_M --imatrix") << QStringList{"--type", "Q3_K_M", "--imatrix", "imatrix.gguf"} << "imatrix/Q3_K_M.gguf";
    QTest::newRow("--mix Q4_K_M") << QStringList{"--mix", "Q4_K_M"} << "mix/Q4_K_M.gguf";
  }
  void identicalToLlamaQuantize() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const QString out = m_dir.filePath("out.gguf");
    // Run from the shared folder so that --imatrix is given as llama-quantize was given it: the
    // name is written into quantize.imatrix.file.
    QProcess p;
    p.setWorkingDirectory(shared(""));
    p.start(QStringLiteral(QUENCH_CLI_PATH), QStringList{"export-gguf", "source-f32.gguf", "--out", out} + args);
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("wrote " + out.toUtf8()));
    QVERIFY(contents(out) == contents(shared(expected)));
  }

  void jsonPlan() {
    const QString out = m_dir.filePath("q6.gguf");
    const auto r = runCli({"export-gguf", shared("source-f32.gguf"), "--mix", "Q6_K", "--out", out, "--json", "--quiet"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.err.isEmpty());
    const QJsonObject j = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(j["file_type"].toString(), QString("Q6_K"));
    QCOMPARE(j["file_type_id"].toInt(), 18);
    QCOMPARE(j["pure"].toBool(), false);
    QCOMPARE(j["parameters"].toInteger(), 1836288);  // 2·256·512 + 2·(2·256² + 2·256·128 + 3·256·768) + 5·256
    QCOMPARE(j["bytes_out"].toInteger(), contents(shared("mix/Q6_K.gguf")).size() - 12608);  // minus header
    const QJsonArray tensors = j["tensors"].toArray();
    QCOMPARE(tensors.size(), 21);
    QCOMPARE(tensors[0].toObject()["name"].toString(), QString("output.weight"));
    QCOMPARE(tensors[0].toObject()["to"].toString(), QString("Q6_K"));
    QCOMPARE(tensors[1].toObject()["to"].toString(), QString("F32"));  // output_norm
    QCOMPARE(tensors[1].toObject()["quantized"].toBool(), false);
    QVERIFY(contents(out) == contents(shared("mix/Q6_K.gguf")));
  }

  void dryRunWritesNothing() {
    const QString out = m_dir.filePath("never.gguf");
    const auto r = runCli({"export-gguf", shared("source-f32.gguf"), "--mix", "Q3_K_M", "--dry-run", "--out", out});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(!QFile::exists(out));
    QVERIFY(r.out.contains("blk.0.attn_v.weight"));
    QVERIFY(r.out.contains("f32 ->    q5_K"));  // Q3_K_M gives the first attn_v Q5_K
    QVERIFY(r.out.contains("would write 21 tensors"));
  }

  void progressOnStderr() {
    const auto r = runCli({"export-gguf", shared("source-f32.gguf"), "--type", "Q8_0", "--out", m_dir.filePath("p.gguf")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.err.contains("export-gguf: 100%"));
  }

  void mistakes_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString src = shared("source-f32.gguf"), out = m_dir.filePath("x.gguf");
    QTest::newRow("neither") << QStringList{"export-gguf", src, "--out", out} << "exactly one of --type";
    QTest::newRow("both") << QStringList{"export-gguf", src, "--type", "Q8_0", "--mix", "Q8_0", "--out", out} << "exactly one of --type";
    QTest::newRow("unknown type") << QStringList{"export-gguf", src, "--type", "Q7_K", "--out", out} << "unknown type 'Q7_K'";
    QTest::newRow("not written") << QStringList{"export-gguf", src, "--type", "IQ2_XS", "--out", out} << "does not write";
    QTest::newRow("no out") << QStringList{"export-gguf", src, "--type", "Q8_0"} << "--out is required";
    QTest::newRow("bad tensor-type") << QStringList{"export-gguf", src, "--type", "Q8_0", "--tensor-type", "attn", "--out", out}
                                     << "PATTERN=TYPE";
    QTest::newRow("missing imatrix") << QStringList{"export-gguf", src, "--type", "Q8_0", "--imatrix", "/nonexistent.dat", "--out", out}
                                     << "nonexistent.dat";
    QTest::newRow("not gguf") << QStringList{"export-gguf", shared("README.md"), "--type", "Q8_0", "--out", out} << "GGUF";
  }
  void mistakes() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const auto r = runCli(args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QVERIFY(!QFile::exists(m_dir.filePath("x.gguf")));
  }
};

QTEST_GUILESS_MAIN(TestCliExportGguf)
#include "test_cli_export_gguf.moc"
