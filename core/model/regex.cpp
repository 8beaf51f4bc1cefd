#include "core/model/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace quench::model {

struct Regex::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

Result<Regex> Regex::compile(std::string_view pattern) {
  int err = 0;
  PCRE2_SIZE errOffset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &errOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return makeError("regular expression '" + std::string(pattern) + "': " + reinterpret_cast<const char*>(msg) +
                     " at offset " + std::to_string(errOffset));
  }
  Regex r;
  r.m_pattern = std::string(pattern);
  r.m_code = std::make_unique<Code>();
  r.m_code->code = code;
  r.m_code->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return r;
}

std::vector<std::pair<std::size_t, std::size_t>> Regex::matches(std::string_view subject) const {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  // Match data per call: the compiled code is shared between threads, match data is not.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(m_code->code, nullptr), &pcre2_match_data_free);
  if (!md) return out;
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  std::size_t at = 0;
  while (at <= subject.size()) {
    const int rc = m_code->jit ? pcre2_jit_match(m_code->code, s, subject.size(), at, 0, md.get(), nullptr)
                               : pcre2_match(m_code->code, s, subject.size(), at, 0, md.get(), nullptr);
    if (rc < 0) break;  // no match (or a matching limit on pathological input: the rest is one gap)
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    const std::size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.emplace_back(b, e);
      at = e;
    } else {
      // An empty match: a non-empty one may still start here (another alternative), as
      // std::regex's iterator retries; otherwise step over one character.
      const int again = pcre2_match(m_code->code, s, subject.size(), b, PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED,
                                    md.get(), nullptr);
      if (again >= 0) {
        const PCRE2_SIZE* ov2 = pcre2_get_ovector_pointer(md.get());
        if (ov2[1] > ov2[0]) {
          out.emplace_back(ov2[0], ov2[1]);
          at = ov2[1];
          continue;
        }
      }
      if (b >= subject.size()) break;
      at = b + 1;
      while (at < subject.size() && (static_cast<unsigned char>(subject[at]) & 0xC0) == 0x80) ++at;
    }
  }
  return out;
}

}  // namespace quench::model
