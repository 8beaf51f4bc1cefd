#include "core/model/tokenizer_loader.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "core/io/reader.h"
#include "core/io/text_file.h"
#include "core/model/model_loader.h"
#include "core/model/tokenizer_gguf.h"
#include "core/model/tokenizer_hf.h"

namespace quench::model {

namespace fs = std::filesystem;

namespace {
// bos_token_id / eos_token_id of config.json beside tokenizer.json, −1 when absent or unreadable
// (the tokenizer's own files usually name them).
std::pair<int, int> configIds(const fs::path& dir) {
  const auto text = readTextFile(dir / "config.json", kMaxConfigJsonBytes, "config.json");
  if (!text || jsonDepthError(*text)) return {-1, -1};
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  auto id = [&](const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return -1;
    const auto v = j[key].get<long long>();
    return v >= 0 && v < (1ll << 24) ? static_cast<int>(v) : -1;
  };
  return {id("bos_token_id"), id("eos_token_id")};
}
}  // namespace

Result<std::unique_ptr<Tokenizer>> openTokenizer(const fs::path& path, const fs::path& tokenizerPath,
                                                 const TokenizerOptions& options) {
  std::error_code ec;
  fs::path json;
  if (fs::is_directory(path, ec)) {
    json = path / "tokenizer.json";
    if (!fs::exists(json, ec))
      return makeError(path.string() + ": folder holds no tokenizer.json (the model can still run on token files)");
  } else if (path.extension() == ".json") {
    json = path;
  }
  if (!json.empty()) {
    const auto [bos, eos] = configIds(json.parent_path());
    auto t = loadHfTokenizer(json, bos, eos, options);
    if (!t) return t.error();
    return std::unique_ptr<Tokenizer>(std::move(t).value());
  }
  if (!fs::exists(path, ec)) return makeError(path.string() + ": no such file or folder");
  auto reader = openTensorFile(path);
  if (!reader) return reader.error();
  if ((*reader)->format() == "gguf") return ggufTokenizer((*reader)->metadata(), path.string(), options);
  // llama2.c: the checkpoint header gives the vocabulary size the tokenizer must have.
  auto files = openModel(path, tokenizerPath, options);
  if (!files) return files.error();
  if (!files->tokenizer) return makeError(path.string() + ": no tokenizer");
  return std::move(files->tokenizer);
}

}  // namespace quench::model
