#pragma once
// Read-only memory-mapped file. Readers borrow spans into it; nothing is copied until converted.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

class MappedFile {
 public:
  /// Map the whole file read-only (an empty file maps to an empty span).
  static Result<std::shared_ptr<MappedFile>> open(const std::filesystem::path& path);
  /// Wrap bytes already in memory (fuzzers, tests, the embedded demo); the MappedFile owns them.
  static std::shared_ptr<MappedFile> fromBytes(std::string name, std::vector<std::uint8_t> bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {m_data, m_size}; }
  std::size_t size() const { return m_size; }
  const std::string& name() const { return m_name; }
  /// Tells the kernel that the pages wholly inside `bytes` are not needed any more, when `bytes`
  /// lies in a live file mapping (a no-op otherwise, e.g. for in-memory files or heap buffers).
  /// The pages leave this process's resident set but stay in the page cache, and a later access
  /// reads them again: streaming over a 16 GB checkpoint then costs one window of RSS, not 16 GB.
  static void dropResidentPages(std::span<const std::uint8_t> bytes);
  /// The bytes [offset, offset+length) or an empty optional-like nullptr span when out of range.
  bool inRange(std::uint64_t offset, std::uint64_t length) const {
    return offset <= m_size && length <= m_size - offset;
  }

 private:
  MappedFile() = default;
  const std::uint8_t* m_data = nullptr;
  std::size_t m_size = 0;
  void* m_map = nullptr;
  std::vector<std::uint8_t> m_owned;
  std::string m_name;
};

}  // namespace quench
