#pragma once
// Runs the built quench-cli as a process for the CLI contract tests.
#include <QtCore/QProcess>
#include <QtCore/QStringList>

namespace quench::test {

/// What a quench-cli run printed and how it ended (exitCode −1 when it crashed or hung).
struct Run {
  int exitCode = -1;
  QByteArray out, err;
};

/// Run quench-cli with `args`, waiting up to two minutes.
inline Run runCli(const QStringList& args) {
  QProcess p;
  p.start(QStringLiteral(QUENCH_CLI_PATH), args);
  Run r;
  if (!p.waitForFinished(120000)) return r;
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput();
  r.err = p.readAllStandardError();
  return r;
}

}  // namespace quench::test
