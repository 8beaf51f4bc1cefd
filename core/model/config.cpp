#include "core/model/config.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace quench::model {

std::string_view architectureName(Architecture a) {
  switch (a) {
    case Architecture::Llama: return "llama";
    case Architecture::Mistral: return "mistral";
    case Architecture::Qwen2: return "qwen2";
    case Architecture::Qwen3: return "qwen3";
    case Architecture::Gemma: return "gemma";
    case Architecture::Phi3: return "phi3";
  }
  return "?";
}

Status validateConfig(const ModelConfig& c, const std::string& source) {
  auto bad = [&](const std::string& what) { return makeError(source + ": invalid model config: " + what); };
  // Generous upper bounds: they only stop an absurd header from sizing an allocation.
  constexpr int kMaxDim = 1 << 16, kMaxLayers = 1024, kMaxVocab = 1 << 20, kMaxSeq = 1 << 24, kMaxHeads = 4096;
  if (c.dim <= 0 || c.dim > kMaxDim) return bad("dim " + std::to_string(c.dim) + " out of range");
  if (c.hiddenDim <= 0 || c.hiddenDim > 8 * kMaxDim) return bad("hidden_dim " + std::to_string(c.hiddenDim) + " out of range");
  if (c.nLayers <= 0 || c.nLayers > kMaxLayers) return bad("n_layers " + std::to_string(c.nLayers) + " out of range");
  if (c.nHeads <= 0 || c.nHeads > kMaxHeads) return bad("n_heads " + std::to_string(c.nHeads) + " out of range");
  if (c.headSize < 0 || c.headSize > kMaxDim) return bad("head_dim " + std::to_string(c.headSize) + " out of range");
  if (c.headSize == 0 && c.dim % c.nHeads != 0)
    return bad("n_heads " + std::to_string(c.nHeads) + " does not divide dim " + std::to_string(c.dim));
  if (c.nKvHeads <= 0 || c.nKvHeads > c.nHeads || c.nHeads % c.nKvHeads != 0)
    return bad("n_kv_heads " + std::to_string(c.nKvHeads) + " does not divide n_heads " + std::to_string(c.nHeads));
  if (c.headDim() <= 0 || static_cast<long long>(c.nHeads) * c.headDim() > 8ll * kMaxDim)
    return bad("n_heads × head_dim is out of range");
  if (c.ropeDims < 0 || c.ropeDims > c.headDim()) return bad("rotary dimensions out of range");
  if (c.rotaryDims() % 2 != 0) return bad("rotary width " + std::to_string(c.rotaryDims()) + " is odd (RoPE needs pairs)");
  if (c.vocabSize <= 0 || c.vocabSize > kMaxVocab) return bad("vocab_size " + std::to_string(c.vocabSize) + " out of range");
  if (c.seqLen <= 0 || c.seqLen > kMaxSeq) return bad("seq_len " + std::to_string(c.seqLen) + " out of range");
  if (!std::isfinite(c.normEps) || c.normEps <= 0.0f || c.normEps > 1.0f) return bad("RMSNorm eps out of range");
  if (!std::isfinite(c.ropeTheta) || c.ropeTheta <= 1.0f) return bad("rope theta out of range");
  if (!std::isfinite(c.embedScale) || c.embedScale <= 0.0f) return bad("embedding scale out of range");
  if (c.slidingWindow < 0) return bad("sliding window is negative");
  if (c.ropeScaling != RopeScaling::None && !(std::isfinite(c.ropeFactor) && c.ropeFactor > 0))
    return bad("rope scaling factor out of range");
  if (c.ropeScaling == RopeScaling::Llama3 && c.ropeFreqDivisors.empty()) {
    if (!(c.ropeOriginalContext > 0) || !(c.ropeLowFreqFactor > 0) || !(c.ropeHighFreqFactor > c.ropeLowFreqFactor))
      return bad("llama3 rope scaling needs original_max_position_embeddings > 0 and high_freq_factor > "
                 "low_freq_factor > 0");
  }
  if (!c.ropeFreqDivisors.empty()) {
    if (c.ropeFreqDivisors.size() != static_cast<std::size_t>(c.rotaryDims() / 2))
      return bad("rope_freqs holds " + std::to_string(c.ropeFreqDivisors.size()) + " values, RoPE has " +
                 std::to_string(c.rotaryDims() / 2) + " frequencies");
    for (float f : c.ropeFreqDivisors)
      if (!std::isfinite(f) || f <= 0) return bad("rope_freqs holds a value that is not a positive number");
  }
  return {};
}

std::vector<double> ropeInverseFrequencies(const ModelConfig& c) {
  const int d = c.rotaryDims();
  std::vector<double> inv(static_cast<std::size_t>(d / 2));
  for (int i = 0; i < d / 2; ++i) inv[static_cast<std::size_t>(i)] = std::pow(static_cast<double>(c.ropeTheta), -2.0 * i / d);
  if (!c.ropeFreqDivisors.empty()) {
    for (std::size_t i = 0; i < inv.size(); ++i) inv[i] /= c.ropeFreqDivisors[i];
    return inv;
  }
  if (c.ropeScaling == RopeScaling::Linear) {
    for (double& f : inv) f /= c.ropeFactor;
  } else if (c.ropeScaling == RopeScaling::Llama3) {
    // Wavelengths shorter than original/high_freq_factor keep their frequency, longer than
    // original/low_freq_factor are divided by the factor, in between interpolated smoothly.
    const double lowWavelen = c.ropeOriginalContext / c.ropeLowFreqFactor;
    const double highWavelen = c.ropeOriginalContext / c.ropeHighFreqFactor;
    for (double& f : inv) {
      const double wavelen = 2.0 * std::numbers::pi / f;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) {
        f /= c.ropeFactor;
        continue;
      }
      const double smooth = (c.ropeOriginalContext / wavelen - c.ropeLowFreqFactor) /
                            (c.ropeHighFreqFactor - c.ropeLowFreqFactor);
      f = (1.0 - smooth) * f / c.ropeFactor + smooth * f;
    }
  }
  return inv;
}

int exactContext(const ModelConfig& c) {
  return c.slidingWindow > 0 ? std::min(c.seqLen, c.slidingWindow) : c.seqLen;
}

}  // namespace quench::model
