#include "core/model/weights.h"

#include <cmath>

namespace quench::model {

std::vector<std::string> canonicalWeightNames(const ModelConfig& c) {
  std::vector<std::string> names{"token_embd.weight"};
  for (int l = 0; l < c.nLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    for (const char* t : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
                          "ffn_down", "ffn_up"})
      names.push_back(p + t + ".weight");
  }
  names.push_back("output_norm.weight");
  if (!c.sharedClassifier) names.push_back("output.weight");
  return names;
}

namespace {

// Fetch `name` and require the row-major shape `expected` ([n] for gains, [rows, cols] else).
Result<FloatTensor> fetchChecked(const TensorFetch& fetch, const std::string& name, const Shape& expected,
                                 const std::string& source) {
  auto t = fetch(name);
  if (!t) return t.error();
  // A [n] gain may be stored as [1, n] by some exporters; the element order is the same.
  const bool sameShape = t->shape == expected ||
                         (expected.size() == 1 && t->shape.size() == 2 && t->shape[0] == 1 && t->shape[1] == expected[0]);
  if (!sameShape)
    return makeError(source + ": tensor '" + name + "' has shape " + shapeToString(t->shape) + ", the config needs " +
                     shapeToString(expected));
  std::uint64_t n = 1;
  for (auto d : expected) n *= static_cast<std::uint64_t>(d);
  if (t->values.size() != n)
    return makeError(source + ": tensor '" + name + "' holds " + std::to_string(t->values.size()) +
                     " values for shape " + shapeToString(expected));
  for (std::size_t i = 0; i < t->values.size(); ++i)
    if (!std::isfinite(t->values[i]))
      return makeError(source + ": tensor '" + name + "' holds a non-finite value at element " + std::to_string(i));
  return t;
}

Status loadMatrix(const TensorFetch& fetch, const std::string& name, int rows, int cols, Matrix& out,
                  const std::string& source) {
  auto t = fetchChecked(fetch, name, {rows, cols}, source);
  if (!t) return t.error();
  out = Eigen::Map<const Matrix>(t->values.data(), rows, cols);
  return {};
}

Status loadVector(const TensorFetch& fetch, const std::string& name, int n, Vector& out, const std::string& source) {
  auto t = fetchChecked(fetch, name, {n}, source);
  if (!t) return t.error();
  out = Eigen::Map<const Vector>(t->values.data(), n);
  return {};
}

}  // namespace

Result<TransformerWeights> loadWeights(const ModelConfig& c, const TensorFetch& fetch, const std::string& source,
                                       const Work& work) {
  if (auto s = validateConfig(c, source); !s) return s.error();
  TransformerWeights w;
  const int dim = c.dim, hid = c.hiddenDim, qDim = c.nHeads * c.headDim(), kv = c.kvDim();
  const double total = c.nLayers + 2;
  if (auto s = loadMatrix(fetch, "token_embd.weight", c.vocabSize, dim, w.tokenEmbedding, source); !s) return s.error();
  w.layers.resize(static_cast<std::size_t>(c.nLayers));
  for (int l = 0; l < c.nLayers; ++l) {
    if (work.cancelled()) return makeError(source + ": loading cancelled");
    work.report(l + 1, total);
    LayerWeights& L = w.layers[static_cast<std::size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    Status s;
    if (s = loadVector(fetch, p + "attn_norm.weight", dim, L.attnNorm, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "attn_q.weight", qDim, dim, L.wq, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "attn_k.weight", kv, dim, L.wk, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "attn_v.weight", kv, dim, L.wv, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "attn_output.weight", dim, qDim, L.wo, source); !s) return s.error();
    if (s = loadVector(fetch, p + "ffn_norm.weight", dim, L.ffnNorm, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "ffn_gate.weight", hid, dim, L.w1, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "ffn_down.weight", dim, hid, L.w2, source); !s) return s.error();
    if (s = loadMatrix(fetch, p + "ffn_up.weight", hid, dim, L.w3, source); !s) return s.error();
  }
  if (auto s = loadVector(fetch, "output_norm.weight", dim, w.finalNorm, source); !s) return s.error();
  if (!c.sharedClassifier)
    if (auto s = loadMatrix(fetch, "output.weight", c.vocabSize, dim, w.classifier, source); !s) return s.error();
  work.report(total, total);
  return w;
}

}  // namespace quench::model
