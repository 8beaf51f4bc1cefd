#include "core/train/parameters.h"

#include <cassert>

namespace quench::train {

std::vector<std::int64_t> TensorSlot::shape() const {
  if (matrix) return {rows, cols};
  return {rows};
}

namespace {
constexpr Role kLayerRoles[] = {Role::AttnNorm, Role::Wq, Role::Wk, Role::Wv, Role::Wo,
                                Role::FfnNorm,  Role::W1, Role::W2, Role::W3};
constexpr const char* kLayerNames[] = {"attn_norm", "attn_q",   "attn_k",   "attn_v", "attn_output",
                                       "ffn_norm",  "ffn_gate", "ffn_down", "ffn_up"};
constexpr int kPerLayer = 9;

int layerIndex(Role r) {
  for (int i = 0; i < kPerLayer; ++i)
    if (kLayerRoles[i] == r) return i;
  return -1;
}
}  // namespace

ParameterLayout::ParameterLayout(const model::ModelConfig& c) : m_config(c) {
  const std::int64_t dim = c.dim, hid = c.hiddenDim, qDim = std::int64_t(c.nHeads) * c.headDim(), kv = c.kvDim();
  auto add = [&](std::string name, Role role, int layer, std::int64_t rows, std::int64_t cols, bool matrix) {
    TensorSlot s;
    s.name = std::move(name);
    s.role = role;
    s.layer = layer;
    s.rows = rows;
    s.cols = cols;
    s.matrix = matrix;
    s.offset = m_size;
    m_size += s.size();
    m_slots.push_back(std::move(s));
  };
  add("token_embd.weight", Role::TokenEmbedding, -1, c.vocabSize, dim, true);
  for (int l = 0; l < c.nLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    // (rows, cols) of each block tensor, in kLayerRoles order.
    const std::int64_t shapes[kPerLayer][2] = {{dim, 1}, {qDim, dim}, {kv, dim},  {kv, dim}, {dim, qDim},
                                               {dim, 1}, {hid, dim},  {dim, hid}, {hid, dim}};
    for (int i = 0; i < kPerLayer; ++i)
      add(p + kLayerNames[i] + ".weight", kLayerRoles[i], l, shapes[i][0], shapes[i][1],
          kLayerRoles[i] != Role::AttnNorm && kLayerRoles[i] != Role::FfnNorm);
  }
  add("output_norm.weight", Role::FinalNorm, -1, dim, 1, false);
  if (!c.sharedClassifier) add("output.weight", Role::Output, -1, c.vocabSize, dim, true);
}

const TensorSlot& ParameterLayout::slot(Role role, int layer) const {
  switch (role) {
    case Role::TokenEmbedding:
      return m_slots.front();
    case Role::FinalNorm:
      return m_slots[1 + static_cast<std::size_t>(m_config.nLayers) * kPerLayer];
    case Role::Output:
      return m_config.sharedClassifier ? m_slots.front() : m_slots.back();
    default: {
      const int i = layerIndex(role);
      assert(i >= 0 && layer >= 0 && layer < m_config.nLayers);
      return m_slots[1 + static_cast<std::size_t>(layer) * kPerLayer + static_cast<std::size_t>(i)];
    }
  }
}

int ParameterLayout::find(const std::string& name) const {
  for (std::size_t i = 0; i < m_slots.size(); ++i)
    if (m_slots[i].name == name) return static_cast<int>(i);
  return -1;
}

std::uint64_t parameterCount(const model::ModelConfig& c) {
  const std::uint64_t dim = c.dim, hid = c.hiddenDim, qDim = std::uint64_t(c.nHeads) * c.headDim(), kv = c.kvDim();
  const std::uint64_t perLayer = 2 * dim + qDim * dim + 2 * kv * dim + dim * qDim + 3 * hid * dim;
  return std::uint64_t(c.vocabSize) * dim * (c.sharedClassifier ? 1 : 2) + c.nLayers * perLayer + dim;
}

}  // namespace quench::train
