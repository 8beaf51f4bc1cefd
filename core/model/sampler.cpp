#include "core/model/sampler.h"

#include <algorithm>
#include <cmath>

namespace quench::model {

// MT19937-64 (Matsumoto & Nishimura), written out so the stream is fixed by the seed alone.
namespace {
constexpr int kN = 312, kM = 156;
constexpr std::uint64_t kMatrixA = 0xB5026F5AA96619E9ull, kUpper = 0xFFFFFFFF80000000ull, kLower = 0x7FFFFFFFull;
}  // namespace

Sampler::Sampler(float temperature, std::uint64_t seed) : m_temperature(temperature) {
  m_state[0] = seed;
  for (int i = 1; i < kN; ++i)
    m_state[i] = 6364136223846793005ull * (m_state[i - 1] ^ (m_state[i - 1] >> 62)) + static_cast<std::uint64_t>(i);
  m_index = kN;
}

std::uint64_t Sampler::next() {
  if (m_index >= kN) {
    for (int i = 0; i < kN; ++i) {
      const std::uint64_t x = (m_state[i] & kUpper) | (m_state[(i + 1) % kN] & kLower);
      m_state[i] = m_state[(i + kM) % kN] ^ (x >> 1) ^ ((x & 1) ? kMatrixA : 0);
    }
    m_index = 0;
  }
  std::uint64_t x = m_state[m_index++];
  x ^= (x >> 29) & 0x5555555555555555ull;
  x ^= (x << 17) & 0x71D67FFFEDA60000ull;
  x ^= (x << 37) & 0xFFF7EEE000000000ull;
  x ^= x >> 43;
  return x;
}

int Sampler::sample(std::span<const float> logits) {
  if (m_temperature <= 0.0f)
    return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  m_probs.assign(logits.begin(), logits.end());
  for (float& v : m_probs) v /= m_temperature;
  softmax(m_probs.data(), static_cast<int>(m_probs.size()));
  const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  double cdf = 0.0;
  for (std::size_t i = 0; i < m_probs.size(); ++i) {
    cdf += m_probs[i];
    if (u < cdf) return static_cast<int>(i);
  }
  return static_cast<int>(m_probs.size()) - 1;  // rounding left the cdf just below 1
}

Result<std::vector<int>> generate(Transformer& model, std::span<const int> prompt, const GenerateOptions& options,
                                  int bos, int eos, const std::function<void(int, int)>& onToken, const Work& work) {
  const ModelConfig& c = model.config();
  // A sliding window shorter than the context bounds what is computed exactly.
  const int limit = exactContext(c);
  if (prompt.empty()) return makeError("the prompt has no tokens (start with BOS)");
  if (prompt.size() > static_cast<std::size_t>(limit))
    return makeError("the prompt's " + std::to_string(prompt.size()) + " tokens exceed the context of " +
                     std::to_string(limit));
  for (int t : prompt)
    if (t < 0 || t >= c.vocabSize) return makeError("prompt token " + std::to_string(t) + " is outside the vocabulary");
  Sampler sampler(options.temperature, options.seed);
  std::vector<int> out;
  // The prompt in blocks (prefill), then one token at a time; progress is in new tokens.
  const Work quiet{work.stop, {}};
  auto logits = model.prefill(prompt, 0, false, quiet);
  if (!logits) return logits.error();
  int pos = static_cast<int>(prompt.size());
  int token = prompt.back();
  while (static_cast<int>(out.size()) < options.maxNewTokens) {
    if (work.cancelled()) return makeError("generation cancelled");
    const int next = sampler.sample({logits->data(), static_cast<std::size_t>(c.vocabSize)});
    out.push_back(next);
    if (onToken) onToken(token, next);
    work.report(static_cast<double>(out.size()), options.maxNewTokens);
    if (options.stopAtEos && (next == eos || next == bos)) break;
    if (pos >= limit || static_cast<int>(out.size()) >= options.maxNewTokens) break;
    token = next;
    logits = model.prefill({&token, 1}, pos++, false, quiet);
    if (!logits) return logits.error();
  }
  return out;
}

}  // namespace quench::model
