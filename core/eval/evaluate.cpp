#include "core/eval/evaluate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <string>

#include "core/exec/parallel.h"
#include "core/model/sampler.h"

namespace quench::eval {

// The runtime this room evaluates (core/model).
using model::GenerateOptions;
using model::Matrix;
using model::ModelConfig;
using model::ModelFiles;
using model::TensorFetch;
using model::Transformer;
using model::canonicalWeightNames;
using model::generate;
using model::loadTransformer;

Result<QuantizedModel> loadQuantized(const ModelFiles& files, const Recipe& recipe, const Work& work) {
  QuantizedModel out;
  double bits = 0.0, params = 0.0;
  std::size_t transformed = 0;
  // Progress in one unit (layers, from loadWeights); reads and quantizers only watch the stop.
  const Work quiet{work.stop, {}};
  const TensorFetch read = files.fileFetch(quiet);
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
    auto q = quantizeTensor(*t, recipe.rules[*rule].params, quiet);
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
  const int limit = model::exactContext(p.config());
  if (count <= 0 || length < 2 || length > limit)
    return makeError("sampling needs N ≥ 1 sequences of 2 ≤ L ≤ " + std::to_string(limit) + " tokens");
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

namespace {

// The rows of one comparison with their figures kept, for PositionRecord: the same compareRow
// on the same rows as TokenAccumulator::addRows, added in the same order, so the summary is
// identical to the one without records.
Status addRowsKeeping(const Matrix& lp, const Matrix& lq, std::span<const std::int32_t> next, std::size_t sequence,
                      std::span<const int> tokens, TokenAccumulator& acc, std::vector<PositionRecord>& out) {
  const auto rows = static_cast<std::size_t>(lp.rows());
  const auto vocab = static_cast<std::size_t>(lp.cols());
  std::vector<RowStats> stats(rows);
  std::vector<std::string> errors(rows);
  std::atomic<bool> failed{false};
  exec::parallelFor(0, rows, 16, [&](exec::Range r) {
    for (std::size_t i = r.begin; i != r.end && !failed.load(std::memory_order_relaxed); ++i) {
      const auto row = static_cast<Eigen::Index>(i);
      auto st = compareRow({lp.row(row).data(), vocab}, {lq.row(row).data(), vocab}, RowKind::Logits, next[i]);
      if (!st) {
        errors[i] = "row " + std::to_string(i) + ": " + st.error().message;
        failed = true;
        return;
      }
      stats[i] = *st;
    }
  });
  if (failed)
    for (const std::string& e : errors)
      if (!e.empty()) return makeError(e);
  for (std::size_t i = 0; i < rows; ++i) {
    acc.add(stats[i]);
    PositionRecord rec;
    rec.sequence = sequence;
    rec.position = i;
    rec.token = tokens[i];
    rec.nextToken = next[i];
    rec.kl = stats[i].kl;
    rec.js = stats[i].js;
    rec.top1Same = stats[i].top1Same;
    if (stats[i].hasTrue) {
      rec.pTrue = std::exp(stats[i].logPTrue);
      rec.qTrue = std::exp(stats[i].logQTrue);
    }
    out.push_back(rec);
  }
  return {};
}

// compareModels for P given as a function from a sequence index to its logits.
template <typename PLogits>
Status compareWith(PLogits&& pLogits, Transformer& q, const std::vector<std::vector<int>>& sequences,
                   TokenAccumulator& acc, const Work& work, double temperature, std::vector<PositionRecord>* positions) {
  if (!(temperature > 0) || !std::isfinite(temperature))
    return makeError("temperature must be a positive number, got " + std::to_string(temperature));
  const auto vocab = static_cast<std::size_t>(q.config().vocabSize);
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    if (work.cancelled()) return makeError("cancelled");
    const auto& seq = sequences[s];
    // Progress is reported per sequence here; the forward passes only watch for the stop.
    const Work inner{work.stop, {}};
    Result<Matrix> lp = pLogits(s, inner);
    if (!lp) return makeError("sequence " + std::to_string(s + 1) + ": " + lp.error().message);
    auto lq = q.logitsFor(seq, inner);
    if (!lq) return makeError("sequence " + std::to_string(s + 1) + ": " + lq.error().message);
    if (temperature != 1.0) {  // P_T = softmax(z / T) for both models
      lp->array() /= static_cast<float>(temperature);
      lq->array() /= static_cast<float>(temperature);
    }
    std::vector<std::int32_t> next(seq.size(), kNoToken);
    for (std::size_t i = 0; i + 1 < seq.size(); ++i) next[i] = seq[i + 1];
    if (positions) {
      if (auto st = addRowsKeeping(*lp, *lq, next, s, seq, acc, *positions); !st) return st;
    } else if (auto st = acc.addRows({lp->data(), static_cast<std::size_t>(lp->size())},
                                     {lq->data(), static_cast<std::size_t>(lq->size())}, vocab, RowKind::Logits, next);
               !st) {
      return st;
    }
    work.report(static_cast<double>(s + 1), static_cast<double>(sequences.size()));
  }
  return {};
}

}  // namespace

Status compareModels(Transformer& p, Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work, double temperature,
                     std::vector<PositionRecord>* positions) {
  if (p.config().vocabSize != q.config().vocabSize) return makeError("the two models have different vocabularies");
  return compareWith([&](std::size_t s, const Work& w) { return p.logitsFor(sequences[s], w); }, q, sequences, acc,
                     work, temperature, positions);
}

Result<std::vector<Matrix>> referenceLogits(Transformer& p, const std::vector<std::vector<int>>& sequences,
                                            const Work& work) {
  std::vector<Matrix> out;
  out.reserve(sequences.size());
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    if (work.cancelled()) return makeError("cancelled");
    auto l = p.logitsFor(sequences[s], Work{work.stop, {}});
    if (!l) return makeError("sequence " + std::to_string(s + 1) + ": " + l.error().message);
    out.push_back(std::move(l).value());
    work.report(static_cast<double>(s + 1), static_cast<double>(sequences.size()));
  }
  return out;
}

Status compareModels(std::span<const Matrix> pLogits, Transformer& q, const std::vector<std::vector<int>>& sequences,
                     TokenAccumulator& acc, const Work& work, double temperature,
                     std::vector<PositionRecord>* positions) {
  if (pLogits.size() != sequences.size())
    return makeError("P's logits cover " + std::to_string(pLogits.size()) + " sequences, not " +
                     std::to_string(sequences.size()));
  for (std::size_t s = 0; s < sequences.size(); ++s)
    if (pLogits[s].rows() != static_cast<Eigen::Index>(sequences[s].size()) ||
        pLogits[s].cols() != q.config().vocabSize)
      return makeError("P's logits of sequence " + std::to_string(s + 1) + " do not match its length and Q's vocabulary");
  return compareWith([&](std::size_t s, const Work&) -> Result<Matrix> { return pLogits[s]; }, q, sequences, acc,
                     work, temperature, positions);
}

Status compareToLlamaKld(Transformer& q, const LlamaKldFile& base, int bos, TokenAccumulator& acc, const Work& work,
                         std::vector<PositionRecord>* positions) {
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
      if (positions) {
        PositionRecord rec;
        rec.sequence = chunk;
        rec.position = first + r;
        rec.token = stored[first + r];
        rec.nextToken = base.trueNextToken(chunk, r);
        rec.kl = row->kl;
        rec.js = row->js;
        rec.top1Same = row->top1Same;
        if (row->hasTrue) {
          rec.pTrue = std::exp(row->logPTrue);
          rec.qTrue = std::exp(row->logQTrue);
        }
        positions->push_back(rec);
      }
    }
    work.report(static_cast<double>(chunk + 1), base.nChunk());
  }
  return {};
}

Result<RecipeEvaluation> evaluateRecipe(const ModelFiles& files, const Recipe& recipe, Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, double temperature, const Work& work) {
  EvaluateOptions o;
  o.temperature = temperature;
  return evaluateRecipe(files, recipe, p, sequences, reference, o, work);
}

Result<RecipeEvaluation> evaluateRecipe(const ModelFiles& files, const Recipe& recipe, Transformer* p,
                                        const std::vector<std::vector<int>>& sequences,
                                        const LlamaKldFile* reference, const EvaluateOptions& options,
                                        const Work& work) {
  if (reference && options.temperature != 1.0)
    return makeError("a llama.cpp reference file holds probabilities at temperature 1 only");
  // One progress unit over the whole evaluation: the loader's layers (nLayers + 2), then one per
  // sequence (or .kld chunk).
  const double loadSteps = files.config.nLayers + 2.0;
  const double compareSteps = reference ? double(reference->nChunk()) : double(sequences.size());
  const double total = loadSteps + compareSteps;
  const Work loading{work.stop, work.progress ? ProgressFn([&](double done, double all) {
                                                 work.report(all > 0 ? done / all * loadSteps : 0, total);
                                               })
                                             : ProgressFn{}};
  const Work comparing{work.stop, work.progress ? ProgressFn([&](double done, double) {
                                                   work.report(loadSteps + done, total);
                                                 })
                                               : ProgressFn{}};
  auto q = loadQuantized(files, recipe, loading);
  if (!q) return q.error();
  TokenAccumulator acc;
  RecipeEvaluation out;
  std::vector<PositionRecord>* keep = options.keepPositions ? &out.positions : nullptr;
  if (reference) {
    if (auto s = compareToLlamaKld(*q->transformer, *reference, files.bosId(), acc, comparing, keep); !s)
      return s.error();
  } else if (options.pLogits) {
    if (auto s = compareModels(*options.pLogits, *q->transformer, sequences, acc, comparing, options.temperature, keep);
        !s)
      return makeError(files.path + ": " + s.error().message);
  } else {
    if (!p) return makeError("no reference model to compare with");
    if (auto s = compareModels(*p, *q->transformer, sequences, acc, comparing, options.temperature, keep); !s)
      return makeError(files.path + ": " + s.error().message);
  }
  out.summary = acc.summary();
  out.bitsPerParam = q->bitsPerParam;
  out.tensorsTransformed = q->tensorsTransformed;
  return out;
}

std::vector<std::size_t> largestKlPositions(std::span<const PositionRecord> positions, std::size_t k) {
  std::vector<std::size_t> order(positions.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  k = std::min(k, order.size());
  // NaN never occurs (compareRow rejects NaN input); +∞ compares above every finite value.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      if (positions[a].kl != positions[b].kl) return positions[a].kl > positions[b].kl;
                      return a < b;
                    });
  order.resize(k);
  return order;
}

Histogram klHistogram(std::span<const PositionRecord> positions, std::size_t bins) {
  std::vector<float> values;
  values.reserve(positions.size());
  double hi = 0;
  std::uint64_t infinite = 0;
  for (const PositionRecord& r : positions) {
    if (std::isinf(r.kl)) {
      ++infinite;
      continue;
    }
    values.push_back(static_cast<float>(r.kl));
    hi = std::max(hi, r.kl);
  }
  Histogram h = computeHistogram(values, std::max<std::size_t>(bins, 1),
                                 std::make_pair(0.0, hi > 0 ? static_cast<double>(static_cast<float>(hi)) : 1.0));
  h.inf = infinite;
  return h;
}

PositionFigures positionFigures(std::span<const PositionRecord> positions, std::size_t bins, std::size_t top) {
  return PositionFigures{klHistogram(positions, bins), largestKlPositions(positions, top)};
}

std::uint64_t parameterCount(const ModelFiles& files) {
  std::uint64_t n = 0;
  if (!files.reader) return 0;
  std::set<std::string> seen;
  for (const std::string& canonical : canonicalWeightNames(files.config)) {
    const std::string name = files.fileTensorName(canonical);
    const auto index = files.reader->find(name);
    if (!index || !seen.insert(name).second) continue;
    if (auto c = checkedElementCount(files.reader->tensors()[*index].shape)) n += *c;
  }
  return n;
}

}  // namespace quench::eval
