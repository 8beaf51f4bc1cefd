#include "core/eval/eval_source.h"

#include <algorithm>

#include "core/eval/eval_data.h"
#include "core/eval/evaluate.h"

namespace quench::eval {

namespace {

// Only a Hugging Face folder opens without a tokenizer (llama2.c needs its tokenizer.bin, a GGUF
// carries its vocabulary): its tokens can still come from a token file or from sampling.
Error noTokenizer(const model::ModelFiles& files) {
  return makeError(files.path +
                   ": the folder has no tokenizer.json, so text cannot be tokenized: evaluate it on a token file or "
                   "on sequences sampled from it");
}

}  // namespace

bool needsOriginal(SourceKind kind) { return kind != SourceKind::LlamaKld; }

Result<EvalData> prepareEvalData(const model::ModelFiles& files, model::Transformer* p, const EvalSource& source,
                                 const Work& work) {
  EvalData d;
  // The longest context computed exactly: seq_len, or a sliding window when shorter (Mistral).
  const int seqLen = model::exactContext(files.config);
  const int context = source.context > 0 ? std::min(source.context, seqLen) : seqLen;
  switch (source.kind) {
    case SourceKind::TextFile: {
      if (source.path.empty()) return makeError("choose a text file to evaluate on");
      if (!files.tokenizer) return noTokenizer(files);
      auto text = readFile(source.path);
      if (!text) return text.error();
      d.sequences = textSequences(*files.tokenizer, *text, context);
      break;
    }
    case SourceKind::Text:
      if (source.text.empty()) return makeError("paste a text to evaluate on");
      if (!files.tokenizer) return noTokenizer(files);
      d.sequences = textSequences(*files.tokenizer, source.text, context);
      break;
    case SourceKind::TokenFile: {
      if (source.path.empty()) return makeError("choose a token file to evaluate on");
      auto lines = readTokenFile(source.path);
      if (!lines) return lines.error();
      d.sequences = lineSequences(*lines, context);
      break;
    }
    case SourceKind::Sample: {
      if (!p) return makeError(files.path + ": sampling needs the original model loaded");
      auto sampled = sampleSequences(*p, source.count, source.length, files.bosId(), source.seed, work);
      if (!sampled) return makeError(files.path + ": " + sampled.error().message);
      d.sequences = std::move(sampled).value();
      break;
    }
    case SourceKind::LlamaKld: {
      if (source.path.empty()) return makeError("choose a llama.cpp logits (.kld) file");
      auto base = LlamaKldFile::open(source.path);
      if (!base) return base.error();
      d.reference = std::move(base).value();
      break;
    }
  }
  return d;
}

}  // namespace quench::eval
