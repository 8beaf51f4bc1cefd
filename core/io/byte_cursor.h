#pragma once
// Bounds-checked little-endian reading over untrusted bytes (private to core/io). Every read checks
// the bytes remaining first and reports failure instead of reading past the end; callers turn a
// failed read into an Error that names the file and the field.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

namespace quench::io {

class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::uint8_t> bytes, std::size_t pos = 0)
      : m_bytes(bytes), m_pos(pos <= bytes.size() ? pos : bytes.size()) {}

  std::size_t pos() const { return m_pos; }
  std::size_t remaining() const { return m_bytes.size() - m_pos; }
  bool has(std::uint64_t n) const { return n <= remaining(); }

  /// Read an unsigned or signed little-endian integer (or float) of sizeof(T) bytes.
  template <class T>
  bool read(T& out) {
    static_assert(std::is_arithmetic_v<T>);
    if (!has(sizeof(T))) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<std::uint64_t>(m_bytes[m_pos + i]) << (8 * i);
    if constexpr (sizeof(T) == 8) {
      std::memcpy(&out, &v, 8);
    } else {
      using U = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                   std::conditional_t<sizeof(T) == 2, std::uint16_t, std::uint32_t>>;
      const U u = static_cast<U>(v);
      std::memcpy(&out, &u, sizeof(T));
    }
    m_pos += sizeof(T);
    return true;
  }

  /// Borrow the next n bytes (no copy); false when fewer remain.
  bool take(std::uint64_t n, std::span<const std::uint8_t>& out) {
    if (!has(n)) return false;
    out = m_bytes.subspan(m_pos, static_cast<std::size_t>(n));
    m_pos += static_cast<std::size_t>(n);
    return true;
  }
  bool takeString(std::uint64_t n, std::string_view& out) {
    std::span<const std::uint8_t> s;
    if (!take(n, s)) return false;
    out = {reinterpret_cast<const char*>(s.data()), s.size()};
    return true;
  }
  bool skip(std::uint64_t n) {
    if (!has(n)) return false;
    m_pos += static_cast<std::size_t>(n);
    return true;
  }
  /// Jump to an absolute offset (≤ size).
  bool seek(std::uint64_t offset) {
    if (offset > m_bytes.size()) return false;
    m_pos = static_cast<std::size_t>(offset);
    return true;
  }

 private:
  std::span<const std::uint8_t> m_bytes;
  std::size_t m_pos = 0;
};

}  // namespace quench::io
