// quench-cli logits MODEL (--text FILE | --tokens FILE) --out OUT.h5: next-token logits of every
// position, written with writeTensorFile (HDF5 or safetensors by extension).
#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/eval_options.h"
#include "core/io/writer.h"
#include "core/model/model_loader.h"

namespace quench::cli {
namespace {
struct LogitsOptions {
  std::string model;
  std::string tokenizer;
  std::string textFile;
  std::string tokensFile;
  std::string out;
  bool noPrefixSpace = false;
};

int runLogits(const LogitsOptions& o) {
  if (o.textFile.empty() == o.tokensFile.empty()) return fail("logits: give exactly one of --text FILE or --tokens FILE");
  if (Status s = checkNotAnInput(o.out, {o.model, o.tokenizer, o.textFile, o.tokensFile}); !s)
    return fail("--out " + s.error().message);
  model::TokenizerOptions topt;
  topt.prefixSpace = !o.noPrefixSpace;
  auto files = model::openModel(o.model, o.tokenizer, topt);
  if (!files) return fail(files.error().message);
  const std::string input = o.textFile.empty() ? o.tokensFile : o.textFile;
  std::vector<std::vector<int>> seqs;
  if (!o.textFile.empty()) {
    auto content = readFile(input);
    if (!content) return fail(content.error().message);
    if (!files->tokenizer)
      return fail(o.model + ": the folder has no tokenizer.json, so text cannot be tokenized (use --tokens FILE)");
    seqs.push_back(files->tokenizer->encode(*content, files->tokenizer->addsBos(), false));
  } else {
    auto parsed = readTokenFile(input);
    if (!parsed) return fail(parsed.error().message);
    seqs = std::move(parsed).value();
  }
  auto transformer = model::loadTransformer(*files);
  if (!transformer) return fail(transformer.error().message);
  const int vocab = files->config.vocabSize;
  std::vector<float> logits;
  std::vector<std::int32_t> tokens, starts;
  for (std::size_t s = 0; s < seqs.size(); ++s) {
    auto l = (*transformer)->logitsFor(seqs[s]);
    if (!l) return fail(input + ": sequence " + std::to_string(s + 1) + ": " + l.error().message);
    starts.push_back(static_cast<std::int32_t>(tokens.size()));
    tokens.insert(tokens.end(), seqs[s].begin(), seqs[s].end());
    logits.insert(logits.end(), l->data(), l->data() + l->size());  // row-major (n, vocab)
  }
  const auto n = static_cast<std::int64_t>(tokens.size());
  std::vector<OutTensor> out{
      OutTensor::fromFloats("logits", {n, vocab}, logits),
      OutTensor::fromInt32("tokens", {n}, tokens),
      OutTensor::fromInt32("sequence_starts", {static_cast<std::int64_t>(starts.size())}, starts)};
  const Metadata meta{{"model", o.model}, {"format", files->format}, {"input", input}};
  if (auto st = writeTensorFile(o.out, out, meta); !st) return fail(st.error().message);
  std::cout << "wrote " << o.out << ": logits " << n << "×" << vocab << " (" << seqs.size() << " sequence"
            << (seqs.size() == 1 ? "" : "s") << ")\n";
  return 0;
}
}  // namespace

Runner addLogitsCommand(CLI::App& app) {
  auto o = std::make_shared<LogitsOptions>();
  auto* cmd = app.add_subcommand("logits", "Write the next-token logits of every position of a text or token file");
  cmd->add_option("MODEL", o->model, "llama2.c .bin, .gguf, or Hugging Face folder")->required();
  cmd->add_option("--tokenizer", o->tokenizer, "llama2.c tokenizer.bin (default: beside MODEL)");
  cmd->add_option("--text", o->textFile, "UTF-8 text file, encoded as one sequence (BOS as the tokenizer says)");
  addPrefixSpaceFlag(*cmd, o->noPrefixSpace);
  cmd->add_option("--tokens", o->tokensFile, "Whitespace-separated ids, one sequence per line");
  cmd->add_option("--out", o->out, "Output .h5/.hdf5 or .safetensors: logits (positions, vocab) f32, tokens, "
                                   "sequence_starts")->required();
  return [o] { return runLogits(*o); };
}

}  // namespace quench::cli
