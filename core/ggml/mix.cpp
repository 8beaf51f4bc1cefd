#include "core/ggml/mix.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>

namespace quench::ggml {
namespace {

using FT = FileType;

// llama-quantize's QUANT_OPTIONS (tools/quantize/quantize.cpp) with llama_ftype_get_default_type.
constexpr std::array<FileTypeInfo, 39> kFileTypes{{
    {FT::MOSTLY_Q1_0, "Q1_0", Type::Q1_0},
    {FT::MOSTLY_Q2_0, "Q2_0", Type::Q2_0},
    {FT::MOSTLY_Q4_0, "Q4_0", Type::Q4_0},
    {FT::MOSTLY_Q4_1, "Q4_1", Type::Q4_1},
    {FT::MOSTLY_MXFP4_MOE, "MXFP4_MOE", Type::MXFP4},
    {FT::MOSTLY_Q5_0, "Q5_0", Type::Q5_0},
    {FT::MOSTLY_Q5_1, "Q5_1", Type::Q5_1},
    {FT::MOSTLY_IQ2_XXS, "IQ2_XXS", Type::IQ2_XXS},
    {FT::MOSTLY_IQ2_XS, "IQ2_XS", Type::IQ2_XS},
    {FT::MOSTLY_IQ2_S, "IQ2_S", Type::IQ2_XS},
    {FT::MOSTLY_IQ2_M, "IQ2_M", Type::IQ2_S},
    {FT::MOSTLY_IQ1_S, "IQ1_S", Type::IQ1_S},
    {FT::MOSTLY_IQ1_M, "IQ1_M", Type::IQ1_M},
    {FT::MOSTLY_TQ1_0, "TQ1_0", Type::TQ1_0},
    {FT::MOSTLY_TQ2_0, "TQ2_0", Type::TQ2_0},
    {FT::MOSTLY_Q2_K, "Q2_K", Type::Q2_K},
    {FT::MOSTLY_Q2_K_S, "Q2_K_S", Type::Q2_K},
    {FT::MOSTLY_IQ3_XXS, "IQ3_XXS", Type::IQ3_XXS},
    {FT::MOSTLY_IQ3_S, "IQ3_S", Type::IQ3_S},
    {FT::MOSTLY_IQ3_M, "IQ3_M", Type::IQ3_S},
    {FT::MOSTLY_IQ3_XS, "IQ3_XS", Type::IQ3_S},
    {FT::MOSTLY_Q3_K_S, "Q3_K_S", Type::Q3_K},
    {FT::MOSTLY_Q3_K_M, "Q3_K_M", Type::Q3_K},
    {FT::MOSTLY_Q3_K_L, "Q3_K_L", Type::Q3_K},
    {FT::MOSTLY_IQ4_NL, "IQ4_NL", Type::IQ4_NL},
    {FT::MOSTLY_IQ4_XS, "IQ4_XS", Type::IQ4_XS},
    {FT::MOSTLY_Q4_K_S, "Q4_K_S", Type::Q4_K},
    {FT::MOSTLY_Q4_K_M, "Q4_K_M", Type::Q4_K},
    {FT::MOSTLY_Q5_K_S, "Q5_K_S", Type::Q5_K},
    {FT::MOSTLY_Q5_K_M, "Q5_K_M", Type::Q5_K},
    {FT::MOSTLY_Q6_K, "Q6_K", Type::Q6_K},
    {FT::MOSTLY_Q8_0, "Q8_0", Type::Q8_0},
    {FT::MOSTLY_F16, "F16", Type::F16},
    {FT::MOSTLY_BF16, "BF16", Type::BF16},
    {FT::ALL_F32, "F32", Type::F32},
    {FT::MOSTLY_NVFP4, "NVFP4", Type::NVFP4},
    // Aliases (llama-quantize: "alias for Q3_K_M" ...): parsed, never printed.
    {FT::MOSTLY_Q3_K_M, "Q3_K", Type::Q3_K},
    {FT::MOSTLY_Q4_K_M, "Q4_K", Type::Q4_K},
    {FT::MOSTLY_Q5_K_M, "Q5_K", Type::Q5_K},
}};
constexpr std::size_t kAliases = 3;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// sscanf(name, "blk.%d.", &layer) == 1: "blk." then an optionally signed decimal (after
/// optional white space); what follows the digits does not matter.
std::optional<int> blockNumber(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return std::nullopt;
  std::size_t i = 4;
  while (i < name.size() && std::isspace(static_cast<unsigned char>(name[i]))) ++i;
  bool neg = false;
  if (i < name.size() && (name[i] == '+' || name[i] == '-')) neg = name[i++] == '-';
  const std::size_t start = i;
  long long v = 0;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) {
    v = std::min<long long>(v * 10 + (name[i] - '0'), static_cast<long long>(INT_MAX) + 1);
    ++i;
  }
  if (i == start) return std::nullopt;
  v = neg ? -v : v;
  return static_cast<int>(std::clamp<long long>(v, INT_MIN, INT_MAX));
}

enum class Category { TokenEmbd, AttnQ, AttnV, AttnK, AttnQkv, AttnKvB, AttnOutput, FfnUp, FfnGate, FfnDown, Output, Other };

Category categoryOf(std::string_view n) {
  if (n == "output.weight") return Category::Output;
  if (n == "token_embd.weight" || n == "per_layer_token_embd.weight") return Category::TokenEmbd;
  if (contains(n, "attn_qkv.weight")) return Category::AttnQkv;
  if (contains(n, "attn_kv_b.weight")) return Category::AttnKvB;
  if (contains(n, "attn_v.weight")) return Category::AttnV;
  if (contains(n, "attn_k.weight")) return Category::AttnK;
  if (contains(n, "attn_q.weight")) return Category::AttnQ;
  if (contains(n, "attn_output.weight")) return Category::AttnOutput;
  if (contains(n, "ffn_up")) return Category::FfnUp;
  if (contains(n, "ffn_gate")) return Category::FfnGate;
  if (contains(n, "ffn_down")) return Category::FfnDown;
  return Category::Other;
}

bool isAttnVLike(Category c) { return c == Category::AttnV || c == Category::AttnQkv || c == Category::AttnKvB; }

bool isQuantized(Type t) { return typeInfo(t).blockSize > 1; }

/// tensor_allows_quantization: 2-D or 3-D "*weight" tensors that are not norms, routers, tiny
/// auxiliary matrices, positional embeddings or multimodal odds and ends.
bool allowsQuantization(const MixTensor& t, const MixOptions& opt) {
  std::size_t nDims = t.ne.size();
  while (nDims > 1 && t.ne[nDims - 1] == 1) --nDims;  // ggml_n_dims
  if (nDims < 2) return false;
  const std::string_view name = t.name;
  bool q = name.size() >= 6 && name.substr(name.size() - 6) == "weight";
  q = q && !contains(name, "_norm.weight");
  q = q && (opt.quantizeOutput || name != "output.weight");
  static constexpr std::array<std::string_view, 38> kNever{
      "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
      "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight", "time_mix_first.weight",
      "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
      "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight",
      "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
      "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
      ".patch_merger", "a.rvq.codebook", "mm.a.code_embd", "", "", "", ""};
  for (const auto part : kNever)
    if (!part.empty() && contains(name, part)) q = false;
  // LLM_TN(arch)(LLM_TENSOR_POS_EMBD / LLM_TENSOR_TOKEN_TYPES, "weight"): the same for every arch.
  q = q && name != "position_embd.weight" && name != "token_types.weight";
  return q;
}

struct State {
  int nAttentionWv = 0, nFfnDown = 0, nFfnGate = 0, nFfnUp = 0;
  int iAttentionWv = 0, iFfnDown = 0, iFfnGate = 0, iFfnUp = 0;
  int nFallback = 0;
  bool hasImatrix = false;
  bool hasTiedEmbeddings = true;
};

bool useMoreBits(int iLayer, int nLayers) {
  return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
}

/// tensor_type_fallback: a type whose block does not divide the row falls back to a 32-block
/// type, and to F16 if even that does not fit.
Result<Type> fallback(State& st, const MixTensor& t, Type target, MixChoice& choice) {
  const std::uint64_t ncols = t.ne[0];
  const std::uint64_t qk = typeInfo(target).blockSize;
  if (ncols % qk == 0) return target;
  ++st.nFallback;
  Type ret = target;
  switch (target) {
    case Type::IQ1_S: case Type::IQ1_M: case Type::IQ2_XXS: case Type::IQ2_XS: case Type::IQ2_S: case Type::IQ3_XXS:
    case Type::IQ3_S: case Type::IQ4_XS: ret = Type::IQ4_NL; break;
    case Type::Q2_0: case Type::Q2_K: case Type::Q3_K: case Type::TQ1_0: case Type::TQ2_0: ret = Type::Q4_0; break;
    case Type::Q4_K: ret = Type::Q5_0; break;
    case Type::Q5_K: ret = Type::Q5_1; break;
    case Type::Q6_K: ret = Type::Q8_0; break;
    default:
      return makeError("llama.cpp defines no fallback for type " + std::string(typeInfo(target).name) + " (tensor '" + t.name +
                       "', " + std::to_string(ncols) + " columns)");
  }
  choice.fallback = true;
  choice.note = "ncols " + std::to_string(ncols) + " not divisible by " + std::to_string(qk) + " (required for " +
                std::string(typeInfo(target).ggmlName) + ")";
  if (ncols % typeInfo(ret).blockSize != 0) {
    choice.note += ", must use F16 due to unusual shape";
    ret = Type::F16;
  }
  choice.note += " -> falling back to " + std::string(typeInfo(ret).ggmlName);
  return ret;
}

/// llama_tensor_get_type_impl: the mix's rule for one tensor (counters advance as in llama.cpp).
Result<Type> ruleType(State& st, const MixModel& model, const MixOptions& opt, Type newType, const MixTensor& t, FT ftype,
                      Category category) {
  const bool falcon = model.arch == "falcon";
  const int nExpert = std::max(1, static_cast<int>(model.nExpert));
  auto layerInfo = [&](int iLayer, int nLayer) -> Result<std::pair<int, int>> {
    if (nExpert > 1) {
      // Experts are not consecutive in some models: the block number comes from the name.
      const auto b = blockNumber(t.name);
      if (!b) return makeError("failed to determine the layer of tensor '" + t.name + "'");
      if (*b < 0 || *b >= nLayer)
        return makeError("bad layer " + std::to_string(*b) + " for tensor '" + t.name + "' (must be in [0, " + std::to_string(nLayer) + "))");
      iLayer = *b;
    }
    return std::make_pair(iLayer, nLayer);
  };
  const auto gqa = model.nGqa();
  auto is = [&](std::initializer_list<FT> list) { return std::find(list.begin(), list.end(), ftype) != list.end(); };

  if (category == Category::Output || (st.hasTiedEmbeddings && category == Category::TokenEmbd)) {
    if (opt.outputTensorType) {
      newType = *opt.outputTensorType;
    } else {
      const std::uint64_t nx = t.ne[0];
      const std::uint64_t qk = typeInfo(newType).blockSize;
      if (ftype == FT::MOSTLY_MXFP4_MOE) newType = Type::Q8_0;
      else if (falcon || nx % qk != 0) newType = Type::Q8_0;
      else if (is({FT::MOSTLY_IQ2_XXS, FT::MOSTLY_IQ2_XS, FT::MOSTLY_IQ3_XXS, FT::MOSTLY_IQ1_S, FT::MOSTLY_IQ2_S, FT::MOSTLY_IQ2_M,
                   FT::MOSTLY_IQ1_M}))
        newType = Type::Q5_K;
      else if (newType != Type::Q8_0) newType = Type::Q6_K;
    }
  } else if (ftype == FT::MOSTLY_MXFP4_MOE) {
    const bool bailing3Expert = model.arch == "bailingmoe3" &&
                                (category == Category::FfnUp || category == Category::FfnGate || category == Category::FfnDown);
    const std::uint64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
    newType = ne2 > 1 && (model.arch != "bailingmoe3" || bailing3Expert) ? Type::MXFP4 : Type::Q8_0;
  } else if (category == Category::TokenEmbd) {
    if (opt.tokenEmbeddingType) {
      newType = *opt.tokenEmbeddingType;
    } else {
      if (is({FT::MOSTLY_IQ2_XXS, FT::MOSTLY_IQ2_XS, FT::MOSTLY_IQ1_S, FT::MOSTLY_IQ1_M})) newType = Type::Q2_K;
      else if (is({FT::MOSTLY_IQ2_S, FT::MOSTLY_IQ2_M})) newType = Type::IQ3_S;
      else if (ftype == FT::MOSTLY_IQ3_XXS) newType = Type::IQ3_S;
      else if (is({FT::MOSTLY_TQ1_0, FT::MOSTLY_TQ2_0, FT::MOSTLY_Q2_0})) newType = Type::Q4_K;
    }
  } else if (is({FT::MOSTLY_IQ2_XXS, FT::MOSTLY_IQ2_XS, FT::MOSTLY_IQ1_S, FT::MOSTLY_IQ2_S, FT::MOSTLY_IQ2_M, FT::MOSTLY_IQ1_M})) {
    const bool s_or_m = is({FT::MOSTLY_IQ2_S, FT::MOSTLY_IQ2_M});
    if (isAttnVLike(category)) {
      if (gqa >= 4 || model.nExpert >= 4) newType = Type::Q4_K;
      else newType = s_or_m ? Type::IQ3_S : Type::Q2_K;
      ++st.iAttentionWv;
    } else if (model.nExpert == 8 && category == Category::AttnK) {
      newType = Type::Q4_K;
    } else if (category == Category::FfnDown) {
      if (st.iFfnDown < st.nFfnDown / 8) newType = s_or_m ? Type::IQ3_S : Type::Q2_K;
      ++st.iFfnDown;
    } else if (category == Category::AttnOutput) {
      if (model.nExpert == 8) {
        newType = Type::Q5_K;
      } else {
        if (is({FT::MOSTLY_IQ1_S, FT::MOSTLY_IQ1_M})) newType = Type::IQ2_XXS;
        else if (s_or_m) newType = Type::IQ3_S;
      }
    }
  } else if (isAttnVLike(category)) {
    if (ftype == FT::MOSTLY_Q2_K) newType = gqa >= 4 ? Type::Q4_K : Type::Q3_K;
    else if (ftype == FT::MOSTLY_Q2_K_S && gqa >= 4) newType = Type::Q4_K;
    else if (ftype == FT::MOSTLY_IQ3_XXS) newType = gqa >= 4 ? Type::Q4_K : !st.hasImatrix ? Type::IQ3_S : Type::IQ3_XXS;
    else if (is({FT::MOSTLY_IQ3_XS, FT::MOSTLY_IQ3_S}) && gqa >= 4) newType = Type::Q4_K;
    else if (ftype == FT::MOSTLY_IQ3_M) newType = Type::Q4_K;
    else if (ftype == FT::MOSTLY_Q3_K_M) newType = st.iAttentionWv < 2 ? Type::Q5_K : Type::Q4_K;
    else if (ftype == FT::MOSTLY_Q3_K_L) newType = Type::Q5_K;
    else if (is({FT::MOSTLY_IQ4_NL, FT::MOSTLY_IQ4_XS}) && gqa >= 4) newType = Type::Q5_K;
    else if (is({FT::MOSTLY_Q4_K_M, FT::MOSTLY_Q5_K_M}) && useMoreBits(st.iAttentionWv, st.nAttentionWv)) newType = Type::Q6_K;
    else if (ftype == FT::MOSTLY_Q4_K_S && st.iAttentionWv < 4) newType = Type::Q5_K;
    // In a 70B model 8 heads share attn_v, which is 8× smaller than attn_q: more bits cost little.
    if (model.is70B && (newType == Type::Q3_K || newType == Type::Q4_K)) newType = Type::Q5_K;
    if (model.nExpert == 8) newType = Type::Q8_0;
    ++st.iAttentionWv;
  } else if (category == Category::AttnK) {
    if (model.nExpert == 8) newType = Type::Q8_0;
    else if (ftype == FT::MOSTLY_IQ3_XS) newType = Type::IQ3_XXS;
    else if (ftype == FT::MOSTLY_IQ3_XXS) newType = Type::IQ2_S;
  } else if (category == Category::AttnQ) {
    if (ftype == FT::MOSTLY_IQ3_XS) newType = Type::IQ3_XXS;
    else if (ftype == FT::MOSTLY_IQ3_XXS) newType = Type::IQ2_S;
  } else if (category == Category::FfnDown) {
    auto info = layerInfo(st.iFfnDown, st.nFfnDown);
    if (!info) return info.error();
    const auto [iLayer, nLayer] = *info;
    if (ftype == FT::MOSTLY_Q2_K) newType = Type::Q3_K;
    else if (ftype == FT::MOSTLY_Q2_K_S) {
      if (iLayer < nLayer / 8) newType = Type::Q4_K;
    } else if (ftype == FT::MOSTLY_IQ3_XXS && !st.hasImatrix) {
      newType = iLayer < nLayer / 8 ? Type::Q4_K : Type::Q3_K;
    } else if (ftype == FT::MOSTLY_Q3_K_M) {
      newType = iLayer < nLayer / 16 ? Type::Q5_K : !falcon || useMoreBits(iLayer, nLayer) ? Type::Q4_K : Type::Q3_K;
    } else if (ftype == FT::MOSTLY_IQ3_M && (iLayer < nLayer / 8 || (model.nExpert == 8 && useMoreBits(iLayer, nLayer)))) {
      newType = Type::Q4_K;
    } else if (ftype == FT::MOSTLY_Q3_K_L) {
      newType = falcon ? Type::Q4_K : Type::Q5_K;
    } else if (ftype == FT::MOSTLY_Q4_K_M) {
      if (falcon) newType = iLayer < nLayer / 16 ? Type::Q6_K : useMoreBits(iLayer, nLayer) ? Type::Q5_K : Type::Q4_K;
      else if (useMoreBits(iLayer, nLayer)) newType = Type::Q6_K;
    } else if (iLayer < nLayer / 8 && is({FT::MOSTLY_IQ4_NL, FT::MOSTLY_IQ4_XS}) && !st.hasImatrix) {
      newType = Type::Q5_K;
    } else if (ftype == FT::MOSTLY_Q5_K_M && useMoreBits(iLayer, nLayer)) {
      newType = Type::Q6_K;
    } else if (ftype == FT::MOSTLY_Q4_K_S && !falcon && iLayer < nLayer / 8) {
      newType = Type::Q5_K;
    } else if (is({FT::MOSTLY_Q4_0, FT::MOSTLY_Q5_0}) && st.hasImatrix && iLayer < nLayer / 8) {
      // llama.cpp guards the first ffn_down layers of Q4_0/Q5_0 only when an imatrix is given.
      newType = ftype == FT::MOSTLY_Q4_0 ? Type::Q4_1 : Type::Q5_1;
    }
    ++st.iFfnDown;
  } else if (category == Category::AttnOutput) {
    if (!falcon) {
      if (model.nExpert == 8) {
        if (is({FT::MOSTLY_Q2_K, FT::MOSTLY_IQ3_XS, FT::MOSTLY_IQ3_XXS, FT::MOSTLY_Q3_K_S, FT::MOSTLY_Q3_K_M, FT::MOSTLY_IQ4_NL,
                FT::MOSTLY_Q4_K_S, FT::MOSTLY_Q4_K_M, FT::MOSTLY_IQ3_S, FT::MOSTLY_IQ3_M, FT::MOSTLY_IQ4_XS}))
          newType = Type::Q5_K;
      } else {
        if (ftype == FT::MOSTLY_Q2_K) newType = Type::Q3_K;
        else if (ftype == FT::MOSTLY_IQ3_XXS) newType = Type::IQ3_S;
        else if (ftype == FT::MOSTLY_Q3_K_M) newType = Type::Q4_K;
        else if (ftype == FT::MOSTLY_Q3_K_L) newType = Type::Q5_K;
        else if (ftype == FT::MOSTLY_IQ3_M) newType = Type::Q4_K;
      }
    } else {
      if (ftype == FT::MOSTLY_Q3_K_L) newType = Type::Q4_K;
    }
  } else if (category == Category::AttnQkv) {
    if (is({FT::MOSTLY_Q3_K_M, FT::MOSTLY_Q3_K_L, FT::MOSTLY_IQ3_M})) newType = Type::Q4_K;
    else if (ftype == FT::MOSTLY_Q4_K_M) newType = Type::Q5_K;
    else if (ftype == FT::MOSTLY_Q5_K_M) newType = Type::Q6_K;
  } else if (category == Category::FfnGate || category == Category::FfnUp) {
    const bool gate = category == Category::FfnGate;
    auto info = layerInfo(gate ? st.iFfnGate : st.iFfnUp, gate ? st.nFfnGate : st.nFfnUp);
    if (!info) return info.error();
    const auto [iLayer, nLayer] = *info;
    if (ftype == FT::MOSTLY_IQ3_XS && iLayer >= nLayer / 8 && iLayer < 7 * nLayer / 8) newType = Type::IQ3_XXS;
    ++(gate ? st.iFfnGate : st.iFfnUp);
  }
  return newType;
}

}  // namespace

std::span<const FileTypeInfo> allFileTypes() { return std::span(kFileTypes).first(kFileTypes.size() - kAliases); }

const FileTypeInfo& fileTypeInfo(FileType f) {
  for (const auto& i : kFileTypes)
    if (i.fileType == f) return i;
  return kFileTypes[0];
}

std::optional<FileType> fileTypeFromName(std::string_view name) {
  for (const auto& i : kFileTypes)
    if (equalsIgnoreCase(i.name, name)) return i.fileType;
  return std::nullopt;
}

Result<MixModel> MixModel::fromGguf(const GgufHeader& h) {
  MixModel m;
  const GgufValue* arch = h.find("general.architecture");
  if (!arch || arch->type() != GgufType::String) return makeError("GGUF: no general.architecture string");
  m.arch = arch->text();
  // A count may be a scalar or a per-layer array (llama.cpp's get_key_or_arr): take layer 0.
  auto count = [&](const std::string& key, bool required, std::uint32_t& out) -> Status {
    const GgufValue* v = h.find(m.arch + "." + key);
    if (!v) return required ? Status(makeError("GGUF: no " + m.arch + "." + key)) : Status();
    const std::optional<GgufValue> first = v->isArray() ? v->element(0) : std::optional<GgufValue>(*v);
    const std::optional<std::uint64_t> n = first ? first->toUInt() : std::nullopt;
    if (!n || *n > 0xffffffffu) return makeError("GGUF: " + m.arch + "." + key + " is not a count (" + v->describe() + ")");
    out = static_cast<std::uint32_t>(*n);
    return {};
  };
  if (auto s = count("block_count", true, m.nLayer); !s) return s.error();
  if (auto s = count("attention.head_count", false, m.nHead); !s) return s.error();
  m.nHeadKv = m.nHead;
  if (auto s = count("attention.head_count_kv", false, m.nHeadKv); !s) return s.error();
  if (auto s = count("expert_count", false, m.nExpert); !s) return s.error();
  // LLM_TYPE_70B as the architectures' load_arch_hparams decide it (only it matters for mixes).
  if (m.nExpert != 8 && m.arch == "llama" && m.nLayer == 80 && m.nHead != m.nHeadKv) m.is70B = true;
  if ((m.arch == "qwen2" || m.arch == "deci" || m.arch == "olmo") && m.nLayer == 80) m.is70B = true;
  if (m.arch == "jais2" && m.nLayer == 68) m.is70B = true;
  return m;
}

std::vector<std::size_t> llamaTensorOrder(std::span<const MixTensor> tensors) {
  std::vector<std::size_t> order(tensors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<int> layer(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) layer[i] = blockNumber(tensors[i].name).value_or(-1);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (layer[a] != layer[b]) return layer[a] < layer[b];
    return tensors[a].name < tensors[b].name;
  });
  return order;
}

Result<MixPlan> planMix(const MixModel& model, std::span<const MixTensor> tensors, FileType ft, const MixOptions& opt) {
  MixPlan plan;
  plan.order = llamaTensorOrder(tensors);
  plan.choices.resize(tensors.size());
  const Type defaultType = fileTypeInfo(ft).defaultType;

  std::vector<std::pair<std::regex, Type>> patterns;
  for (const auto& [pattern, type] : opt.tensorTypes) {
    try {
      patterns.emplace_back(std::regex(pattern), type);
    } catch (const std::regex_error& e) {
      return makeError("invalid --tensor-type pattern '" + pattern + "': " + e.what());
    }
  }

  State st;
  st.hasImatrix = opt.hasImatrix;
  for (const std::size_t i : plan.order) {
    const Category c = categoryOf(tensors[i].name);
    if (isAttnVLike(c)) ++st.nAttentionWv;
    if (c == Category::Output) st.hasTiedEmbeddings = false;
  }
  st.nFfnDown = st.nFfnGate = st.nFfnUp = static_cast<int>(model.nLayer);

  for (const std::size_t i : plan.order) {
    const MixTensor& t = tensors[i];
    MixChoice& choice = plan.choices[i];
    choice.type = t.type;
    if (t.ne.empty() || !allowsQuantization(t, opt)) continue;
    const Category c = categoryOf(t.name);
    Type newType = defaultType;
    if (opt.tokenEmbeddingType && c == Category::TokenEmbd) {
      newType = *opt.tokenEmbeddingType;
    } else if (opt.outputTensorType && c == Category::Output) {
      newType = *opt.outputTensorType;
    } else if (isQuantized(defaultType)) {
      bool manual = false;
      for (const auto& [re, type] : patterns) {
        if (std::regex_search(t.name, re)) {
          if (type != newType) choice.note = "manual override: " + std::string(typeInfo(newType).ggmlName) + " -> " +
                                             std::string(typeInfo(type).ggmlName);
          newType = type;
          manual = true;
          break;
        }
      }
      if (!manual && !opt.pure) {
        auto r = ruleType(st, model, opt, newType, t, ft, c);
        if (!r) return r.error();
        newType = *r;
      }
      auto f = fallback(st, t, newType, choice);
      if (!f) return f.error();
      newType = *f;
    }
    choice.type = newType;
    choice.quantize = newType != t.type;
  }
  plan.fallbacks = st.nFallback;
  return plan;
}

}  // namespace quench::ggml
