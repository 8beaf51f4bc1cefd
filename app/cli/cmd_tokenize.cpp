// quench-cli tokenize MODEL (--text TEXT | --text-file FILE | --decode "IDS"): a tokenizer from the
// command line. MODEL is anything that holds one: a GGUF (vocabulary-only ones included), a
// Hugging Face folder or tokenizer.json, a llama2.c checkpoint.
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "core/model/tokenizer_loader.h"

namespace quench::cli {
namespace {
struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  std::string text;
  std::string textFile;
  std::string decode;
  bool bos = false;
  bool noBos = false;
  bool eos = false;
  bool noPrefixSpace = false;
  bool parseSpecial = false;
  bool describe = false;
};

int runTokenize(const TokenizeOptions& o, bool haveText, bool haveFile, bool haveDecode) {
  if (haveText + haveFile + haveDecode != 1) return fail("tokenize: give exactly one of --text, --text-file or --decode");
  if (o.bos && o.noBos) return fail("tokenize: --bos and --no-bos contradict each other");
  model::TokenizerOptions topt;
  topt.prefixSpace = !o.noPrefixSpace;
  topt.parseSpecial = o.parseSpecial;
  auto tok = model::openTokenizer(o.model, o.tokenizer, topt);
  if (!tok) return fail(tok.error().message);
  if (o.describe) std::cerr << (*tok)->describe() << '\n';
  if (haveText || haveFile) {
    std::string text = o.text;
    if (haveFile) {
      std::ifstream in(o.textFile, std::ios::binary);
      if (!in) return fail("tokenize: cannot open " + o.textFile);
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    const bool bos = o.bos || (!o.noBos && (*tok)->addsBos());
    const auto ids = (*tok)->encode(text, bos, o.eos);
    std::string line;
    line.reserve(ids.size() * 6);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i) line += ' ';
      line += std::to_string(ids[i]);
    }
    std::cout << line << '\n';
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
  auto text = (*tok)->decode(ids);
  if (!text) return fail("tokenize --decode: " + text.error().message);
  std::cout << *text << '\n';
  return 0;
}
}  // namespace

Runner addTokenizeCommand(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Encode text to token ids, or decode ids to text");
  cmd->add_option("MODEL", o->model,
                  "A .gguf (vocabulary-only files too), a Hugging Face folder or tokenizer.json, or a llama2.c .bin")
      ->required();
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  auto* text = cmd->add_option("--text", o->text, "Text to encode (ids printed on one line)");
  auto* file = cmd->add_option("--text-file", o->textFile, "Encode the bytes of this file");
  auto* decode = cmd->add_option("--decode", o->decode, "Whitespace-separated ids to decode");
  cmd->add_flag("--bos", o->bos, "Put BOS in front even when the tokenizer's file does not ask for it");
  cmd->add_flag("--no-bos", o->noBos, "Do not put BOS in front (default: as the tokenizer's file says)");
  cmd->add_flag("--eos", o->eos, "Append EOS when encoding");
  cmd->add_flag("--no-prefix-space", o->noPrefixSpace,
                "Never put SentencePiece's prefix space in front of the text (TinyStories-656K was trained without it)");
  cmd->add_flag("--parse-special", o->parseSpecial,
                "GGUF: control tokens written in the text become their ids (llama.cpp's parse_special)");
  cmd->add_flag("--describe", o->describe, "Print what the tokenizer is on stderr");
  return [o, text, file, decode] { return runTokenize(*o, text->count() > 0, file->count() > 0, decode->count() > 0); };
}

}  // namespace quench::cli
