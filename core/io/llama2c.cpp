// llama2.c legacy (version 0) checkpoints, as written by Karpathy's export.py and read by run.c.
//
// Layout (little-endian): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
// seq_len; a negative vocab_size means the classifier wcls is stored separately), then fp32 arrays
// in run.c's order, each row-major with the output dimension first:
//   token_embedding_table (vocab, dim)        rms_att_weight (layer, dim)
//   wq (layer, dim, dim)                      wk (layer, kv_dim, dim)
//   wv (layer, kv_dim, dim)                   wo (layer, dim, dim)
//   rms_ffn_weight (layer, dim)               w1 (layer, hidden, dim)
//   w2 (layer, dim, hidden)                   w3 (layer, hidden, dim)
//   rms_final_weight (dim)                    freq_cis_real, freq_cis_imag (seq_len, head_size/2)
//   wcls (vocab, dim), only when vocab_size < 0
// with head_size = dim / n_heads and kv_dim = head_size · n_kv_heads. run.c trusts this header;
// this reader checks it and requires the file size to be exactly what it implies.
//
// The tensors are exposed under GGUF's names and in the order, shapes and values of ggml's
// convert-llama2c-to-ggml output, so that a model reads the same from either file. What the
// shared stories260K pair shows (tests/core/io/test_llama2c.cpp checks all of it bit for bit):
//  - wq and wk are stored unpermuted in both files. llama2.c's RoPE rotates adjacent pairs
//    (2i, 2i+1) of each head, which is ggml's normal (non-NeoX) rope for the llama architecture,
//    so the converter copies them as they are; only Hugging Face checkpoints (rotate-half
//    convention) are permuted by llama.cpp's convert_hf_to_gguf. Q/K need the same RoPE in
//    both sources: adjacent pairs.
//  - the GGUF holds 48 tensors: 9 per layer × 5 layers, token_embd, output_norm and output.weight.
//    The 48th, output.weight, is a copy of token_embd.weight even though the classifier is shared,
//    so for a shared checkpoint this reader exposes output.weight as the token embedding bytes.
//  - freq_cis_real/imag are not exposed (run.c ignores them; RoPE is computed from positions).
#include <array>
#include <limits>
#include <optional>

#include "core/io/byte_cursor.h"
#include "core/io/formats.h"

namespace quench {
namespace {

// Plausibility bounds: far above any published llama2.c checkpoint, low enough that a garbage
// header is rejected with a clear message before any arithmetic on it.
constexpr std::int64_t kMaxDim = 1 << 16;
constexpr std::int64_t kMaxHidden = 1 << 20;
constexpr std::int64_t kMaxLayers = 1 << 12;
constexpr std::int64_t kMaxVocab = 1 << 24;
constexpr std::int64_t kMaxSeqLen = 1 << 24;
constexpr std::uint64_t kHeaderBytes = 7 * 4;

struct Slot {
  std::string name;
  Shape shape;
  std::uint64_t offset = 0;  // absolute byte offset of the first float
};

class Llama2cReader final : public TensorReader {
 public:
  Llama2cReader(std::shared_ptr<MappedFile> file, std::vector<TensorInfo> infos, std::vector<std::uint64_t> offsets,
                Metadata meta)
      : m_file(std::move(file)), m_path(m_file->name()), m_infos(std::move(infos)), m_offsets(std::move(offsets)),
        m_meta(std::move(meta)) {}

  std::string_view format() const override { return "llama2c"; }
  const std::string& path() const override { return m_path; }
  const std::vector<TensorInfo>& tensors() const override { return m_infos; }
  const Metadata& metadata() const override { return m_meta; }

  std::span<const std::uint8_t> storedBytes(std::size_t index) const override {
    if (index >= m_infos.size()) return {};
    return m_file->bytes().subspan(m_offsets[index], m_infos[index].bytes);
  }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index >= m_infos.size())
      return makeError(m_path + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(m_path + ": reading '" + m_infos[index].name + "' cancelled");
    const TensorInfo& info = m_infos[index];
    FloatTensor out;
    out.name = info.name;
    out.shape = info.shape;
    out.values.resize(info.bytes / 4);
    convertToFloat(DType::F32, m_file->bytes().data() + m_offsets[index], out.values.size(), out.values.data());
    return out;
  }

 private:
  std::shared_ptr<MappedFile> m_file;
  std::string m_path;
  std::vector<TensorInfo> m_infos;
  std::vector<std::uint64_t> m_offsets;
  Metadata m_meta;
};

}  // namespace

Result<std::unique_ptr<TensorReader>> openLlama2c(std::shared_ptr<MappedFile> file) {
  if (!file) return makeError("llama2.c: no file");
  const std::string& path = file->name();
  auto fail = [&](const std::string& what) { return makeError(path + ": llama2.c checkpoint: " + what); };

  io::ByteCursor cur(file->bytes());
  std::array<std::int32_t, 7> h{};
  for (auto& v : h)
    if (!cur.read(v)) return fail("header truncated (needs 7 int32, file has " + std::to_string(file->size()) + " bytes)");
  const std::int64_t dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], seqLen = h[6];
  const bool shared = h[5] > 0;
  const std::int64_t vocab = h[5] < 0 ? -static_cast<std::int64_t>(h[5]) : h[5];
  const std::string header = "header (dim " + std::to_string(dim) + ", hidden_dim " + std::to_string(hidden) +
                             ", n_layers " + std::to_string(layers) + ", n_heads " + std::to_string(heads) +
                             ", n_kv_heads " + std::to_string(kvHeads) + ", vocab_size " + std::to_string(h[5]) +
                             ", seq_len " + std::to_string(seqLen) + ")";
  auto inRange = [](std::int64_t v, std::int64_t hi) { return v > 0 && v <= hi; };
  if (!inRange(dim, kMaxDim) || !inRange(hidden, kMaxHidden) || !inRange(layers, kMaxLayers) ||
      !inRange(heads, dim) || !inRange(kvHeads, heads) || !inRange(vocab, kMaxVocab) || !inRange(seqLen, kMaxSeqLen))
    return fail(header + " has a non-positive or implausible value");
  if (dim % heads != 0) return fail(header + ": dim is not a multiple of n_heads");
  if (heads % kvHeads != 0) return fail(header + ": n_kv_heads does not divide n_heads");
  const std::int64_t headSize = dim / heads;
  if (headSize % 2 != 0) return fail(header + ": head size " + std::to_string(headSize) + " is odd (RoPE needs pairs)");
  const std::int64_t kvDim = headSize * kvHeads;

  // Byte layout with checked arithmetic (the bounds above already keep every product below 2^62;
  // the checks make that independent of the bounds). The running total must equal the file size.
  std::uint64_t pos = kHeaderBytes;
  bool overflow = false;
  auto take = [&](Shape shape) {
    Slot s;
    s.shape = std::move(shape);
    s.offset = pos;
    const auto n = checkedElementCount(s.shape);
    if (!n || *n > (std::numeric_limits<std::uint64_t>::max() - pos) / 4) overflow = true;
    else pos += *n * 4;
    return s;
  };
  const Slot emb = take({vocab, dim});
  const Slot rmsAtt = take({layers, dim});
  const Slot wq = take({layers, dim, dim});
  const Slot wk = take({layers, kvDim, dim});
  const Slot wv = take({layers, kvDim, dim});
  const Slot wo = take({layers, dim, dim});
  const Slot rmsFfn = take({layers, dim});
  const Slot w1 = take({layers, hidden, dim});
  const Slot w2 = take({layers, dim, hidden});
  const Slot w3 = take({layers, hidden, dim});
  const Slot rmsFinal = take({dim});
  take({seqLen, headSize / 2});  // freq_cis_real (unused)
  take({seqLen, headSize / 2});  // freq_cis_imag (unused)
  const Slot wcls = shared ? emb : take({vocab, dim});
  if (overflow) return fail(header + ": the implied size overflows");
  if (pos != file->size())
    return fail(header + " implies " + std::to_string(pos) + " bytes, but the file has " + std::to_string(file->size()));

  std::vector<TensorInfo> infos;
  std::vector<std::uint64_t> offsets;
  // Layer l of a stacked (layer, rows[, cols]) array.
  auto add = [&](std::string name, const Slot& s, std::int64_t layer = -1) {
    TensorInfo t;
    t.name = std::move(name);
    t.dtype = DType::F32;
    t.shape = layer < 0 ? s.shape : Shape(s.shape.begin() + 1, s.shape.end());
    t.bytes = *checkedElementCount(t.shape) * 4;
    infos.push_back(std::move(t));
    offsets.push_back(s.offset + (layer < 0 ? 0 : static_cast<std::uint64_t>(layer) * infos.back().bytes));
  };
  // GGUF's order (see the comment at the top of the file).
  add("token_embd.weight", emb);
  add("output_norm.weight", rmsFinal);
  add("output.weight", wcls);
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_q.weight", wq, l);
    add(p + "attn_k.weight", wk, l);
    add(p + "attn_v.weight", wv, l);
    add(p + "attn_output.weight", wo, l);
    add(p + "attn_norm.weight", rmsAtt, l);
    add(p + "ffn_gate.weight", w1, l);
    add(p + "ffn_down.weight", w2, l);
    add(p + "ffn_up.weight", w3, l);
    add(p + "ffn_norm.weight", rmsFfn, l);
  }

  Metadata meta{{"dim", std::to_string(dim)},
                {"hidden_dim", std::to_string(hidden)},
                {"n_layers", std::to_string(layers)},
                {"n_heads", std::to_string(heads)},
                {"n_kv_heads", std::to_string(kvHeads)},
                {"vocab_size", std::to_string(vocab)},
                {"seq_len", std::to_string(seqLen)},
                {"shared_classifier", shared ? "true" : "false"}};
  return std::unique_ptr<TensorReader>(new Llama2cReader(file, std::move(infos), std::move(offsets), std::move(meta)));
}

}  // namespace quench
