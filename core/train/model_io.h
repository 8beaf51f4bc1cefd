#pragma once
// Models in and out of the training engine: a teacher's weights read through the tensor reader
// (any format model::openModel understands), and a trained model written as a Hugging Face Llama
// folder (config.json, model.safetensors, tokenizer.json) that Quench and other tools open.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/model_loader.h"
#include "core/tensor/result.h"
#include "core/train/parameters.h"

namespace quench::train {

/// A model opened for training: its files (config, tokenizer, reader), the layout and the weights.
struct LoadedModel {
  model::ModelFiles files;
  ParameterLayout layout;
  std::vector<float> params;         ///< flat, layout order
  std::vector<std::string> fileNames;  ///< per slot, the tensor's name in the file (what recipes match)
};

/// The Hugging Face name of a canonical tensor name (token_embd.weight → model.embed_tokens.weight,
/// blk.N.attn_q.weight → model.layers.N.self_attn.q_proj.weight, output.weight → lm_head.weight, ...).
std::string hfTensorName(const std::string& canonical);

/// Open `path` (llama2.c .bin, .gguf or Hugging Face folder) and read every weight through the
/// reader (shape and finiteness checked; errors name the file and the tensor). A model above
/// kMaxParameters is refused: the engine is for teaching-scale models.
Result<LoadedModel> loadModel(const std::filesystem::path& path, const std::filesystem::path& tokenizerPath = {},
                              const Work& work = {});

/// Teaching scale: the largest parameter count the engine accepts (a teacher or a student).
inline constexpr std::uint64_t kMaxParameters = 4'000'000;

/// Write `params` as a Hugging Face LlamaForCausalLM folder `dir` (created when missing):
/// config.json, model.safetensors (float32, Hugging Face names; q/k rows permuted to the halves
/// RoPE pairing when the config rotates adjacent pairs) and a copy of `tokenizerJson` when given.
/// `metadata` goes into the safetensors header. Every file is written to a temporary file and
/// renamed; `dir` must not be the folder a source model was read from (`protect`).
Status saveHfFolder(const std::filesystem::path& dir, const ParameterLayout& layout, std::span<const float> params,
                    const std::filesystem::path& tokenizerJson, const Metadata& metadata = {},
                    const std::vector<std::filesystem::path>& protect = {}, int bosId = 1, int eosId = 2);

/// The tokenizer.json of a model's files, when it has one (Hugging Face folders); else empty.
std::filesystem::path tokenizerJsonOf(const model::ModelFiles& files);

}  // namespace quench::train
