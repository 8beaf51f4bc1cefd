#include "core/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

namespace quench {
namespace {
// The live file mappings (start → size), so that dropResidentPages never advises memory that is not
// a read-only file mapping of ours: MADV_DONTNEED on heap or anonymous memory would zero it.
std::mutex& registryMutex() {
  static std::mutex m;
  return m;
}
std::map<std::uintptr_t, std::size_t>& registry() {
  static std::map<std::uintptr_t, std::size_t> r;
  return r;
}
}  // namespace

void MappedFile::dropResidentPages(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t end = begin + bytes.size();
  std::lock_guard lock(registryMutex());
  auto it = registry().upper_bound(begin);
  if (it == registry().begin()) return;
  --it;
  if (end > it->first + it->second) return;  // not inside one mapping
  // Whole pages only: the first and last may hold bytes of neighbouring tensors still in use.
  const std::uintptr_t from = (begin + page - 1) / page * page;
  const std::uintptr_t to = end / page * page;
  // Read-only private file pages are never dirty: dropping them only costs a re-read from the page
  // cache if touched again. Held under the lock so that the mapping cannot be unmapped meanwhile.
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::filesystem::path& path) {
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError(name + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return makeError(name + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError(name + ": not a regular file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->m_name = name;
  f->m_size = static_cast<std::size_t>(st.st_size);
  if (f->m_size > 0) {
    void* p = ::mmap(nullptr, f->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      return makeError(name + ": cannot map: " + std::strerror(e));
    }
    f->m_map = p;
    f->m_data = static_cast<const std::uint8_t*>(p);
    std::lock_guard lock(registryMutex());
    registry()[reinterpret_cast<std::uintptr_t>(p)] = f->m_size;
  }
  ::close(fd);
  return f;
}

std::shared_ptr<MappedFile> MappedFile::fromBytes(std::string name, std::vector<std::uint8_t> bytes) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->m_name = std::move(name);
  f->m_owned = std::move(bytes);
  f->m_data = f->m_owned.data();
  f->m_size = f->m_owned.size();
  return f;
}

MappedFile::~MappedFile() {
  if (!m_map) return;
  std::lock_guard lock(registryMutex());
  registry().erase(reinterpret_cast<std::uintptr_t>(m_map));
  ::munmap(m_map, m_size);
}

}  // namespace quench
