#include "core/model/model_loader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/model/tokenizer_gguf.h"
#include "core/model/tokenizer_hf.h"
#include "core/model/tokenizer_llama2c.h"

namespace quench::model {

namespace fs = std::filesystem;

namespace {

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

Status openGgufModel(ModelFiles& m, const TokenizerOptions& tokOptions) {
  const Metadata& meta = m.reader->metadata();
  const std::string& src = m.path;
  if (const std::string* arch = findMetadata(meta, "general.architecture"); !arch || *arch != "llama")
    return makeError(src + ": GGUF architecture '" + (arch ? *arch : std::string("(none)")) +
                     "' is not supported (only llama)");
  ModelConfig& c = m.config;
  Result<int> v = 0;
  if (!(v = metaInt(meta, "llama.embedding_length", src))) return v.error();
  c.dim = *v;
  if (!(v = metaInt(meta, "llama.feed_forward_length", src))) return v.error();
  c.hiddenDim = *v;
  if (!(v = metaInt(meta, "llama.block_count", src))) return v.error();
  c.nLayers = *v;
  if (!(v = metaInt(meta, "llama.attention.head_count", src))) return v.error();
  c.nHeads = *v;
  if (!(v = metaInt(meta, "llama.attention.head_count_kv", src, c.nHeads))) return v.error();
  c.nKvHeads = *v;
  if (!(v = metaInt(meta, "llama.context_length", src))) return v.error();
  c.seqLen = *v;
  const auto emb = m.reader->find("token_embd.weight");
  if (!emb) return makeError(src + ": GGUF has no token_embd.weight");
  const Shape& es = m.reader->tensors()[*emb].shape;
  if (es.size() != 2) return makeError(src + ": token_embd.weight is not a matrix");
  if (!(v = metaInt(meta, "llama.vocab_size", src, es[0]))) return v.error();
  c.vocabSize = *v;
  auto eps = metaFloat(meta, "llama.attention.layer_norm_rms_epsilon", src, 1e-5f);
  if (!eps) return eps.error();
  c.normEps = *eps;
  auto theta = metaFloat(meta, "llama.rope.freq_base", src, 10000.0f);
  if (!theta) return theta.error();
  c.ropeTheta = *theta;
  // llama.cpp's converter permutes HF q/k rows so that the llama architecture always rotates
  // adjacent pairs (ggml's normal rope); llama2.c checkpoints are copied unpermuted (same rope).
  c.rope = RopeStyle::AdjacentPairs;
  c.sharedClassifier = !m.reader->find("output.weight").has_value();
  if (auto s = validateConfig(c, src); !s) return s;
  if (!(v = metaInt(meta, "llama.rope.dimension_count", src, c.headDim()))) return v.error();
  if (*v != c.headDim())
    return makeError(src + ": partial RoPE (" + std::to_string(*v) + " of " + std::to_string(c.headDim()) +
                     " dimensions) is not supported");
  auto tok = ggufTokenizer(meta, src, tokOptions);
  if (!tok) return tok.error();
  if ((*tok)->vocabSize() != c.vocabSize)
    return makeError(src + ": vocabulary has " + std::to_string((*tok)->vocabSize()) + " tokens, the model " +
                     std::to_string(c.vocabSize));
  m.tokenizer = std::move(tok).value();
  return {};
}

Result<nlohmann::json> readJsonFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return makeError(p.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return makeError(p.string() + ": not a JSON object");
  return j;
}

Status openHfModel(ModelFiles& m, const TokenizerOptions& tokOptions) {
  const fs::path dir = m.path;
  const std::string cfgName = (dir / "config.json").string();
  auto cfg = readJsonFile(dir / "config.json");
  if (!cfg) return cfg.error();
  const nlohmann::json& j = *cfg;
  if (j.value("model_type", std::string()) != "llama")
    return makeError(cfgName + ": model_type is not \"llama\" (only LlamaForCausalLM is supported)");
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
  ModelConfig& c = m.config;
  for (auto [key, field] : {std::pair{"hidden_size", &c.dim}, {"intermediate_size", &c.hiddenDim},
                            {"num_hidden_layers", &c.nLayers}, {"num_attention_heads", &c.nHeads},
                            {"vocab_size", &c.vocabSize}, {"max_position_embeddings", &c.seqLen}})
    if (auto s = intField(key, -1, *field); !s) return s;
  if (auto s = intField("num_key_value_heads", c.nHeads, c.nKvHeads); !s) return s;
  auto floatField = [&](const char* key, float fallback, float& out) -> Status {
    if (!j.contains(key) || j[key].is_null()) {
      out = fallback;
      return {};
    }
    if (!j[key].is_number()) return makeError(cfgName + ": \"" + key + "\" is not a number");
    out = j[key].get<float>();
    return {};
  };
  if (auto s = floatField("rms_norm_eps", 1e-6f, c.normEps); !s) return s;
  if (auto s = floatField("rope_theta", 10000.0f, c.ropeTheta); !s) return s;
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    return makeError(cfgName + ": rope_scaling is not supported");
  if (j.value("hidden_act", std::string("silu")) != "silu")
    return makeError(cfgName + ": hidden_act is not \"silu\"");
  if (j.value("attention_bias", false) || j.value("mlp_bias", false))
    return makeError(cfgName + ": attention/MLP biases are not supported");
  // Raw HF q/k weights expect rotate-half RoPE (pairs (i, i + head_dim/2)).
  c.rope = RopeStyle::Halves;
  c.sharedClassifier = j.value("tie_word_embeddings", false);
  if (auto s = validateConfig(c, cfgName); !s) return s;
  if (j.contains("head_dim") && j["head_dim"].is_number_integer() && j["head_dim"].get<long long>() != c.headDim())
    return makeError(cfgName + ": head_dim differs from hidden_size / num_attention_heads");
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

}  // namespace

std::string ModelFiles::fileTensorName(const std::string& canonical) const {
  if (format != "hf") return canonical;
  const bool hasEmbed = reader && reader->find("model.embed_tokens.weight").has_value();
  if (canonical == "token_embd.weight") return hasEmbed ? "model.embed_tokens.weight" : "lm_head.weight";
  if (canonical == "output.weight") return "lm_head.weight";
  if (canonical == "output_norm.weight") return "model.norm.weight";
  // blk.N.<what>.weight → model.layers.N.<hf>.weight
  static const std::pair<const char*, const char*> kMap[] = {
      {"attn_norm", "input_layernorm"},   {"attn_q", "self_attn.q_proj"},   {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},     {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},      {"ffn_down", "mlp.down_proj"},    {"ffn_up", "mlp.up_proj"}};
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

TensorFetch ModelFiles::fileFetch(const Work& work) const {
  return [this, work](const std::string& canonical) { return reader->readFloat(fileTensorName(canonical), work); };
}

Result<ModelFiles> openModel(const fs::path& path, const fs::path& tokenizerPath, const TokenizerOptions& tokOptions) {
  ModelFiles m;
  m.path = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    m.format = "hf";
    if (!fs::exists(path / "model.safetensors", ec))
      return makeError(m.path + ": folder holds no model.safetensors (expected a Hugging Face Llama folder)");
    auto r = openTensorFile(path / "model.safetensors");
    if (!r) return r.error();
    m.reader = std::move(r).value();
    if (auto s = openHfModel(m, tokOptions); !s) return s.error();
    return m;
  }
  if (!fs::exists(path, ec)) return makeError(m.path + ": no such file or folder");
  auto r = openTensorFile(path);
  if (!r) return r.error();
  m.reader = std::move(r).value();
  if (m.reader->format() == "gguf") {
    m.format = "gguf";
    if (auto s = openGgufModel(m, tokOptions); !s) return s.error();
  } else if (m.reader->format() == "llama2c") {
    m.format = "llama2c";
    if (auto s = openLlama2c(m, tokenizerPath, tokOptions); !s) return s.error();
  } else {
    return makeError(m.path + ": a " + std::string(m.reader->format()) +
                     " file is not a language model (expected a llama2.c .bin, a .gguf or a Hugging Face folder)");
  }
  return m;
}

Result<std::unique_ptr<Transformer>> loadTransformer(const ModelFiles& files, const Work& work,
                                                     const TensorFetch& fetch) {
  auto weights = loadWeights(files.config, fetch ? fetch : files.fileFetch(work), files.path, work);
  if (!weights) return weights.error();
  return std::make_unique<Transformer>(files.config, std::move(weights).value());
}

}  // namespace quench::model
