#pragma once
// llama.cpp's quantization mixes as data: which ggml type llama-quantize gives each tensor for a
// file type (Q4_K_M, Q3_K_M, Q5_K_M, Q6_K, Q8_0, Q4_0, ...). A re-implementation of
// llama_tensor_get_type / llama_tensor_get_type_impl / tensor_type_fallback /
// tensor_allows_quantization of src/llama-quant.cpp (llama.cpp commit 3f545bec): which tensors
// are quantized at all (2-D and 3-D tensors named "*weight", not norms, not MoE routers, ...),
// the per-category rules (attn_v, ffn_down, attn_output, output, token_embd; the first/last
// eighth of layers and every third layer get more bits), the model-dependent ones (grouped-query
// attention, 8 experts, 70B, Falcon, imatrix present) and the fallbacks for rows that are not a
// multiple of the block size (Q4_K → Q5_0, Q6_K → Q8_0, ...; F16 when even that does not fit).
//
// llama-quantize visits tensors in its own order (tensors outside blocks first, then blk.0,
// blk.1, ..., each group by name) and counts attn_v/ffn_down tensors as it goes; the rules depend
// on those counts, so planMix takes the whole tensor list.
#include <cstdint>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/ggml_types.h"
#include "core/io/gguf_file.h"

namespace quench::ggml {

/// llama.cpp file types (llama.h, enum llama_ftype): the value of general.file_type.
enum class FileType : std::uint32_t {
  ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q4_0 = 2, MOSTLY_Q4_1 = 3, MOSTLY_Q8_0 = 7, MOSTLY_Q5_0 = 8,
  MOSTLY_Q5_1 = 9, MOSTLY_Q2_K = 10, MOSTLY_Q3_K_S = 11, MOSTLY_Q3_K_M = 12, MOSTLY_Q3_K_L = 13,
  MOSTLY_Q4_K_S = 14, MOSTLY_Q4_K_M = 15, MOSTLY_Q5_K_S = 16, MOSTLY_Q5_K_M = 17, MOSTLY_Q6_K = 18,
  MOSTLY_IQ2_XXS = 19, MOSTLY_IQ2_XS = 20, MOSTLY_Q2_K_S = 21, MOSTLY_IQ3_XS = 22, MOSTLY_IQ3_XXS = 23,
  MOSTLY_IQ1_S = 24, MOSTLY_IQ4_NL = 25, MOSTLY_IQ3_S = 26, MOSTLY_IQ3_M = 27, MOSTLY_IQ2_S = 28,
  MOSTLY_IQ2_M = 29, MOSTLY_IQ4_XS = 30, MOSTLY_IQ1_M = 31, MOSTLY_BF16 = 32, MOSTLY_TQ1_0 = 36,
  MOSTLY_TQ2_0 = 37, MOSTLY_MXFP4_MOE = 38, MOSTLY_NVFP4 = 39, MOSTLY_Q1_0 = 40, MOSTLY_Q2_0 = 41,
};

/// A file type's llama-quantize name ("Q4_K_M") and the type of its tensors by default.
struct FileTypeInfo {
  FileType fileType;
  std::string_view name;
  Type defaultType;  ///< llama_ftype_get_default_type
};
/// Every file type llama-quantize offers, in its order.
std::span<const FileTypeInfo> allFileTypes();
const FileTypeInfo& fileTypeInfo(FileType f);
/// Parse a llama-quantize type name, case-insensitively; the aliases Q3_K, Q4_K, Q5_K mean
/// Q3_K_M, Q4_K_M, Q5_K_M as in llama-quantize.
std::optional<FileType> fileTypeFromName(std::string_view name);

/// What the rules need to know about the model (from its GGUF metadata).
struct MixModel {
  std::string arch;       ///< general.architecture ("llama", "qwen2", "falcon", ...)
  std::uint32_t nLayer = 0;   ///< {arch}.block_count
  std::uint32_t nHead = 0;    ///< {arch}.attention.head_count (first layer's when per layer)
  std::uint32_t nHeadKv = 0;  ///< {arch}.attention.head_count_kv (defaults to nHead)
  std::uint32_t nExpert = 0;  ///< {arch}.expert_count (0 when absent)
  bool is70B = false;         ///< llama.cpp's LLM_TYPE_70B (llama/qwen2/deci/olmo with 80 blocks, jais2 68)
  /// n_head / n_head_kv (0 when n_head_kv is 0), as llama_hparams::n_gqa.
  std::uint32_t nGqa() const { return nHeadKv == 0 ? 0 : nHead / nHeadKv; }
  /// Read from GGUF key/values; errors name the missing or mistyped key.
  static Result<MixModel> fromGguf(const GgufHeader& h);
};

/// A tensor as llama-quantize sees it.
struct MixTensor {
  std::string name;
  std::vector<std::uint64_t> ne;  ///< ggml dimensions, ne[0] innermost (the row length)
  Type type = Type::F32;          ///< its current type
};

/// llama-quantize's options that change types.
struct MixOptions {
  bool pure = false;                         ///< --pure: every quantizable tensor gets the default type
  bool hasImatrix = false;                   ///< --imatrix given (changes IQ4/Q4_0/Q5_0 ffn_down, IQ3 rules)
  bool quantizeOutput = true;                ///< false: --leave-output-tensor
  std::optional<Type> outputTensorType;      ///< --output-tensor-type
  std::optional<Type> tokenEmbeddingType;    ///< --token-embedding-type
  /// --tensor-type PATTERN=TYPE: the first pattern found (std::regex_search) in a name wins.
  std::vector<std::pair<std::string, Type>> tensorTypes;
};

/// The decision for one tensor.
struct MixChoice {
  Type type = Type::F32;   ///< the type it is written in (its own type when not quantized)
  bool quantize = false;   ///< llama-quantize converts it (type differs from the tensor's own)
  bool fallback = false;   ///< the rule's type did not fit the row length (see note)
  std::string note;        ///< the fallback or override, in words
};

struct MixPlan {
  std::vector<MixChoice> choices;   ///< one per input tensor, in input order
  std::vector<std::size_t> order;   ///< input indices in llama-quantize's processing/file order
  int fallbacks = 0;
};

/// llama-quantize's tensor order (llama_model_loader's weights_map): names not starting with
/// "blk.<n>" first, then by block number, each group by name (byte order).
std::vector<std::size_t> llamaTensorOrder(std::span<const MixTensor> tensors);

/// The types llama-quantize gives every tensor for file type `ft`. Errors: a fallback ggml has
/// not defined for a type (llama-quantize aborts then too), an invalid --tensor-type pattern, a
/// block number outside the model for the MoE rules.
Result<MixPlan> planMix(const MixModel& model, std::span<const MixTensor> tensors, FileType ft, const MixOptions& options = {});

}  // namespace quench::ggml
