#pragma once
// A file written beside its target and renamed into place when complete: "<target>.tmp-<pid>-<n>"
// in the target's folder, fsync'd, then rename(2)d over the target (and the folder fsync'd). If
// the writer is destroyed before commit() the temporary file is removed and the target is left
// as it was; a reader that has the old target mapped keeps its unchanged inode.
//
// A writer killed mid-write (SIGKILL, power loss) cannot remove its temporary file. Such stale
// files are removed by the next write to the same target: every temporary name is taken through
// temporaryPathBeside, which first deletes "<target>.tmp-<pid>-<n>" files whose process no longer
// exists (kill(pid, 0) fails with ESRCH). Files of a live process, of a recycled pid, or of a
// writer on another machine sharing the folder stay; readers never open them (they do not end in
// a format's extension).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/tensor/result.h"

namespace quench {

class AtomicFile {
 public:
  /// Create the temporary file beside `target` (the folder must exist).
  static Result<std::unique_ptr<AtomicFile>> create(const std::filesystem::path& target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Append bytes; errors name the temporary file and errno's text.
  Status write(std::span<const std::uint8_t> bytes);
  /// Append n zero bytes.
  Status writeZeros(std::uint64_t n);
  /// Bytes written so far.
  std::uint64_t size() const { return m_size; }
  /// fsync, close, rename onto the target, fsync the folder. Only once.
  Status commit();

  const std::string& tempPath() const { return m_tmp; }
  const std::filesystem::path& target() const { return m_target; }

 private:
  AtomicFile(std::filesystem::path target, std::string tmp, int fd) : m_target(std::move(target)), m_tmp(std::move(tmp)), m_fd(fd) {}
  std::filesystem::path m_target;
  std::string m_tmp;
  int m_fd = -1;
  std::uint64_t m_size = 0;
  bool m_committed = false;
};

/// The pieces AtomicFile is made of, for writers that must hand a library a path instead of a
/// descriptor (HDF5): the temporary name beside `target` ("<target>.tmp-<pid>-<n>", n unique in
/// the process across every writer, stale temporaries of dead writers removed first); a write(2) loop over the whole buffer (errors name `where`);
/// and the finish, rename(2) of the fsync'd `tmp` over `target`, then a best-effort fsync of the
/// folder.
std::string temporaryPathBeside(const std::filesystem::path& target);
/// Delete the temporary files beside `target` left by writers that no longer run (see above);
/// returns how many were removed. Called by temporaryPathBeside.
std::size_t removeStaleTemporaries(const std::filesystem::path& target);
Status writeFully(int fd, const std::string& where, std::span<const std::uint8_t> bytes);
Status renameIntoPlace(const std::string& tmp, const std::filesystem::path& target);

/// Write `bytes` to `path` through an AtomicFile.
Status writeFileAtomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace quench
