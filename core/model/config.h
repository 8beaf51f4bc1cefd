#pragma once
// Hyper-parameters of a decoder-only transformer of the Llama family (Llama 1/2/3.x, Mistral,
// Qwen2/2.5, Qwen3, Gemma, Phi-3), whatever file they came from: the shapes, and each
// architecture's variations written out as plain fields, so that the runtime reads like the
// equations and never branches on a model name.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor/result.h"

namespace quench::model {

/// The architectures Quench runs, as Hugging Face's model_type and llama.cpp's
/// general.architecture name them (Mistral is "llama" in GGUF: llama.cpp converts it as Llama).
enum class Architecture { Llama, Mistral, Qwen2, Qwen3, Gemma, Phi3 };

/// "llama", "mistral", "qwen2", "qwen3", "gemma", "phi3".
std::string_view architectureName(Architecture a);

/// Which elements of a head RoPE rotates together. llama2.c and GGUF's llama architecture (whose
/// converter permutes the rows of wq/wk for this) rotate adjacent pairs (2i, 2i+1) — ggml's
/// "normal" RoPE; Hugging Face weights and GGUF's other architectures rotate halves (i, i + d/2)
/// — ggml's "neox" RoPE. Both use the angle pos·θ_i for pair i, θ_i = base^(−2i/d).
enum class RopeStyle { AdjacentPairs, Halves };

/// Rescaling of the RoPE frequencies for contexts longer than the model was trained on.
enum class RopeScaling {
  None,
  Linear,  ///< θ_i / factor (positions divided by the factor)
  Llama3,  ///< Llama 3.1's smooth rescaling of the low frequencies (transformers'
           ///< _compute_llama3_parameters), or per-frequency divisors given by a GGUF file
};

/// The nonlinearity of the gated MLP: down(act(gate·x) ⊙ up·x).
enum class Activation {
  Silu,      ///< x·σ(x) (SwiGLU)
  GeluTanh,  ///< 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GeGLU, Gemma's gelu_pytorch_tanh)
  GeluErf,   ///< 0.5·x·(1 + erf(x/√2))
};

/// The shapes and constants the runtime needs.
struct ModelConfig {
  Architecture arch = Architecture::Llama;
  int dim = 0;         ///< transformer width (residual stream size)
  int hiddenDim = 0;   ///< MLP inner size
  int nLayers = 0;
  int nHeads = 0;      ///< query heads
  int nKvHeads = 0;    ///< key/value heads (GQA: nHeads is a multiple of nKvHeads)
  int headSize = 0;    ///< per-head width; 0 means dim / nHeads (Qwen3 and Gemma set it)
  int ropeDims = 0;    ///< leading dimensions of each head that RoPE rotates; 0 means all
  int vocabSize = 0;
  int seqLen = 0;      ///< longest context the KV cache holds (the model's trained context)
  float normEps = 1e-5f;      ///< RMSNorm epsilon
  float ropeTheta = 10000.0f; ///< RoPE base
  RopeStyle rope = RopeStyle::AdjacentPairs;
  RopeScaling ropeScaling = RopeScaling::None;
  double ropeFactor = 1.0;           ///< Linear / Llama3 factor
  double ropeLowFreqFactor = 1.0;    ///< Llama3
  double ropeHighFreqFactor = 4.0;   ///< Llama3
  double ropeOriginalContext = 8192; ///< Llama3: original_max_position_embeddings
  /// Per-frequency divisors of θ_i (ropeDims/2 values), as a GGUF file stores Llama 3's scaling
  /// (tensor rope_freqs.weight); when set they replace the formula of ropeScaling.
  std::vector<float> ropeFreqDivisors;
  Activation activation = Activation::Silu;
  bool qkNorm = false;      ///< RMSNorm of every query and key head before RoPE (Qwen3)
  /// Factor of the token embeddings before the first layer: 1, or Gemma's √dim (rounded to the
  /// checkpoint's dtype in Hugging Face's Gemma, float32 in llama.cpp's).
  float embedScale = 1.0f;
  /// Gemma's RMSNorm multiplies by (1 + w) with w as stored; the runtime holds the sum (computed
  /// in float32, as transformers does).
  bool normAddsOne = false;
  /// Sliding-window attention span (0 = none). Quench computes full causal attention and refuses
  /// a context longer than the window instead of giving a different answer.
  int slidingWindow = 0;
  bool sharedClassifier = true;  ///< output projection is the token embedding
  // How the weights are laid out (which tensors exist): fused projections and biases.
  bool fusedQkv = false;     ///< one (q_dim + 2·kv_dim, dim) projection, rows q | k | v (Phi-3)
  bool fusedGateUp = false;  ///< one (2·hidden_dim, dim) projection, rows gate | up (Phi-3)
  bool qkvBias = false;      ///< q, k, v projections have biases (Qwen2; attention_bias)
  bool outBias = false;      ///< the attention output projection has a bias (attention_bias)
  bool mlpBias = false;      ///< gate, up and down have biases (Llama's mlp_bias)

  int headDim() const { return headSize > 0 ? headSize : (nHeads > 0 ? dim / nHeads : 0); }
  int qDim() const { return nHeads * headDim(); }
  int kvDim() const { return nKvHeads * headDim(); }
  int rotaryDims() const { return ropeDims > 0 ? ropeDims : headDim(); }
};

/// Sanity limits on a config read from an untrusted file (sizes positive, heads divisible by KV
/// heads, even rotary width, buffers that fit in memory). `source` names the file in the message.
Status validateConfig(const ModelConfig& c, const std::string& source);

/// The inverse frequencies θ_i, i < rotaryDims/2, after scaling, in double (transformers'
/// _compute_default_rope_parameters / _compute_linear_scaling / _compute_llama3_parameters, or
/// llama.cpp's base^(−2i/d)/divisor_i).
std::vector<double> ropeInverseFrequencies(const ModelConfig& c);

/// The longest context `c` computes exactly: seqLen, or the sliding window when shorter.
int exactContext(const ModelConfig& c);

}  // namespace quench::model
