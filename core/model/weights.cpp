#include "core/model/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cassert>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/io/ggml_blocks.h"

namespace quench::model {

namespace {
bool isElementFloat(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

// ggml block rows decoded inside the products: a KC column range of a row is whole blocks
// (KC = 256 and every row length are multiples of the block size), decoded by llama.cpp's
// reference dequantization (core/io/ggml_blocks.h).
void decodeBlockRows(const void* context, std::size_t row, std::size_t first, std::size_t count, float* dst) {
  const auto* b = static_cast<const BlockRows*>(context);
  const std::size_t perBlock = blockSize(b->type);
  decodeToFloat(b->type, b->data + row * b->rowBytes + first / perBlock * blockBytes(b->type), count, dst);
}

// Whether [p, p + n) lies in one file-backed mapping of this process (/proc/self/maps lines with
// an inode): only there may pages be dropped with MADV_DONTNEED, which would zero anonymous
// memory (a reader opened on bytes in memory).
bool inFileMapping(const void* p, std::size_t n) {
  std::ifstream maps("/proc/self/maps");
  const auto lo = reinterpret_cast<std::uintptr_t>(p), hi = lo + n;
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev;
    unsigned long long inode = 0;
    if (!(in >> range >> perms >> offset >> dev >> inode)) continue;
    const auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    const auto start = std::stoull(range.substr(0, dash), nullptr, 16), end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (start <= lo && hi <= end) return inode != 0;
  }
  return false;
}
}  // namespace

Result<WeightMatrix> WeightMatrix::view(DType type, int rows, int cols, std::span<const std::uint8_t> bytes,
                                        std::shared_ptr<const void> owner, const std::string& name) {
  if (rows <= 0 || cols <= 0) return makeError("'" + name + "': empty matrix");
  std::size_t rowBytes = 0;
  if (isElementFloat(type)) {
    rowBytes = static_cast<std::size_t>(cols) * dtypeSize(type);
  } else if (isBlockDType(type) && ggmlTypeId(type)) {
    const auto per = storedByteCount(type, static_cast<std::uint64_t>(cols));
    if (!per || static_cast<std::size_t>(cols) % blockSize(type) != 0)
      return makeError("'" + name + "': rows of " + std::to_string(cols) + " elements are not whole " +
                       std::string(dtypeName(type)) + " blocks");
    rowBytes = static_cast<std::size_t>(*per);
  } else {
    return makeError("'" + name + "': " + std::string(dtypeName(type)) + " weights are not read in place");
  }
  if (bytes.size() != rowBytes * static_cast<std::size_t>(rows))
    return makeError("'" + name + "': " + std::to_string(bytes.size()) + " stored bytes for " + std::to_string(rows) +
                     " × " + std::to_string(cols) + " " + std::string(dtypeName(type)) + " elements");
  WeightMatrix w;
  w.m_type = type;
  w.m_rows = rows;
  w.m_cols = cols;
  w.m_data = bytes.data();
  w.m_rowBytes = rowBytes;
  w.m_fileBacked = inFileMapping(bytes.data(), bytes.size());
  w.m_owner = std::move(owner);
  w.bindBlocks();
  return w;
}

void WeightMatrix::bindBlocks() {
  if (isElementFloat(m_type)) {
    m_blocks.reset();
    return;
  }
  m_blocks = std::make_shared<const BlockRows>(BlockRows{m_type, m_data, m_rowBytes});
}

WeightMatrix WeightMatrix::fromFloats(std::vector<float> values, int rows, int cols) {
  assert(values.size() == static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols));
  auto store = std::make_shared<std::vector<float>>(std::move(values));
  WeightMatrix w;
  w.m_type = DType::F32;
  w.m_rows = rows;
  w.m_cols = cols;
  w.m_data = reinterpret_cast<const std::uint8_t*>(store->data());
  w.m_rowBytes = static_cast<std::size_t>(cols) * sizeof(float);
  w.m_owner = std::move(store);
  return w;
}

WeightMatrix WeightMatrix::rowRange(int first, int count) const {
  assert(first >= 0 && count >= 0 && first + count <= m_rows);
  WeightMatrix w = *this;
  w.m_rows = count;
  w.m_data = m_data + static_cast<std::size_t>(first) * m_rowBytes;
  w.bindBlocks();
  return w;
}

simd::GemmOperand WeightMatrix::operand() const {
  simd::GemmOperand op;
  op.type = m_type;
  op.data = m_data;
  op.rowBytes = m_rowBytes;
  if (m_blocks) {
    op.decode = decodeBlockRows;
    op.decodeContext = m_blocks.get();
  }
  return op;
}

void WeightMatrix::rowToFloat(int row, float* dst) const {
  assert(row >= 0 && row < m_rows);
  simd::decodeOperandRow(operand(), static_cast<std::size_t>(row), 0, static_cast<std::size_t>(m_cols), dst);
}

void WeightMatrix::releasePages() const {
  if (!m_fileBacked || m_rows == 0) return;
  // Whole pages inside the matrix only: a page shared with a neighbour tensor stays.
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto lo = reinterpret_cast<std::uintptr_t>(m_data), hi = lo + storedBytes();
  const std::uintptr_t first = (lo + page - 1) / page * page, last = hi / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void LayerWeights::releasePages() const {
  for (const WeightMatrix* m : {&wq, &wk, &wv, &wo, &gate, &up, &down}) m->releasePages();
}

std::vector<std::string> canonicalLayerNames(const ModelConfig& c, int layer) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  std::vector<std::string> names{p + "attn_norm.weight"};
  if (c.fusedQkv) {
    names.push_back(p + "attn_qkv.weight");
    if (c.qkvBias) names.push_back(p + "attn_qkv.bias");
  } else {
    for (const char* t : {"attn_q", "attn_k", "attn_v"}) names.push_back(p + t + ".weight");
    if (c.qkvBias)
      for (const char* t : {"attn_q", "attn_k", "attn_v"}) names.push_back(p + t + ".bias");
  }
  if (c.qkNorm) {
    names.push_back(p + "attn_q_norm.weight");
    names.push_back(p + "attn_k_norm.weight");
  }
  names.push_back(p + "attn_output.weight");
  if (c.outBias) names.push_back(p + "attn_output.bias");
  names.push_back(p + "ffn_norm.weight");
  if (!c.fusedGateUp) names.push_back(p + "ffn_gate.weight");
  names.push_back(p + "ffn_down.weight");
  names.push_back(p + "ffn_up.weight");
  if (c.mlpBias) {
    if (!c.fusedGateUp) names.push_back(p + "ffn_gate.bias");
    names.push_back(p + "ffn_down.bias");
    names.push_back(p + "ffn_up.bias");
  }
  return names;
}

std::vector<std::string> canonicalWeightNames(const ModelConfig& c) {
  std::vector<std::string> names{"token_embd.weight"};
  for (int l = 0; l < c.nLayers; ++l) {
    auto layer = canonicalLayerNames(c, l);
    names.insert(names.end(), layer.begin(), layer.end());
  }
  names.push_back("output_norm.weight");
  if (!c.sharedClassifier) names.push_back("output.weight");
  return names;
}

}  // namespace quench::model
