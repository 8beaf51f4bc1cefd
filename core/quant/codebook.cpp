#include "core/quant/codebook.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>

#include "core/exec/parallel.h"
#include "core/simd/codebook_kernels.h"

namespace quench {

namespace {

// NF4 levels, MATH.md §4 (QLoRA / bitsandbytes), as float literals.
constexpr float kNf4[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

int bitsFor(std::size_t levels) {
  int b = 0;
  while ((std::size_t{1} << b) < levels) ++b;
  return b;
}

// Blocks handed to one task: ~16k elements, whole blocks, so results do not depend on threads.
std::size_t blocksPerChunk(std::size_t blockSize) { return std::max<std::size_t>(1, 16384 / blockSize); }

std::uint8_t indexOf(float xn, const std::vector<float>& mids) {
  std::size_t k = 0;
  while (k < mids.size() && xn > mids[k]) ++k;
  return static_cast<std::uint8_t>(k);
}

Status validate(const Codebook& c) {
  if (c.levels.size() < 2 || c.levels.size() > 256)
    return makeError("codebook \"" + c.name + "\": needs 2..256 levels, has " + std::to_string(c.levels.size()));
  for (std::size_t i = 0; i < c.levels.size(); ++i) {
    if (!std::isfinite(c.levels[i])) return makeError("codebook \"" + c.name + "\": level " + std::to_string(i) + " is not finite");
    if (i > 0 && !(c.levels[i - 1] < c.levels[i]))
      return makeError("codebook \"" + c.name + "\": levels must be strictly ascending (level " + std::to_string(i) + ")");
  }
  if (c.storedCode.size() != c.levels.size())
    return makeError("codebook \"" + c.name + "\": storedCode and levels differ in length");
  return {};
}

// One block that holds NaN or ±inf: absmax over its finite values, NaN → zero level, ±inf → the
// extreme levels; finite values exactly as the kernel treats them.
void quantizeNonFiniteBlock(const float* x, std::size_t len, const Codebook& c, const std::vector<float>& mids,
                            std::uint8_t* index, float* absmax, float* recon) {
  float a = 0.0f;
  for (std::size_t i = 0; i < len; ++i)
    if (std::isfinite(x[i])) a = std::max(a, std::fabs(x[i]));
  *absmax = a;
  const auto top = static_cast<std::uint8_t>(c.levels.size() - 1);
  for (std::size_t i = 0; i < len; ++i) {
    std::uint8_t k;
    if (std::isnan(x[i]))
      k = c.zeroIndex();
    else if (std::isinf(x[i]))
      k = x[i] > 0 ? top : 0;
    else
      k = a == 0.0f ? c.zeroIndex() : indexOf(x[i] / a, mids);
    index[i] = k;
    recon[i] = a * c.levels[k];
  }
}

LevelOccupancy occupancy(std::string name, std::vector<float> levels, std::span<const float> xn) {
  LevelOccupancy o;
  o.name = std::move(name);
  o.levels = std::move(levels);
  for (std::size_t i = 0; i + 1 < o.levels.size(); ++i)
    o.boundaries.push_back(static_cast<float>((static_cast<double>(o.levels[i]) + o.levels[i + 1]) / 2));
  std::vector<std::uint64_t> counts(o.levels.size(), 0);
  std::uint64_t total = 0;
  for (float v : xn) {
    if (!std::isfinite(v)) continue;
    ++counts[indexOf(v, o.boundaries)];
    ++total;
  }
  o.ideal = 1.0 / static_cast<double>(o.levels.size());
  o.fraction.resize(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double f = total ? static_cast<double>(counts[i]) / static_cast<double>(total) : 0.0;
    o.fraction[i] = f;
    if (f > 0) o.entropyBits -= f * std::log2(f);
  }
  return o;
}

}  // namespace

std::vector<float> Codebook::midpoints() const {
  std::vector<float> m;
  for (std::size_t i = 0; i + 1 < levels.size(); ++i)
    m.push_back(static_cast<float>((static_cast<double>(levels[i]) + static_cast<double>(levels[i + 1])) / 2));
  return m;
}

std::uint8_t Codebook::zeroIndex() const {
  std::size_t best = 0;
  for (std::size_t i = 1; i < levels.size(); ++i)
    if (std::fabs(levels[i]) < std::fabs(levels[best])) best = i;
  return static_cast<std::uint8_t>(best);
}

Codebook nf4Codebook() {
  Codebook c;
  c.name = "nf4";
  c.levels.assign(std::begin(kNf4), std::end(kNf4));
  for (std::uint8_t i = 0; i < 16; ++i) c.storedCode.push_back(i);
  c.bits = 4;
  return c;
}

Codebook fp4BnbCodebook() {
  // magnitude of each 3-bit pattern, in units of 1/12
  constexpr double kMagnitude[8] = {0, 0.0625, 8, 12, 4, 6, 2, 3};
  std::vector<std::pair<float, std::uint8_t>> v;
  for (std::uint8_t p = 0; p < 8; ++p) {
    const auto m = static_cast<float>(kMagnitude[p] / 12.0);
    v.emplace_back(m, p);
    if (p != 0) v.emplace_back(-m, static_cast<std::uint8_t>(p | 8u));  // −0 (1000) is the same level as +0
  }
  std::sort(v.begin(), v.end());
  Codebook c;
  c.name = "fp4";
  for (const auto& [m, p] : v) {
    c.levels.push_back(m);
    c.storedCode.push_back(p);
  }
  c.bits = 4;
  return c;
}

Result<Codebook> makeCodebook(std::string name, std::vector<float> values) {
  std::sort(values.begin(), values.end());
  Codebook c;
  c.name = std::move(name);
  c.levels = std::move(values);
  for (std::size_t i = 0; i < c.levels.size() && i < 256; ++i) c.storedCode.push_back(static_cast<std::uint8_t>(i));
  c.bits = bitsFor(c.levels.size());
  if (Status s = validate(c); !s) return s.error();
  return c;
}

Result<Codebook> namedCodebook(std::string_view name) {
  std::string s(name);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s == "nf4") return nf4Codebook();
  if (s == "fp4" || s == "fp4_bnb") return fp4BnbCodebook();
  return makeError("codebook \"" + std::string(name) + "\": unknown (expected nf4 or fp4)");
}

double codebookBitsPerParam(int bits, std::size_t blockSize, bool doubleQuant, std::size_t dqBlockSize) {
  const auto B = static_cast<double>(blockSize);
  if (!doubleQuant) return bits + 32.0 / B;
  return bits + 8.0 / B + 32.0 / (static_cast<double>(dqBlockSize) * B);
}

DoubleQuant doubleQuantize(std::span<const float> absmax, std::size_t dqBlockSize) {
  DoubleQuant dq;
  if (absmax.empty() || dqBlockSize == 0) return dq;
  double sum = 0;
  for (float a : absmax) sum += a;
  dq.mean = static_cast<float>(sum / static_cast<double>(absmax.size()));
  const double mu = dq.mean;
  dq.codes.resize(absmax.size());
  dq.absmax.resize(absmax.size());
  for (std::size_t g = 0; g < absmax.size(); g += dqBlockSize) {
    const std::size_t hi = std::min(absmax.size(), g + dqBlockSize);
    double m = 0;
    for (std::size_t k = g; k < hi; ++k) m = std::max(m, std::fabs(static_cast<double>(absmax[k]) - mu));
    const auto s = static_cast<float>(m / 127.0);
    dq.scales.push_back(s);
    for (std::size_t k = g; k < hi; ++k) {
      double q = 0;
      if (s > 0) q = std::clamp(std::nearbyint((static_cast<double>(absmax[k]) - mu) / static_cast<double>(s)), -127.0, 127.0);
      dq.codes[k] = static_cast<std::int8_t>(q);
      dq.absmax[k] = static_cast<float>(static_cast<double>(s) * q + mu);
    }
  }
  return dq;
}

Status codebookTransform(std::span<const float> x, const Codebook& c, std::size_t blockSize,
                         std::span<std::uint8_t> index, std::span<float> absmax, std::span<float> recon) {
  if (blockSize == 0) return makeError("codebook quantization: block size must be ≥ 1");
  if (Status s = validate(c); !s) return s;
  const std::size_t n = x.size(), nb = (n + blockSize - 1) / blockSize;
  if (index.size() != n || recon.size() != n || absmax.size() != nb)
    return makeError("codebook quantization: output buffers do not match the input size");
  const std::vector<float> mids = c.midpoints();
  const std::uint8_t zero = c.zeroIndex();
  exec::parallelFor(0, nb, blocksPerChunk(blockSize), [&](exec::Range r) {
    const std::size_t lo = r.begin * blockSize, hi = std::min(n, r.end * blockSize);
    simd::codebookQuantizeBlocks(x.data() + lo, hi - lo, blockSize, c.levels.data(), mids.data(), c.levels.size(),
                                 zero, index.data() + lo, absmax.data() + r.begin, recon.data() + lo);
  });
  return {};
}

Result<CodebookResult> quantizeCodebook(std::span<const float> x, const CodebookParams& p, const Work& work) {
  const Codebook& c = p.codebook;
  if (p.blockSize == 0) return makeError("codebook quantization: block size must be ≥ 1");
  if (p.doubleQuant && p.dqBlockSize == 0) return makeError("codebook quantization: double-quantization block size must be ≥ 1");
  if (Status s = validate(c); !s) return s.error();
  const std::size_t n = x.size(), B = p.blockSize, nb = (n + B - 1) / B;
  const std::vector<float> mids = c.midpoints();
  const std::uint8_t zero = c.zeroIndex();

  CodebookResult r;
  std::vector<std::uint8_t> index(n);
  r.absmax.resize(nb);
  r.reconstruction.resize(n);
  std::atomic<std::size_t> done{0};
  exec::parallelFor(0, nb, blocksPerChunk(B), [&](exec::Range range) {
    if (work.cancelled()) return;
    for (std::size_t b = range.begin; b != range.end; ++b) {
      const std::size_t lo = b * B, len = std::min(B, n - lo);
      const bool finite = std::all_of(x.begin() + lo, x.begin() + lo + len, [](float v) { return std::isfinite(v); });
      if (finite)
        simd::codebookQuantizeBlocks(x.data() + lo, len, B, c.levels.data(), mids.data(), c.levels.size(), zero,
                                     index.data() + lo, r.absmax.data() + b, r.reconstruction.data() + lo);
      else
        quantizeNonFiniteBlock(x.data() + lo, len, c, mids, index.data() + lo, r.absmax.data() + b,
                               r.reconstruction.data() + lo);
    }
    const std::size_t d = done.fetch_add(range.size()) + range.size();
    work.report(static_cast<double>(d), static_cast<double>(nb));
  });
  if (work.cancelled()) return makeError("codebook quantization: cancelled");

  const std::vector<float>* scaleUsed = &r.absmax;
  if (p.doubleQuant) {
    r.doubleQuantized = true;
    r.dq = doubleQuantize(r.absmax, p.dqBlockSize);
    scaleUsed = &r.dq.absmax;
    exec::parallelFor(0, n, 65536, [&](exec::Range range) {
      for (std::size_t i = range.begin; i != range.end; ++i)
        r.reconstruction[i] = (*scaleUsed)[i / B] * c.levels[index[i]];
    });
  }
  r.codes.assign(index.begin(), index.end());

  // Metadata per block: a 32-bit absmax, or an 8-bit code plus a share of the group scale.
  const double blockMetaBits = p.doubleQuant ? 8.0 : 32.0;
  r.parts.resize(nb);
  exec::parallelFor(0, nb, blocksPerChunk(B), [&](exec::Range range) {
    for (std::size_t b = range.begin; b != range.end; ++b) {
      const std::size_t lo = b * B, len = std::min(B, n - lo);
      PartReport& part = r.parts[b];
      part.size = len;
      part.params = PartParams{(*scaleUsed)[b], 0, 0, static_cast<std::int64_t>(c.levels.size() - 1)};
      part.figures = computeErrorFigures(x.subspan(lo, len), std::span<const float>(r.reconstruction).subspan(lo, len));
      setStorage(part.figures, c.bits * static_cast<double>(len) + blockMetaBits);
    }
  });
  r.total = computeErrorFigures(x, r.reconstruction);
  double bits = c.bits * static_cast<double>(n);
  if (p.doubleQuant)
    bits += 8.0 * static_cast<double>(nb) + 32.0 * static_cast<double>(r.dq.scales.size()) + 32.0;  // + the mean
  else
    bits += 32.0 * static_cast<double>(nb);
  setStorage(r.total, bits);
  r.nominalBitsPerParam = codebookBitsPerParam(c.bits, B, p.doubleQuant, p.dqBlockSize);
  return r;
}

Result<CodebookPreview> codebookPreview(std::span<const float> x, std::size_t blockSize, std::size_t bins,
                                        const Codebook& codebook) {
  if (blockSize == 0 || bins == 0) return makeError("codebook preview: block size and bins must be ≥ 1");
  if (Status s = validate(codebook); !s) return s.error();
  // x / absmax per block, over finite values (non-finite stay NaN and are not counted)
  std::vector<float> xn(x.size(), NAN);
  for (std::size_t lo = 0; lo < x.size(); lo += blockSize) {
    const std::size_t hi = std::min(x.size(), lo + blockSize);
    float a = 0.0f;
    for (std::size_t i = lo; i < hi; ++i)
      if (std::isfinite(x[i])) a = std::max(a, std::fabs(x[i]));
    for (std::size_t i = lo; i < hi; ++i)
      if (std::isfinite(x[i])) xn[i] = a == 0.0f ? 0.0f : x[i] / a;
  }
  CodebookPreview p;
  p.normalized = computeHistogram(xn, bins, std::make_pair(-1.0, 1.0));
  p.values = p.normalized.total();
  p.codebook = occupancy(codebook.name, codebook.levels, xn);
  std::vector<float> int4;
  for (int k = -7; k <= 7; ++k) int4.push_back(static_cast<float>(k / 7.0));
  p.int4 = occupancy("int4", std::move(int4), xn);
  p.fp4 = occupancy("fp4", fp4BnbCodebook().levels, xn);
  return p;
}

}  // namespace quench
