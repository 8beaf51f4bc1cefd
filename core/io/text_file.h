#pragma once
// Whole small text files (JSON configurations, tokenizers, recipes, explicit LMs) read with their
// size checked before anything is allocated, and JSON's nesting depth checked before it is parsed.
//
// Why: such files are read whole into memory and parsed into a DOM many times their size, so a
// hostile or mistaken one (a 4 GiB tokenizer.json, a sparse file) must be refused by its size, with
// a message naming it, not by std::bad_alloc after gigabytes were read. And nlohmann's parser is
// iterative, but dump() and every reader that walks a value recursively are not: JSON nested 10^5
// deep would overflow the stack there, so it is refused before parsing.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/tensor/result.h"

namespace quench {

/// Size limits, in bytes. The largest real files we know: Gemma 3's tokenizer.json (33 MB, 262k
/// tokens); config.json and tokenizer_config.json files are at most a few MB (chat templates).
inline constexpr std::uint64_t kMaxTokenizerJsonBytes = 256ull << 20;
inline constexpr std::uint64_t kMaxConfigJsonBytes = 64ull << 20;
inline constexpr std::uint64_t kMaxRecipeBytes = 64ull << 20;
inline constexpr std::uint64_t kMaxExplicitLmBytes = 256ull << 20;

/// Deepest nesting of JSON arrays/objects any reader accepts (real files: under 10).
inline constexpr int kMaxJsonDepth = 256;

/// The bytes of the regular file `path` if it holds at most `maxBytes`; otherwise an error naming
/// the file, its size and the limit (`what` names the kind of file: "tokenizer.json", "recipe").
Result<std::string> readTextFile(const std::filesystem::path& path, std::uint64_t maxBytes, std::string_view what);

/// "JSON nested deeper than N levels (at byte B)" when `text` opens more than `maxDepth` arrays or
/// objects at once (brackets inside strings do not count); nullopt otherwise. Linear, no allocation.
std::optional<std::string> jsonDepthError(std::string_view text, int maxDepth = kMaxJsonDepth);

}  // namespace quench
