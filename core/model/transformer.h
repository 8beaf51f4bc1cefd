#pragma once
// The forward pass of a Llama-family decoder, one token at a time with a KV cache (llama2.c's
// RunState + forward()). Config, weights and activations are kept apart, as in run.c.
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/tensor/result.h"

namespace quench::model {

/// Activation buffers and the KV cache of one decoding stream.
struct RunState {
  explicit RunState(const ModelConfig& c);
  Vector x;            ///< (dim) residual stream
  Vector xb;           ///< (dim) RMSNorm output, then the attention output (n_heads · head_dim = dim)
  Vector xb2;          ///< (dim) output of wo / w2 before it is added to x
  Vector hb;           ///< (hidden_dim) gate, then silu(gate) ⊙ up
  Vector hb2;          ///< (hidden_dim) up projection
  Vector q;            ///< (dim) queries of the current position, all heads
  Matrix att;          ///< (n_heads, seq_len) attention scores, then weights
  Vector logits;       ///< (vocab) output of the classifier
  std::vector<Matrix> keyCache;    ///< n_layers × (seq_len, kv_dim), row p = rotated keys at position p
  std::vector<Matrix> valueCache;  ///< n_layers × (seq_len, kv_dim)
  std::vector<float> ropeInvFreq;  ///< (head_dim / 2) theta^(−2i/head_dim)
};

/// A model ready to run: config + weights + one RunState.
class Transformer {
 public:
  Transformer(ModelConfig config, TransformerWeights weights);

  const ModelConfig& config() const { return m_config; }
  const TransformerWeights& weights() const { return m_weights; }

  /// Run token `token` at position `pos` (0 ≤ pos < seq_len; positions 0..pos−1 must have run
  /// before on this state) and return the next-token logits, (vocab). The span stays valid until
  /// the next call. The caller checks the ranges (asserted here).
  std::span<const float> forward(int token, int pos);

  /// Feed `tokens` from position 0 on an empty cache and return logits (n, vocab): row i is the
  /// distribution after tokens[0..i]. Errors on ids out of range, n > seq_len, or cancellation.
  Result<Matrix> logitsFor(std::span<const int> tokens, const Work& work = {});

 private:
  ModelConfig m_config;
  TransformerWeights m_weights;
  RunState m_state;
};

/// y = W·x for a row-major W (rows, cols); splits rows over TBB when the product is large enough
/// to pay for the threads.
void matVec(const Matrix& w, const float* x, float* y);
/// out = x / sqrt(mean(x²) + eps) ⊙ gain, accumulated in double; x and out may alias.
void rmsNorm(const float* x, const float* gain, int n, float eps, float* out);
/// In-place softmax of n values (max subtracted first).
void softmax(float* x, int n);
/// Rotate one head's vector in place for position `pos` by RoPE in the given pairing convention.
void applyRope(float* v, int headDim, int pos, const float* invFreq, RopeStyle style);

}  // namespace quench::model
