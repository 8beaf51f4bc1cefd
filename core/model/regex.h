#pragma once
// A compiled PCRE2 regular expression (UTF + UCP: \p{L}, \s, \w follow Unicode properties), as
// the pre-tokenizers of byte-level BPE tokenizers use them (private to core/model).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor/result.h"

namespace quench::model {

class Regex {
 public:
  /// Compile `pattern` (UTF-8) with UTF, UCP and DOLLAR_ENDONLY ("$" is the end of the subject, as
  /// in std::regex and Rust, not before a final newline), JIT-compiled when PCRE2 has a JIT.
  static Result<Regex> compile(std::string_view pattern);

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  /// Non-empty, non-overlapping matches in `subject` (which must be valid UTF-8) from left to
  /// right, as [begin, end) byte offsets. A subject is matched on its own: lookarounds and "$"
  /// see its ends as the ends of the text.
  std::vector<std::pair<std::size_t, std::size_t>> matches(std::string_view subject) const;

  const std::string& pattern() const { return m_pattern; }

 private:
  struct Code;
  Regex() = default;
  std::string m_pattern;
  std::unique_ptr<Code> m_code;
};

}  // namespace quench::model
