#include "core/model/config.h"

#include <cmath>

namespace quench::model {

Status validateConfig(const ModelConfig& c, const std::string& source) {
  auto bad = [&](const std::string& what) { return makeError(source + ": invalid model config: " + what); };
  // Generous upper bounds: they only stop an absurd header from sizing an allocation.
  constexpr int kMaxDim = 1 << 16, kMaxLayers = 1024, kMaxVocab = 1 << 20, kMaxSeq = 1 << 20;
  if (c.dim <= 0 || c.dim > kMaxDim) return bad("dim " + std::to_string(c.dim) + " out of range");
  if (c.hiddenDim <= 0 || c.hiddenDim > 8 * kMaxDim) return bad("hidden_dim " + std::to_string(c.hiddenDim) + " out of range");
  if (c.nLayers <= 0 || c.nLayers > kMaxLayers) return bad("n_layers " + std::to_string(c.nLayers) + " out of range");
  if (c.nHeads <= 0 || c.dim % c.nHeads != 0)
    return bad("n_heads " + std::to_string(c.nHeads) + " does not divide dim " + std::to_string(c.dim));
  if (c.nKvHeads <= 0 || c.nKvHeads > c.nHeads || c.nHeads % c.nKvHeads != 0)
    return bad("n_kv_heads " + std::to_string(c.nKvHeads) + " does not divide n_heads " + std::to_string(c.nHeads));
  if (c.headDim() % 2 != 0) return bad("head size " + std::to_string(c.headDim()) + " is odd (RoPE needs pairs)");
  if (c.vocabSize <= 0 || c.vocabSize > kMaxVocab) return bad("vocab_size " + std::to_string(c.vocabSize) + " out of range");
  if (c.seqLen <= 0 || c.seqLen > kMaxSeq) return bad("seq_len " + std::to_string(c.seqLen) + " out of range");
  if (!std::isfinite(c.normEps) || c.normEps <= 0.0f || c.normEps > 1.0f) return bad("RMSNorm eps out of range");
  if (!std::isfinite(c.ropeTheta) || c.ropeTheta <= 1.0f) return bad("rope theta out of range");
  // KV cache: 2 × layers × seq × kvDim floats; refuse more than 16 GiB.
  const double cacheBytes = 2.0 * c.nLayers * double(c.seqLen) * c.kvDim() * sizeof(float);
  if (cacheBytes > 16.0 * (1ull << 30)) return bad("KV cache would need more than 16 GiB");
  return {};
}

}  // namespace quench::model
