#include "core/model/transformer.h"

#include <cassert>
#include <cmath>
#include <limits>

namespace quench::model {

Transformer::Transformer(ModelConfig config, ModelWeights globals, std::vector<LayerWeights> layers)
    : m_decoder(config), m_globals(std::move(globals)), m_layers(std::move(layers)), m_cache(config) {}

Result<Matrix> Transformer::prefill(std::span<const int> tokens, int startPos, bool allLogits, const Work& work) {
  const ModelConfig& c = config();
  if (tokens.empty()) return makeError("no tokens to run");
  if (startPos < 0 || startPos > m_cache.length(0))
    return makeError("position " + std::to_string(startPos) + " follows positions that were not run");
  if (startPos + static_cast<long long>(tokens.size()) > c.seqLen)
    return makeError(std::to_string(startPos + tokens.size()) + " tokens exceed the model's context of " +
                     std::to_string(c.seqLen));
  const int n = static_cast<int>(tokens.size());
  Matrix out(allLogits ? n : 1, c.vocabSize);
  KvCache* cache = &m_cache;
  for (int b0 = 0; b0 < n; b0 += kPrefillBlock) {
    const int count = std::min(kPrefillBlock, n - b0);
    if (auto s = m_decoder.embed(m_globals, tokens.subspan(static_cast<std::size_t>(b0), static_cast<std::size_t>(count)), m_x);
        !s)
      return makeError("position " + std::to_string(startPos + b0) + ": " + s.error().message);
    const SequenceRows seq{0, count, startPos + b0};
    for (int l = 0; l < c.nLayers; ++l) {
      if (work.cancelled()) return makeError("cancelled");
      if (auto s = m_decoder.runLayer(m_layers[static_cast<std::size_t>(l)], l, m_x, {&seq, 1}, {&cache, 1}, {}, work); !s)
        return s.error();
      if (m_streamWeights) m_layers[static_cast<std::size_t>(l)].releasePages();
    }
    if (allLogits) {
      Matrix block;
      m_decoder.logits(m_globals, m_x, {}, block);
      out.middleRows(b0, count) = block;
    } else if (b0 + count == n) {
      const int last = count - 1;
      m_decoder.logits(m_globals, m_x, {&last, 1}, out);
    }
    if (m_streamWeights) {
      m_globals.output.releasePages();
      m_globals.embedding.releasePages();
    }
    work.report(b0 + count, n);
  }
  // A non-finite weight or an overflow shows up here; say so rather than hand NaN downstream.
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    if (!out.row(i).allFinite())
      return makeError("non-finite logits at position " + std::to_string(startPos + (allLogits ? i : n - 1)) +
                       " (a weight or an activation of the model is not finite)");
  return out;
}

Result<Matrix> Transformer::logitsFor(std::span<const int> tokens, const Work& work) {
  const ModelConfig& c = config();
  if (tokens.size() > static_cast<std::size_t>(c.seqLen))
    return makeError(std::to_string(tokens.size()) + " tokens exceed the model's context of " + std::to_string(c.seqLen));
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
      return makeError("token id " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(c.vocabSize) + ")");
  if (tokens.empty()) return Matrix(0, c.vocabSize);
  m_cache.clear();
  return prefill(tokens, 0, true, work);
}

std::span<const float> Transformer::forward(int token, int pos) {
  const ModelConfig& c = config();
  assert(token >= 0 && token < c.vocabSize && pos >= 0 && pos < c.seqLen);
  const int t = token;
  auto r = prefill({&t, 1}, pos, false);
  if (r) {
    m_logits = std::move(r).value();
  } else {
    m_logits.setConstant(1, c.vocabSize, std::numeric_limits<float>::quiet_NaN());
  }
  return {m_logits.data(), static_cast<std::size_t>(c.vocabSize)};
}

}  // namespace quench::model
