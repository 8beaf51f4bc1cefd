#include "core/model/transformer.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace quench::model {

namespace {
// Below this many multiply-adds a matrix-vector product or an attention step runs on one thread:
// the TBB fork/join (a few µs) would cost more than it saves.
constexpr long kParallelWork = 1 << 18;
}  // namespace

RunState::RunState(const ModelConfig& c)
    : x(Vector::Zero(c.dim)),
      xb(Vector::Zero(c.dim)),
      xb2(Vector::Zero(c.dim)),
      hb(Vector::Zero(c.hiddenDim)),
      hb2(Vector::Zero(c.hiddenDim)),
      q(Vector::Zero(c.dim)),
      att(Matrix::Zero(c.nHeads, c.seqLen)),
      logits(Vector::Zero(c.vocabSize)) {
  keyCache.assign(static_cast<std::size_t>(c.nLayers), Matrix::Zero(c.seqLen, c.kvDim()));
  valueCache.assign(static_cast<std::size_t>(c.nLayers), Matrix::Zero(c.seqLen, c.kvDim()));
  const int hd = c.headDim();
  for (int i = 0; i < hd / 2; ++i)
    ropeInvFreq.push_back(static_cast<float>(std::pow(static_cast<double>(c.ropeTheta), -2.0 * i / hd)));
}

Transformer::Transformer(ModelConfig config, TransformerWeights weights)
    : m_config(config), m_weights(std::move(weights)), m_state(m_config) {}

void matVec(const Matrix& w, const float* x, float* y) {
  const auto rows = w.rows(), cols = w.cols();
  Eigen::Map<const Vector> xv(x, cols);
  if (rows * cols < kParallelWork) {
    Eigen::Map<Vector>(y, rows).noalias() = w * xv;
    return;
  }
  tbb::parallel_for(tbb::blocked_range<Eigen::Index>(0, rows, 64), [&](const tbb::blocked_range<Eigen::Index>& r) {
    const auto n = r.end() - r.begin();
    Eigen::Map<Vector>(y + r.begin(), n).noalias() = w.middleRows(r.begin(), n) * xv;
  });
}

void rmsNorm(const float* x, const float* gain, int n, float eps, float* out) {
  double ss = 0.0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int i = 0; i < n; ++i) out[i] = gain[i] * (x[i] * inv);
}

void softmax(float* x, int n) {
  const float mx = *std::max_element(x, x + n);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

void applyRope(float* v, int headDim, int pos, const float* invFreq, RopeStyle style) {
  const int half = headDim / 2;
  for (int i = 0; i < half; ++i) {
    // Angle in double: pos·freq for pos in the thousands loses digits in float.
    const double angle = static_cast<double>(pos) * invFreq[i];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    // AdjacentPairs: (v[2i], v[2i+1]); Halves: (v[i], v[i + half]). Same rotation, other pairing.
    float& a = style == RopeStyle::AdjacentPairs ? v[2 * i] : v[i];
    float& b = style == RopeStyle::AdjacentPairs ? v[2 * i + 1] : v[i + half];
    const float a0 = a, b0 = b;
    a = a0 * c - b0 * s;
    b = a0 * s + b0 * c;
  }
}

std::span<const float> Transformer::forward(int token, int pos) {
  const ModelConfig& c = m_config;
  const TransformerWeights& w = m_weights;
  RunState& s = m_state;
  assert(token >= 0 && token < c.vocabSize && pos >= 0 && pos < c.seqLen);
  const int dim = c.dim, hd = c.headDim(), hidden = c.hiddenDim;
  const int kvMul = c.nHeads / c.nKvHeads;  // query heads sharing one KV head (GQA)
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));

  // 1. token embedding → residual stream x (dim)
  s.x = w.tokenEmbedding.row(token).transpose();

  for (int l = 0; l < c.nLayers; ++l) {
    const LayerWeights& L = w.layers[static_cast<std::size_t>(l)];
    Matrix& kc = s.keyCache[static_cast<std::size_t>(l)];
    Matrix& vc = s.valueCache[static_cast<std::size_t>(l)];

    // 2. attention RMSNorm: xb = rmsnorm(x) ⊙ attn_norm
    rmsNorm(s.x.data(), L.attnNorm.data(), dim, c.normEps, s.xb.data());

    // 3. q (dim), k and v (kv_dim) for this position; k and v go straight into cache row pos
    matVec(L.wq, s.xb.data(), s.q.data());
    float* k = kc.row(pos).data();
    float* v = vc.row(pos).data();
    matVec(L.wk, s.xb.data(), k);
    matVec(L.wv, s.xb.data(), v);

    // 4. RoPE on every query head and every key head
    for (int h = 0; h < c.nHeads; ++h) applyRope(s.q.data() + h * hd, hd, pos, s.ropeInvFreq.data(), c.rope);
    for (int h = 0; h < c.nKvHeads; ++h) applyRope(k + h * hd, hd, pos, s.ropeInvFreq.data(), c.rope);

    // 5. causal multi-head attention over positions 0..pos, head h reading KV head h / kvMul;
    //    the result of head h lands in xb[h·hd, (h+1)·hd)
    auto attendHead = [&](int h) {
      const float* qh = s.q.data() + h * hd;
      float* att = s.att.row(h).data();
      const int kvOff = (h / kvMul) * hd;
      for (int t = 0; t <= pos; ++t) {
        const float* kt = kc.row(t).data() + kvOff;
        float dot = 0.0f;
        for (int i = 0; i < hd; ++i) dot += qh[i] * kt[i];
        att[t] = dot * scale;
      }
      softmax(att, pos + 1);
      float* out = s.xb.data() + h * hd;
      std::fill(out, out + hd, 0.0f);
      for (int t = 0; t <= pos; ++t) {
        const float* vt = vc.row(t).data() + kvOff;
        const float a = att[t];
        for (int i = 0; i < hd; ++i) out[i] += a * vt[i];
      }
    };
    if (static_cast<long>(pos + 1) * dim * 2 < kParallelWork) {
      for (int h = 0; h < c.nHeads; ++h) attendHead(h);
    } else {
      tbb::parallel_for(0, c.nHeads, attendHead);
    }

    // 6. output projection and residual: x += wo · xb
    matVec(L.wo, s.xb.data(), s.xb2.data());
    s.x += s.xb2;

    // 7. FFN RMSNorm, then SwiGLU: x += w2 · (silu(w1·xb) ⊙ (w3·xb))
    rmsNorm(s.x.data(), L.ffnNorm.data(), dim, c.normEps, s.xb.data());
    matVec(L.w1, s.xb.data(), s.hb.data());
    matVec(L.w3, s.xb.data(), s.hb2.data());
    for (int i = 0; i < hidden; ++i) {
      const float g = s.hb[i];
      s.hb[i] = g / (1.0f + std::exp(-g)) * s.hb2[i];
    }
    matVec(L.w2, s.hb.data(), s.xb2.data());
    s.x += s.xb2;
  }

  // 8. final RMSNorm and classifier: logits = output · rmsnorm(x)   (vocab)
  rmsNorm(s.x.data(), w.finalNorm.data(), dim, c.normEps, s.x.data());
  matVec(w.output(), s.x.data(), s.logits.data());
  return {s.logits.data(), static_cast<std::size_t>(c.vocabSize)};
}

Result<Matrix> Transformer::logitsFor(std::span<const int> tokens, const Work& work) {
  const ModelConfig& c = m_config;
  if (tokens.size() > static_cast<std::size_t>(c.seqLen))
    return makeError(std::to_string(tokens.size()) + " tokens exceed the model's context of " +
                     std::to_string(c.seqLen));
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
      return makeError("token id " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(c.vocabSize) + ")");
  Matrix out(static_cast<Eigen::Index>(tokens.size()), c.vocabSize);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (work.cancelled()) return makeError("cancelled");
    const auto logits = forward(tokens[i], static_cast<int>(i));
    std::copy(logits.begin(), logits.end(), out.row(static_cast<Eigen::Index>(i)).data());
    work.report(static_cast<double>(i + 1), static_cast<double>(tokens.size()));
  }
  return out;
}

}  // namespace quench::model
