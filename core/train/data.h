#pragma once
// What a training run reads: a stream of training tokens and held-out evaluation windows, made from
// text files with the teacher's own tokenizer, or sampled from the teacher itself (seeded).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/model/tokenizer.h"
#include "core/tensor/result.h"
#include "core/train/network.h"
#include "core/train/rng.h"

namespace quench::train {

/// Training tokens and held-out windows.
struct TokenData {
  std::vector<int> train;                  ///< one stream: BOS doc EOS BOS doc EOS ...
  std::vector<std::vector<int>> heldout;   ///< evaluation windows, each fed from position 0
  std::string description;                 ///< where the tokens came from, for reports

  std::size_t heldoutTokens() const;
};

/// Hard line wraps removed, as tools/train_demo_lm.py's unwrap() (the demo LM's training text):
/// paragraphs end at runs of 2+ newlines; the lines of each are stripped of surrounding white space
/// and joined by one space; empty paragraphs are dropped; paragraphs are joined by one newline.
std::string unwrapParagraphs(std::string_view text);

/// Text files as training and held-out data.
struct CorpusOptions {
  std::vector<std::filesystem::path> train;  ///< UTF-8 text files, each one document
  /// Held-out text file; empty: the tail of the last training file, from the first paragraph break
  /// ("\n\n") at or after byte ⌊(1 − heldoutFraction)·size⌋ (that part is then not trained on).
  std::filesystem::path heldout;
  double heldoutFraction = 0.05;
  bool unwrap = true;      ///< apply unwrapParagraphs to every text (Project Gutenberg wraps lines)
  int context = 128;       ///< held-out window length in tokens (the held-out stream, BOS first, is cut in these)
  std::size_t maxHeldoutTokens = 0;  ///< keep whole windows up to this many tokens (0: all; at least one window)
};

/// Tokenize the files with `tokenizer`: each training document becomes BOS + ids + EOS in the
/// stream; the held-out text BOS + ids, cut into windows of `context` (the last may be shorter).
Result<TokenData> corpusData(const model::Tokenizer& tokenizer, const CorpusOptions& options);

/// Sequences sampled from the teacher as data (no text needed).
struct SampleOptions {
  int trainSequences = 256;
  int heldoutSequences = 16;
  int length = 64;          ///< tokens per sequence, BOS included
  std::uint64_t seed = 1;   ///< sequence i uses seed + i (held-out ones continue after the training ones)
};

/// Sequence i: BOS, then length − 1 tokens drawn from softmax(teacher logits) with
/// model::Sampler(1, seed + i) — the rule of `quench-cli eval --sample`. Training sequences are
/// concatenated into the stream, held-out ones are the windows. Parallel over sequences; each
/// sequence's draws do not depend on the thread count.
Result<TokenData> sampledData(const Network<float>& teacher, const float* params, int bos, const SampleOptions& options,
                              const Work& work = {});

/// Random training windows of `length` tokens from a stream: starts uniform over every position
/// that leaves a whole window, drawn by a seeded Rng.
class WindowSampler {
 public:
  WindowSampler(const std::vector<int>& stream, int length, std::uint64_t seed);
  /// The next window (a view into the stream).
  std::span<const int> next();

 private:
  const std::vector<int>& m_stream;
  int m_length;
  Rng m_rng;
};

}  // namespace quench::train
