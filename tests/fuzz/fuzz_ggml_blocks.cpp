// libFuzzer target for the ggml block decoders (core/io/ggml_blocks.h): the input's bytes are
// decoded as whole blocks of every block type. Each run reads from a heap copy of exactly the
// blocks' bytes (so that AddressSanitizer sees any read past a block) and writes into exactly
// count floats. Differential checks, any difference aborts:
//   - a run of n blocks decodes to the same bits as the n blocks decoded one at a time (no state
//     leaks from block to block, no block reads its neighbour's bytes);
//   - the same bytes at an odd address decode to the same bits (no alignment assumption).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/io/ggml_blocks.h"

namespace {
using quench::DType;
constexpr DType kBlockTypes[] = {
    DType::Q4_0,   DType::Q4_1,    DType::Q5_0,   DType::Q5_1,  DType::Q8_0,    DType::Q2_K,  DType::Q3_K,
    DType::Q4_K,   DType::Q5_K,    DType::Q6_K,   DType::Q8_K,  DType::IQ1_S,   DType::IQ1_M, DType::IQ2_XXS,
    DType::IQ2_XS, DType::IQ2_S,   DType::IQ3_XXS, DType::IQ3_S, DType::IQ4_NL, DType::IQ4_XS, DType::TQ1_0,
    DType::TQ2_0,  DType::MXFP4,   DType::NVFP4,  DType::Q1_0,  DType::Q2_0,    DType::Q8_1,
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 1 KiB is at least 3 blocks of every type; more only slows each run (27 types, 3 decodes each).
  size = std::min<std::size_t>(size, 1024);
  for (DType t : kBlockTypes) {
    const std::size_t bb = quench::blockBytes(t), bs = quench::blockSize(t);
    const std::size_t blocks = size / bb;
    if (blocks == 0) continue;
    const std::size_t bytes = blocks * bb, count = blocks * bs;
    const std::unique_ptr<std::uint8_t[]> src(new std::uint8_t[bytes]);
    std::memcpy(src.get(), data, bytes);
    const std::unique_ptr<float[]> whole(new float[count]);
    quench::decodeToFloat(t, src.get(), count, whole.get());

    const std::unique_ptr<float[]> one(new float[bs]);
    const std::unique_ptr<std::uint8_t[]> block(new std::uint8_t[bb]);
    for (std::size_t i = 0; i < blocks; ++i) {
      std::memcpy(block.get(), data + i * bb, bb);
      quench::decodeToFloat(t, block.get(), bs, one.get());
      if (std::memcmp(one.get(), whole.get() + i * bs, bs * sizeof(float)) != 0) std::abort();
    }

    const std::unique_ptr<std::uint8_t[]> odd(new std::uint8_t[bytes + 1]);
    std::memcpy(odd.get() + 1, data, bytes);
    const std::unique_ptr<float[]> shifted(new float[count]);
    quench::decodeToFloat(t, odd.get() + 1, count, shifted.get());
    if (std::memcmp(shifted.get(), whole.get(), count * sizeof(float)) != 0) std::abort();
  }
  return 0;
}
