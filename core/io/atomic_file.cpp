#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace quench {
namespace {
std::string errnoText() { return std::strerror(errno); }
std::atomic<std::uint64_t> g_serial{0};  // two writers in one process never share a temp name
}  // namespace

std::size_t removeStaleTemporaries(const std::filesystem::path& target) {
  namespace fs = std::filesystem;
  const std::string prefix = target.filename().string() + ".tmp-";
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  std::size_t removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    // "<pid>-<n>", both decimal, nothing else: any other name is not ours and stays.
    const std::string tail = name.substr(prefix.size());
    const std::size_t dash = tail.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == tail.size() || dash > 9) continue;
    if (!std::all_of(tail.begin(), tail.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; }) ||
        tail.find('-', dash + 1) != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(tail.substr(0, dash)));
    if (pid <= 0 || pid == ::getpid()) continue;  // ours are removed by their writers
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // the writer may still be running
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

std::string temporaryPathBeside(const std::filesystem::path& target) {
  removeStaleTemporaries(target);
  return target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_serial++);
}

Status writeFully(int fd, const std::string& where, std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(left, std::size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return makeError(where + ": write failed: " + errnoText());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Status renameIntoPlace(const std::string& tmp, const std::filesystem::path& target) {
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    return makeError(target.string() + ": cannot rename the temporary file into place: " + errnoText());
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // best effort: the rename is durable once the folder is synced
    ::close(dfd);
  }
  return {};
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::filesystem::path& target) {
  const std::string tmp = temporaryPathBeside(target);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return makeError(tmp + ": cannot create: " + errnoText());
  return std::unique_ptr<AtomicFile>(new AtomicFile(target, tmp, fd));
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) ::close(m_fd);
  if (!m_committed) ::unlink(m_tmp.c_str());
}

Status AtomicFile::write(std::span<const std::uint8_t> bytes) {
  if (m_fd < 0) return makeError(m_tmp + ": write after commit");
  if (auto st = writeFully(m_fd, m_tmp, bytes); !st) return st;
  m_size += bytes.size();
  return {};
}

Status AtomicFile::writeZeros(std::uint64_t n) {
  static const std::vector<std::uint8_t> kZeros(4096, 0);
  while (n > 0) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, kZeros.size()));
    if (auto s = write(std::span(kZeros.data(), k)); !s) return s;
    n -= k;
  }
  return {};
}

Status AtomicFile::commit() {
  if (m_fd < 0) return makeError(m_tmp + ": committed twice");
  const bool synced = ::fsync(m_fd) == 0;
  const std::string syncErr = synced ? std::string() : errnoText();
  const bool closed = ::close(m_fd) == 0;
  m_fd = -1;
  if (!synced) return makeError(m_tmp + ": fsync failed: " + syncErr);
  if (!closed) return makeError(m_tmp + ": close failed: " + errnoText());
  if (auto st = renameIntoPlace(m_tmp, m_target); !st) return st;
  m_committed = true;
  return {};
}

Status writeFileAtomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  auto f = AtomicFile::create(path);
  if (!f) return f.error();
  if (auto s = (*f)->write(bytes); !s) return s;
  return (*f)->commit();
}

}  // namespace quench
