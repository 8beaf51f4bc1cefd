#include "core/eval/layer_stream.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "core/divergence/token_summary.h"
#include "core/model/decoder.h"

namespace quench::eval {

using model::Decoder;
using model::KvCache;
using model::LayerWeights;
using model::Matrix;
using model::ModelFiles;
using model::ModelWeights;
using model::SequenceRows;
using model::TensorOverride;

const char* depthModeName(DepthMode mode) { return mode == DepthMode::Isolated ? "isolated" : "propagated"; }

namespace {

// Rows of the logits computed at a time: bounds the (rows, vocab) float matrices of P and Q (64
// rows of a 128256-token vocabulary: 33 MB each).
constexpr int kLogitRows = 64;

// Q's weights: each tensor a rule selects is read as float32 and replaced by quantizeTensor's
// reconstruction (what loadQuantized does); every other tensor stays as stored (nullopt: the
// loader takes a view). The storage figures are those of loadQuantized: every weight the runtime
// loads counts once, untouched ones at 32 bits, summed in the order the loaders first ask for
// them (the order loadTransformer fetches them in), so bitsPerParam is the same double.
class QuantizingOverride {
 public:
  QuantizingOverride(const ModelFiles& files, const Recipe& recipe, const Work& work)
      : m_files(files), m_recipe(recipe), m_quiet{work.stop, {}} {}

  // Record that the loader asked for `canonical` (its place in the figures' order) without
  // computing it now (Q's classifier, quantized after the embedding has been dropped).
  void defer(const std::string& canonical) { note(canonical); }

  Result<std::optional<FloatTensor>> operator()(const std::string& canonical) {
    const std::string name = m_files.fileTensorName(canonical);
    const auto index = m_files.reader->find(name);
    if (!index) return std::optional<FloatTensor>{};  // the loader names the missing tensor
    const TensorInfo& info = m_files.reader->tensors()[*index];
    Entry& e = note(canonical);
    const auto count = checkedElementCount(info.shape);
    const double n = count ? static_cast<double>(*count) : 0.0;
    const auto rule = matchRule(m_recipe, name, info.shape.size());
    if (!rule) {
      e.params = n;
      e.bits = 32.0 * n;  // kept as stored, counted as float32 like loadQuantized
      e.done = true;
      return std::optional<FloatTensor>{};
    }
    auto t = m_files.reader->readFloat(*index, m_quiet);
    if (!t) return t.error();
    auto q = quantizeTensor(*t, m_recipe.rules[*rule].params, m_quiet);
    if (!q) return makeError(m_files.path + ": '" + name + "': " + q.error().message);
    if (q->reconstruction.size() != t->values.size())
      return makeError(m_files.path + ": '" + name + "': reconstruction has the wrong size");
    const double tn = static_cast<double>(t->values.size());
    if (!e.done) {
      e.params = tn;
      e.bits = q->total.bitsPerParam * tn;
      e.transformed = true;
      e.done = true;
    }
    t->values = std::move(q->reconstruction);
    return std::optional<FloatTensor>(std::move(t).value());
  }

  double bitsPerParam() const {
    double bits = 0.0, params = 0.0;
    for (const std::string& name : m_order) {
      const Entry& e = m_entries.at(name);
      params += e.params;
      bits += e.bits;
    }
    return params > 0 ? bits / params : 32.0;
  }
  std::size_t transformed() const {
    std::size_t n = 0;
    for (const auto& [name, e] : m_entries) n += e.transformed;
    return n;
  }

 private:
  struct Entry {
    double params = 0, bits = 0;
    bool transformed = false, done = false;
  };
  Entry& note(const std::string& canonical) {
    auto [it, fresh] = m_entries.try_emplace(canonical);
    if (fresh) m_order.push_back(canonical);
    return it->second;
  }

  const ModelFiles& m_files;
  const Recipe& m_recipe;
  Work m_quiet;
  std::map<std::string, Entry> m_entries;
  std::vector<std::string> m_order;
};

// A block of the batch: whole sequences packed up to block rows, or one block of a longer
// sequence (then `longSeq` indexes the KV caches of that sequence).
struct Unit {
  std::vector<SequenceRows> seqs;       // rows of the block; startPos > 0 for later blocks
  std::vector<std::size_t> seqIndex;    // the evaluated sequence of each entry of seqs
  std::size_t firstRow = 0;             // evaluation-order index of the block's first row
  int rows = 0;
  int longSeq = -1;
  Matrix xp, xq;                        // residual streams of P and Q, (rows, dim)
};

// Per mode and layer: the per-position figures of the layer, in evaluation order.
struct LayerCells {
  std::vector<double> relErr, cosine;
  TokenAccumulator lens;
};

LayerDepth reduceLayer(int layer, LayerCells& c) {
  LayerDepth d;
  d.layer = layer;
  const std::size_t n = c.relErr.size();
  if (n == 0) return d;
  std::vector<double> sorted = c.relErr;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : c.relErr) sum += v;
  d.relErrMean = sum / static_cast<double>(n);
  d.relErrMedian = quantileSorted(sorted, 0.5);
  d.relErrP90 = quantileSorted(sorted, 0.9);
  d.relErrP99 = quantileSorted(sorted, 0.99);
  d.relErrMax = sorted.back();
  double cs = 0, cmin = std::numeric_limits<double>::infinity();
  for (double v : c.cosine) {
    cs += v;
    cmin = std::min(cmin, v);
  }
  d.cosineMean = cs / static_cast<double>(n);
  d.cosineMin = cmin;
  const TokenSummary s = c.lens.summary();
  d.lensKlMean = s.klMean;
  d.lensKlMedian = s.klMedian;
  d.lensKlP90 = s.klP90;
  d.lensKlP99 = s.klP99;
  d.lensKlMax = s.klMax;
  d.lensKlInfinite = s.klInfinite;
  return d;
}

// Relative error and cosine of every row of hq against hp (sums in double). A zero row of P
// gives r = 0 when Q's row is zero too, else +∞; a zero row on either side has cosine 1 when
// both are zero, else 0.
void rowErrors(const Matrix& hp, const Matrix& hq, double* relErr, double* cosine) {
  tbb::parallel_for(tbb::blocked_range<Eigen::Index>(0, hp.rows(), 8), [&](const tbb::blocked_range<Eigen::Index>& r) {
    for (Eigen::Index i = r.begin(); i != r.end(); ++i) {
      const float* p = hp.row(i).data();
      const float* q = hq.row(i).data();
      double pp = 0, qq = 0, pq = 0, dd = 0;
      for (Eigen::Index j = 0; j < hp.cols(); ++j) {
        const double a = p[j], b = q[j], d = b - a;
        pp += a * a;
        qq += b * b;
        pq += a * b;
        dd += d * d;
      }
      relErr[i] = pp > 0 ? std::sqrt(dd) / std::sqrt(pp) : (dd > 0 ? std::numeric_limits<double>::infinity() : 0.0);
      cosine[i] = (pp > 0 && qq > 0) ? pq / (std::sqrt(pp) * std::sqrt(qq)) : (pp == qq ? 1.0 : 0.0);
    }
  });
}

// compareRow of rows [0, n) of lp and lq in parallel; stats[i] filled, or the first error.
Status compareRows(const Matrix& lp, const Matrix& lq, std::span<const std::int32_t> next, std::vector<RowStats>& stats) {
  const auto rows = static_cast<std::size_t>(lp.rows());
  const auto vocab = static_cast<std::size_t>(lp.cols());
  stats.assign(rows, RowStats{});
  std::vector<std::string> errors(rows);
  std::atomic<bool> failed{false};
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, 16), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end() && !failed.load(std::memory_order_relaxed); ++i) {
      const auto row = static_cast<Eigen::Index>(i);
      auto st = compareRow({lp.row(row).data(), vocab}, {lq.row(row).data(), vocab}, RowKind::Logits,
                           next.empty() ? kNoToken : next[i]);
      if (!st) {
        errors[i] = st.error().message;
        failed = true;
        return;
      }
      stats[i] = *st;
    }
  });
  if (failed)
    for (const std::string& e : errors)
      if (!e.empty()) return makeError(e);
  return {};
}

// Σ v and Σ v² of v = −ln p(true) for both models, in row order (llama-perplexity's nll, nll2).
struct NllSums {
  std::size_t count = 0;
  double p = 0, p2 = 0, q = 0, q2 = 0;
  void add(const RowStats& s) {
    if (!s.hasTrue) return;
    ++count;
    p += -s.logPTrue;
    p2 += s.logPTrue * s.logPTrue;
    q += -s.logQTrue;
    q2 += s.logQTrue * s.logQTrue;
  }
  static void finish(std::size_t n, double sum, double sum2, double& ppl, double& error) {
    const double mean = sum / static_cast<double>(n);
    ppl = std::exp(mean);
    const double var = sum2 / static_cast<double>(n) - mean * mean;
    error = (n > 1 && var > 0) ? std::sqrt(var / static_cast<double>(n - 1)) * ppl : 0.0;
  }
  PerplexityEstimate estimate() const {
    PerplexityEstimate e;
    e.count = count;
    if (count == 0) return e;
    finish(count, p, p2, e.pplP, e.pplPError);
    finish(count, q, q2, e.pplQ, e.pplQError);
    return e;
  }
};

PositionRecord record(std::size_t sequence, std::size_t position, int token, std::int32_t next, const RowStats& s) {
  PositionRecord rec;
  rec.sequence = sequence;
  rec.position = position;
  rec.token = token;
  rec.nextToken = next;
  rec.kl = s.kl;
  rec.js = s.js;
  rec.top1Same = s.top1Same;
  if (s.hasTrue) {
    rec.pTrue = std::exp(s.logPTrue);
    rec.qTrue = std::exp(s.logQTrue);
  }
  return rec;
}

// Pack the sequences into blocks (see Unit); empty sequences have no rows and no block.
std::vector<Unit> packUnits(const std::vector<std::vector<int>>& sequences, int block, int& longCount) {
  std::vector<Unit> units;
  longCount = 0;
  Unit open;
  std::size_t row = 0;
  auto flush = [&] {
    if (open.rows > 0) units.push_back(std::move(open));
    open = Unit{};
    open.firstRow = row;
  };
  open.firstRow = 0;
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    const int n = static_cast<int>(sequences[s].size());
    if (n == 0) continue;
    if (n > block) {
      flush();
      for (int b0 = 0; b0 < n; b0 += block) {
        Unit u;
        u.firstRow = row;
        u.rows = std::min(block, n - b0);
        u.seqs.push_back(SequenceRows{0, u.rows, b0});
        u.seqIndex.push_back(s);
        u.longSeq = longCount;
        row += static_cast<std::size_t>(u.rows);
        units.push_back(std::move(u));
      }
      ++longCount;
      open.firstRow = row;
      continue;
    }
    if (open.rows + n > block) flush();
    open.seqs.push_back(SequenceRows{open.rows, n, 0});
    open.seqIndex.push_back(s);
    open.rows += n;
    row += static_cast<std::size_t>(n);
  }
  flush();
  return units;
}

// The token ids of a block's rows, in row order.
std::vector<int> unitTokens(const Unit& u, const std::vector<std::vector<int>>& sequences) {
  std::vector<int> ids;
  ids.reserve(static_cast<std::size_t>(u.rows));
  for (std::size_t k = 0; k < u.seqs.size(); ++k) {
    const auto& seq = sequences[u.seqIndex[k]];
    const auto b = seq.begin() + u.seqs[k].startPos;
    ids.insert(ids.end(), b, b + u.seqs[k].count);
  }
  return ids;
}

}  // namespace

Result<StreamedEvaluation> evaluateStreamed(const ModelFiles& files, const Recipe& recipe,
                                            const std::vector<std::vector<int>>& sequences,
                                            const LlamaKldFile* reference, const StreamedOptions& options,
                                            const Work& work) {
  const model::ModelConfig& c = files.config;
  if (auto s = model::validateConfig(c, files.path); !s) return s.error();
  const double temperature = options.temperature;
  if (!(temperature > 0) || !std::isfinite(temperature))
    return makeError("temperature must be a positive number, got " + std::to_string(temperature));
  if (reference && temperature != 1.0)
    return makeError("a llama.cpp reference file holds probabilities at temperature 1 only");
  const bool depth = options.propagated || options.isolated;
  if (reference && depth)
    return makeError("per-layer figures compare with the original model's activations, which a llama.cpp "
                     "reference file does not hold: evaluate on text, tokens or samples");
  const bool withP = reference == nullptr;

  // What is evaluated: the sequences, or the reference's chunks with their first token replaced
  // by BOS (llama-perplexity evaluates every chunk so).
  std::vector<std::vector<int>> kldChunks;
  if (reference) {
    if (reference->nVocab() != c.vocabSize)
      return makeError(reference->name() + ": vocabulary of " + std::to_string(reference->nVocab()) +
                       ", the model has " + std::to_string(c.vocabSize));
    if (reference->nCtx() > c.seqLen)
      return makeError(reference->name() + ": n_ctx " + std::to_string(reference->nCtx()) +
                       " exceeds the model's context of " + std::to_string(c.seqLen));
    for (std::size_t k = 0; k < static_cast<std::size_t>(reference->nChunk()); ++k) {
      const auto stored = reference->chunkTokens(k);
      std::vector<int> t(stored.begin(), stored.end());
      if (!t.empty()) t[0] = files.bosId();
      kldChunks.push_back(std::move(t));
    }
  }
  const std::vector<std::vector<int>>& seqs = reference ? kldChunks : sequences;
  const std::string where = reference ? reference->name() : files.path;
  for (std::size_t s = 0; s < seqs.size(); ++s) {
    const std::string what = reference ? "chunk " + std::to_string(s) : "sequence " + std::to_string(s + 1);
    if (seqs[s].size() > static_cast<std::size_t>(c.seqLen))
      return makeError(where + ": " + what + ": " + std::to_string(seqs[s].size()) +
                       " tokens exceed the model's context of " + std::to_string(c.seqLen));
    for (std::size_t i = 0; i < seqs[s].size(); ++i)
      if (seqs[s][i] < 0 || seqs[s][i] >= c.vocabSize)
        return makeError(where + ": " + what + ": token id " + std::to_string(seqs[s][i]) + " at position " +
                         std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(c.vocabSize) + ")");
  }

  const double total = c.nLayers + 3.0;
  const Work inner{work.stop, {}};
  auto cancelled = [&]() -> Error { return makeError("cancelled"); };

  int longCount = 0;
  if (options.blockTokens < 1) return makeError("blocks of at least one position are needed");
  std::vector<Unit> units = packUnits(seqs, options.blockTokens, longCount);
  std::size_t positions = 0;
  for (const Unit& u : units) positions += static_cast<std::size_t>(u.rows);

  Decoder decP(c), decQ(c);
  QuantizingOverride quantize(files, recipe, work);

  // Embeddings. P's weights are views of the mapped file (also when P is not run: they are how
  // the pages Q's reads touched are handed back); its embedding's pages are released once every
  // block is embedded.
  ModelWeights globalsP;
  {
    auto g = model::loadModelWeights(files);
    if (!g) return g.error();
    globalsP = std::move(g).value();
  }
  if (withP)
    for (Unit& u : units)
      if (auto s = decP.embed(globalsP, unitTokens(u, seqs), u.xp); !s) return makeError(where + ": " + s.error().message);
  globalsP.embedding.releasePages();
  if (work.cancelled()) return cancelled();
  // Q's embedding (reconstructed when a rule selects it), used and dropped before Q's classifier
  // is reconstructed, so the two never take memory together (unless tied: then they are one).
  ModelWeights globalsQ;
  {
    TensorOverride first = [&](const std::string& name) -> Result<std::optional<FloatTensor>> {
      if (name == "output.weight" && !c.sharedClassifier) {
        quantize.defer(name);
        return std::optional<FloatTensor>{};
      }
      return quantize(name);
    };
    auto g = model::loadModelWeights(files, first);
    if (!g) return g.error();
    for (Unit& u : units)
      if (auto s = decQ.embed(*g, unitTokens(u, seqs), u.xq); !s) return makeError(where + ": " + s.error().message);
    g->embedding.releasePages();
    globalsP.embedding.releasePages();  // the pages a reconstruction's read touched
    if (c.sharedClassifier) globalsQ = std::move(g).value();
  }
  work.report(1, total);
  if (work.cancelled()) return cancelled();
  if (!c.sharedClassifier) {
    TensorOverride head = [&](const std::string& name) -> Result<std::optional<FloatTensor>> {
      if (name == "token_embd.weight") return std::optional<FloatTensor>{};  // a view: not used again
      return quantize(name);
    };
    auto g = model::loadModelWeights(files, head);
    if (!g) return g.error();
    globalsQ = std::move(g).value();
    globalsQ.embedding = model::WeightMatrix();
    globalsP.embedding.releasePages();  // the loader's finiteness check read them again
    globalsP.output.releasePages();
  }
  work.report(2, total);

  // Depth profiles: [0] propagated, [1] isolated (when asked for).
  const bool modeOn[2] = {options.propagated, options.isolated};
  std::vector<DepthProfile> profiles(2);
  profiles[0].mode = DepthMode::Propagated;
  profiles[1].mode = DepthMode::Isolated;
  for (DepthProfile& p : profiles) {
    p.positions = positions;
    if (options.keepDepthCells) {
      const std::size_t cells = positions * static_cast<std::size_t>(c.nLayers);
      p.relErr.resize(cells);
      p.cosine.resize(cells);
      p.lensKl.resize(cells);
    }
  }

  Matrix xi, lp, lq;
  std::vector<RowStats> stats;
  for (int l = 0; l < c.nLayers; ++l) {
    if (work.cancelled()) return cancelled();
    // P's layer: views (loaded also when P is not run, to hand back the pages Q's reads touch).
    auto wp = model::loadLayerWeights(files, l);
    if (!wp) return wp.error();
    auto wq = model::loadLayerWeights(files, l, std::ref(quantize));
    if (!wq) return wq.error();
    if (work.cancelled()) return cancelled();
    // KV caches of this layer for the sequences longer than a block (P, Q, and Q fed P's input).
    std::vector<KvCache> cacheP, cacheQ, cacheI;
    for (int k = 0; k < longCount; ++k) {
      cacheP.emplace_back(c);
      cacheQ.emplace_back(c);
      cacheI.emplace_back(c);
    }
    LayerCells cells[2];
    for (LayerCells& lc : cells) {
      lc.relErr.resize(positions);
      lc.cosine.resize(positions);
    }
    for (Unit& u : units) {
      if (work.cancelled()) return cancelled();
      KvCache* cp = u.longSeq >= 0 ? &cacheP[static_cast<std::size_t>(u.longSeq)] : nullptr;
      KvCache* cq = u.longSeq >= 0 ? &cacheQ[static_cast<std::size_t>(u.longSeq)] : nullptr;
      KvCache* ci = u.longSeq >= 0 ? &cacheI[static_cast<std::size_t>(u.longSeq)] : nullptr;
      auto span = [](KvCache*& k) { return k ? std::span<KvCache* const>(&k, 1) : std::span<KvCache* const>(); };
      if (options.isolated) xi = u.xp;  // h^P_{l−1}
      if (withP)
        if (auto s = decP.runLayer(*wp, l, u.xp, u.seqs, span(cp), {}, inner); !s)
          return makeError(where + ": " + s.error().message);
      if (auto s = decQ.runLayer(*wq, l, u.xq, u.seqs, span(cq), {}, inner); !s)
        return makeError(where + ": " + s.error().message);
      if (options.isolated)
        if (auto s = decQ.runLayer(*wq, l, xi, u.seqs, span(ci), {}, inner); !s)
          return makeError(where + ": " + s.error().message);
      if (!depth) continue;
      for (int m = 0; m < 2; ++m)
        if (modeOn[m])
          rowErrors(u.xp, m == 0 ? u.xq : xi, cells[m].relErr.data() + u.firstRow, cells[m].cosine.data() + u.firstRow);
      // Logit lens: each model's own head on the block's rows, kLogitRows at a time.
      for (int r0 = 0; r0 < u.rows; r0 += kLogitRows) {
        std::vector<int> rows(static_cast<std::size_t>(std::min(kLogitRows, u.rows - r0)));
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = r0 + static_cast<int>(i);
        decP.logits(globalsP, u.xp, rows, lp);
        if (temperature != 1.0) lp.array() /= static_cast<float>(temperature);
        for (int m = 0; m < 2; ++m) {
          if (!modeOn[m]) continue;
          decQ.logits(globalsQ, m == 0 ? u.xq : xi, rows, lq);
          if (temperature != 1.0) lq.array() /= static_cast<float>(temperature);
          if (auto s = compareRows(lp, lq, {}, stats); !s)
            return makeError(where + ": layer " + std::to_string(l + 1) + " logit lens: " + s.error().message);
          for (const RowStats& st : stats) cells[m].lens.add(st);
        }
      }
    }
    wp->releasePages();
    wq->releasePages();
    if (depth) {
      for (int m = 0; m < 2; ++m) {
        if (!modeOn[m]) continue;
        DepthProfile& p = profiles[static_cast<std::size_t>(m)];
        if (options.keepDepthCells) {
          const std::size_t at = static_cast<std::size_t>(l) * positions;
          std::copy(cells[m].relErr.begin(), cells[m].relErr.end(), p.relErr.begin() + static_cast<std::ptrdiff_t>(at));
          std::copy(cells[m].cosine.begin(), cells[m].cosine.end(), p.cosine.begin() + static_cast<std::ptrdiff_t>(at));
          const auto kl = cells[m].lens.klValues();
          std::copy(kl.begin(), kl.end(), p.lensKl.begin() + static_cast<std::ptrdiff_t>(at));
        }
        p.layers.push_back(reduceLayer(l + 1, cells[m]));
      }
    }
    work.report(3 + l, total);
  }

  // The models' own next-token distributions, compared row by row in evaluation order.
  TokenAccumulator acc;
  NllSums nll;
  StreamedEvaluation out;
  std::vector<PositionRecord>* keep = options.keepPositions ? &out.evaluation.positions : nullptr;
  std::vector<float> baseRow(reference ? static_cast<std::size_t>(c.vocabSize) : 0);
  for (const Unit& u : units) {
    if (work.cancelled()) return cancelled();
    // (sequence, position) of every row of the block that is scored.
    std::vector<int> rows;
    std::vector<std::size_t> rowSeq;
    std::vector<int> rowPos;
    for (std::size_t k = 0; k < u.seqs.size(); ++k) {
      const SequenceRows& q = u.seqs[k];
      for (int i = 0; i < q.count; ++i) {
        const int pos = q.startPos + i;
        if (options.llamaPerplexityRows) {
          const int n = static_cast<int>(seqs[u.seqIndex[k]].size());
          if (pos < n / 2 || pos > n - 2) continue;
        }
        if (reference) {
          const auto first = static_cast<int>(reference->firstScoredPosition());
          if (pos < first || pos >= first + static_cast<int>(reference->rowsPerChunk())) continue;
        }
        rows.push_back(q.firstRow + i);
        rowSeq.push_back(u.seqIndex[k]);
        rowPos.push_back(pos);
      }
    }
    for (std::size_t r0 = 0; r0 < rows.size(); r0 += kLogitRows) {
      const std::size_t n = std::min<std::size_t>(kLogitRows, rows.size() - r0);
      const std::span<const int> chunk(rows.data() + r0, n);
      decQ.logits(globalsQ, u.xq, chunk, lq);
      if (reference) {
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t chunkIndex = rowSeq[r0 + i];
          const auto r = static_cast<std::size_t>(rowPos[r0 + i]) - reference->firstScoredPosition();
          reference->decodeRow(chunkIndex, r, baseRow);
          const auto next = reference->trueNextToken(chunkIndex, r);
          auto row = compareRowToLlamaBase(baseRow, {lq.row(static_cast<Eigen::Index>(i)).data(), baseRow.size()},
                                           RowKind::Logits, next);
          if (!row)
            return makeError(reference->name() + ": chunk " + std::to_string(chunkIndex) + " row " + std::to_string(r) +
                             ": " + row.error().message);
          acc.add(*row);
          nll.add(*row);
          if (keep)
            keep->push_back(record(chunkIndex, static_cast<std::size_t>(rowPos[r0 + i]),
                                   reference->chunkTokens(chunkIndex)[static_cast<std::size_t>(rowPos[r0 + i])], next, *row));
        }
        continue;
      }
      decP.logits(globalsP, u.xp, chunk, lp);
      if (temperature != 1.0) {  // P_T = softmax(z / T) for both models
        lp.array() /= static_cast<float>(temperature);
        lq.array() /= static_cast<float>(temperature);
      }
      std::vector<std::int32_t> next(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& seq = seqs[rowSeq[r0 + i]];
        const auto pos = static_cast<std::size_t>(rowPos[r0 + i]);
        next[i] = pos + 1 < seq.size() ? seq[pos + 1] : kNoToken;
      }
      if (auto s = compareRows(lp, lq, next, stats); !s)
        return makeError(files.path + ": sequence " + std::to_string(rowSeq[r0] + 1) + ": " + s.error().message);
      for (std::size_t i = 0; i < n; ++i) {
        acc.add(stats[i]);
        nll.add(stats[i]);
        if (keep) {
          const auto& seq = seqs[rowSeq[r0 + i]];
          const auto pos = static_cast<std::size_t>(rowPos[r0 + i]);
          keep->push_back(record(rowSeq[r0 + i], pos, seq[pos], next[i], stats[i]));
        }
      }
    }
  }
  globalsP.output.releasePages();
  globalsQ.output.releasePages();
  work.report(total, total);

  out.evaluation.summary = acc.summary();
  out.perplexity = nll.estimate();
  if (reference) out.perplexity.pplP = out.perplexity.pplPError = std::numeric_limits<double>::quiet_NaN();
  out.evaluation.bitsPerParam = quantize.bitsPerParam();
  out.evaluation.tensorsTransformed = quantize.transformed();
  for (int m = 0; m < 2; ++m)
    if (modeOn[m]) out.depth.push_back(std::move(profiles[static_cast<std::size_t>(m)]));
  return out;
}

}  // namespace quench::eval
