// libFuzzer target for the safetensors reader: any bytes must give either a catalog whose every tensor
// reads (or fails with a message naming the file) or an error naming the file; never a crash, a
// leak or an allocation sized by an unchecked header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/io/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto file = quench::MappedFile::fromBytes("fuzz.safetensors", std::vector<std::uint8_t>(data, data + size));
  auto reader = quench::openSafetensors(file);
  if (!reader) {
    if (reader.error().message.rfind("fuzz.safetensors: ", 0) != 0) std::abort();  // errors name the file
    return 0;
  }
  const auto& tensors = (*reader)->tensors();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    auto t = (*reader)->readFloat(i);
    if (!t) {
      if (t.error().message.rfind("fuzz.safetensors: ", 0) != 0) std::abort();
      continue;
    }
    // A decoded tensor has exactly as many values as its catalogued shape promises.
    if (t->values.size() != quench::checkedElementCount(tensors[i].shape).value_or(~0ull)) std::abort();
  }
  return 0;
}
