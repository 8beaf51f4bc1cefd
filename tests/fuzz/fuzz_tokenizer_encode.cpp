// libFuzzer target for the tokenizer encoders themselves on arbitrary bytes (valid and invalid
// UTF-8): the real vocabularies of the shared data (llama.cpp's ggml-vocab-gpt-2.gguf, byte-level
// BPE; ggml-vocab-llama-spm.gguf, SentencePiece; TinyStories-656K's tokenizer.json; stories260K's
// llama2.c tok512.bin) encode the input with and without BOS/EOS, the prefix space and special-token
// parsing; every id is inside the vocabulary, and the ids decode. For the byte-level BPE, whose
// encoding is lossless on valid UTF-8, decode(encode(text)) is the text itself (invalid sequences
// become U+FFFD first, as in llama.cpp's unicode_cpts_from_utf8). Never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/tokenizer_loader.h"

namespace {
struct Loaded {
  std::string name;
  std::unique_ptr<quench::model::Tokenizer> tokenizer;
  bool lossless = false;
};
std::vector<Loaded> g_tokenizers;

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

void checkAt(bool ok, int line, const std::string& name) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_tokenizer_encode: %s: property at line %d violated\n", name.c_str(), line);
  std::abort();
}
}  // namespace
#define check(ok, name) checkAt((ok), __LINE__, (name))

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::filesystem::path shared = QUENCH_SHARED_DATA;
  struct Spec {
    const char* path;
    const char* tokenizer;
    bool parseSpecial, prefixSpace, lossless;
  };
  const Spec specs[] = {
      {"tokenizers/ggml-vocab-gpt-2.gguf", "", false, false, true},
      {"tokenizers/ggml-vocab-gpt-2.gguf", "", true, false, false},
      {"tokenizers/ggml-vocab-llama-spm.gguf", "", false, true, false},
      {"tokenizers/ggml-vocab-llama-spm.gguf", "", true, false, false},
      {"models/TinyStories-656K/tokenizer.json", "", false, true, false},
      {"models/stories260K/stories260K.bin", "models/stories260K/tok512.bin", false, true, false},
  };
  for (const Spec& s : specs) {
    quench::model::TokenizerOptions o;
    o.parseSpecial = s.parseSpecial;
    o.prefixSpace = s.prefixSpace;
    auto t = quench::model::openTokenizer(shared / s.path, *s.tokenizer ? shared / s.tokenizer : std::filesystem::path(), o);
    if (!t) {
      std::fprintf(stderr, "fuzz_tokenizer_encode: %s\n", t.error().message.c_str());
      std::abort();  // the shared data is required (QUENCH_SHARED_DATA)
    }
    g_tokenizers.push_back({std::string(s.path) + (s.parseSpecial ? " (special)" : ""), std::move(t).value(), s.lossless});
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The encoders are superlinear in a word's length; 256 bytes reach every path.
  const std::string_view text(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 256));
  const bool valid = validUtf8(text);
  // BOS and EOS or neither, chosen by the input (both each time would halve the executions).
  const bool ends = size % 2 == 1;
  for (const Loaded& l : g_tokenizers) {
    const auto& t = *l.tokenizer;
    const auto ids = t.encode(text, ends, ends);
    for (int id : ids) check(id >= 0 && id < t.vocabSize(), l.name);
    const auto back = t.decode(ids);
    check(back.ok(), l.name);
    if (l.lossless && valid && !ends) check(*back == text, l.name);
  }
  return 0;
}
