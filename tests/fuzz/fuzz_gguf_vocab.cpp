// libFuzzer target for GGUF vocabulary metadata (tokenizer.ggml.*) and the tokenizers built from
// it. The input is a JSON object of metadata keys; strings stay text, other values are rendered as
// JSON, exactly as the GGUF reader renders a file's key/values (arrays as JSON text). Any input
// must give an error naming the file or a tokenizer whose ids stay in the vocabulary and decode,
// with and without special-token parsing and the prefix space; never a crash.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/model/tokenizer_gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 0;
  quench::Metadata meta;
  for (auto it = j.begin(); it != j.end(); ++it)
    meta.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  for (int variant = 0; variant < 2; ++variant) {
    quench::model::TokenizerOptions o;
    o.parseSpecial = variant == 1;
    o.prefixSpace = variant == 0;
    auto t = quench::model::ggufTokenizer(meta, "fuzz.gguf", o);
    if (!t) {
      if (t.error().message.rfind("fuzz.gguf: ", 0) != 0) std::abort();
      return 0;
    }
    const std::string_view raw(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 2048));
    for (std::string_view text : {std::string_view("Hello world! 3 33 333 <|endoftext|> <s>\n\n  x"),
                                  std::string_view("\xF0\x9F\xA6\x99 \xFF\xFE\xC0\x80", 9), raw}) {
      const auto ids = (*t)->encode(text, true, true);
      for (int id : ids)
        if (id < 0 || id >= (*t)->vocabSize()) std::abort();
      if (!(*t)->decode(ids)) std::abort();
    }
  }
  return 0;
}
