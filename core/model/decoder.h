#pragma once
// The decoder engine: one decoder layer at a time over a batch of sequences, with the layer's
// weights supplied by the caller.
//
// A batch is a (tokens, dim) matrix x holding the residual stream of every position of one or
// more sequences, one row per token, each sequence a run of consecutive rows (SequenceRows: its
// first row, its count, the position of its first row). Every step of a layer works on the whole
// batch through matrix-matrix products (core/simd/gemm_kernels.h: threads split each product),
// and attention runs per (sequence, head) in parallel: causal inside the batch, and over a
// sequence's KvCache for the positions before it when one is given.
//
// How a caller runs a model (Transformer does exactly this; a layer-streamed evaluation does it
// for two models, P and Q, alternately):
//
//   Decoder dec(files.config);
//   auto globals = loadModelWeights(files);                // embedding, final norm, output
//   Matrix x;
//   dec.embed(*globals, tokens, x);                        // (tokens, dim)
//   for (int l = 0; l < files.config.nLayers; ++l) {
//     auto w = loadLayerWeights(files, l, override);       // as stored, or the caller's floats
//     dec.runLayer(*w, l, x, sequences, {}, observer);     // x ← layer l (x)
//   }                                                      // w dropped here: a reconstruction
//   dec.logits(*globals, x, {}, logits);                   //   lives for one layer only
//
// - Weights: a LayerWeights is views of the mapped file (nothing converted) or float32 matrices
//   the caller made (a quantized reconstruction); it only has to outlive the runLayer call.
// - Statistics: `observe` receives the input of every linear of the layer as it runs: (tokens,
//   in_features) for q/k/v (one input), o, gate/up (one input) and down — what GPTQ's H = 2XᵀX
//   and AWQ's mean |x| need. The residual stream after the layer is x itself.
// - Whole sequences need no cache: with `caches` empty, every sequence must start at position 0
//   and attends to its own rows only. Streaming generation passes one KvCache per sequence.
// - Results do not depend on the number of threads, nor on which other sequences share the batch
//   (each product sums in a fixed order per element).
#include <functional>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/tensor/result.h"

namespace quench::model {

/// One sequence's rows in a batch.
struct SequenceRows {
  int firstRow = 0;  ///< its first row in the batch
  int count = 0;     ///< its rows (tokens) in the batch
  int startPos = 0;  ///< position of its first row; positions before it are in its KvCache
};

/// Keys (after RoPE) and values of one sequence for every layer; row p is position p. Storage
/// grows with the positions written, up to the model's context.
class KvCache {
 public:
  explicit KvCache(const ModelConfig& config);
  /// Positions held by layer `layer` (each runLayer call sets it to startPos + count).
  int length(int layer) const { return m_length[static_cast<std::size_t>(layer)]; }
  /// Forget every position (storage is kept).
  void clear();

 private:
  friend class Decoder;
  void reserve(int layer, int positions);
  int m_kvDim;
  int m_maxPositions;
  std::vector<int> m_length;                // per layer
  std::vector<std::vector<float>> m_keys;   // per layer: (capacity, kv_dim)
  std::vector<std::vector<float>> m_values; // per layer: (capacity, kv_dim)
};

/// The linears of a layer whose input an observer receives, in the order they run.
enum class LinearSite {
  AttentionIn,   ///< input of q, k and v (the attention-normed residual; Phi-3's fused qkv)
  AttentionOut,  ///< input of o (the heads' outputs, (tokens, n_heads · head_dim))
  MlpIn,         ///< input of gate and up (the MLP-normed residual; Phi-3's fused gate_up)
  MlpHidden,     ///< input of down (act(gate) ⊙ up, (tokens, hidden_dim))
};
/// Receives (layer, site, input) with input (tokens of the batch, in_features), valid during the
/// call only.
using LinearInputObserver = std::function<void(int layer, LinearSite site, const Matrix& input)>;

/// Runs the layers of one model configuration. Holds reusable work buffers, so one Decoder runs
/// one call at a time (two models evaluated side by side use one Decoder each).
class Decoder {
 public:
  explicit Decoder(ModelConfig config);

  const ModelConfig& config() const { return m_config; }

  /// x (tokens, dim) ← the embedding rows of `tokens`, times the embedding scale (Gemma's √dim).
  /// Errors on an id outside the vocabulary.
  Status embed(const ModelWeights& weights, std::span<const int> tokens, Matrix& x) const;

  /// x ← decoder layer `layer` applied to x (tokens, dim), in place. `sequences` cover rows of x
  /// (in any order, without overlap); `caches` is empty (whole sequences from position 0) or
  /// holds one cache per sequence. Errors on shapes that disagree with the config, positions past
  /// the exact context (seq_len, or a sliding window), or a cancelled `work` (checked between
  /// steps).
  Status runLayer(const LayerWeights& weights, int layer, Matrix& x, std::span<const SequenceRows> sequences,
                  std::span<KvCache* const> caches = {}, const LinearInputObserver& observe = {},
                  const Work& work = {});

  /// logits (rows, vocab) = output · RMSNorm(x[row]) for the given rows of x (all rows when
  /// `rows` is empty): the model's head, also its logit lens on any layer's residual stream.
  void logits(const ModelWeights& weights, const Matrix& x, std::span<const int> rows, Matrix& out);

 private:
  void attention(int layer, std::span<const SequenceRows> sequences, std::span<KvCache* const> caches);

  ModelConfig m_config;
  std::vector<double> m_invFreq;  // (rotary_dims / 2)
  // Work buffers, (tokens, ·): normed input, q, k, v, attention output, gate, up.
  Matrix m_h, m_q, m_k, m_v, m_attn, m_gate, m_up;
};

/// out = x / sqrt(mean(x²) + eps) ⊙ gain, the mean accumulated in double; x and out may alias.
void rmsNorm(const float* x, const float* gain, int n, float eps, float* out);
/// In-place softmax of n values (max subtracted first).
void softmax(float* x, int n);
/// Rotate the first `rotaryDims` elements of one head's vector in place for position `pos`, pair
/// i by pos·invFreq[i], in the given pairing convention.
void applyRope(float* v, int rotaryDims, int pos, const float* invFreq, RopeStyle style);

}  // namespace quench::model
