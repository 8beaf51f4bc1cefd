// Opening a model (llama2.c, GGUF, Hugging Face folders) into ModelFiles and loading its weights.
// Length (~750 lines): the three formats' configuration parsers share the checks that make every
// architecture key an error naming the file and the key; the weight loaders share the finite
// checks and the overrides. Split by format when a fourth format joins.
#include "core/model/model_loader.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/exec/parallel.h"
#include "core/io/ggml_blocks.h"
#include "core/io/text_file.h"
#include "core/model/tokenizer_gguf.h"
#include "core/model/tokenizer_hf.h"
#include "core/model/tokenizer_llama2c.h"

namespace quench::model {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSupportedHf = "llama, mistral, qwen2, qwen3, gemma, phi3";
constexpr const char* kSupportedGguf = "llama, qwen2, qwen3, gemma, phi3";

// Integer metadata value (decimal text) of `key`; `fallback` when absent and fallback ≥ 0.
Result<int> metaInt(const Metadata& meta, std::string_view key, const std::string& source, long long fallback = -1) {
  const std::string* v = findMetadata(meta, key);
  if (!v) {
    if (fallback >= 0) return static_cast<int>(fallback);
    return makeError(source + ": metadata key '" + std::string(key) + "' is missing");
  }
  long long x = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc() || p != v->data() + v->size() || x < 0 || x > (1ll << 30))
    return makeError(source + ": metadata '" + std::string(key) + "' = '" + *v + "' is not a valid count");
  return static_cast<int>(x);
}

Result<float> metaFloat(const Metadata& meta, std::string_view key, const std::string& source, float fallback) {
  const std::string* v = findMetadata(meta, key);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const float x = std::stof(*v, &used);
    if (used == v->size()) return x;
  } catch (const std::exception&) {
  }
  return makeError(source + ": metadata '" + std::string(key) + "' = '" + *v + "' is not a number");
}

Result<fs::path> findLlama2cTokenizer(const fs::path& checkpoint) {
  std::error_code ec;
  const fs::path dir = checkpoint.parent_path().empty() ? fs::path(".") : checkpoint.parent_path();
  if (fs::exists(dir / "tokenizer.bin", ec)) return dir / "tokenizer.bin";
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && name.rfind("tok", 0) == 0 && e.path().extension() == ".bin" &&
        e.path() != checkpoint)
      found.push_back(e.path());
  }
  if (found.size() == 1) return found.front();
  return makeError(checkpoint.string() + ": no tokenizer given and " +
                   (found.empty() ? std::string("no tokenizer.bin or tok*.bin beside it")
                                  : std::string("several tok*.bin beside it")) +
                   " (use --tokenizer FILE)");
}

Status openLlama2c(ModelFiles& m, const fs::path& tokenizerPath, const TokenizerOptions& tokOptions) {
  const Metadata& meta = m.reader->metadata();
  const std::string& src = m.path;
  ModelConfig& c = m.config;
  for (auto [key, field] : {std::pair{"dim", &c.dim}, {"hidden_dim", &c.hiddenDim}, {"n_layers", &c.nLayers},
                            {"n_heads", &c.nHeads}, {"n_kv_heads", &c.nKvHeads}, {"vocab_size", &c.vocabSize},
                            {"seq_len", &c.seqLen}}) {
    auto v = metaInt(meta, key, src);
    if (!v) return v.error();
    *field = *v;
  }
  const std::string* shared = findMetadata(meta, "shared_classifier");
  c.sharedClassifier = !shared || *shared == "true";
  c.arch = Architecture::Llama;
  c.normEps = 1e-5f;  // llama2.c's rmsnorm hard-codes 1e-5
  c.ropeTheta = 10000.0f;
  c.rope = RopeStyle::AdjacentPairs;
  if (auto s = validateConfig(c, src); !s) return s;
  fs::path tokPath = tokenizerPath;
  if (tokPath.empty()) {
    auto found = findLlama2cTokenizer(m.path);
    if (!found) return found.error();
    tokPath = *found;
  }
  auto tok = loadLlama2cTokenizer(tokPath, c.vocabSize);
  if (!tok) return tok.error();
  (*tok)->setAddSpacePrefix(tokOptions.prefixSpace);
  m.tokenizer = std::move(tok).value();
  return {};
}

// The float32 values of a small 1-D tensor (rope_freqs), read through the reader.
Result<std::vector<float>> readVector(const TensorReader& reader, const std::string& name) {
  auto t = reader.readFloat(name);
  if (!t) return t.error();
  return std::move(t->values);
}

Status openGgufModel(ModelFiles& m, const TokenizerOptions& tokOptions) {
  const Metadata& meta = m.reader->metadata();
  const std::string& src = m.path;
  const std::string* archName = findMetadata(meta, "general.architecture");
  ModelConfig& c = m.config;
  const std::string a = archName ? *archName : std::string("(none)");
  if (a == "llama") c.arch = Architecture::Llama;
  else if (a == "qwen2") c.arch = Architecture::Qwen2;
  else if (a == "qwen3") c.arch = Architecture::Qwen3;
  else if (a == "gemma") c.arch = Architecture::Gemma;
  else if (a == "phi3") c.arch = Architecture::Phi3;
  else
    return makeError(src + ": GGUF architecture '" + a + "' is not supported (supported: " + kSupportedGguf + ")");
  const std::string p = a + ".";
  Result<int> v = 0;
  if (!(v = metaInt(meta, p + "embedding_length", src))) return v.error();
  c.dim = *v;
  if (!(v = metaInt(meta, p + "feed_forward_length", src))) return v.error();
  c.hiddenDim = *v;
  if (!(v = metaInt(meta, p + "block_count", src))) return v.error();
  c.nLayers = *v;
  if (!(v = metaInt(meta, p + "attention.head_count", src))) return v.error();
  c.nHeads = *v;
  if (!(v = metaInt(meta, p + "attention.head_count_kv", src, c.nHeads))) return v.error();
  c.nKvHeads = *v;
  if (!(v = metaInt(meta, p + "context_length", src))) return v.error();
  c.seqLen = *v;
  const auto emb = m.reader->find("token_embd.weight");
  if (!emb) return makeError(src + ": GGUF has no token_embd.weight");
  const Shape& es = m.reader->tensors()[*emb].shape;
  if (es.size() != 2) return makeError(src + ": token_embd.weight is not a matrix");
  if (!(v = metaInt(meta, p + "vocab_size", src, es[0]))) return v.error();
  c.vocabSize = *v;
  auto eps = metaFloat(meta, p + "attention.layer_norm_rms_epsilon", src, 1e-5f);
  if (!eps) return eps.error();
  c.normEps = *eps;
  auto theta = metaFloat(meta, p + "rope.freq_base", src, 10000.0f);
  if (!theta) return theta.error();
  c.ropeTheta = *theta;
  if (c.nHeads > 0 && c.dim % c.nHeads == 0) c.headSize = c.dim / c.nHeads;
  if (!(v = metaInt(meta, p + "attention.key_length", src, c.headSize))) return v.error();
  c.headSize = *v;
  if (!(v = metaInt(meta, p + "attention.value_length", src, c.headSize))) return v.error();
  if (*v != c.headSize)
    return makeError(src + ": value heads of " + std::to_string(*v) + " and key heads of " + std::to_string(c.headSize) +
                     " dimensions are not supported");
  if (!(v = metaInt(meta, p + "rope.dimension_count", src, c.headSize))) return v.error();
  c.ropeDims = *v;
  if (c.ropeDims != c.headSize && c.arch != Architecture::Phi3)
    return makeError(src + ": partial RoPE (" + std::to_string(c.ropeDims) + " of " + std::to_string(c.headSize) +
                     " dimensions) is not supported for " + a);
  // llama.cpp's converter permutes the q/k rows of the llama architecture so that it rotates
  // adjacent pairs (ggml's normal RoPE); every other architecture rotates halves (neox).
  c.rope = c.arch == Architecture::Llama ? RopeStyle::AdjacentPairs : RopeStyle::Halves;
  // RoPE scaling: llama.cpp's default type is "linear" with factor 0 (= none).
  const std::string* scaling = findMetadata(meta, p + "rope.scaling.type");
  auto factor = metaFloat(meta, p + "rope.scaling.factor", src, 0.0f);
  if (!factor) return factor.error();
  if (*factor == 0.0f) {
    factor = metaFloat(meta, p + "rope.scale_linear", src, 0.0f);
    if (!factor) return factor.error();
  }
  const std::string type = scaling ? *scaling : std::string("linear");
  if (type == "linear") {
    if (*factor != 0.0f && *factor != 1.0f) {
      c.ropeScaling = RopeScaling::Linear;
      c.ropeFactor = *factor;
    }
  } else if (type != "none") {
    return makeError(src + ": rope scaling type '" + type + "' (" + p + "rope.scaling.type) is not supported");
  }
  if (m.reader->find("rope_freqs.weight")) {
    if (c.arch != Architecture::Llama)
      return makeError(src + ": tensor 'rope_freqs.weight' is not used by llama.cpp's " + a + " architecture");
    auto f = readVector(*m.reader, "rope_freqs.weight");
    if (!f) return f.error();
    c.ropeScaling = RopeScaling::Llama3;
    c.ropeFreqDivisors = std::move(f).value();
  }
  // Layout from the tensors present, as llama.cpp's loader accepts them.
  c.fusedQkv = m.reader->find("blk.0.attn_qkv.weight").has_value();
  c.qkvBias = m.reader->find(c.fusedQkv ? "blk.0.attn_qkv.bias" : "blk.0.attn_q.bias").has_value();
  c.outBias = c.arch == Architecture::Llama && m.reader->find("blk.0.attn_output.bias").has_value();
  c.mlpBias = c.arch == Architecture::Llama && m.reader->find("blk.0.ffn_down.bias").has_value();
  c.fusedGateUp = c.arch == Architecture::Phi3;
  c.qkNorm = c.arch == Architecture::Qwen3;
  if (c.arch == Architecture::Gemma) {
    // llama.cpp scales by sqrtf(n_embd) in float32; its converter already stored 1 + w in the norms.
    c.activation = Activation::GeluTanh;
    c.embedScale = std::sqrt(static_cast<float>(c.dim));
  }
  c.sharedClassifier = !m.reader->find("output.weight").has_value();
  if (auto s = validateConfig(c, src); !s) return s;
  auto tok = ggufTokenizer(meta, src, tokOptions);
  if (!tok) return tok.error();
  if ((*tok)->vocabSize() != c.vocabSize)
    return makeError(src + ": vocabulary has " + std::to_string((*tok)->vocabSize()) + " tokens, the model " +
                     std::to_string(c.vocabSize));
  m.tokenizer = std::move(tok).value();
  return {};
}

Result<nlohmann::json> readJsonFile(const fs::path& p) {
  auto text = readTextFile(p, kMaxConfigJsonBytes, p.filename().string());
  if (!text) return text.error();
  if (auto deep = jsonDepthError(*text)) return makeError(p.string() + ": " + *deep);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return makeError(p.string() + ": not a JSON object");
  return j;
}

// Gemma's embedding normaliser as transformers computes it: torch.tensor(√hidden, dtype=the
// model's dtype), i.e. √dim rounded to the dtype the checkpoint stores its embedding in.
float gemmaNormalizer(int dim, DType stored) {
  const float f = static_cast<float>(std::sqrt(static_cast<double>(dim)));
  if (stored == DType::BF16) return bf16ToFloat(floatToBf16(f));
  if (stored == DType::F16) return halfToFloat(floatToHalf(f));
  return f;
}

// config.json's RoPE scaling: rope_scaling (transformers 4.x) or rope_parameters (5.x).
Status parseHfRopeScaling(const nlohmann::json& j, const std::string& cfgName, ModelConfig& c) {
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    const nlohmann::json& r = j[key];
    auto bad = [&](const std::string& what) { return makeError(cfgName + ": \"" + key + "\" " + what); };
    if (!r.is_object()) return bad("is not an object");
    auto number = [&](const char* k, double fallback, double& out) -> Status {
      if (!r.contains(k) || r[k].is_null()) {
        if (std::isnan(fallback)) return bad("has no \"" + std::string(k) + "\"");
        out = fallback;
        return {};
      }
      if (!r[k].is_number()) return bad("\"" + std::string(k) + "\" is not a number");
      out = r[k].get<double>();
      return {};
    };
    if (r.contains("rope_theta")) {
      double theta = 0;
      if (auto s = number("rope_theta", 0, theta); !s) return s;
      c.ropeTheta = static_cast<float>(theta);
    }
    std::string type = "default";
    for (const char* t : {"rope_type", "type"})
      if (r.contains(t) && r[t].is_string()) {
        type = r[t].get<std::string>();
        break;
      }
    if (type == "default") continue;
    const double nan = std::nan("");
    if (type == "linear") {
      c.ropeScaling = RopeScaling::Linear;
      if (auto s = number("factor", nan, c.ropeFactor); !s) return s;
    } else if (type == "llama3") {
      c.ropeScaling = RopeScaling::Llama3;
      if (auto s = number("factor", nan, c.ropeFactor); !s) return s;
      if (auto s = number("low_freq_factor", nan, c.ropeLowFreqFactor); !s) return s;
      if (auto s = number("high_freq_factor", nan, c.ropeHighFreqFactor); !s) return s;
      if (auto s = number("original_max_position_embeddings", nan, c.ropeOriginalContext); !s) return s;
    } else {
      return bad("type \"" + type + "\" is not supported (supported: linear, llama3)");
    }
  }
  return {};
}

Result<Activation> parseActivation(const std::string& name, const std::string& cfgName, const char* key) {
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "gelu") return Activation::GeluErf;
  return makeError(cfgName + ": \"" + key + "\" \"" + name + "\" is not supported (supported: silu, gelu_pytorch_tanh, gelu)");
}

Status openHfModel(ModelFiles& m, const TokenizerOptions& tokOptions) {
  const fs::path dir = m.path;
  const std::string cfgName = (dir / "config.json").string();
  auto cfg = readJsonFile(dir / "config.json");
  if (!cfg) return cfg.error();
  const nlohmann::json& j = *cfg;
  ModelConfig& c = m.config;
  const std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  if (type == "llama") c.arch = Architecture::Llama;
  else if (type == "mistral") c.arch = Architecture::Mistral;
  else if (type == "qwen2") c.arch = Architecture::Qwen2;
  else if (type == "qwen3") c.arch = Architecture::Qwen3;
  else if (type == "gemma") c.arch = Architecture::Gemma;
  else if (type == "phi3") c.arch = Architecture::Phi3;
  else
    return makeError(cfgName + ": model_type \"" + type + "\" is not supported (supported: " + kSupportedHf + ")");
  auto intField = [&](const char* key, long long fallback, int& out) -> Status {
    if (!j.contains(key) || j[key].is_null()) {
      if (fallback < 0) return makeError(cfgName + ": \"" + key + "\" is missing");
      out = static_cast<int>(fallback);
      return {};
    }
    if (!j[key].is_number_integer() || j[key].get<long long>() < 0 || j[key].get<long long>() > (1ll << 30))
      return makeError(cfgName + ": \"" + key + "\" is not a valid count");
    out = static_cast<int>(j[key].get<long long>());
    return {};
  };
  auto floatField = [&](const char* key, float fallback, float& out) -> Status {
    if (!j.contains(key) || j[key].is_null()) {
      out = fallback;
      return {};
    }
    if (!j[key].is_number()) return makeError(cfgName + ": \"" + key + "\" is not a number");
    out = j[key].get<float>();
    return {};
  };
  auto boolField = [&](const char* key, bool fallback) {
    return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
  };
  for (auto [key, field] : {std::pair{"hidden_size", &c.dim}, {"intermediate_size", &c.hiddenDim},
                            {"num_hidden_layers", &c.nLayers}, {"num_attention_heads", &c.nHeads},
                            {"vocab_size", &c.vocabSize}, {"max_position_embeddings", &c.seqLen}})
    if (auto s = intField(key, -1, *field); !s) return s;
  if (auto s = intField("num_key_value_heads", c.nHeads, c.nKvHeads); !s) return s;
  if (auto s = intField("head_dim", 0, c.headSize); !s) return s;
  if (auto s = floatField("rms_norm_eps", 1e-6f, c.normEps); !s) return s;
  if (auto s = floatField("rope_theta", 10000.0f, c.ropeTheta); !s) return s;
  if (auto s = parseHfRopeScaling(j, cfgName, c); !s) return s;
  // Partial rotary embeddings: Phi-3's partial_rotary_factor (Phi-4-mini); other architectures
  // rotate the whole head in transformers.
  float partial = 1.0f;
  if (auto s = floatField("partial_rotary_factor", 1.0f, partial); !s) return s;
  if (partial != 1.0f) {
    if (c.arch != Architecture::Phi3 || !(partial > 0.0f && partial < 1.0f))
      return makeError(cfgName + ": \"partial_rotary_factor\" " + std::to_string(partial) + " is not supported for " + type);
  }
  // Activation: hidden_act, except Gemma (hidden_activation, gelu_pytorch_tanh when absent: the
  // legacy hidden_act is ignored, as transformers' GemmaMLP documents).
  if (c.arch == Architecture::Gemma) {
    const std::string act = j.contains("hidden_activation") && j["hidden_activation"].is_string()
                                ? j["hidden_activation"].get<std::string>()
                                : std::string("gelu_pytorch_tanh");
    auto a = parseActivation(act, cfgName, "hidden_activation");
    if (!a) return a.error();
    c.activation = *a;
  } else {
    const std::string act = j.contains("hidden_act") && j["hidden_act"].is_string() ? j["hidden_act"].get<std::string>()
                                                                                       : std::string("silu");
    auto a = parseActivation(act, cfgName, "hidden_act");
    if (!a) return a.error();
    c.activation = *a;
  }
  // Biases and fused projections, per architecture as transformers builds its modules.
  const bool attentionBias = boolField("attention_bias", false), mlpBias = boolField("mlp_bias", false);
  auto noBias = [&](const char* key) {
    return makeError(cfgName + ": \"" + key + "\" is true, but " + type + " has no such biases in transformers");
  };
  switch (c.arch) {
    case Architecture::Llama:
      c.qkvBias = c.outBias = attentionBias;
      c.mlpBias = mlpBias;
      break;
    case Architecture::Qwen2:  // q, k, v always biased; o never
      c.qkvBias = true;
      if (mlpBias) return noBias("mlp_bias");
      break;
    case Architecture::Qwen3:
    case Architecture::Gemma:
      c.qkvBias = c.outBias = attentionBias;
      if (mlpBias) return noBias("mlp_bias");
      break;
    case Architecture::Mistral:
    case Architecture::Phi3:
      if (attentionBias) return noBias("attention_bias");
      if (mlpBias) return noBias("mlp_bias");
      break;
  }
  c.fusedQkv = c.fusedGateUp = c.arch == Architecture::Phi3;
  c.qkNorm = c.arch == Architecture::Qwen3;
  // Sliding-window attention: Mistral and Phi-3 always (when set), Qwen2/3 when enabled.
  int window = 0;
  if (auto s = intField("sliding_window", 0, window); !s) return s;
  const bool usesWindow = c.arch == Architecture::Mistral || c.arch == Architecture::Phi3 ||
                          ((c.arch == Architecture::Qwen2 || c.arch == Architecture::Qwen3) &&
                           boolField("use_sliding_window", false));
  c.slidingWindow = usesWindow ? window : 0;
  c.rope = RopeStyle::Halves;  // transformers' rotate_half on the weights as stored
  c.sharedClassifier = boolField("tie_word_embeddings", c.arch == Architecture::Gemma);
  if (c.arch == Architecture::Gemma) {
    c.normAddsOne = true;
    const auto emb = m.reader->find(m.reader->find("model.embed_tokens.weight") ? "model.embed_tokens.weight" : "lm_head.weight");
    c.embedScale = gemmaNormalizer(c.dim, emb ? m.reader->tensors()[*emb].dtype : DType::F32);
  }
  if (auto s = validateConfig(c, cfgName); !s) return s;
  if (partial != 1.0f) {
    c.ropeDims = static_cast<int>(static_cast<float>(c.headDim()) * partial);  // int(head_dim · factor)
    if (c.ropeDims <= 0 || c.ropeDims % 2 != 0)
      return makeError(cfgName + ": partial_rotary_factor gives an odd rotary width of " + std::to_string(c.ropeDims));
  }
  int bos = 1, eos = 2;
  if (auto s = intField("bos_token_id", 1, bos); !s) return s;
  if (auto s = intField("eos_token_id", 2, eos); !s) return s;
  m.configBos = bos;
  // tokenizer.json is optional: without it the model runs on token files (tokenizer stays null).
  std::error_code ec;
  if (!fs::exists(dir / "tokenizer.json", ec)) return {};
  auto tok = loadHfTokenizer(dir / "tokenizer.json", bos, eos, tokOptions);
  if (!tok) return tok.error();
  if ((*tok)->vocabSize() > c.vocabSize)
    return makeError((dir / "tokenizer.json").string() + ": vocabulary of " + std::to_string((*tok)->vocabSize()) +
                     " exceeds the model's " + std::to_string(c.vocabSize));
  m.tokenizer = std::move(tok).value();
  return {};
}

// Every tensor of the file must be one the configured model uses: a bias or a norm the config
// does not announce would otherwise be silently ignored and the answer would be wrong.
Status checkNoUnusedTensors(const ModelFiles& m) {
  std::set<std::string> used;
  for (const std::string& canonical : canonicalWeightNames(m.config)) used.insert(m.fileTensorName(canonical));
  if (!m.config.ropeFreqDivisors.empty()) used.insert("rope_freqs.weight");
  for (const TensorInfo& t : m.reader->tensors()) {
    if (used.count(t.name)) continue;
    // Old transformers checkpoints store the RoPE frequencies as a buffer; they are recomputed.
    if (m.format == "hf" && t.name.size() >= 20 && t.name.compare(t.name.size() - 20, 20, "rotary_emb.inv_freq") == 0)
      continue;
    if (m.format == "hf" && t.name.find("rotary_emb.inv_freq") != std::string::npos) continue;
    return makeError(m.path + ": tensor '" + t.name + "' is not part of a " + std::string(architectureName(m.config.arch)) +
                     " model as configured (a bias, norm or scaling the configuration does not declare); Quench "
                     "would compute without it, so it stops instead");
  }
  return {};
}

// ---- weights ----------------------------------------------------------------------------------

class WeightReader {
 public:
  WeightReader(const ModelFiles& files, const TensorOverride& override) : m_files(files), m_override(override) {}

  // A (rows, cols) matrix: the caller's floats, a view of the mapped bytes, or (formats the
  // products do not decode in place) the tensor converted to float32.
  Result<WeightMatrix> matrix(const std::string& canonical, int rows, int cols) const {
    const Shape expected{rows, cols};
    if (m_override) {
      auto o = m_override(canonical);
      if (!o) return o.error();
      if (*o) {
        FloatTensor& t = **o;
        if (auto s = checkFloat(t, canonical, expected); !s) return s.error();
        return WeightMatrix::fromFloats(std::move(t.values), rows, cols);
      }
    }
    const std::string name = m_files.fileTensorName(canonical);
    const auto index = m_files.reader->find(name);
    if (!index) return makeError(m_files.path + ": no tensor '" + name + "'");
    const TensorInfo& info = m_files.reader->tensors()[*index];
    if (info.shape != expected)
      return makeError(m_files.path + ": tensor '" + name + "' has shape " + shapeToString(info.shape) +
                       ", the config needs " + shapeToString(expected));
    const auto bytes = m_files.reader->storedBytes(*index);
    // Element floats and ggml blocks are used in place; other stored types (FP8, integers) are
    // converted per tensor.
    const bool inPlace = info.dtype == DType::F32 || info.dtype == DType::F16 || info.dtype == DType::BF16 ||
                         (isBlockDType(info.dtype) && ggmlTypeId(info.dtype).has_value());
    if (!bytes.empty() && inPlace) {
      auto w = WeightMatrix::view(info.dtype, rows, cols, bytes, m_files.reader, m_files.path + ": " + name);
      if (w) return w;
    }
    auto t = m_files.reader->readFloat(*index);
    if (!t) return t.error();
    if (auto s = checkFloat(*t, canonical, expected); !s) return s.error();
    return WeightMatrix::fromFloats(std::move(t->values), rows, cols);
  }

  // A small vector (norm gain, bias) as float32; `addOne` for Gemma's 1 + w.
  Result<std::vector<float>> vector(const std::string& canonical, int n, bool addOne = false) const {
    Result<FloatTensor> t = makeError("");
    bool fromOverride = false;
    if (m_override) {
      auto o = m_override(canonical);
      if (!o) return o.error();
      if (*o) {
        t = std::move(**o);
        fromOverride = true;
      }
    }
    if (!fromOverride) t = m_files.reader->readFloat(m_files.fileTensorName(canonical));
    if (!t) return t.error();
    if (auto s = checkFloat(*t, canonical, {n}); !s) return s.error();
    if (addOne)
      for (float& v : t->values) v = 1.0f + v;  // float32, as GemmaRMSNorm's (1.0 + weight.float())
    return std::move(t->values);
  }

  // Shape (a [n] vector may be stored as [1, n]) and finiteness of a tensor in memory.
  Status checkFloat(const FloatTensor& t, const std::string& canonical, const Shape& expected) const {
    const std::string name = m_files.fileTensorName(canonical);
    const bool sameShape = t.shape == expected || (expected.size() == 1 && t.shape.size() == 2 && t.shape[0] == 1 &&
                                                   t.shape[1] == expected[0]);
    if (!sameShape)
      return makeError(m_files.path + ": tensor '" + name + "' has shape " + shapeToString(t.shape) +
                       ", the config needs " + shapeToString(expected));
    std::uint64_t n = 1;
    for (auto d : expected) n *= static_cast<std::uint64_t>(d);
    if (t.values.size() != n)
      return makeError(m_files.path + ": tensor '" + name + "' holds " + std::to_string(t.values.size()) +
                       " values for shape " + shapeToString(expected));
    for (std::size_t i = 0; i < t.values.size(); ++i)
      if (!std::isfinite(t.values[i]))
        return makeError(m_files.path + ": tensor '" + name + "' holds a non-finite value at element " + std::to_string(i));
    return {};
  }

 private:
  const ModelFiles& m_files;
  const TensorOverride& m_override;
};

// Every value of a stored matrix must be finite; checked in parallel on decoded rows. Used for
// the embedding (whose rows are read one token at a time), cheap next to a forward pass.
Status checkFiniteMatrix(const WeightMatrix& w, const std::string& name, const std::string& source) {
  std::atomic<long long> bad{-1};
  exec::parallelFor(0, static_cast<std::size_t>(w.rows()), 64, [&](exec::Range r) {
    std::vector<float> row(static_cast<std::size_t>(w.cols()));
    for (int i = static_cast<int>(r.begin); i != static_cast<int>(r.end) && bad.load(std::memory_order_relaxed) < 0; ++i) {
      w.rowToFloat(i, row.data());
      for (int j = 0; j < w.cols(); ++j)
        if (!std::isfinite(row[static_cast<std::size_t>(j)])) {
          long long expected = -1;
          bad.compare_exchange_strong(expected, static_cast<long long>(i) * w.cols() + j);
          break;
        }
    }
  });
  if (bad >= 0)
    return makeError(source + ": tensor '" + name + "' holds a non-finite value at element " + std::to_string(bad.load()));
  return {};
}

}  // namespace

std::string ModelFiles::fileTensorName(const std::string& canonical) const {
  if (format != "hf") return canonical;
  const bool hasEmbed = reader && reader->find("model.embed_tokens.weight").has_value();
  if (canonical == "token_embd.weight") return hasEmbed ? "model.embed_tokens.weight" : "lm_head.weight";
  if (canonical == "output.weight") return "lm_head.weight";
  if (canonical == "output_norm.weight") return "model.norm.weight";
  // blk.N.<what>.<weight|bias> → model.layers.N.<hf>.<weight|bias>
  static const std::pair<const char*, const char*> kMap[] = {
      {"attn_norm", "input_layernorm"},       {"attn_q", "self_attn.q_proj"},      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},         {"attn_qkv", "self_attn.qkv_proj"},  {"attn_output", "self_attn.o_proj"},
      {"attn_q_norm", "self_attn.q_norm"},    {"attn_k_norm", "self_attn.k_norm"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},          {"ffn_down", "mlp.down_proj"},       {"ffn_up", "mlp.up_proj"}};
  if (canonical.rfind("blk.", 0) == 0) {
    const auto dot = canonical.find('.', 4);
    const auto suffix = canonical.rfind('.');
    if (dot != std::string::npos && suffix != std::string::npos && suffix > dot) {
      const std::string layer = canonical.substr(4, dot - 4), what = canonical.substr(dot + 1, suffix - dot - 1);
      const std::string kind = canonical.substr(suffix);  // ".weight" or ".bias"
      if (what == "ffn_up" && config.fusedGateUp) return "model.layers." + layer + ".mlp.gate_up_proj" + kind;
      for (const auto& [from, to] : kMap)
        if (what == from) return "model.layers." + layer + "." + to + kind;
    }
  }
  return canonical;
}

TensorFetch ModelFiles::fileFetch(const Work& work) const {
  return [this, work](const std::string& canonical) { return reader->readFloat(fileTensorName(canonical), work); };
}

Result<ModelFiles> openModel(const fs::path& path, const fs::path& tokenizerPath, const TokenizerOptions& tokOptions) {
  ModelFiles m;
  m.path = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    m.format = "hf";
    if (!fs::exists(path / "model.safetensors", ec) && !fs::exists(path / "model.safetensors.index.json", ec))
      return makeError(m.path + ": folder holds no model.safetensors (expected a Hugging Face model folder)");
    auto r = openTensorFile(path);
    if (!r) return r.error();
    m.reader = std::move(r).value();
    if (auto s = openHfModel(m, tokOptions); !s) return s.error();
    if (auto s = checkNoUnusedTensors(m); !s) return s.error();
    return m;
  }
  if (!fs::exists(path, ec)) return makeError(m.path + ": no such file or folder");
  auto r = openTensorFile(path);
  if (!r) return r.error();
  m.reader = std::move(r).value();
  if (m.reader->format() == "gguf") {
    m.format = "gguf";
    if (auto s = openGgufModel(m, tokOptions); !s) return s.error();
    if (auto s = checkNoUnusedTensors(m); !s) return s.error();
  } else if (m.reader->format() == "llama2c") {
    m.format = "llama2c";
    if (auto s = openLlama2c(m, tokenizerPath, tokOptions); !s) return s.error();
  } else {
    return makeError(m.path + ": a " + std::string(m.reader->format()) +
                     " file is not a language model (expected a llama2.c .bin, a .gguf or a Hugging Face folder)");
  }
  return m;
}

Result<ModelWeights> loadModelWeights(const ModelFiles& files, const TensorOverride& override) {
  const ModelConfig& c = files.config;
  const WeightReader read(files, override);
  ModelWeights w;
  auto emb = read.matrix("token_embd.weight", c.vocabSize, c.dim);
  if (!emb) return emb.error();
  w.embedding = std::move(emb).value();
  if (auto s = checkFiniteMatrix(w.embedding, files.fileTensorName("token_embd.weight"), files.path); !s) return s.error();
  auto norm = read.vector("output_norm.weight", c.dim, c.normAddsOne);
  if (!norm) return norm.error();
  w.finalNorm = std::move(norm).value();
  if (c.sharedClassifier) {
    w.output = w.embedding;
  } else {
    auto out = read.matrix("output.weight", c.vocabSize, c.dim);
    if (!out) return out.error();
    w.output = std::move(out).value();
  }
  return w;
}

Result<LayerWeights> loadLayerWeights(const ModelFiles& files, int l, const TensorOverride& override) {
  const ModelConfig& c = files.config;
  if (l < 0 || l >= c.nLayers) return makeError(files.path + ": layer " + std::to_string(l) + " out of range");
  const WeightReader read(files, override);
  const std::string p = "blk." + std::to_string(l) + ".";
  const int dim = c.dim, hid = c.hiddenDim, q = c.qDim(), kv = c.kvDim();
  LayerWeights w;
  auto vec = [&](const char* what, int n, std::vector<float>& out, bool addOne = false) -> Status {
    auto v = read.vector(p + what, n, addOne);
    if (!v) return v.error();
    out = std::move(v).value();
    return {};
  };
  auto mat = [&](const char* what, int rows, int cols, WeightMatrix& out) -> Status {
    auto m = read.matrix(p + what, rows, cols);
    if (!m) return m.error();
    out = std::move(m).value();
    return {};
  };
  Status s;
  if (!(s = vec("attn_norm.weight", dim, w.attnNorm, c.normAddsOne))) return s.error();
  if (c.fusedQkv) {
    WeightMatrix qkv;
    if (!(s = mat("attn_qkv.weight", q + 2 * kv, dim, qkv))) return s.error();
    w.wq = qkv.rowRange(0, q);
    w.wk = qkv.rowRange(q, kv);
    w.wv = qkv.rowRange(q + kv, kv);
    if (c.qkvBias) {
      std::vector<float> b;
      if (!(s = vec("attn_qkv.bias", q + 2 * kv, b))) return s.error();
      w.bq.assign(b.begin(), b.begin() + q);
      w.bk.assign(b.begin() + q, b.begin() + q + kv);
      w.bv.assign(b.begin() + q + kv, b.end());
    }
  } else {
    if (!(s = mat("attn_q.weight", q, dim, w.wq))) return s.error();
    if (!(s = mat("attn_k.weight", kv, dim, w.wk))) return s.error();
    if (!(s = mat("attn_v.weight", kv, dim, w.wv))) return s.error();
    if (c.qkvBias) {
      if (!(s = vec("attn_q.bias", q, w.bq))) return s.error();
      if (!(s = vec("attn_k.bias", kv, w.bk))) return s.error();
      if (!(s = vec("attn_v.bias", kv, w.bv))) return s.error();
    }
  }
  if (c.qkNorm) {
    if (!(s = vec("attn_q_norm.weight", c.headDim(), w.qNorm))) return s.error();
    if (!(s = vec("attn_k_norm.weight", c.headDim(), w.kNorm))) return s.error();
  }
  if (!(s = mat("attn_output.weight", dim, q, w.wo))) return s.error();
  if (c.outBias && !(s = vec("attn_output.bias", dim, w.bo))) return s.error();
  if (!(s = vec("ffn_norm.weight", dim, w.ffnNorm, c.normAddsOne))) return s.error();
  if (c.fusedGateUp) {
    // Phi-3's gate_up_proj: rows [0, hidden) are the gate, [hidden, 2·hidden) the up projection
    // (transformers' chunk(2) of the output; llama.cpp's swiglu of the fused ffn_up).
    WeightMatrix gateUp;
    if (!(s = mat("ffn_up.weight", 2 * hid, dim, gateUp))) return s.error();
    w.gate = gateUp.rowRange(0, hid);
    w.up = gateUp.rowRange(hid, hid);
  } else {
    if (!(s = mat("ffn_gate.weight", hid, dim, w.gate))) return s.error();
    if (!(s = mat("ffn_up.weight", hid, dim, w.up))) return s.error();
  }
  if (!(s = mat("ffn_down.weight", dim, hid, w.down))) return s.error();
  if (c.mlpBias) {
    if (!c.fusedGateUp && !(s = vec("ffn_gate.bias", hid, w.bGate))) return s.error();
    if (!(s = vec("ffn_up.bias", c.fusedGateUp ? 2 * hid : hid, w.bUp))) return s.error();
    if (c.fusedGateUp) {
      w.bGate.assign(w.bUp.begin(), w.bUp.begin() + hid);
      w.bUp.erase(w.bUp.begin(), w.bUp.begin() + hid);
    }
    if (!(s = vec("ffn_down.bias", dim, w.bDown))) return s.error();
  }
  return w;
}

Result<std::unique_ptr<Transformer>> loadTransformer(const ModelFiles& files, const Work& work,
                                                     const TensorFetch& fetch) {
  const ModelConfig& c = files.config;
  if (auto s = validateConfig(c, files.path); !s) return s.error();
  TensorOverride override;
  if (fetch)
    override = [&fetch](const std::string& name) -> Result<std::optional<FloatTensor>> {
      auto t = fetch(name);
      if (!t) return t.error();
      return std::optional<FloatTensor>(std::move(t).value());
    };
  const double total = c.nLayers + 2;
  auto globals = loadModelWeights(files, override);
  if (!globals) return globals.error();
  work.report(1, total);
  std::vector<LayerWeights> layers;
  layers.reserve(static_cast<std::size_t>(c.nLayers));
  for (int l = 0; l < c.nLayers; ++l) {
    if (work.cancelled()) return makeError(files.path + ": loading cancelled");
    auto w = loadLayerWeights(files, l, override);
    if (!w) return w.error();
    layers.push_back(std::move(w).value());
    work.report(l + 2, total);
  }
  // Models whose mapped weights take more than a quarter of the RAM run streamed: each layer's
  // pages are released after use, so resident memory stays near one layer.
  std::size_t mapped = 0;
  for (const LayerWeights& w : layers)
    for (const WeightMatrix* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.gate, &w.up, &w.down})
      if (m->fileBacked()) mapped += m->storedBytes();
  const double ram = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  work.report(total, total);
  auto t = std::make_unique<Transformer>(c, std::move(globals).value(), std::move(layers));
  t->setStreamWeights(ram > 0 && static_cast<double>(mapped) > ram / 4);
  return t;
}

}  // namespace quench::model
