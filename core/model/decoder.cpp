#include "core/model/decoder.h"


#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/exec/parallel.h"
#include "core/simd/decoder_kernels.h"
#include "core/simd/gemm_kernels.h"

namespace quench::model {

namespace {

// Queries per attention tile: bounds the score block to (256, keys) floats.
constexpr int kQueryTile = 256;

// y (rows of x, w.rows()) = x · wᵀ (+ y when accumulate).
void linear(const Matrix& x, const WeightMatrix& w, float* y, std::size_t ldy, bool accumulate = false) {
  simd::gemmNT(static_cast<int>(x.rows()), w.rows(), w.cols(), x.data(), static_cast<std::size_t>(x.cols()), w.operand(),
               y, ldy, accumulate);
}

void addBias(Matrix& y, const std::vector<float>& b) {
  if (b.empty()) return;
  const Eigen::Map<const Eigen::RowVectorXf> bias(b.data(), static_cast<Eigen::Index>(b.size()));
  y.rowwise() += bias;
}

void rmsNormRows(const Matrix& x, const std::vector<float>& gain, float eps, Matrix& out) {
  out.resize(x.rows(), x.cols());
  const int n = static_cast<int>(x.cols());
  exec::parallelFor(0, static_cast<std::size_t>(x.rows()), 16, [&](exec::Range r) {
    for (Eigen::Index i = static_cast<Eigen::Index>(r.begin); i != static_cast<Eigen::Index>(r.end); ++i) rmsNorm(x.row(i).data(), gain.data(), n, eps, out.row(i).data());
  });
}

std::string shapeText(int rows, int cols) { return std::to_string(rows) + " × " + std::to_string(cols); }

Status checkMatrix(const WeightMatrix& w, int rows, int cols, int layer, const char* what) {
  if (w.rows() != rows || w.cols() != cols)
    return makeError("layer " + std::to_string(layer) + ": " + what + " is " + shapeText(w.rows(), w.cols()) +
                     ", the config needs " + shapeText(rows, cols));
  return {};
}

Status checkVector(const std::vector<float>& v, std::size_t n, bool required, int layer, const char* what) {
  if ((required || !v.empty()) && v.size() != n)
    return makeError("layer " + std::to_string(layer) + ": " + what + " holds " + std::to_string(v.size()) +
                     " values, the config needs " + std::to_string(n));
  return {};
}

Status checkLayer(const ModelConfig& c, const LayerWeights& w, int l) {
  const int dim = c.dim, q = c.qDim(), kv = c.kvDim(), hid = c.hiddenDim;
  const auto d = static_cast<std::size_t>(dim);
  Status s;
  if (!(s = checkVector(w.attnNorm, d, true, l, "attention norm"))) return s;
  if (!(s = checkMatrix(w.wq, q, dim, l, "wq"))) return s;
  if (!(s = checkMatrix(w.wk, kv, dim, l, "wk"))) return s;
  if (!(s = checkMatrix(w.wv, kv, dim, l, "wv"))) return s;
  if (!(s = checkMatrix(w.wo, dim, q, l, "wo"))) return s;
  if (!(s = checkVector(w.bq, static_cast<std::size_t>(q), false, l, "q bias"))) return s;
  if (!(s = checkVector(w.bk, static_cast<std::size_t>(kv), false, l, "k bias"))) return s;
  if (!(s = checkVector(w.bv, static_cast<std::size_t>(kv), false, l, "v bias"))) return s;
  if (!(s = checkVector(w.bo, d, false, l, "o bias"))) return s;
  const auto hd = static_cast<std::size_t>(c.headDim());
  if (!(s = checkVector(w.qNorm, hd, c.qkNorm, l, "q norm"))) return s;
  if (!(s = checkVector(w.kNorm, hd, c.qkNorm, l, "k norm"))) return s;
  if (!(s = checkVector(w.ffnNorm, d, true, l, "MLP norm"))) return s;
  if (!(s = checkMatrix(w.gate, hid, dim, l, "gate"))) return s;
  if (!(s = checkMatrix(w.up, hid, dim, l, "up"))) return s;
  if (!(s = checkMatrix(w.down, dim, hid, l, "down"))) return s;
  if (!(s = checkVector(w.bGate, static_cast<std::size_t>(hid), false, l, "gate bias"))) return s;
  if (!(s = checkVector(w.bUp, static_cast<std::size_t>(hid), false, l, "up bias"))) return s;
  if (!(s = checkVector(w.bDown, d, false, l, "down bias"))) return s;
  return {};
}

// Per-head RMSNorm of every head of a (tokens, heads · head_dim) matrix.
void headNorm(Matrix& m, int heads, int hd, const std::vector<float>& gain, float eps) {
  exec::parallelFor(0, static_cast<std::size_t>(m.rows()), 16, [&](exec::Range r) {
    for (Eigen::Index i = static_cast<Eigen::Index>(r.begin); i != static_cast<Eigen::Index>(r.end); ++i)
      for (int h = 0; h < heads; ++h) {
        float* v = m.row(i).data() + static_cast<std::ptrdiff_t>(h) * hd;
        rmsNorm(v, gain.data(), hd, eps, v);
      }
  });
}

}  // namespace

KvCache::KvCache(const ModelConfig& c)
    : m_kvDim(c.kvDim()),
      m_maxPositions(c.seqLen),
      m_length(static_cast<std::size_t>(c.nLayers), 0),
      m_keys(static_cast<std::size_t>(c.nLayers)),
      m_values(static_cast<std::size_t>(c.nLayers)) {}

void KvCache::clear() { std::fill(m_length.begin(), m_length.end(), 0); }

void KvCache::reserve(int layer, int positions) {
  auto& k = m_keys[static_cast<std::size_t>(layer)];
  auto& v = m_values[static_cast<std::size_t>(layer)];
  const std::size_t need = static_cast<std::size_t>(positions) * static_cast<std::size_t>(m_kvDim);
  if (k.size() >= need) return;
  // Doubling (capped at the model's context) keeps token-by-token growth amortised.
  const std::size_t grown = std::min<std::size_t>(std::max(need, 2 * k.size()),
                                                  static_cast<std::size_t>(m_maxPositions) * static_cast<std::size_t>(m_kvDim));
  k.resize(std::max(grown, need));
  v.resize(std::max(grown, need));
}

Decoder::Decoder(ModelConfig config) : m_config(std::move(config)), m_invFreq(ropeInverseFrequencies(m_config)) {}

Status Decoder::embed(const ModelWeights& w, std::span<const int> tokens, Matrix& x) const {
  const ModelConfig& c = m_config;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
      return makeError("token id " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(c.vocabSize) + ")");
  x.resize(static_cast<Eigen::Index>(tokens.size()), c.dim);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    float* row = x.row(static_cast<Eigen::Index>(i)).data();
    w.embedding.rowToFloat(tokens[i], row);
    if (c.embedScale != 1.0f)
      for (int j = 0; j < c.dim; ++j) row[j] *= c.embedScale;
  }
  return {};
}

Status Decoder::runLayer(const LayerWeights& w, int layer, Matrix& x, std::span<const SequenceRows> seqs,
                         std::span<KvCache* const> caches, const LinearInputObserver& observe, const Work& work) {
  const ModelConfig& c = m_config;
  if (layer < 0 || layer >= c.nLayers) return makeError("layer " + std::to_string(layer) + " out of range");
  if (x.cols() != c.dim) return makeError("activations have " + std::to_string(x.cols()) + " columns, dim is " + std::to_string(c.dim));
  if (auto s = checkLayer(c, w, layer); !s) return s;
  if (!caches.empty() && caches.size() != seqs.size()) return makeError("one KV cache per sequence is needed");
  const int tokens = static_cast<int>(x.rows());
  const int exact = exactContext(c);
  std::vector<int> rowPos(static_cast<std::size_t>(tokens), -1);  // position of every row
  for (std::size_t s = 0; s < seqs.size(); ++s) {
    const SequenceRows& q = seqs[s];
    if (q.count <= 0 || q.firstRow < 0 || q.firstRow + q.count > tokens || q.startPos < 0)
      return makeError("sequence " + std::to_string(s) + " does not lie within the batch");
    if (q.startPos + q.count > exact) {
      if (c.slidingWindow > 0 && q.startPos + q.count <= c.seqLen)
        return makeError("a context of " + std::to_string(q.startPos + q.count) + " tokens exceeds " +
                         std::string(architectureName(c.arch)) + "'s sliding window of " + std::to_string(c.slidingWindow) +
                         " tokens; Quench computes full attention only, so it stops here rather than give a "
                         "different answer");
      return makeError(std::to_string(q.startPos + q.count) + " tokens exceed the model's context of " + std::to_string(c.seqLen));
    }
    if (caches.empty() ? q.startPos != 0 : (caches[s] == nullptr || q.startPos > caches[s]->length(layer)))
      return makeError("sequence " + std::to_string(s) + " starts at position " + std::to_string(q.startPos) +
                       " but the positions before it are not cached");
    for (int r = 0; r < q.count; ++r) {
      int& p = rowPos[static_cast<std::size_t>(q.firstRow + r)];
      if (p >= 0) return makeError("sequences overlap in the batch");
      p = q.startPos + r;
    }
  }
  for (int r = 0; r < tokens; ++r)
    if (rowPos[static_cast<std::size_t>(r)] < 0) return makeError("row " + std::to_string(r) + " of the batch is in no sequence");
  const int hd = c.headDim(), rot = c.rotaryDims();
  const int qDim = c.qDim(), kvDim = c.kvDim();

  // 1. attention input: h = RMSNorm(x) ⊙ attn_norm; q, k, v = h·Wᵀ (+ b)
  rmsNormRows(x, w.attnNorm, c.normEps, m_h);
  if (observe) observe(layer, LinearSite::AttentionIn, m_h);
  m_q.resize(tokens, qDim);
  m_k.resize(tokens, kvDim);
  m_v.resize(tokens, kvDim);
  {  // one packing of h for the three products
    const simd::GemmTarget qkv[3] = {{w.wq.operand(), qDim, m_q.data(), static_cast<std::size_t>(qDim)},
                                     {w.wk.operand(), kvDim, m_k.data(), static_cast<std::size_t>(kvDim)},
                                     {w.wv.operand(), kvDim, m_v.data(), static_cast<std::size_t>(kvDim)}};
    simd::gemmNTShared(tokens, c.dim, m_h.data(), static_cast<std::size_t>(c.dim), qkv);
  }
  addBias(m_q, w.bq);
  addBias(m_k, w.bk);
  addBias(m_v, w.bv);
  if (work.cancelled()) return makeError("cancelled");

  // 2. Qwen3: per-head RMSNorm of queries and keys; then RoPE at each row's position
  if (c.qkNorm) {
    headNorm(m_q, c.nHeads, hd, w.qNorm, c.normEps);
    headNorm(m_k, c.nKvHeads, hd, w.kNorm, c.normEps);
  }
  exec::parallelFor(0, static_cast<std::size_t>(tokens), 16, [&](exec::Range r) {
    std::vector<float> cs(static_cast<std::size_t>(rot));  // cos | sin of this row's angles
    for (int i = static_cast<int>(r.begin); i != static_cast<int>(r.end); ++i) {
      const int pos = rowPos[static_cast<std::size_t>(i)];
      for (int f = 0; f < rot / 2; ++f) {
        // Angle in double: pos·θ for pos in the thousands loses digits in float.
        const double angle = static_cast<double>(pos) * m_invFreq[static_cast<std::size_t>(f)];
        cs[static_cast<std::size_t>(f)] = static_cast<float>(std::cos(angle));
        cs[static_cast<std::size_t>(rot / 2 + f)] = static_cast<float>(std::sin(angle));
      }
      auto rotate = [&](float* v) {
        const int half = rot / 2;
        for (int f = 0; f < half; ++f) {
          const float co = cs[static_cast<std::size_t>(f)], si = cs[static_cast<std::size_t>(half + f)];
          float& a = c.rope == RopeStyle::AdjacentPairs ? v[2 * f] : v[f];
          float& b = c.rope == RopeStyle::AdjacentPairs ? v[2 * f + 1] : v[f + half];
          const float a0 = a, b0 = b;
          a = a0 * co - b0 * si;
          b = a0 * si + b0 * co;
        }
      };
      for (int h = 0; h < c.nHeads; ++h) rotate(m_q.row(i).data() + static_cast<std::ptrdiff_t>(h) * hd);
      for (int h = 0; h < c.nKvHeads; ++h) rotate(m_k.row(i).data() + static_cast<std::ptrdiff_t>(h) * hd);
    }
  });

  // 3. causal attention per (sequence, head) → m_attn (tokens, n_heads · head_dim)
  for (std::size_t s = 0; s < caches.size(); ++s) {
    KvCache& kv = *caches[s];
    const SequenceRows& q = seqs[s];
    kv.reserve(layer, q.startPos + q.count);
    auto& keys = kv.m_keys[static_cast<std::size_t>(layer)];
    auto& values = kv.m_values[static_cast<std::size_t>(layer)];
    for (int r = 0; r < q.count; ++r) {
      const std::size_t at = static_cast<std::size_t>(q.startPos + r) * static_cast<std::size_t>(kvDim);
      std::copy_n(m_k.row(q.firstRow + r).data(), kvDim, keys.data() + at);
      std::copy_n(m_v.row(q.firstRow + r).data(), kvDim, values.data() + at);
    }
    kv.m_length[static_cast<std::size_t>(layer)] = q.startPos + q.count;
  }
  attention(layer, seqs, caches);
  if (work.cancelled()) return makeError("cancelled");

  // 4. output projection and residual: x += attn·Woᵀ (+ bo)
  if (observe) observe(layer, LinearSite::AttentionOut, m_attn);
  linear(m_attn, w.wo, x.data(), static_cast<std::size_t>(c.dim), true);
  addBias(x, w.bo);

  // 5. MLP: x += down(act(gate·h) ⊙ up·h), h = RMSNorm(x) ⊙ ffn_norm
  rmsNormRows(x, w.ffnNorm, c.normEps, m_h);
  if (observe) observe(layer, LinearSite::MlpIn, m_h);
  m_gate.resize(tokens, c.hiddenDim);
  m_up.resize(tokens, c.hiddenDim);
  {
    const auto ld = static_cast<std::size_t>(c.hiddenDim);
    const simd::GemmTarget gateUp[2] = {{w.gate.operand(), c.hiddenDim, m_gate.data(), ld},
                                        {w.up.operand(), c.hiddenDim, m_up.data(), ld}};
    simd::gemmNTShared(tokens, c.dim, m_h.data(), static_cast<std::size_t>(c.dim), gateUp);
  }
  addBias(m_gate, w.bGate);
  addBias(m_up, w.bUp);
  exec::parallelFor(0, static_cast<std::size_t>(tokens), 8, [&](exec::Range r) {
    for (int i = static_cast<int>(r.begin); i != static_cast<int>(r.end); ++i) {
      float* g = m_gate.row(i).data();
      const float* u = m_up.row(i).data();
      const auto n = static_cast<std::size_t>(c.hiddenDim);
      switch (c.activation) {
        case Activation::Silu: simd::siluMul(g, u, n); break;
        case Activation::GeluTanh: simd::geluTanhMul(g, u, n); break;
        case Activation::GeluErf: simd::geluErfMul(g, u, n); break;
      }
    }
  });
  if (observe) observe(layer, LinearSite::MlpHidden, m_gate);
  linear(m_gate, w.down, x.data(), static_cast<std::size_t>(c.dim), true);
  addBias(x, w.bDown);
  if (work.cancelled()) return makeError("cancelled");
  return {};
}

void Decoder::attention(int layer, std::span<const SequenceRows> seqs, std::span<KvCache* const> caches) {
  const ModelConfig& c = m_config;
  const int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
  const int group = c.nHeads / c.nKvHeads;  // query heads sharing one KV head (GQA)
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  m_attn.resize(m_q.rows(), qDim);
  const int heads = c.nHeads;
  const int tasks = static_cast<int>(seqs.size()) * heads;
  exec::parallelFor(0, static_cast<std::size_t>(tasks), 1, [&](exec::Range r) {
    // The scores of one tile; no parallel loop runs inside this task, so a thread-local
    // buffer cannot be re-entered.
    thread_local std::vector<float> scores;
    for (int t = static_cast<int>(r.begin); t != static_cast<int>(r.end); ++t) {
      const std::size_t s = static_cast<std::size_t>(t / heads);
      const int h = t % heads;
      const SequenceRows& q = seqs[s];
      const int kvh = h / group;
      // Keys and values of positions 0 .. startPos + count − 1 (cache) or of the batch's rows.
      const float* keys;
      const float* values;
      if (caches.empty()) {
        keys = m_k.row(q.firstRow).data();
        values = m_v.row(q.firstRow).data();
      } else {
        keys = caches[s]->m_keys[static_cast<std::size_t>(layer)].data();
        values = caches[s]->m_values[static_cast<std::size_t>(layer)].data();
      }
      keys += static_cast<std::ptrdiff_t>(kvh) * hd;
      values += static_cast<std::ptrdiff_t>(kvh) * hd;
      simd::GemmOperand kOp;
      kOp.type = DType::F32;
      kOp.data = reinterpret_cast<const std::uint8_t*>(keys);
      kOp.rowBytes = static_cast<std::size_t>(kvDim) * sizeof(float);
      for (int q0 = 0; q0 < q.count; q0 += kQueryTile) {
        const int nq = std::min(kQueryTile, q.count - q0);
        const int nk = q.startPos + q0 + nq;  // keys visible to the tile's last query
        scores.resize(static_cast<std::size_t>(nq) * static_cast<std::size_t>(nk));
        const float* qRows = m_q.row(q.firstRow + q0).data() + static_cast<std::ptrdiff_t>(h) * hd;
        // scores (nq, nk) = Q_h · K_hᵀ, then the scaled causal softmax of every row
        simd::gemmNT(nq, nk, hd, qRows, static_cast<std::size_t>(qDim), kOp, scores.data(), static_cast<std::size_t>(nk),
                     false, false);
        for (int i = 0; i < nq; ++i)
          simd::scaledSoftmax(scores.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(nk),
                              static_cast<std::size_t>(q.startPos + q0 + i + 1), static_cast<std::size_t>(nk), scale);
        // out (nq, head_dim) = P · V_h
        float* out = m_attn.row(q.firstRow + q0).data() + static_cast<std::ptrdiff_t>(h) * hd;
        simd::gemmNN(nq, hd, nk, scores.data(), static_cast<std::size_t>(nk), values, static_cast<std::size_t>(kvDim), out,
                     static_cast<std::size_t>(qDim), false, false);
      }
    }
  });
}

void Decoder::logits(const ModelWeights& w, const Matrix& x, std::span<const int> rows, Matrix& out) {
  const ModelConfig& c = m_config;
  Matrix& normed = m_h;
  const auto n = rows.empty() ? x.rows() : static_cast<Eigen::Index>(rows.size());
  normed.resize(n, c.dim);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index src = rows.empty() ? i : rows[static_cast<std::size_t>(i)];
    rmsNorm(x.row(src).data(), w.finalNorm.data(), c.dim, c.normEps, normed.row(i).data());
  }
  out.resize(n, w.output.rows());
  linear(normed, w.output, out.data(), static_cast<std::size_t>(w.output.rows()));
}

void rmsNorm(const float* x, const float* gain, int n, float eps, float* out) {
  double ss = 0.0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) out[i] = gain[i] * (x[i] * inv);
}

void softmax(float* x, int n) { simd::scaledSoftmax(x, static_cast<std::size_t>(n), static_cast<std::size_t>(n), 1.0f); }

void applyRope(float* v, int rotaryDims, int pos, const float* invFreq, RopeStyle style) {
  const int half = rotaryDims / 2;
  for (int i = 0; i < half; ++i) {
    const double angle = static_cast<double>(pos) * invFreq[i];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    float& a = style == RopeStyle::AdjacentPairs ? v[2 * i] : v[i];
    float& b = style == RopeStyle::AdjacentPairs ? v[2 * i + 1] : v[i + half];
    const float a0 = a, b0 = b;
    a = a0 * c - b0 * s;
    b = a0 * s + b0 * c;
  }
}

}  // namespace quench::model
