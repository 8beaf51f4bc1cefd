#pragma once
// UTF-8 and byte-level helpers shared by the tokenizers (private to core/model). No Unicode
// tables live here: character classes come from PCRE2 (regex.h), normalization from ICU.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace quench::model::utf8 {

constexpr std::uint32_t kReplacement = 0xFFFD;

/// Decode the code point at `s[i]` and advance `i`. Strict UTF-8 (no overlongs, surrogates or
/// values above U+10FFFF): an invalid or truncated sequence yields U+FFFD and advances one byte,
/// as llama.cpp's unicode_cpts_from_utf8 does for the sequences it rejects.
std::uint32_t decode(std::string_view s, std::size_t& i);

/// Append the UTF-8 encoding of `cp` (which must be a Unicode scalar value).
void append(std::string& out, std::uint32_t cp);

/// True when `s` is well-formed UTF-8.
bool isValid(std::string_view s);

/// `s` with every byte that is not part of a well-formed sequence replaced by U+FFFD ("\xEF\xBF\xBD").
/// Returns `s` unchanged (copied) when it is valid.
std::string sanitize(std::string_view s);

/// Length of the UTF-8 sequence led by byte `b`, by its high nibble as llama.cpp's
/// unicode_len_utf8 does (continuation bytes count 1, 0xF8..0xFF count 4); callers clamp to the
/// bytes that remain. Used where llama.cpp splits text into "characters" without validating it.
inline std::size_t leadLength(unsigned char b) {
  static constexpr std::uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[b >> 4];
}

/// GPT-2's byte-level alphabet: byte b ↦ one printable code point (the bytes !..~, ¡..¬, ®..ÿ map
/// to themselves, the other 68 to U+0100.. in byte order), as UTF-8. The table is computed by
/// that rule, not copied.
const std::array<std::string, 256>& byteToUnicode();

/// Inverse of byteToUnicode for one code point: the byte, or −1 when `cp` is not in the alphabet.
int unicodeToByte(std::uint32_t cp);

/// Unicode's White_Space property (25 code points, Unicode 15 PropList.txt), used for the
/// lstrip/rstrip of added tokens where tokenizers uses Rust's char::is_whitespace.
bool isWhiteSpace(std::uint32_t cp);

}  // namespace quench::model::utf8
