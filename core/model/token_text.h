#pragma once
// Byte-level helpers shared by the tokenizers (SentencePiece-style and tokenizer.json BPE).
#include <cstddef>
#include <string_view>

namespace quench::model {

/// Length of the UTF-8 sequence starting with byte b (1 for continuation/invalid bytes, so that
/// malformed text still advances one byte at a time and goes to byte fallback).
inline std::size_t utf8Length(unsigned char b) {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

/// Parses a byte-fallback piece "<0xXX>" (upper- or lower-case hex); −1 when `s` is not one.
inline int byteTokenValue(std::string_view s) {
  if (s.size() != 6 || s.substr(0, 3) != "<0x" || s[5] != '>') return -1;
  int v = 0;
  for (char ch : s.substr(3, 2)) {
    v *= 16;
    if (ch >= '0' && ch <= '9') v += ch - '0';
    else if (ch >= 'A' && ch <= 'F') v += ch - 'A' + 10;
    else if (ch >= 'a' && ch <= 'f') v += ch - 'a' + 10;
    else return -1;
  }
  return v;
}

}  // namespace quench::model
