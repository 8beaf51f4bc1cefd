#pragma once
// The trainable tensors of a Llama-family decoder laid out in one flat vector, so that the
// optimizer, gradient clipping, the reduction over the batch and the gradient check see "the
// parameters" as a single array, and the network sees named matrices (Eigen maps into it).
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model/config.h"

namespace quench::train {

/// Row-major dynamic matrix of scalar S (PyTorch's nn.Linear layout: (out_features, in_features)).
template <class S>
using MatrixT = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using VectorT = Eigen::Matrix<S, Eigen::Dynamic, 1>;
template <class S>
using MapM = Eigen::Map<MatrixT<S>>;
template <class S>
using CMapM = Eigen::Map<const MatrixT<S>>;

/// What a tensor is in the network.
enum class Role { TokenEmbedding, AttnNorm, Wq, Wk, Wv, Wo, FfnNorm, W1, W2, W3, FinalNorm, Output };

/// One tensor of the layout.
struct TensorSlot {
  std::string name;         ///< canonical (GGUF-style) name: token_embd.weight, blk.0.attn_q.weight, ...
  Role role = Role::TokenEmbedding;
  int layer = -1;           ///< block index, −1 for the embedding, final norm and output
  std::int64_t rows = 0;    ///< out_features for a matrix, the length for a gain vector
  std::int64_t cols = 1;    ///< in_features for a matrix, 1 for a gain vector
  std::size_t offset = 0;   ///< first element in the flat vector
  bool matrix = true;       ///< rank 2 (weight matrix) or rank 1 (RMSNorm gain)

  std::size_t size() const { return static_cast<std::size_t>(rows * cols); }
  /// [rows, cols] or [rows].
  std::vector<std::int64_t> shape() const;
};

/// Every trainable tensor of a config, in the order of model::canonicalWeightNames (embedding,
/// per block attn_norm q k v o ffn_norm gate down up, output norm, output when not tied).
class ParameterLayout {
 public:
  ParameterLayout() = default;
  explicit ParameterLayout(const model::ModelConfig& config);

  const model::ModelConfig& config() const { return m_config; }
  const std::vector<TensorSlot>& tensors() const { return m_slots; }
  /// Total number of scalars (the parameter count; a tied embedding counts once).
  std::size_t size() const { return m_size; }
  /// The slot of `role` in block `layer` (layer ignored for global roles). Output is the
  /// embedding's slot when the classifier is tied.
  const TensorSlot& slot(Role role, int layer = -1) const;
  /// Index in tensors() of a canonical name, or −1.
  int find(const std::string& canonicalName) const;

 private:
  model::ModelConfig m_config;
  std::vector<TensorSlot> m_slots;
  std::size_t m_size = 0;
};

/// Mutable / read-only Eigen views of a slot inside a flat vector.
template <class S>
MapM<S> view(S* flat, const TensorSlot& s) {
  return MapM<S>(flat + s.offset, s.rows, s.cols);
}
template <class S>
CMapM<S> view(const S* flat, const TensorSlot& s) {
  return CMapM<S>(flat + s.offset, s.rows, s.cols);
}

/// Parameter count of a config without building a layout.
std::uint64_t parameterCount(const model::ModelConfig& config);

}  // namespace quench::train
