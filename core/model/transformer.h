#pragma once
// One decoding stream of a model: its weights (as stored), a Decoder and a KV cache. Prompts are
// processed in blocks of positions through matrix-matrix products (prefill), one token at a time
// after that (generation). The per-layer engine underneath is core/model/decoder.h.
#include <memory>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/config.h"
#include "core/model/decoder.h"
#include "core/model/weights.h"
#include "core/tensor/result.h"

namespace quench::model {

/// A model ready to run: config + weights + one stream's KV cache.
class Transformer {
 public:
  /// Positions per prefill block: the activations of a block are (block, hidden_dim) floats.
  static constexpr int kPrefillBlock = 512;

  Transformer(ModelConfig config, ModelWeights globals, std::vector<LayerWeights> layers);

  const ModelConfig& config() const { return m_decoder.config(); }
  const ModelWeights& modelWeights() const { return m_globals; }
  const LayerWeights& layerWeights(int layer) const { return m_layers[static_cast<std::size_t>(layer)]; }

  /// Run token `token` at position `pos` (0 ≤ pos < seq_len; positions 0..pos−1 must have run
  /// before on this stream) and return the next-token logits, (vocab). The span stays valid until
  /// the next call. The caller checks the ranges (asserted here); a failure (e.g. a context past
  /// a sliding window) returns NaN logits.
  std::span<const float> forward(int token, int pos);

  /// Feed `tokens` at positions startPos.. (positions before startPos must be in the cache, which
  /// is truncated to startPos first) in blocks of kPrefillBlock, and return the logits of every
  /// fed position (n, vocab) or, when `allLogits` is false, of the last one (1, vocab). Errors on
  /// ids out of range, contexts past the exact context, non-finite logits, or cancellation.
  Result<Matrix> prefill(std::span<const int> tokens, int startPos, bool allLogits, const Work& work = {});

  /// Feed `tokens` from position 0 on an empty cache and return logits (n, vocab): row i is the
  /// distribution after tokens[0..i]. Errors as prefill.
  Result<Matrix> logitsFor(std::span<const int> tokens, const Work& work = {});

  /// Streaming: after each layer (and the classifier) has run, its pages of the mapped file are
  /// handed back (WeightMatrix::releasePages), so resident memory holds about one layer of
  /// weights, not the model; the next pass faults them in again from the page cache.
  /// loadTransformer turns it on for models whose mapped weights exceed a quarter of the RAM.
  void setStreamWeights(bool on) { m_streamWeights = on; }
  bool streamWeights() const { return m_streamWeights; }

 private:
  Decoder m_decoder;
  ModelWeights m_globals;
  std::vector<LayerWeights> m_layers;
  KvCache m_cache;
  Matrix m_x;       // (block, dim) residual stream of the block being run
  Matrix m_logits;  // (1, vocab) of forward()
  bool m_streamWeights = false;
};

}  // namespace quench::model
