#pragma once
// Errors are values at the library boundary (STYLE.md §9). std::expected is C++23 and clang 14
// cannot compile libstdc++'s <expected>, so this is a minimal hand-written equivalent.
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace quench {

/// A failure with a human-readable message that names the file and the problem, and where it
/// happened in a form a program can use: the path of the offending key inside the input
/// ("rules[0].bits", "overrides[17].scale"; a GUI puts its note under that field, the CLI names
/// the flag) and, for files, the file and the byte offset. The message stays complete on its own
/// (it still says "recipe: rules[0].bits: ..."): the location is given beside it, not instead.
struct Error {
  std::string message;
  std::string path;                     ///< keys and [indices] of the offending value; "" = the input as a whole
  std::string file;                     ///< the file the input came from ("" = not a file)
  std::optional<std::uint64_t> offset;  ///< byte offset in `file` where reading failed, when known
};

/// Either a value or an Error; never both, never neither.
template <class T>
class Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(m_v); }
  const T& value() const& { assert(ok()); return std::get<0>(m_v); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(m_v)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { assert(!ok()); return std::get<1>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

/// Result of an operation that produces nothing but may fail.
struct Status {
  Status() = default;
  Status(Error e) : m_failed(true), m_error(std::move(e)) {}  // NOLINT
  bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return m_error; }

 private:
  bool m_failed = false;
  Error m_error;
};

inline Error makeError(std::string message) { return Error{std::move(message), {}, {}, {}}; }
/// An error about the value at `path` ("bits", "overrides[3].scale").
inline Error makeError(std::string message, std::string path) {
  return Error{std::move(message), std::move(path), {}, {}};
}

/// `parent` + `child` as a path: "rules[0]" + "bits" → "rules[0].bits", "overrides" + "[3]" →
/// "overrides[3]"; either may be empty.
inline std::string joinPath(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  if (child.empty()) return std::string(parent);
  std::string out(parent);
  if (child.front() != '[') out += '.';
  out += child;
  return out;
}

/// `e` with `text` in front of its message; path, file and offset are kept.
inline Error prefixError(std::string_view text, Error e) {
  e.message.insert(0, text);
  return e;
}

/// `e` as seen from a container: its path moves under `parent` (message unchanged).
inline Error nestError(std::string_view parent, Error e) {
  e.path = joinPath(parent, e.path);
  return e;
}

}  // namespace quench
