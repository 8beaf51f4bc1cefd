// quench-cli tokenize MODEL (--text TEXT | --decode "IDS"): a model's tokenizer from the command line.
#include <charconv>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "core/model/model_loader.h"

namespace quench::cli {
namespace {
struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  std::string text;
  std::string decode;
  bool noBos = false;
  bool eos = false;
};

int runTokenize(const TokenizeOptions& o, bool haveText, bool haveDecode) {
  if (haveText == haveDecode) return fail("tokenize: give exactly one of --text or --decode");
  auto files = model::openModel(o.model, o.tokenizer);
  if (!files) return fail(files.error().message);
  const model::Tokenizer& tok = *files->tokenizer;
  if (haveText) {
    const auto ids = tok.encode(o.text, !o.noBos, o.eos);
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << '\n';
    return 0;
  }
  std::vector<int> ids;
  std::istringstream in(o.decode);
  for (std::string word; in >> word;) {
    int id = 0;
    const auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec != std::errc() || p != word.data() + word.size())
      return fail("tokenize --decode: '" + word + "' is not a token id");
    ids.push_back(id);
  }
  auto text = tok.decode(ids);
  if (!text) return fail("tokenize --decode: " + text.error().message);
  std::cout << *text << '\n';
  return 0;
}
}  // namespace

Runner addTokenizeCommand(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Encode text to token ids, or decode ids to text");
  cmd->add_option("MODEL", o->model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  auto* text = cmd->add_option("--text", o->text, "Text to encode (ids printed on one line, BOS first)");
  auto* decode = cmd->add_option("--decode", o->decode, "Whitespace-separated ids to decode");
  cmd->add_flag("--no-bos", o->noBos, "Do not put BOS in front when encoding");
  cmd->add_flag("--eos", o->eos, "Append EOS when encoding");
  return [o, text, decode] { return runTokenize(*o, text->count() > 0, decode->count() > 0); };
}

}  // namespace quench::cli
