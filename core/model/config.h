#pragma once
// Hyper-parameters of a Llama-family decoder, whatever file they came from.
#include <cstdint>
#include <string>

#include "core/tensor/result.h"

namespace quench::model {

/// Which elements of a head RoPE rotates together. llama2.c and GGUF (whose converter permutes the
/// rows of wq/wk for this) rotate adjacent pairs (2i, 2i+1); Hugging Face Llama weights loaded raw
/// rotate halves (i, i + head_dim/2). Both use the angle pos·theta^(−2i/head_dim) for pair i.
enum class RopeStyle { AdjacentPairs, Halves };

/// The shapes and constants the runtime needs (llama2.c's Config plus eps, theta and RoPE style).
struct ModelConfig {
  int dim = 0;         ///< transformer width (residual stream size)
  int hiddenDim = 0;   ///< SwiGLU inner size
  int nLayers = 0;
  int nHeads = 0;      ///< query heads
  int nKvHeads = 0;    ///< key/value heads (GQA: nHeads is a multiple of nKvHeads)
  int vocabSize = 0;
  int seqLen = 0;      ///< longest context the KV cache holds
  float normEps = 1e-5f;      ///< RMSNorm epsilon
  float ropeTheta = 10000.0f; ///< RoPE base
  RopeStyle rope = RopeStyle::AdjacentPairs;
  bool sharedClassifier = true;  ///< output projection is the token embedding

  int headDim() const { return nHeads > 0 ? dim / nHeads : 0; }
  int kvDim() const { return nHeads > 0 ? dim / nHeads * nKvHeads : 0; }
};

/// Sanity limits on a config read from an untrusted file (sizes positive, dim divisible by heads,
/// heads divisible by KV heads, even head size, buffers that fit in memory). `source` names the
/// file in the message.
Status validateConfig(const ModelConfig& c, const std::string& source);

}  // namespace quench::model
