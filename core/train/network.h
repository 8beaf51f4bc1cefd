#pragma once
// Forward and backward pass of a Llama-family decoder over a whole sequence at once, for training
// at teaching scale (MATH.md §16). The same architecture as the inference runtime (core/model):
// token embedding, per block RMSNorm → RoPE attention with grouped KV heads (causal) → residual,
// RMSNorm → SwiGLU → residual, final RMSNorm, tied or separate classifier.
//
// Templated on the scalar: float for training, double for the finite-difference gradient check.
// One sequence runs on one thread (no parallelism inside), so the result of a sequence does not
// depend on how many threads the caller uses; callers parallelize over the sequences of a batch.
#include <span>
#include <vector>

#include "core/train/parameters.h"

namespace quench::train {

/// Activations of one sequence of n tokens kept by forward() for backward(). Shapes in comments.
template <class S>
struct LayerActivations {
  MatrixT<S> xIn;          ///< (n, dim) residual stream entering the block
  VectorT<S> rAttn;        ///< (n) 1 / sqrt(mean(xIn²) + eps) per position
  MatrixT<S> a;            ///< (n, dim) attention RMSNorm output
  MatrixT<S> q;            ///< (n, n_heads · head_dim) queries after RoPE
  MatrixT<S> k;            ///< (n, n_kv_heads · head_dim) keys after RoPE
  MatrixT<S> v;            ///< (n, n_kv_heads · head_dim) values
  std::vector<MatrixT<S>> p;  ///< n_heads × (n, n) causal attention weights (row t: query t)
  MatrixT<S> o;            ///< (n, n_heads · head_dim) attention output, heads side by side
  MatrixT<S> xMid;         ///< (n, dim) residual stream after attention
  VectorT<S> rFfn;         ///< (n)
  MatrixT<S> b;            ///< (n, dim) FFN RMSNorm output
  MatrixT<S> gate;         ///< (n, hidden) w1 · b (before SiLU)
  MatrixT<S> up;           ///< (n, hidden) w3 · b
  MatrixT<S> h;            ///< (n, hidden) silu(gate) ⊙ up
};

template <class S>
struct SequenceCache {
  std::vector<int> tokens;                    ///< (n) input ids
  std::vector<LayerActivations<S>> layers;    ///< n_layers
  MatrixT<S> xOut;                            ///< (n, dim) residual stream after the last block
  VectorT<S> rFinal;                          ///< (n)
  MatrixT<S> f;                               ///< (n, dim) final RMSNorm output
  MatrixT<S> logits;                          ///< (n, vocab)
};

/// The decoder of one ParameterLayout. Parameters and gradients are flat vectors in the layout's
/// order; the network holds only the RoPE tables.
template <class S>
class Network {
 public:
  explicit Network(const ParameterLayout& layout);

  const ParameterLayout& layout() const { return m_layout; }

  /// Run `tokens` (1 ≤ n ≤ seq_len, ids in range: asserted, callers check) from position 0 and
  /// keep every activation in `cache`; cache.logits row t is the distribution after tokens[0..t].
  void forward(const S* params, std::span<const int> tokens, SequenceCache<S>& cache) const;

  /// Logits only (n, vocab), reusing `cache` as scratch.
  void logits(const S* params, std::span<const int> tokens, SequenceCache<S>& cache) const {
    forward(params, tokens, cache);
  }

  /// Given dL/dlogits (n, vocab) for the sequence of the last forward() into `cache`, add dL/dθ to
  /// `grad` (flat, layout order; accumulated, not overwritten).
  void backward(const S* params, const SequenceCache<S>& cache, const MatrixT<S>& dLogits, S* grad) const;

 private:
  ParameterLayout m_layout;
  MatrixT<S> m_cos, m_sin;  ///< (seq_len, head_dim / 2) cos and sin of pos · theta^(−2i/head_dim)

  void rope(S* v, int pos, bool inverse) const;
};

extern template class Network<float>;
extern template class Network<double>;

}  // namespace quench::train
