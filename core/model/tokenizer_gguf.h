#pragma once
// The vocabulary embedded in a GGUF file (tokenizer.ggml.* metadata), tokenized as llama.cpp does:
// "llama" (SentencePiece: scores, byte tokens, add_space_prefix) and "gpt2" (byte-level BPE with
// merges and the pre-tokenizer named by tokenizer.ggml.pre). Special tokens in the text are found
// first, as llama.cpp's tokenizer_st_partition does.
#include <memory>

#include "core/io/reader.h"
#include "core/model/tokenizer.h"

namespace quench::model {

/// Build the tokenizer of GGUF `metadata` (arrays as JSON text, as the GGUF reader renders them);
/// `name` names the file in errors, which also name the offending key.
Result<std::unique_ptr<Tokenizer>> ggufTokenizer(const Metadata& metadata, const std::string& name,
                                                 const TokenizerOptions& options = {});

/// Value of `key` in `metadata`, or nullptr.
const std::string* findMetadata(const Metadata& metadata, std::string_view key);

}  // namespace quench::model
