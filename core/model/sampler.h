#pragma once
// Choosing the next token, and the decoding loop built on it.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/transformer.h"
#include "core/tensor/result.h"

namespace quench::model {

/// Greedy (temperature 0: argmax, lowest id on ties) or ancestral sampling from softmax(logits/T)
/// with a seeded 64-bit Mersenne Twister, so a seed gives the same text on every platform.
class Sampler {
 public:
  Sampler(float temperature, std::uint64_t seed);
  int sample(std::span<const float> logits);

 private:
  float m_temperature;
  std::uint64_t m_state[312];  // std::mt19937_64 is not used through a distribution (those are
  int m_index = 312;           // implementation-defined): raw draws → [0, 1) by hand below.
  std::uint64_t next();
  std::vector<float> m_probs;
};

struct GenerateOptions {
  int maxNewTokens = 64;
  float temperature = 0.0f;  ///< 0 = greedy
  std::uint64_t seed = 0;
  bool stopAtEos = true;     ///< stop after the tokenizer's EOS (or BOS, llama2.c's story delimiter)
};

/// Run `prompt` (non-empty, ids in range) then sample up to maxNewTokens tokens, never past the
/// context length; `onToken(prev, token)` is called for each new token. Returns the new ids.
Result<std::vector<int>> generate(Transformer& model, std::span<const int> prompt, const GenerateOptions& options,
                                  int bos, int eos, const std::function<void(int, int)>& onToken = {},
                                  const Work& work = {});

}  // namespace quench::model
