#pragma once
// The parameters of a decoder, kept as stored. A weight matrix is a view of the bytes the file
// holds (memory-mapped float32, float16, bfloat16 or ggml blocks), or a float32 matrix the caller
// supplied (e.g. a quantized reconstruction); the products convert a panel at a time
// (core/simd/gemm_kernels.h). Only the small vectors (norm gains, biases) are float32 copies.
// Every matrix is row-major (out_features, in_features), as PyTorch's nn.Linear and the files
// store them, so a layer computes y = x·Wᵀ (+ b) for the rows x of a batch.
#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/config.h"
#include "core/simd/gemm_kernels.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench::model {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

/// Where the rows of a ggml block matrix are (the context of its products' row decoder).
struct BlockRows {
  DType type;
  const std::uint8_t* data;
  std::size_t rowBytes;
};

/// A (rows, cols) row-major weight as stored, or a float32 matrix owned by the caller's values.
/// Cheap to copy (a view plus shared ownership of what it points into). ggml block types
/// (Q8_0, Q4_K, IQ4_XS, ...) stay blocks too: each product decodes a 256-column panel of a row at
/// a time, so a quantized GGUF is never held as float32.
class WeightMatrix {
 public:
  WeightMatrix() = default;
  /// A view of `bytes`, which hold rows × cols elements of `type` (F32, F16, BF16, or a ggml
  /// block type whose rows are whole blocks); `owner` keeps them alive (the mapped file).
  /// Errors (naming `name`) when the byte count does not match the shape.
  static Result<WeightMatrix> view(DType type, int rows, int cols, std::span<const std::uint8_t> bytes,
                                   std::shared_ptr<const void> owner, const std::string& name);
  /// A float32 matrix holding `values` (rows × cols).
  static WeightMatrix fromFloats(std::vector<float> values, int rows, int cols);

  bool empty() const { return m_rows == 0; }
  DType dtype() const { return m_type; }
  int rows() const { return m_rows; }
  int cols() const { return m_cols; }
  /// Rows [first, first + count) as a view sharing this matrix's storage (fused tensors such as
  /// Phi-3's qkv_proj are split this way, without a copy).
  WeightMatrix rowRange(int first, int count) const;
  /// The operand of the matrix products.
  simd::GemmOperand operand() const;
  /// Row `row` as float32 (cols values).
  void rowToFloat(int row, float* dst) const;
  /// Bytes of the matrix as stored.
  std::size_t storedBytes() const { return m_rowBytes * static_cast<std::size_t>(m_rows); }
  /// True when the matrix is a view of a file mapped in memory (not the caller's floats).
  bool fileBacked() const { return m_fileBacked; }
  /// Hands the matrix's pages of the mapped file back to the kernel (madvise MADV_DONTNEED):
  /// the process's resident memory drops, the page cache keeps them, the next use faults them in
  /// again. No effect on matrices that are not file-backed.
  void releasePages() const;

 private:
  DType m_type = DType::F32;
  int m_rows = 0, m_cols = 0;
  const std::uint8_t* m_data = nullptr;
  std::size_t m_rowBytes = 0;
  bool m_fileBacked = false;
  std::shared_ptr<const void> m_owner;
  std::shared_ptr<const BlockRows> m_blocks;  // block types: the decoder's context

  void bindBlocks();
};

/// One decoder layer. Biases and the q/k norms are empty when the architecture has none.
struct LayerWeights {
  std::vector<float> attnNorm;         ///< (dim) RMSNorm gain before attention (1 + w for Gemma)
  WeightMatrix wq;                     ///< (n_heads · head_dim, dim)
  WeightMatrix wk;                     ///< (n_kv_heads · head_dim, dim)
  WeightMatrix wv;                     ///< (n_kv_heads · head_dim, dim)
  WeightMatrix wo;                     ///< (dim, n_heads · head_dim)
  std::vector<float> bq, bk, bv, bo;   ///< biases of wq, wk, wv, wo
  std::vector<float> qNorm, kNorm;     ///< (head_dim) per-head RMSNorm gains (Qwen3)
  std::vector<float> ffnNorm;          ///< (dim) RMSNorm gain before the MLP
  WeightMatrix gate;                   ///< (hidden_dim, dim)
  WeightMatrix up;                     ///< (hidden_dim, dim)
  WeightMatrix down;                   ///< (dim, hidden_dim)
  std::vector<float> bGate, bUp, bDown;

  /// releasePages() of every matrix.
  void releasePages() const;
};

/// What is not a layer: embedding, final norm, classifier.
struct ModelWeights {
  WeightMatrix embedding;        ///< (vocab, dim)
  std::vector<float> finalNorm;  ///< (dim)
  WeightMatrix output;           ///< (vocab, dim); a view of the embedding when shared
};

/// Canonical tensor names (llama.cpp's GGUF names) that `config` needs, in load order:
/// token_embd.weight, then per layer blk.N.{attn_norm, attn_q|attn_k|attn_v or attn_qkv,
/// attn_q_norm, attn_k_norm, attn_output, ffn_norm, ffn_gate + ffn_up or the fused ffn_up,
/// ffn_down}.weight and the biases the architecture has (blk.N.attn_q.bias, ...), then
/// output_norm.weight and output.weight (when not shared).
std::vector<std::string> canonicalWeightNames(const ModelConfig& config);
/// The canonical names of layer `layer` alone.
std::vector<std::string> canonicalLayerNames(const ModelConfig& config, int layer);

/// Fetches one tensor by canonical name as float32: a file read, or (for evaluation) a
/// reconstruction.
using TensorFetch = std::function<Result<FloatTensor>(const std::string& canonicalName)>;
/// Replaces a tensor by the caller's float32 values, or keeps the file's tensor as stored
/// (returns nullopt). How an evaluation substitutes reconstructions for a layer's weights.
using TensorOverride = std::function<Result<std::optional<FloatTensor>>(const std::string& canonicalName)>;

}  // namespace quench::model
