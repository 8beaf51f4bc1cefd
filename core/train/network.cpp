#include "core/train/network.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace quench::train {

namespace {

// y = gain ⊙ x / sqrt(mean(x²) + eps) per row, the sum of squares accumulated in double as the
// runtime does (core/model/transformer.cpp rmsNorm); r keeps 1 / sqrt(...) of each row.
template <class S>
void rmsForward(const MatrixT<S>& x, const S* gain, double eps, VectorT<S>& r, MatrixT<S>& y) {
  const Eigen::Index n = x.rows(), d = x.cols();
  r.resize(n);
  y.resize(n, d);
  for (Eigen::Index t = 0; t < n; ++t) {
    const S* xt = x.row(t).data();
    double ss = 0.0;
    for (Eigen::Index i = 0; i < d; ++i) ss += static_cast<double>(xt[i]) * xt[i];
    const S inv = static_cast<S>(1.0 / std::sqrt(ss / static_cast<double>(d) + eps));
    r[t] = inv;
    S* yt = y.row(t).data();
    for (Eigen::Index i = 0; i < d; ++i) yt[i] = gain[i] * (xt[i] * inv);
  }
}

// Backward of rmsForward. With y_i = g_i x_i r, r = (Σx²/d + eps)^(−1/2), ∂r/∂x_j = −r³ x_j / d:
//   dx_j += r g_j dy_j − (r³ / d) x_j Σ_i g_i dy_i x_i,     dg_i += dy_i x_i r.
template <class S>
void rmsBackward(const MatrixT<S>& x, const VectorT<S>& r, const S* gain, const MatrixT<S>& dy, MatrixT<S>& dx,
                 S* dgain) {
  const Eigen::Index n = x.rows(), d = x.cols();
  for (Eigen::Index t = 0; t < n; ++t) {
    const S* xt = x.row(t).data();
    const S* dyt = dy.row(t).data();
    S* dxt = dx.row(t).data();
    const S rt = r[t];
    S dot = 0;
    for (Eigen::Index i = 0; i < d; ++i) dot += gain[i] * dyt[i] * xt[i];
    const S c = rt * rt * rt * dot / static_cast<S>(d);
    for (Eigen::Index i = 0; i < d; ++i) {
      dgain[i] += dyt[i] * xt[i] * rt;
      dxt[i] += rt * gain[i] * dyt[i] - c * xt[i];
    }
  }
}

// In-place softmax over the first `len` entries of a row (max subtracted, sum in double); the
// entries after them (future positions) are set to 0.
template <class S>
void causalSoftmax(S* row, Eigen::Index len, Eigen::Index n) {
  const S mx = *std::max_element(row, row + len);
  double sum = 0.0;
  for (Eigen::Index j = 0; j < len; ++j) {
    row[j] = std::exp(row[j] - mx);
    sum += row[j];
  }
  const S inv = static_cast<S>(1.0 / sum);
  for (Eigen::Index j = 0; j < len; ++j) row[j] *= inv;
  for (Eigen::Index j = len; j < n; ++j) row[j] = 0;
}

}  // namespace

template <class S>
Network<S>::Network(const ParameterLayout& layout) : m_layout(layout) {
  const model::ModelConfig& c = m_layout.config();
  const int hd = c.headDim(), half = hd / 2;
  m_cos.resize(c.seqLen, half);
  m_sin.resize(c.seqLen, half);
  for (int i = 0; i < half; ++i) {
    // The frequency is rounded to S first, as the runtime keeps it in float; the angle in double.
    const S invFreq = static_cast<S>(std::pow(static_cast<double>(c.ropeTheta), -2.0 * i / hd));
    for (int pos = 0; pos < c.seqLen; ++pos) {
      const double angle = static_cast<double>(pos) * static_cast<double>(invFreq);
      m_cos(pos, i) = static_cast<S>(std::cos(angle));
      m_sin(pos, i) = static_cast<S>(std::sin(angle));
    }
  }
}

template <class S>
void Network<S>::rope(S* v, int pos, bool inverse) const {
  const model::ModelConfig& c = m_layout.config();
  const int half = c.headDim() / 2;
  const bool adjacent = c.rope == model::RopeStyle::AdjacentPairs;
  for (int i = 0; i < half; ++i) {
    const S co = m_cos(pos, i), si = inverse ? -m_sin(pos, i) : m_sin(pos, i);
    // AdjacentPairs rotates (v[2i], v[2i+1]); Halves rotates (v[i], v[i + half]).
    S& a = adjacent ? v[2 * i] : v[i];
    S& b = adjacent ? v[2 * i + 1] : v[i + half];
    const S a0 = a, b0 = b;
    a = a0 * co - b0 * si;
    b = a0 * si + b0 * co;
  }
}

template <class S>
void Network<S>::forward(const S* params, std::span<const int> tokens, SequenceCache<S>& cache) const {
  const model::ModelConfig& c = m_layout.config();
  const ParameterLayout& L = m_layout;
  const auto n = static_cast<Eigen::Index>(tokens.size());
  assert(n >= 1 && n <= c.seqLen);
  const int dim = c.dim, hd = c.headDim(), kvMul = c.nHeads / c.nKvHeads;
  const double eps = static_cast<double>(c.normEps);
  const S scale = static_cast<S>(1.0 / std::sqrt(static_cast<double>(hd)));

  cache.tokens.assign(tokens.begin(), tokens.end());
  cache.layers.resize(static_cast<std::size_t>(c.nLayers));

  // 1. token embedding: x (n, dim), row t = E[token_t]
  const auto emb = view(params, L.slot(Role::TokenEmbedding));
  MatrixT<S> x(n, dim);
  for (Eigen::Index t = 0; t < n; ++t) {
    assert(tokens[t] >= 0 && tokens[t] < c.vocabSize);
    x.row(t) = emb.row(tokens[t]);
  }

  for (int l = 0; l < c.nLayers; ++l) {
    LayerActivations<S>& A = cache.layers[static_cast<std::size_t>(l)];
    A.xIn = x;
    // 2. a = rmsnorm(x) ⊙ attn_norm; q, k, v projections
    rmsForward(A.xIn, params + L.slot(Role::AttnNorm, l).offset, eps, A.rAttn, A.a);
    A.q.noalias() = A.a * view(params, L.slot(Role::Wq, l)).transpose();
    A.k.noalias() = A.a * view(params, L.slot(Role::Wk, l)).transpose();
    A.v.noalias() = A.a * view(params, L.slot(Role::Wv, l)).transpose();
    // 3. RoPE on every query and key head at each position
    for (Eigen::Index t = 0; t < n; ++t) {
      for (int h = 0; h < c.nHeads; ++h) rope(A.q.row(t).data() + h * hd, static_cast<int>(t), false);
      for (int h = 0; h < c.nKvHeads; ++h) rope(A.k.row(t).data() + h * hd, static_cast<int>(t), false);
    }
    // 4. causal attention: head h reads KV head h / kvMul; P_h = softmax(q_h k^T · scale), o_h = P_h v
    A.p.resize(static_cast<std::size_t>(c.nHeads));
    A.o.resize(n, static_cast<Eigen::Index>(c.nHeads) * hd);
    for (int h = 0; h < c.nHeads; ++h) {
      const int kvh = h / kvMul;
      MatrixT<S>& P = A.p[static_cast<std::size_t>(h)];
      P.noalias() = A.q.middleCols(h * hd, hd) * A.k.middleCols(kvh * hd, hd).transpose();
      P *= scale;
      for (Eigen::Index t = 0; t < n; ++t) causalSoftmax(P.row(t).data(), t + 1, n);
      A.o.middleCols(h * hd, hd).noalias() = P * A.v.middleCols(kvh * hd, hd);
    }
    // 5. x += o · wo^T
    x.noalias() += A.o * view(params, L.slot(Role::Wo, l)).transpose();
    A.xMid = x;
    // 6. b = rmsnorm(x) ⊙ ffn_norm; x += w2 · (silu(w1 b) ⊙ w3 b)
    rmsForward(A.xMid, params + L.slot(Role::FfnNorm, l).offset, eps, A.rFfn, A.b);
    A.gate.noalias() = A.b * view(params, L.slot(Role::W1, l)).transpose();
    A.up.noalias() = A.b * view(params, L.slot(Role::W3, l)).transpose();
    A.h.resize(A.gate.rows(), A.gate.cols());
    for (Eigen::Index i = 0; i < A.h.size(); ++i) {
      const S g = A.gate.data()[i];
      A.h.data()[i] = g / (S(1) + std::exp(-g)) * A.up.data()[i];
    }
    x.noalias() += A.h * view(params, L.slot(Role::W2, l)).transpose();
  }

  // 7. final RMSNorm and classifier: logits (n, vocab) = f · output^T
  cache.xOut = std::move(x);
  rmsForward(cache.xOut, params + L.slot(Role::FinalNorm).offset, eps, cache.rFinal, cache.f);
  cache.logits.noalias() = cache.f * view(params, L.slot(Role::Output)).transpose();
}

template <class S>
void Network<S>::backward(const S* params, const SequenceCache<S>& cache, const MatrixT<S>& dLogits,
                          S* grad) const {
  const model::ModelConfig& c = m_layout.config();
  const ParameterLayout& L = m_layout;
  const auto n = static_cast<Eigen::Index>(cache.tokens.size());
  assert(dLogits.rows() == n && dLogits.cols() == c.vocabSize);
  const int dim = c.dim, hd = c.headDim(), kvMul = c.nHeads / c.nKvHeads;
  const S scale = static_cast<S>(1.0 / std::sqrt(static_cast<double>(hd)));

  // Classifier: logits = f · W^T  →  dW += dLogits^T · f,  df = dLogits · W
  const TensorSlot& out = L.slot(Role::Output);
  view(grad, out).noalias() += dLogits.transpose() * cache.f;
  MatrixT<S> df = dLogits * view(params, out);
  // dx: gradient with respect to the residual stream, walked back through the blocks.
  MatrixT<S> dx = MatrixT<S>::Zero(n, dim);
  rmsBackward(cache.xOut, cache.rFinal, params + L.slot(Role::FinalNorm).offset, df, dx,
              grad + L.slot(Role::FinalNorm).offset);

  MatrixT<S> dh, dGate, dUp, db, dO, dQ, dK, dV, dP, dS, da;
  for (int l = c.nLayers - 1; l >= 0; --l) {
    const LayerActivations<S>& A = cache.layers[static_cast<std::size_t>(l)];
    // FFN: x_out = xMid + h · w2^T, h = silu(gate) ⊙ up, gate = b w1^T, up = b w3^T.
    const TensorSlot &s1 = L.slot(Role::W1, l), &s2 = L.slot(Role::W2, l), &s3 = L.slot(Role::W3, l);
    view(grad, s2).noalias() += dx.transpose() * A.h;
    dh.noalias() = dx * view(params, s2);
    dGate.resize(dh.rows(), dh.cols());
    dUp.resize(dh.rows(), dh.cols());
    for (Eigen::Index i = 0; i < dh.size(); ++i) {
      // silu(g) = g σ(g), silu'(g) = σ(g) (1 + g (1 − σ(g)))
      const S g = A.gate.data()[i], sig = S(1) / (S(1) + std::exp(-g));
      dUp.data()[i] = dh.data()[i] * g * sig;
      dGate.data()[i] = dh.data()[i] * A.up.data()[i] * sig * (S(1) + g * (S(1) - sig));
    }
    view(grad, s1).noalias() += dGate.transpose() * A.b;
    view(grad, s3).noalias() += dUp.transpose() * A.b;
    db.noalias() = dGate * view(params, s1);
    db.noalias() += dUp * view(params, s3);
    // dx (with respect to xMid) = dx (residual) + rmsnorm backward of db
    rmsBackward(A.xMid, A.rFfn, params + L.slot(Role::FfnNorm, l).offset, db, dx,
                grad + L.slot(Role::FfnNorm, l).offset);

    // Attention: xMid = xIn + o · wo^T.
    const TensorSlot& so = L.slot(Role::Wo, l);
    view(grad, so).noalias() += dx.transpose() * A.o;
    dO.noalias() = dx * view(params, so);
    dQ.setZero(n, A.q.cols());
    dK.setZero(n, A.k.cols());
    dV.setZero(n, A.v.cols());
    for (int h = 0; h < c.nHeads; ++h) {
      const int kvh = h / kvMul;
      const MatrixT<S>& P = A.p[static_cast<std::size_t>(h)];
      // o_h = P v  →  dP = do_h v^T,  dv += P^T do_h
      dP.noalias() = dO.middleCols(h * hd, hd) * A.v.middleCols(kvh * hd, hd).transpose();
      dV.middleCols(kvh * hd, hd).noalias() += P.transpose() * dO.middleCols(h * hd, hd);
      // softmax backward per row: dS = P ⊙ (dP − Σ_j P_j dP_j); masked entries have P = 0
      dS.resize(n, n);
      for (Eigen::Index t = 0; t < n; ++t) {
        S dot = 0;
        for (Eigen::Index j = 0; j <= t; ++j) dot += P(t, j) * dP(t, j);
        for (Eigen::Index j = 0; j < n; ++j) dS(t, j) = j <= t ? P(t, j) * (dP(t, j) - dot) : S(0);
      }
      // scores = q_h k^T · scale  →  dq_h = dS k · scale,  dk += dS^T q_h · scale
      dQ.middleCols(h * hd, hd).noalias() = (dS * A.k.middleCols(kvh * hd, hd)) * scale;
      dK.middleCols(kvh * hd, hd).noalias() += (dS.transpose() * A.q.middleCols(h * hd, hd)) * scale;
    }
    // RoPE is a rotation: the gradient before it is the gradient after it rotated back.
    for (Eigen::Index t = 0; t < n; ++t) {
      for (int h = 0; h < c.nHeads; ++h) rope(dQ.row(t).data() + h * hd, static_cast<int>(t), true);
      for (int h = 0; h < c.nKvHeads; ++h) rope(dK.row(t).data() + h * hd, static_cast<int>(t), true);
    }
    const TensorSlot &sq = L.slot(Role::Wq, l), &sk = L.slot(Role::Wk, l), &sv = L.slot(Role::Wv, l);
    view(grad, sq).noalias() += dQ.transpose() * A.a;
    view(grad, sk).noalias() += dK.transpose() * A.a;
    view(grad, sv).noalias() += dV.transpose() * A.a;
    da.noalias() = dQ * view(params, sq);
    da.noalias() += dK * view(params, sk);
    da.noalias() += dV * view(params, sv);
    rmsBackward(A.xIn, A.rAttn, params + L.slot(Role::AttnNorm, l).offset, da, dx,
                grad + L.slot(Role::AttnNorm, l).offset);
  }

  // Embedding: x0 row t = E[token_t]  →  dE[token_t] += dx row t
  auto dE = view(grad, L.slot(Role::TokenEmbedding));
  for (Eigen::Index t = 0; t < n; ++t) dE.row(cache.tokens[static_cast<std::size_t>(t)]) += dx.row(t);
}

template class Network<float>;
template class Network<double>;

}  // namespace quench::train
