#pragma once
// Opens a language model from its files: a llama2.c .bin (+ tokenizer.bin), a .gguf, or a Hugging
// Face folder (model.safetensors + config.json + tokenizer.json). Tensors are read lazily: the
// weights are loaded (optionally replaced, e.g. by quantized reconstructions) by loadTransformer.
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
  std::unique_ptr<TensorReader> reader;
  std::unique_ptr<Tokenizer> tokenizer;  ///< null for a Hugging Face folder without tokenizer.json
  int configBos = -1;                     ///< config.json's bos_token_id (Hugging Face folders)

  /// BOS id: the tokenizer's, else config.json's (a folder without tokenizer.json).
  int bosId() const { return tokenizer ? tokenizer->bosId() : configBos; }

  /// Name in the file of a canonical (GGUF-style) weight name, see canonicalWeightNames().
  std::string fileTensorName(const std::string& canonical) const;
  /// Reads canonical tensors from the file.
  TensorFetch fileFetch(const Work& work = {}) const;
};

/// Open `path` (llama2.c .bin, .gguf or Hugging Face folder). For llama2.c the tokenizer is
/// `tokenizerPath` when given, else tokenizer.bin beside the checkpoint, else the only tok*.bin
/// there. GGUF uses its embedded vocabulary, a folder its tokenizer.json when it has one (without
/// it `tokenizer` is null: the model runs on token files only). `tokenizerOptions` say how the
/// tokenizer is built (e.g. without the prefix space, for TinyStories-656K).
Result<ModelFiles> openModel(const std::filesystem::path& path, const std::filesystem::path& tokenizerPath = {},
                             const TokenizerOptions& tokenizerOptions = {});

/// Load the weights of `files` (through `fetch` when given, else from the file) into a runtime.
Result<std::unique_ptr<Transformer>> loadTransformer(const ModelFiles& files, const Work& work = {},
                                                     const TensorFetch& fetch = {});

}  // namespace quench::model
