#pragma once
// What an evaluation compares on, from the source a user names: a text (a file, or typed/pasted),
// a token file, sequences sampled from the original model P, or a llama.cpp --kl-divergence-base
// file. The one switch behind `quench-cli eval/sweep` and the workbench's Divergence page, so both
// build exactly the same sequences from the same settings.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/divergence/kld_file.h"
#include "core/exec/progress.h"
#include "core/model/model_loader.h"
#include "core/tensor/result.h"

namespace quench::eval {

/// Where the evaluated tokens come from. The order is the Divergence page's source box (and the
/// integer its sessions store): do not reorder.
enum class SourceKind { TextFile, Text, TokenFile, Sample, LlamaKld };

/// An evaluation source as a user sets it.
struct EvalSource {
  SourceKind kind = SourceKind::Sample;
  std::string path;        ///< TextFile, TokenFile, LlamaKld
  std::string text;        ///< Text: UTF-8, tokenized like a text file
  int count = 4;           ///< Sample: sequences
  int length = 64;         ///< Sample: tokens per sequence, BOS included
  std::uint64_t seed = 0;  ///< Sample: sequence s uses seed + s
  int context = 0;         ///< tokens per chunk of a text or token file (0 = the model's context)
};

/// What an evaluation compares on: token sequences (P is run on them), or a llama.cpp reference.
struct EvalData {
  std::vector<std::vector<int>> sequences;
  std::optional<LlamaKldFile> reference;
};

/// True when `kind` needs the original runtime P to build its data (sampling) or to be compared
/// on (every kind but a llama.cpp reference, which holds P's probabilities itself).
bool needsOriginal(SourceKind kind);

/// The sequences (or the reference file) of `source` for the model `files`: a text is tokenized
/// (with BOS when the tokenizer adds one; an error when the model has no tokenizer) and cut into chunks of min(context, the model's context) tokens (context 0: the
/// model's), every line of a token file likewise, samples are drawn from `p` (required for
/// Sample only; progress in sequences). An error names the file, or the model for sampling.
Result<EvalData> prepareEvalData(const model::ModelFiles& files, model::Transformer* p, const EvalSource& source,
                                 const Work& work = {});

}  // namespace quench::eval
