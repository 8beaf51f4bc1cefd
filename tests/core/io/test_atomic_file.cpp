// AtomicFile (core/io/atomic_file.h): the temporary beside the target, the rename into place, and
// the cleanup of temporaries left by writers that were killed: "<target>.tmp-<pid>-<n>" of a
// process that no longer exists is removed by the next write to that target; a live process's,
// another target's, and names not of our pattern stay. (SIGKILL during real writes through
// quench-cli: tools/check_write_faults.py, CTest app_cli_write_faults_kill.)
#include <QtTest/QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/io/atomic_file.h"

namespace fs = std::filesystem;

namespace {
// The pid of a child that has exited and been reaped: no process has it (until the kernel reuses
// it, which takes a full cycle of the pid space).
pid_t deadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

void touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p, std::ios::binary) << text; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

class TestAtomicFile : public QObject {
  Q_OBJECT
 private slots:
  void commitReplacesTheTargetAndLeavesNoTemporary() {
    QTemporaryDir tmp;
    const fs::path target = tmp.filePath("t.bin").toStdString();
    touch(target, "old");
    auto f = quench::AtomicFile::create(target);
    QVERIFY(f.ok());
    const std::string tmpName = (*f)->tempPath();
    QCOMPARE(tmpName.rfind(target.string() + ".tmp-" + std::to_string(::getpid()) + "-", 0), std::size_t{0});
    const std::string bytes = "new content";
    QVERIFY((*f)->write(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())).ok());
    QCOMPARE(slurp(target), std::string("old"));  // untouched until commit
    QVERIFY((*f)->commit().ok());
    QCOMPARE(slurp(target), bytes);
    QVERIFY(!fs::exists(tmpName));
  }

  void destroyedBeforeCommitLeavesTheTargetAsItWas() {
    QTemporaryDir tmp;
    const fs::path target = tmp.filePath("t.bin").toStdString();
    touch(target, "old");
    std::string tmpName;
    {
      auto f = quench::AtomicFile::create(target);
      QVERIFY(f.ok());
      tmpName = (*f)->tempPath();
      QVERIFY((*f)->writeZeros(1000).ok());
    }
    QCOMPARE(slurp(target), std::string("old"));
    QVERIFY(!fs::exists(tmpName));
  }

  void staleTemporariesOfDeadWritersAreRemovedByTheNextWrite() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const fs::path target = dir / "t.bin";
    const std::string dead = std::to_string(deadPid());
    const std::string alive = std::to_string(::getppid());  // the test runner: alive
    const std::vector<std::string> removed = {"t.bin.tmp-" + dead + "-0", "t.bin.tmp-" + dead + "-17"};
    const std::vector<std::string> kept = {
        "t.bin.tmp-" + alive + "-0",            // a live writer's
        "t.bin.tmp-" + std::to_string(::getpid()) + "-99",  // this process's own (its writer removes it)
        "other.bin.tmp-" + dead + "-0",         // another target's
        "t.bin.tmp-" + dead,                    // not our pattern: no serial
        "t.bin.tmp-" + dead + "-0-1",           // not our pattern: extra field
        "t.bin.tmp-x" + dead + "-0",            // not our pattern: not a number
        "t.bin.tmp-" + dead + "-0.safetensors", // not our pattern
    };
    for (const auto& n : removed) touch(dir / n);
    for (const auto& n : kept) touch(dir / n);
    QCOMPARE(quench::writeFileAtomically(target, std::span<const std::uint8_t>()).ok(), true);
    for (const auto& n : removed) QVERIFY2(!fs::exists(dir / n), n.c_str());
    for (const auto& n : kept) QVERIFY2(fs::exists(dir / n), n.c_str());
    QVERIFY(fs::exists(target));
    QCOMPARE(quench::removeStaleTemporaries(target), std::size_t{0});  // nothing left to remove
  }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "test_atomic_file.moc"
