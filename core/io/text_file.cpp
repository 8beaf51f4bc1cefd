#include "core/io/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace quench {

namespace {
std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }
}  // namespace

Result<std::string> readTextFile(const std::filesystem::path& path, std::uint64_t maxBytes, std::string_view what) {
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError(name + ": cannot open " + std::string(what) + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return makeError(name + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return makeError(name + ": not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > maxBytes)
    return makeError(name + ": " + std::to_string(size) + " bytes, over the " + mib(maxBytes) + " limit for " +
                     std::string(what) + " files (refused before reading)");
  std::string text(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(name + ": read failed: " + std::strerror(errno));
    if (n == 0) break;  // the file shrank while we read it: parse what is there
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

std::optional<std::string> jsonDepthError(std::string_view text, int maxDepth) {
  int depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth)
        return "JSON nested deeper than " + std::to_string(maxDepth) + " levels (at byte " + std::to_string(i) + ")";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace quench
