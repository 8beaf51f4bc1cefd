// libFuzzer target for the llama.cpp --kl-divergence-base reader: any bytes must give either a
// file whose every row decodes to finite log-probabilities with in-range true tokens, or an error
// naming the file; never a crash or an allocation sized by an unchecked header.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/divergence/kld_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = quench::LlamaKldFile::parse(
      quench::MappedFile::fromBytes("fuzz.kld", std::vector<std::uint8_t>(data, data + size)));
  if (!parsed) {
    if (parsed.error().message.rfind("fuzz.kld: ", 0) != 0) std::abort();  // errors name the file
    return 0;
  }
  const auto& f = *parsed;
  std::vector<float> row(static_cast<std::size_t>(f.nVocab()));
  for (std::size_t c = 0; c < static_cast<std::size_t>(f.nChunk()); ++c) {
    for (std::size_t r = 0; r < f.rowsPerChunk(); ++r) {
      f.decodeRow(c, r, row);
      for (float v : row)
        if (!std::isfinite(v)) std::abort();
      const std::int32_t t = f.trueNextToken(c, r);
      if (t < 0 || t >= f.nVocab()) std::abort();
    }
  }
  (void)quench::llamaKldPerplexity(f);  // may be +∞ for absurd but finite floors; must not crash
  return 0;
}
