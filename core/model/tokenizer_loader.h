#pragma once
// A tokenizer alone, from whatever holds one: a vocabulary-only GGUF (llama.cpp's ggml-vocab-*.gguf),
// a model GGUF of any architecture, a Hugging Face folder or its tokenizer.json, or a llama2.c
// checkpoint with its tokenizer.bin. Used where only text ↔ ids matters (quench-cli tokenize).
#include <filesystem>
#include <memory>

#include "core/model/tokenizer.h"

namespace quench::model {

/// Open the tokenizer of `path`. `tokenizerPath` is a llama2.c tokenizer.bin (default: found
/// beside the checkpoint).
Result<std::unique_ptr<Tokenizer>> openTokenizer(const std::filesystem::path& path,
                                                 const std::filesystem::path& tokenizerPath = {},
                                                 const TokenizerOptions& options = {});

}  // namespace quench::model
