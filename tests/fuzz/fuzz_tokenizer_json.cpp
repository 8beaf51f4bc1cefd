// libFuzzer target for the tokenizer.json reader and the tokenizer it builds: any bytes must give
// either an error naming the file or a tokenizer whose encoder, on fixed texts (invalid UTF-8
// included) and on the input itself as text, returns ids inside its vocabulary that decode;
// never a crash, a hang on a regex, or an allocation sized by an unchecked id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/model/tokenizer_hf.h"

namespace {
void exercise(const quench::model::Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text, true, true);
  for (int id : ids)
    if (id < 0 || id >= t.vocabSize()) std::abort();
  if (!t.decode(ids)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (bool prefix : {true, false}) {
    quench::model::TokenizerOptions o;
    o.prefixSpace = prefix;
    auto t = quench::model::parseHfTokenizer(json, "fuzz.json", 1, 2, o);
    if (!t) {
      if (t.error().message.rfind("fuzz.json: ", 0) != 0) std::abort();  // errors name the file
      return 0;
    }
    for (std::string_view text : {std::string_view("Hello, world! 12345 <s> naïve café"), std::string_view("  \t\n"),
                                  std::string_view("\xFF\xC3(\xE2\x82", 5), std::string_view()})
      exercise(**t, text);
    exercise(**t, json.substr(0, 4096));
  }
  return 0;
}
