#include "core/model/evaluate.h"

#include <cmath>


#include "core/model/sampler.h"

namespace quench::model {

Result<QuantizedModel> loadQuantized(const ModelFiles& files, const Recipe& recipe, const Work& work) {
  QuantizedModel out;
  double bits = 0.0, params = 0.0;
  std::size_t transformed = 0;
  const TensorFetch read = files.fileFetch(work);
  const TensorFetch fetch = [&](const std::string& canonical) -> Result<FloatTensor> {
    auto t = read(canonical);
    if (!t) return t;
    const std::string name = files.fileTensorName(canonical);
    const double n = static_cast<double>(t->values.size());
    params += n;
    const auto rule = matchRule(recipe, name, t->shape.size());
    if (!rule) {
      bits += 32.0 * n;  // kept in float32
      return t;
    }
    auto q = quantizeTensor(*t, recipe.rules[*rule].params, work);
    if (!q) return makeError(files.path + ": '" + name + "': " + q.error().message);
    if (q->reconstruction.size() != t->values.size())
      return makeError(files.path + ": '" + name + "': reconstruction has the wrong size");
    bits += q->total.bitsPerParam * n;
    ++transformed;
    t->values = std::move(q->reconstruction);
    return t;
  };
  auto tr = loadTransformer(files, work, fetch);
  if (!tr) return tr.error();
  out.transformer = std::move(tr).value();
  out.bitsPerParam = params > 0 ? bits / params : 32.0;
  out.tensorsTransformed = transformed;
  return out;
}

std::vector<std::vector<int>> chunkTokens(const std::vector<int>& tokens, int context) {
  std::vector<std::vector<int>> chunks;
  for (std::size_t at = 0; at < tokens.size(); at += static_cast<std::size_t>(context)) {
    const std::size_t end = std::min(tokens.size(), at + static_cast<std::size_t>(context));
    chunks.emplace_back(tokens.begin() + static_cast<std::ptrdiff_t>(at), tokens.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return chunks;
}

Result<std::vector<std::vector<int>>> sampleSequences(Transformer& p, int count, int length, int bos,
                                                      std::uint64_t seed, const Work& work) {
  if (count <= 0 || length < 2 || length > p.config().seqLen)
    return makeError("sampling needs N ≥ 1 sequences of 2 ≤ L ≤ " + std::to_string(p.config().seqLen) + " tokens");
  std::vector<std::vector<int>> seqs;
  for (int s = 0; s < count; ++s) {
    GenerateOptions g;
    g.maxNewTokens = length - 1;
    g.temperature = 1.0f;
    g.seed = seed + static_cast<std::uint64_t>(s);
    g.stopAtEos = false;  // fixed length: every sequence scores the same number of positions
    const std::vector<int> prompt{bos};
    auto gen = generate(p, prompt, g, bos, -1, {}, work);
    if (!gen) return gen.error();
    std::vector<int> seq{bos};
    seq.insert(seq.end(), gen->begin(), gen->end());
    seqs.push_back(std::move(seq));
    work.report(s + 1, count);
  }
  return seqs;
}

Status compareModels(Transformer& p, Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work, double temperature) {
  if (p.config().vocabSize != q.config().vocabSize) return makeError("the two models have different vocabularies");
  if (!(temperature > 0) || !std::isfinite(temperature))
    return makeError("temperature must be a positive number, got " + std::to_string(temperature));
  const auto vocab = static_cast<std::size_t>(p.config().vocabSize);
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    if (work.cancelled()) return makeError("cancelled");
    const auto& seq = sequences[s];
    // Progress is reported per sequence here; the forward passes only watch for the stop.
    const Work inner{work.stop, {}};
    auto lp = p.logitsFor(seq, inner);
    if (!lp) return makeError("sequence " + std::to_string(s + 1) + ": " + lp.error().message);
    auto lq = q.logitsFor(seq, inner);
    if (!lq) return makeError("sequence " + std::to_string(s + 1) + ": " + lq.error().message);
    if (temperature != 1.0) {  // P_T = softmax(z / T) for both models
      lp->array() /= static_cast<float>(temperature);
      lq->array() /= static_cast<float>(temperature);
    }
    std::vector<std::int32_t> next(seq.size(), kNoToken);
    for (std::size_t i = 0; i + 1 < seq.size(); ++i) next[i] = seq[i + 1];
    if (auto st = acc.addRows({lp->data(), static_cast<std::size_t>(lp->size())},
                              {lq->data(), static_cast<std::size_t>(lq->size())}, vocab, RowKind::Logits, next);
        !st)
      return st;
    work.report(static_cast<double>(s + 1), static_cast<double>(sequences.size()));
  }
  return {};
}

Status compareToLlamaKld(Transformer& q, const LlamaKldFile& base, int bos, TokenAccumulator& acc, const Work& work) {
  const ModelConfig& c = q.config();
  if (base.nVocab() != c.vocabSize)
    return makeError(base.name() + ": vocabulary of " + std::to_string(base.nVocab()) + ", the model has " +
                     std::to_string(c.vocabSize));
  if (base.nCtx() > c.seqLen)
    return makeError(base.name() + ": n_ctx " + std::to_string(base.nCtx()) + " exceeds the model's context of " +
                     std::to_string(c.seqLen));
  const std::size_t first = base.firstScoredPosition();
  std::vector<float> baseRow(static_cast<std::size_t>(c.vocabSize));
  for (std::size_t chunk = 0; chunk < static_cast<std::size_t>(base.nChunk()); ++chunk) {
    if (work.cancelled()) return makeError("cancelled");
    const auto stored = base.chunkTokens(chunk);
    std::vector<int> tokens(stored.begin(), stored.end());
    tokens[0] = bos;  // llama-perplexity evaluates every chunk with its first token replaced by BOS
    auto logits = q.logitsFor(tokens, work);
    if (!logits) return makeError(base.name() + ": chunk " + std::to_string(chunk) + ": " + logits.error().message);
    for (std::size_t r = 0; r < base.rowsPerChunk(); ++r) {
      base.decodeRow(chunk, r, baseRow);
      const auto pos = static_cast<Eigen::Index>(first + r);
      auto row = compareRowToLlamaBase(baseRow, {logits->row(pos).data(), baseRow.size()}, RowKind::Logits,
                                       base.trueNextToken(chunk, r));
      if (!row) return makeError(base.name() + ": chunk " + std::to_string(chunk) + " row " + std::to_string(r) + ": " +
                                 row.error().message);
      acc.add(*row);
    }
    work.report(static_cast<double>(chunk + 1), base.nChunk());
  }
  return {};
}

Result<RecipeEvaluation> evaluateRecipe(const ModelFiles& files, const Recipe& recipe, Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, double temperature, const Work& work) {
  if (reference && temperature != 1.0)
    return makeError("a llama.cpp reference file holds probabilities at temperature 1 only");
  auto q = loadQuantized(files, recipe, work);
  if (!q) return q.error();
  TokenAccumulator acc;
  if (reference) {
    if (auto s = compareToLlamaKld(*q->transformer, *reference, files.tokenizer->bosId(), acc, work); !s)
      return s.error();
  } else {
    if (!p) return makeError("no reference model to compare with");
    if (auto s = compareModels(*p, *q->transformer, sequences, acc, work, temperature); !s) return makeError(files.path + ": " + s.error().message);
  }
  return RecipeEvaluation{acc.summary(), q->bitsPerParam, q->tensorsTransformed};
}

}  // namespace quench::model
