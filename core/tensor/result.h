#pragma once
// Errors are values at the library boundary (STYLE.md §9). std::expected is C++23 and clang 14
// cannot compile libstdc++'s <expected>, so this is a minimal hand-written equivalent.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace quench {

/// A failure with a human-readable message that names the file and the problem.
struct Error {
  std::string message;
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

inline Error makeError(std::string message) { return Error{std::move(message)}; }

}  // namespace quench
