// libFuzzer target for the llama2.c checkpoint reader: any bytes must give either a catalog whose
// every tensor reads, or an error naming the file; never a crash or an unchecked allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/io/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto file = quench::MappedFile::fromBytes("fuzz.bin", std::vector<std::uint8_t>(data, data + size));
  auto reader = quench::openLlama2c(file);
  if (!reader) {
    if (reader.error().message.rfind("fuzz.bin: ", 0) != 0) std::abort();  // errors name the file
    return 0;
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < (*reader)->tensors().size(); ++i) {
    auto t = (*reader)->readFloat(i);
    if (!t) std::abort();  // every listed tensor of a size-checked checkpoint must read
    total += t->values.size() * 4;
  }
  // The exposed tensors never reach past the bytes the file holds (the classifier may alias
  // the embedding, hence the factor of two).
  if (total > 2 * size) std::abort();
  return 0;
}
