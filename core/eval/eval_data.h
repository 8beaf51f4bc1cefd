#pragma once
// The token sequences an evaluation compares on, from the inputs a user names: a text (tokenized
// with BOS, cut into context-sized chunks) or a token file (one sequence per line, each cut into
// chunks). Shared by `quench-cli eval/sweep/logits` and the workbench's Divergence page.
#include <string>
#include <vector>

#include "core/model/tokenizer.h"
#include "core/tensor/result.h"

namespace quench::eval {

/// The whole file, or an error naming it.
Result<std::string> readFile(const std::string& path);

/// A tokens FILE: one sequence per non-empty line of whitespace-separated ids; an error names the
/// file, the line and the word that is not an id, or says the file has none.
Result<std::vector<std::vector<int>>> readTokenFile(const std::string& path);

/// `text` tokenized, with BOS in front when the tokenizer adds one (Tokenizer::addsBos: GPT-2's
/// byte-level BPE does not), cut into consecutive chunks of `context` tokens (the last may be
/// shorter). `context` ≥ 1.
std::vector<std::vector<int>> textSequences(const model::Tokenizer& tokenizer, const std::string& text, int context);

/// A text cut as llama-perplexity cuts it (MATH.md §11): tokenized once (BOS in front when the
/// tokenizer adds one), ⌊n / context⌋ chunks of exactly `context` tokens (the rest is dropped),
/// each with its first token replaced by BOS when the tokenizer adds one. Like llama-perplexity,
/// an error when the text has fewer than 2 · context tokens. `context` ≥ 2.
Result<std::vector<std::vector<int>>> perplexityChunks(const model::Tokenizer& tokenizer, const std::string& text,
                                                      int context);

/// Every line cut into chunks of `context` tokens, in order. `context` ≥ 1.
std::vector<std::vector<int>> lineSequences(const std::vector<std::vector<int>>& lines, int context);

}  // namespace quench::eval
