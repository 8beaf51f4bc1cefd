#pragma once
// Opens a language model from its files: a llama2.c .bin (+ tokenizer.bin), a .gguf (llama.cpp's
// llama, qwen2, qwen3, gemma and phi3 architectures), or a Hugging Face folder (config.json of a
// llama, mistral, qwen2, qwen3, gemma or phi3 model, its safetensors and tokenizer.json). The
// config is read when the model is opened; weights are views of the memory-mapped files, taken
// when a runtime or a layer asks for them (optionally replaced, e.g. by quantized
// reconstructions).
#include <filesystem>
#include <memory>
#include <string>

#include "core/io/reader.h"
#include "core/model/config.h"
#include "core/model/tokenizer.h"
#include "core/model/transformer.h"
#include "core/model/weights.h"

namespace quench::model {

/// The opened files of one model: config, tensor catalog and tokenizer.
struct ModelFiles {
  std::string path;    ///< what the user named (file or folder)
  std::string format;  ///< "llama2c", "gguf" or "hf"
  ModelConfig config;
  /// The tensors; shared so that weight views (and the runtimes holding them) keep the mapping
  /// alive.
  std::shared_ptr<TensorReader> reader;
  std::unique_ptr<Tokenizer> tokenizer;  ///< null for a Hugging Face folder without tokenizer.json
  int configBos = -1;                     ///< config.json's bos_token_id (Hugging Face folders)

  /// BOS id: the tokenizer's, else config.json's (a folder without tokenizer.json).
  int bosId() const { return tokenizer ? tokenizer->bosId() : configBos; }

  /// Name in the file of a canonical (GGUF-style) weight name, see canonicalWeightNames().
  std::string fileTensorName(const std::string& canonical) const;
  /// Reads canonical tensors from the file as float32.
  TensorFetch fileFetch(const Work& work = {}) const;
};

/// Open `path` (llama2.c .bin, .gguf or Hugging Face folder). For llama2.c the tokenizer is
/// `tokenizerPath` when given, else tokenizer.bin beside the checkpoint, else the only tok*.bin
/// there. GGUF uses its embedded vocabulary, a folder its tokenizer.json when it has one (without
/// it `tokenizer` is null: the model runs on token files only). `tokenizerOptions` say how the
/// tokenizer is built (e.g. without the prefix space, for TinyStories-656K). An architecture or a
/// config value Quench does not compute exactly is an error naming it; so is a tensor in the file
/// that the configured architecture would not use.
Result<ModelFiles> openModel(const std::filesystem::path& path, const std::filesystem::path& tokenizerPath = {},
                             const TokenizerOptions& tokenizerOptions = {});

/// The embedding, final norm and classifier of `files`, as stored, with `override` applied.
Result<ModelWeights> loadModelWeights(const ModelFiles& files, const TensorOverride& override = {});
/// Layer `layer` of `files` as stored (views of the mapped file; fused tensors split without a
/// copy), each tensor replaced by `override`'s values when it returns some. Shapes are checked
/// against the config; norm gains and biases must be finite.
Result<LayerWeights> loadLayerWeights(const ModelFiles& files, int layer, const TensorOverride& override = {});

/// A runtime over `files`' weights: as stored, or every tensor through `fetch` when given (then
/// held as float32).
Result<std::unique_ptr<Transformer>> loadTransformer(const ModelFiles& files, const Work& work = {},
                                                     const TensorFetch& fetch = {});

}  // namespace quench::model
