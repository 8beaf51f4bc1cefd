#include "core/eval/quant_view.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/exec/parallel.h"
#include "core/quant/calibrate.h"
#include "core/quant/integer.h"
#include "core/quant/partition.h"
#include "core/simd/quant_kernels.h"

namespace quench::eval {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// x~ − x over the whole tensor, in parallel (64 Mi floats take a few ms on two threads).
void computeErrors(std::span<const float> x, std::span<const float> xr, std::vector<float>& out) {
  out.resize(x.size());
  exec::parallelFor(0, x.size(), 1 << 16, [&](exec::Range r) {
    for (std::size_t i = r.begin; i < r.end; ++i) out[i] = xr[i] - x[i];
  });
}

// Every dequantized level of an integer part, ascending.
std::vector<double> integerGridLevels(const PartParams& p) {
  std::vector<double> levels;
  const std::int64_t n = p.clipHigh - p.clipLow + 1;
  if (n <= 0 || n > 70000) return levels;  // 16-bit grids are drawn thinned by the view anyway
  levels.reserve(std::size_t(n));
  for (std::int64_t c = p.clipLow; c <= p.clipHigh; ++c) levels.push_back(dequantizeElement(c, p));
  return levels;
}

// Quantize into scratch.result, reusing the previous request's buffers where the method can, and
// without the codes no view shows; with hand-typed overrides, also the calibrator's proposal (the
// editor shows it beside the typed values).
Status quantizeInto(const QuantViewRequest& request, QuantViewScratch& scratch, QuantView& out, const Work& work) {
  QuantResult& r = scratch.result;
  const QuantizeContext ctx{*request.tensor, work, {}, /*codes=*/false};
  Status s = request.params.quantize(ctx, r);
  if (!s) {
    r = QuantResult{};  // unspecified after an error: start clean next time
    return s;
  }
  if (request.params.overrides() && !request.params.overrides()->empty())
    if (auto proposed = request.params.proposal(ctx)) out.proposed = std::move(*proposed);
  return {};
}

// The LLM.int8() errors of the outlier view, kept in the scratch while weight, activations and τ
// stay the same.
void llmInt8Errors(const QuantViewRequest& request, QuantViewScratch& scratch, double tau, std::size_t rows,
                   std::size_t cols) {
  const auto& a = request.activations;
  if (scratch.llmWeight == request.tensor && scratch.llmActivations == a && scratch.llmTau == tau) return;
  scratch.llmWeight = request.tensor;
  scratch.llmActivations = a;
  scratch.llmTau = tau;
  scratch.llmReport.reset();
  scratch.llmError.clear();
  const std::size_t features = a->shape.size() == 2 ? std::size_t(a->shape[1]) : 0;
  if (features != cols) {
    scratch.llmError = "the activations " + a->name + " have " + std::to_string(features) + " features, " +
                       request.tensor->name + " has " + std::to_string(cols) + " input columns";
    return;
  }
  // W is (outputs × features) row-major; llmInt8Matmul takes W as (features × outputs).
  const std::span<const float> x(request.tensor->values);
  std::vector<float> wt(x.size());
  for (std::size_t r0 = 0; r0 < rows; ++r0)
    for (std::size_t c0 = 0; c0 < cols; ++c0) wt[c0 * rows + r0] = x[r0 * cols + c0];
  auto rep = llmInt8Matmul(a->values, std::size_t(a->shape[0]), features, wt, rows, LlmInt8Params{tau});
  if (rep)
    scratch.llmReport = std::move(*rep);
  else
    scratch.llmError = rep.error().message;
}

}  // namespace

PartSelection selectPart(const FloatTensor& t, const PartLayout& layout, std::size_t partCount, int part) {
  PartSelection s;
  if (part < 0 || std::size_t(part) >= partCount) return s;
  if (layout.kind == PartLayout::Kind::Partition && layout.partition) {
    auto partition = layout.partition->on(t.shape);
    if (!partition || partition->partCount() != partCount) return s;
    s.partition = std::move(*partition);
    s.valid = true;
  } else if (layout.kind == PartLayout::Kind::Blocks && layout.block > 0) {
    s.blockStart = std::size_t(part) * layout.block;
    s.blockEnd = std::min(t.numel(), s.blockStart + layout.block);
    s.valid = s.blockStart < s.blockEnd;
  }
  return s;
}

std::optional<std::pair<double, double>> snappedRange(double xlo, double xhi, double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) return std::nullopt;
  const double span = xhi - xlo;
  if (span > 0 && std::isfinite(span)) {
    const double step = span / 256.0;
    lo = xlo + std::floor((lo - xlo) / step) * step;
    hi = xlo + std::ceil((hi - xlo) / step) * step;
  }
  return std::pair{lo, hi};
}

QuantView computeQuantView(const QuantViewRequest& request, QuantViewScratch& scratch, const Work& work) {
  const auto start = Clock::now();
  QuantView out;
  if (!request.tensor) {
    out.error = "no tensor";
    return out;
  }
  const FloatTensor& t = *request.tensor;
  const std::span<const float> x(t.values);
  const MethodParams& params = request.params;
  const PartLayout layout = params.partLayout();

  // 1. Quantize.
  if (Status s = quantizeInto(request, scratch, out, work); !s) {
    out.cancelled = work.cancelled();
    out.error = t.name + ": " + s.error().message;
    out.errorPath = s.error().path;
    return out;
  }
  const QuantResult& r = scratch.result;
  out.quantizeMs = msSince(start);
  if (work.cancelled()) {
    out.cancelled = true;
    return out;
  }
  out.parts = r.parts;
  out.total = r.total;
  const std::span<const float> xr(r.reconstruction);
  const std::span<const std::uint8_t> sat(r.saturated);

  // 2. What the histograms show: the whole tensor or one part.
  const PartSelection sel = selectPart(t, layout, r.parts.size(), request.part);
  std::span<const float> shownX = x, shownXr = xr;
  out.shownCount = x.size();
  out.saturated = r.total.saturated;
  const PartReport* shownPart = r.parts.size() == 1 ? &r.parts[0] : nullptr;
  if (sel.valid) {
    out.part = request.part;
    shownPart = &r.parts[std::size_t(request.part)];
    out.partFigures = shownPart->figures;
    out.saturated = shownPart->saturated;
    if (sel.partition) {
      const auto n = std::size_t(sel.partition->partSize(std::size_t(request.part)));
      scratch.partOriginal.resize(n);
      scratch.partReconstruction.resize(n);
      sel.partition->gather(std::size_t(request.part), x, scratch.partOriginal.data());
      sel.partition->gather(std::size_t(request.part), xr, scratch.partReconstruction.data());
      shownX = scratch.partOriginal;
      shownXr = scratch.partReconstruction;
    } else {
      shownX = x.subspan(sel.blockStart, sel.blockEnd - sel.blockStart);
      shownXr = xr.subspan(sel.blockStart, sel.blockEnd - sel.blockStart);
    }
    out.shownCount = shownX.size();
  }
  // Grid and clip lines of one part (the integer grid, or a codebook's levels × absmax).
  if (shownPart) {
    const PartParams& pp = shownPart->params;
    if (layout.affineGrid) {
      out.grid = integerGridLevels(pp);
      out.clip = std::pair{dequantizeElement(pp.clipLow, pp), dequantizeElement(pp.clipHigh, pp)};
    } else if (!layout.levels.empty()) {
      for (float level : layout.levels) out.grid.push_back(double(level) * pp.scale);
      out.clip = std::pair{-pp.scale, pp.scale};
    }
  }
  const std::size_t bins = histogramBins(shownX.size());

  // 3. Shared-bin histograms over the hull of the data and its reconstruction.
  if (request.views & kViewOverlay) {
    const int partKey = sel.valid ? request.part : -1;
    if (scratch.cachedTensor != request.tensor || scratch.cachedPart != partKey) {
      scratch.cachedTensor = request.tensor;
      scratch.cachedPart = partKey;
      scratch.cachedMinMax = simd::minMax(shownX.data(), shownX.size());
      scratch.cachedOriginal = Histogram{};
    }
    const auto [xlo, xhi] = scratch.cachedMinMax;
    double lo = xlo, hi = xhi;
    if (layout.affineGrid && !r.parts.empty()) {
      // Every reconstruction lies on its part's grid: the hull of the grids bounds it exactly.
      auto widen = [&](const PartReport& p) {
        lo = std::min(lo, double(dequantizeElement(p.params.clipLow, p.params)));
        hi = std::max(hi, double(dequantizeElement(p.params.clipHigh, p.params)));
      };
      if (sel.valid)
        widen(*shownPart);
      else
        for (const PartReport& p : r.parts) widen(p);
      lo = std::max(lo, double(xlo) - (double(xhi) - double(xlo)));  // an absurd hand-typed grid
      hi = std::min(hi, double(xhi) + (double(xhi) - double(xlo)));  // must not squash the data
    } else {
      auto [rlo, rhi] = simd::minMax(shownXr.data(), shownXr.size());
      if (std::isfinite(rlo)) lo = std::min(lo, double(rlo));
      if (std::isfinite(rhi)) hi = std::max(hi, double(rhi));
    }
    const auto range = snappedRange(xlo, xhi, lo, hi);
    const Histogram& cached = scratch.cachedOriginal;
    if (range && !cached.counts.empty() && cached.counts.size() == bins && cached.lo == range->first &&
        cached.hi == range->second) {
      out.original = cached;
    } else {
      out.original = computeHistogram(shownX, bins, range, work);
      if (!work.cancelled()) scratch.cachedOriginal = out.original;
    }
    out.reconstruction = computeHistogram(shownXr, bins, std::pair{out.original.lo, out.original.hi}, work);
  }
  if (work.cancelled()) {
    out.cancelled = true;
    return out;
  }
  if (request.views & kViewErrorHist) {
    if (sel.valid) {
      scratch.errors.resize(shownX.size());
      for (std::size_t i = 0; i < shownX.size(); ++i) scratch.errors[i] = shownXr[i] - shownX[i];
    } else {
      computeErrors(x, xr, scratch.errors);
    }
    out.errorHistogram = computeHistogram(scratch.errors, bins, std::nullopt, work);
  }
  const auto [rows, cols] = matrixView(t.shape);
  if ((request.views & kViewSaturation) && rows > 0 && cols > 0) {
    auto map = poolSaturationMap(x, sat.size() == x.size() ? sat : std::span<const std::uint8_t>{}, std::size_t(rows),
                                 std::size_t(cols), request.mapCells, request.mapCells);
    if (map) out.saturationMap = std::move(*map);
  }
  if ((request.views & kViewOutliers) && rows > 0 && cols > 0) {
    // A method with a threshold τ (llm-int8) shows its own outliers; the others the view's τ.
    const auto own = params.value("threshold");
    const double tau = own && std::holds_alternative<double>(*own) ? std::get<double>(*own) : request.outlierThreshold;
    auto o = findOutlierColumns(x, std::size_t(rows), std::size_t(cols), tau);
    if (o) out.outliers = std::move(*o);
    if (request.activations) {
      llmInt8Errors(request, scratch, tau, std::size_t(rows), std::size_t(cols));
      out.llmInt8 = scratch.llmReport;
      out.activationsError = scratch.llmError;
    }
  }
  if (request.views & kViewNf4) {
    const bool codebook = !layout.levels.empty();  // a codebook method previews with its own block
    out.nf4Block = codebook && layout.block > 0 ? layout.block : 64;
    auto p = codebookPreview(x, out.nf4Block, 256);
    if (p) out.nf4 = std::move(*p);
  }
  out.cancelled = work.cancelled();
  out.elapsedMs = msSince(start);
  return out;
}

}  // namespace quench::eval
