#pragma once
// The SentencePiece vocabulary embedded in a GGUF file (tokenizer.ggml.* metadata).
#include <memory>

#include "core/io/reader.h"
#include "core/model/tokenizer_llama2c.h"

namespace quench::model {

/// Build an SpmTokenizer from tokenizer.ggml.tokens / scores (JSON arrays in the metadata, as the
/// GGUF reader renders arrays) and bos/eos/unknown_token_id; "▁" in pieces becomes a space.
/// Requires tokenizer.ggml.model = "llama" (SentencePiece); `name` names the file in errors.
Result<std::unique_ptr<SpmTokenizer>> ggufTokenizer(const Metadata& metadata, const std::string& name);

/// Value of `key` in `metadata`, or nullptr.
const std::string* findMetadata(const Metadata& metadata, std::string_view key);

}  // namespace quench::model
