#pragma once
// The parameters of a Llama-family decoder as Eigen matrices (llama2.c's TransformerWeights).
// Every matrix is row-major (out_features, in_features), as PyTorch's nn.Linear and the files store
// them, so y = W·x is one matrix-vector product.
#include <Eigen/Core>

#include <functional>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/config.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench::model {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

struct LayerWeights {
  Vector attnNorm;  ///< (dim) RMSNorm gain before attention
  Matrix wq;        ///< (n_heads · head_dim, dim)
  Matrix wk;        ///< (n_kv_heads · head_dim, dim)
  Matrix wv;        ///< (n_kv_heads · head_dim, dim)
  Matrix wo;        ///< (dim, n_heads · head_dim)
  Vector ffnNorm;   ///< (dim) RMSNorm gain before the FFN
  Matrix w1;        ///< (hidden_dim, dim) gate projection
  Matrix w2;        ///< (dim, hidden_dim) down projection
  Matrix w3;        ///< (hidden_dim, dim) up projection
};

struct TransformerWeights {
  Matrix tokenEmbedding;              ///< (vocab, dim)
  std::vector<LayerWeights> layers;   ///< n_layers
  Vector finalNorm;                   ///< (dim)
  Matrix classifier;                  ///< (vocab, dim); empty when shared with tokenEmbedding

  const Matrix& output() const { return classifier.size() ? classifier : tokenEmbedding; }
};

/// Canonical tensor names (GGUF's): token_embd.weight, output_norm.weight, output.weight,
/// blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_down,ffn_up}.weight.
/// Every tensor the config needs, in load order (output.weight only when not shared).
std::vector<std::string> canonicalWeightNames(const ModelConfig& config);

/// Fetches one tensor by canonical name: a file read, or (for evaluation) a reconstruction.
using TensorFetch = std::function<Result<FloatTensor>(const std::string& canonicalName)>;

/// Load every weight through `fetch`, checking each shape against the config and every value for
/// NaN/Inf. `source` names the file in errors. Cancellable between tensors.
Result<TransformerWeights> loadWeights(const ModelConfig& config, const TensorFetch& fetch,
                                       const std::string& source, const Work& work = {});

}  // namespace quench::model
