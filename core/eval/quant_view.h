#pragma once
// What the workbench's quantization views show for one tensor and one rule, computed in one pass:
// quantize the tensor with the rule's parameters, then derive what the visible views ask for
// (shared-bin histograms of the original and the reconstruction, the error histogram, the grid and
// clip lines of the selected part, the pooled saturation map, the outlier columns and the
// LLM.int8() errors with activations, the NF4 preview) and the error figures. Any front end (the
// GUI's quantization job, a script) calls computeQuantView on a worker thread; the quantizer writes
// into buffers a QuantViewScratch keeps between calls, so re-quantizing the same tensor allocates
// nothing large, and the original's min/max and histogram are reused while they stay valid.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/eval/tensor_view.h"
#include "core/exec/progress.h"
#include "core/quant/codebook.h"
#include "core/quant/llm_int8.h"
#include "core/quant/method.h"
#include "core/quant/types.h"
#include "core/recipe/recipe.h"
#include "core/stats/histogram.h"
#include "core/stats/saturation_map.h"
#include "core/quant/partition.h"
#include "core/tensor/tensor.h"

namespace quench::eval {

/// Which derived data a request asks for, besides the quantization and its figures.
enum QuantViewParts : unsigned {
  kViewOverlay = 1u << 0,     ///< original and reconstruction histograms on shared bins
  kViewErrorHist = 1u << 1,   ///< histogram of x~ − x
  kViewSaturation = 1u << 2,  ///< pooled saturation map
  kViewOutliers = 1u << 3,    ///< per-column max |x| and the outlier columns
  kViewNf4 = 1u << 4,         ///< block-normalized NF4 / INT4 / FP4 preview
  kViewAll = 0x1Fu,
};

/// One tensor, one rule, and what to derive.
struct QuantViewRequest {
  std::shared_ptr<const FloatTensor> tensor;
  MethodParams params;
  int part = -1;  ///< restrict histograms, grid and clip lines to this part (-1: all)
  unsigned views = kViewOverlay;
  double outlierThreshold = 6.0;  ///< τ of the outlier view (llm-int8 rules use their own)
  /// Activations X (tokens × features) for the LLM.int8() errors of the outlier view: the weight
  /// (outputs × features, as every Linear stores it) is multiplied as X·Wᵀ. Null: columns only.
  std::shared_ptr<const FloatTensor> activations;
  std::size_t mapCells = 256;  ///< the saturation map is pooled to at most mapCells² cells
};

/// The figures and view data of one request.
struct QuantView {
  std::string error;      ///< "TENSOR: message" when the parameters were rejected (nothing else is set)
  std::string errorPath;  ///< the parameter at fault ("bits", "overrides[17].scale"), when known
  bool cancelled = false;

  std::vector<PartReport> parts;  ///< per part: size, parameters used, saturated count, figures
  /// Integer method with hand-typed overrides: the calibrator's proposal per part without them
  /// (empty otherwise: the used parameters are the proposal).
  std::vector<PartParams> proposed;
  ErrorFigures total;  ///< whole-tensor figures
  int part = -1;       ///< the part the histograms are restricted to (-1: all)
  std::optional<ErrorFigures> partFigures;

  // kViewOverlay: both histograms over the same bins (histogramBins(shownCount) of them).
  Histogram original, reconstruction;
  /// Dequantized levels of the shown part, ascending (integer grid s·(n − b), codebook levels
  /// × absmax); empty when the histogram spans several parts with different grids.
  std::vector<double> grid;
  std::optional<std::pair<double, double>> clip;  ///< [s·(L − b), s·(U − b)] of the shown part
  std::uint64_t saturated = 0;                    ///< saturated elements in what is shown
  std::uint64_t shownCount = 0;                   ///< elements in what is shown
  // kViewErrorHist
  Histogram errorHistogram;
  // kViewSaturation
  std::optional<SaturationMap> saturationMap;
  // kViewOutliers
  std::optional<ColumnOutliers> outliers;
  std::optional<LlmInt8Report> llmInt8;  ///< with activations: the errors with and without decomposition
  std::string activationsError;          ///< why the activations could not be used with this weight
  // kViewNf4
  std::optional<CodebookPreview> nf4;
  std::size_t nf4Block = 64;
  double quantizeMs = 0;  ///< the quantizer alone
  double elapsedMs = 0;   ///< the whole request
};

/// Buffers and derived data reused from one request to the next (one computation at a time).
struct QuantViewScratch {
  QuantResult result;
  std::vector<float> errors;
  std::vector<float> partOriginal, partReconstruction;
  // The original's min/max and histogram depend only on the tensor, the shown part and the bins'
  // range: a parameter change that keeps them (the usual case) reuses them instead of two passes.
  std::shared_ptr<const FloatTensor> cachedTensor;
  int cachedPart = -2;
  std::pair<float, float> cachedMinMax{0.0f, 0.0f};
  Histogram cachedOriginal;  ///< empty counts: none cached yet
  // The LLM.int8() report depends on the weight, the activations and τ only, not on the recipe:
  // a recipe change while the Outliers tab is open reuses it instead of three double matmuls.
  std::shared_ptr<const FloatTensor> llmWeight, llmActivations;
  double llmTau = 0;
  std::optional<LlmInt8Report> llmReport;
  std::string llmError;
};

/// The elements of part `part` of a `partCount`-part quantization of `t` laid out as `layout`
/// (MethodParams::partLayout), as a partition (PartLayout::Kind::Partition) or a block
/// [blockStart, blockEnd) (Kind::Blocks); nothing when `part` is out of range, the partition does
/// not have `partCount` parts, or the method's parts have no element layout (Kind::None).
struct PartSelection {
  bool valid = false;
  std::optional<Partition> partition;        ///< PartLayout::Kind::Partition
  std::size_t blockStart = 0, blockEnd = 0;  ///< PartLayout::Kind::Blocks
};
PartSelection selectPart(const FloatTensor& t, const PartLayout& layout, std::size_t partCount, int part);

/// The overlay's histogram range: [lo, hi] (the hull of the shown data [xlo, xhi] and of what the
/// reconstruction can reach) snapped outward to multiples of (xhi − xlo)/256 counted from xlo, so
/// that a small move of the grid keeps the bins (and the original's cached histogram). nullopt
/// when [lo, hi] is empty or not finite; unsnapped when the data span is 0.
std::optional<std::pair<double, double>> snappedRange(double xlo, double xhi, double lo, double hi);

/// Do the work of `request` (on any thread). Errors of the parameters come back in `error`;
/// `work` stops it between steps (cancelled = true).
QuantView computeQuantView(const QuantViewRequest& request, QuantViewScratch& scratch, const Work& work = {});

}  // namespace quench::eval
