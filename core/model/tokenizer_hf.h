#pragma once
// Hugging Face tokenizer.json with a BPE model, honouring the file: its normalizer, pre-tokenizer,
// added tokens, post-processor (BOS/EOS template) and decoder, plus tokenizer_config.json's
// add_bos_token / add_eos_token / bos_token / eos_token. Both families: SentencePiece-style
// (Llama 2, Mistral, TinyLlama: "▁" for spaces, <0xXX> byte fallback) and byte-level (GPT-2,
// Llama 3, Qwen2, DeepSeek, SmolLM). A key or component the reader does not implement is an
// error naming it, never a silently different tokenization.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/model/tokenizer_bpe.h"

namespace quench::model {

/// Parse tokenizer.json text; `name` names the file in errors. `bos`/`eos` are config.json's
/// bos_token_id / eos_token_id (−1 when absent), used when neither tokenizer_config.json nor the
/// post-processor names the token; they must then lie in the vocabulary. `configJson` is the text
/// of tokenizer_config.json beside it (empty when there is none), `configName` its name.
Result<std::unique_ptr<BpeTokenizer>> parseHfTokenizer(std::string_view json, const std::string& name, int bos,
                                                       int eos, const TokenizerOptions& options = {},
                                                       std::string_view configJson = {},
                                                       const std::string& configName = "tokenizer_config.json");
/// Read tokenizer.json at `path` (and tokenizer_config.json beside it when present) and parse it.
Result<std::unique_ptr<BpeTokenizer>> loadHfTokenizer(const std::filesystem::path& path, int bos, int eos,
                                                      const TokenizerOptions& options = {});

}  // namespace quench::model
