#include "core/train/model_io.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/io/atomic_file.h"
#include "core/io/text_file.h"
#include "core/io/writer.h"

namespace quench::train {

namespace fs = std::filesystem;

std::string hfTensorName(const std::string& canonical) {
  if (canonical == "token_embd.weight") return "model.embed_tokens.weight";
  if (canonical == "output.weight") return "lm_head.weight";
  if (canonical == "output_norm.weight") return "model.norm.weight";
  static const std::pair<const char*, const char*> kMap[] = {
      {"attn_norm", "input_layernorm"},   {"attn_q", "self_attn.q_proj"},      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},     {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},      {"ffn_down", "mlp.down_proj"},       {"ffn_up", "mlp.up_proj"}};
  if (canonical.rfind("blk.", 0) == 0) {
    const auto dot = canonical.find('.', 4);
    const auto end = canonical.rfind(".weight");
    if (dot != std::string::npos && end != std::string::npos && end > dot) {
      const std::string layer = canonical.substr(4, dot - 4), what = canonical.substr(dot + 1, end - dot - 1);
      for (const auto& [from, to] : kMap)
        if (what == from) return "model.layers." + layer + "." + to + ".weight";
    }
  }
  return canonical;
}

fs::path tokenizerJsonOf(const model::ModelFiles& files) {
  if (files.format != "hf") return {};
  std::error_code ec;
  const fs::path p = fs::path(files.path) / "tokenizer.json";
  return fs::is_regular_file(p, ec) ? p : fs::path();
}

namespace {

// The training engine computes the plain Llama decoder (network.h): SwiGLU, no biases, full RoPE
// without scaling, heads that tile the width. The runtime opens more (Qwen, Gemma, Phi-3, Llama 3's
// RoPE scaling, ...); training such a model here would follow other equations than its own, so it
// is refused with the feature named.
Status checkTrainable(const model::ModelConfig& c, const std::string& src) {
  std::string what;
  if (c.arch != model::Architecture::Llama) what = std::string("the ") + std::string(model::architectureName(c.arch)) + " architecture";
  else if (c.ropeScaling != model::RopeScaling::None || !c.ropeFreqDivisors.empty()) what = "RoPE scaling";
  else if (c.qkvBias || c.outBias || c.mlpBias) what = "biases";
  else if (c.activation != model::Activation::Silu) what = "an activation other than SiLU";
  else if (c.qkNorm || c.normAddsOne || c.embedScale != 1.0f) what = "q/k norms, 1 + w norms or an embedding scale";
  else if (c.fusedQkv || c.fusedGateUp) what = "fused projections";
  else if (c.qDim() != c.dim || c.rotaryDims() != c.headDim()) what = "a head width other than hidden / heads, or partial RoPE";
  else if (c.slidingWindow > 0) what = "a sliding window";
  if (what.empty()) return {};
  return makeError(src + ": the training engine computes plain Llama decoders; this model has " + what);
}

}  // namespace

Result<LoadedModel> loadModel(const fs::path& path, const fs::path& tokenizerPath, const Work& work) {
  auto files = model::openModel(path, tokenizerPath);
  if (!files) return files.error();
  if (auto s = checkTrainable(files->config, files->path); !s) return s.error();
  LoadedModel m;
  m.files = std::move(files).value();
  const std::string& src = m.files.path;
  const std::uint64_t count = parameterCount(m.files.config);
  if (count > kMaxParameters)
    return makeError(src + ": " + std::to_string(count) + " parameters; the training engine takes models up to " +
                     std::to_string(kMaxParameters) + " (teaching scale)");
  m.layout = ParameterLayout(m.files.config);
  m.params.assign(m.layout.size(), 0.0f);
  const TensorReader& reader = *m.files.reader;
  const bool hf = m.files.format == "hf";
  const auto& slots = m.layout.tensors();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (work.cancelled()) return makeError(src + ": loading cancelled");
    const TensorSlot& s = slots[i];
    std::string name = hf ? hfTensorName(s.name) : s.name;
    // A tied Hugging Face checkpoint may store the shared matrix once, as lm_head.weight.
    if (hf && s.role == Role::TokenEmbedding && !reader.find(name) && reader.find("lm_head.weight"))
      name = "lm_head.weight";
    auto t = reader.readFloat(name, work);
    if (!t) return t.error();
    const bool sameShape = t->shape == s.shape() ||
                           (!s.matrix && t->shape.size() == 2 && t->shape[0] == 1 && t->shape[1] == s.rows);
    if (!sameShape || t->values.size() != s.size())
      return makeError(src + ": tensor '" + name + "' has shape " + shapeToString(t->shape) + ", the config needs " +
                       shapeToString(s.shape()));
    for (std::size_t k = 0; k < t->values.size(); ++k)
      if (!std::isfinite(t->values[k]))
        return makeError(src + ": tensor '" + name + "' holds a non-finite value at element " + std::to_string(k));
    std::copy(t->values.begin(), t->values.end(), m.params.begin() + static_cast<std::ptrdiff_t>(s.offset));
    m.fileNames.push_back(std::move(name));
    work.report(static_cast<double>(i + 1), static_cast<double>(slots.size()));
  }
  return m;
}

namespace {

// The shortest decimal that reads back as the same float (1e-05, not 9.99999974737875e-06), as a
// double for JSON.
double shortestFloat(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

// Write `bytes` to `target` through core/io's one atomic-write mechanism (temporary file beside the
// target, fsync, rename, stale temporaries of killed writers removed).
Status writeAtomically(const fs::path& target, const std::string& bytes) {
  return writeFileAtomically(target, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

bool samePath(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace

Status saveHfFolder(const fs::path& dir, const ParameterLayout& layout, std::span<const float> params,
                    const fs::path& tokenizerJson, const Metadata& metadata, const std::vector<fs::path>& protect,
                    int bosId, int eosId) {
  const model::ModelConfig& c = layout.config();
  if (params.size() != layout.size())
    return makeError(dir.string() + ": " + std::to_string(params.size()) + " values for a layout of " +
                     std::to_string(layout.size()));
  for (const fs::path& p : protect)
    if (samePath(dir, p)) return makeError(dir.string() + ": refusing to write over the model it was read from");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return makeError(dir.string() + ": exists and is not a folder");
  fs::create_directories(dir, ec);
  if (ec) return makeError(dir.string() + ": cannot create the folder: " + ec.message());

  // Weights under Hugging Face names. Raw HF q/k weights rotate halves (i, i + head_dim/2); a model
  // that rotates adjacent pairs gets its q/k rows reordered per head so that pair (2i, 2i+1)
  // becomes (i, i + half): the same rotation of the same numbers, so attention is unchanged.
  const int hd = c.headDim(), half = hd / 2;
  std::vector<OutTensor> tensors;
  for (const TensorSlot& s : layout.tensors()) {
    std::vector<float> v(params.begin() + static_cast<std::ptrdiff_t>(s.offset),
                         params.begin() + static_cast<std::ptrdiff_t>(s.offset + s.size()));
    if (c.rope == model::RopeStyle::AdjacentPairs && (s.role == Role::Wq || s.role == Role::Wk)) {
      std::vector<float> perm(v.size());
      const auto cols = static_cast<std::size_t>(s.cols);
      for (std::int64_t head = 0; head < s.rows / hd; ++head)
        for (int i = 0; i < half; ++i)
          for (int j = 0; j < 2; ++j) {
            const std::size_t from = static_cast<std::size_t>(head * hd + 2 * i + j);
            const std::size_t to = static_cast<std::size_t>(head * hd + j * half + i);
            std::copy_n(v.begin() + static_cast<std::ptrdiff_t>(from * cols), cols,
                        perm.begin() + static_cast<std::ptrdiff_t>(to * cols));
          }
      v = std::move(perm);
    }
    tensors.push_back(OutTensor::fromFloats(hfTensorName(s.name), s.shape(), v));
  }
  Metadata meta{{"format", "pt"}};
  for (const auto& kv : metadata)
    if (kv.first != "format") meta.push_back(kv);
  if (auto st = writeSafetensors(dir / "model.safetensors", tensors, meta); !st) return st;

  nlohmann::ordered_json j;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["hidden_size"] = c.dim;
  j["intermediate_size"] = c.hiddenDim;
  j["num_hidden_layers"] = c.nLayers;
  j["num_attention_heads"] = c.nHeads;
  j["num_key_value_heads"] = c.nKvHeads;
  j["head_dim"] = hd;
  j["vocab_size"] = c.vocabSize;
  j["max_position_embeddings"] = c.seqLen;
  j["rms_norm_eps"] = shortestFloat(c.normEps);
  j["rope_theta"] = shortestFloat(c.ropeTheta);
  j["rope_scaling"] = nullptr;
  j["hidden_act"] = "silu";
  j["attention_bias"] = false;
  j["attention_dropout"] = 0.0;
  j["mlp_bias"] = false;
  j["tie_word_embeddings"] = c.sharedClassifier;
  j["bos_token_id"] = bosId;
  j["eos_token_id"] = eosId;
  j["initializer_range"] = 0.02;
  j["pretraining_tp"] = 1;
  j["torch_dtype"] = "float32";
  j["use_cache"] = true;
  if (auto st = writeAtomically(dir / "config.json", j.dump(2) + "\n"); !st) return st;

  if (!tokenizerJson.empty() && !samePath(tokenizerJson, dir / "tokenizer.json")) {
    auto text = readTextFile(tokenizerJson, kMaxTokenizerJsonBytes, "tokenizer.json");
    if (!text) return text.error();
    if (auto st = writeAtomically(dir / "tokenizer.json", *text); !st) return st;
  }
  return {};
}

}  // namespace quench::train
