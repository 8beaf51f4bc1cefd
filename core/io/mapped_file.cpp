#include "core/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace quench {

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
  if (m_map) ::munmap(m_map, m_size);
}

}  // namespace quench
