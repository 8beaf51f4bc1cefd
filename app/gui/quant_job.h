#pragma once
// The background work behind a recipe change: quantize the selected tensor with the rule's
// parameters, then derive what the visible views show (shared-bin histograms of the original and
// the reconstruction, the error histogram, the grid and clip lines of the selected part, the
// saturation map, the outlier columns, the NF4 preview) and the error figures.
//
// QuantJob runs one computation at a time on a worker thread and coalesces (a JobRunner with
// JobPolicy::Coalesce): while one runs only the newest pending request is kept, so dragging a
// slider never queues stale work.
// The tensor is read once by the window and shared; the quantizer writes into buffers the job
// keeps between requests, so a re-quantization of the same tensor allocates nothing large.
#include <QObject>
#include <QString>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/codebook.h"
#include "core/quant/llm_int8.h"
#include "core/quant/types.h"
#include "core/recipe/recipe.h"
#include "core/stats/histogram.h"
#include "core/stats/saturation_map.h"
#include "core/tensor/tensor.h"

namespace quench::app {

class JobRunner;

/// Which derived data a request asks for, besides the quantization and its figures.
enum QuantView : unsigned {
  kViewOverlay = 1u << 0,     ///< original and reconstruction histograms on shared bins
  kViewErrorHist = 1u << 1,   ///< histogram of x~ − x
  kViewSaturation = 1u << 2,  ///< pooled saturation map
  kViewOutliers = 1u << 3,    ///< per-column max |x| and the outlier columns
  kViewNf4 = 1u << 4,         ///< block-normalized NF4 / INT4 / FP4 preview
  kViewAll = 0x1Fu,
};

struct QuantRequest {
  std::uint64_t generation = 0;  ///< echoed in the outcome; the window drops outdated ones
  std::shared_ptr<const FloatTensor> tensor;
  MethodParams params;
  int part = -1;          ///< restrict histograms, grid and clip lines to this part (-1: all)
  unsigned views = kViewOverlay;
  double outlierThreshold = 6.0;  ///< τ of the outlier view (llm-int8 rules use their own)
  /// Activations X (tokens × features) for the LLM.int8() errors of the outlier view: the weight
  /// (outputs × features, as every Linear stores it) is multiplied as X·Wᵀ. Null: columns only.
  std::shared_ptr<const FloatTensor> activations;
  std::size_t mapCells = 256;     ///< the saturation map is pooled to at most mapCells² cells
};

struct QuantOutcome {
  std::uint64_t generation = 0;
  QString tensorName;
  QString recipeLabel;  ///< "int8 sym · row · absmax" (titles name the tensor and the recipe)
  QString error;        ///< the core's error text when the parameters were rejected
  QString errorPath;    ///< the path of the parameter at fault ("bits", "overrides[17].scale"), if known
  bool cancelled = false;

  std::vector<PartReport> parts;  ///< per part: size, parameters used, saturated count, figures
  /// Integer method with hand-typed overrides: the calibrator's proposal per part without them
  /// (empty otherwise: the used parameters are the proposal).
  std::vector<PartParams> proposed;
  ErrorFigures total;             ///< whole-tensor figures
  int part = -1;                  ///< the part the histograms are restricted to (-1: all)
  std::optional<ErrorFigures> partFigures;

  // kViewOverlay: both histograms over the same bins.
  Histogram original, reconstruction;
  /// Dequantized levels of the shown part, ascending (integer grid s·(n − b), codebook levels
  /// × absmax); empty when the histogram spans many parts with different grids.
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
  QString llmInt8Error;                  ///< why the activations could not be used with this weight
  // kViewNf4
  std::optional<CodebookPreview> nf4;
  std::size_t nf4Block = 64;
  double quantizeMs = 0;  ///< the quantizer alone
  double elapsedMs = 0;   ///< the whole request
};

/// Buffers reused from one request to the next (only one computation runs at a time).
struct QuantScratch {
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
  QString llmError;
};

/// Do the work of `request` (on any thread). Errors of the parameters come back in `error`.
QuantOutcome computeQuantView(const QuantRequest& request, QuantScratch& scratch, const Work& work = {});

/// Runs computeQuantView off the GUI thread, one at a time, newest pending request wins.
class QuantJob : public QObject {
  Q_OBJECT
 public:
  explicit QuantJob(QObject* parent = nullptr);
  ~QuantJob() override;

  /// Start `request` now, or keep it as the one pending request if a computation is running.
  void submit(QuantRequest request);
  /// Stop the running computation and drop the pending request.
  void cancel();
  bool isRunning() const;
  bool hasPending() const;

 signals:
  /// A computation ended (also when cancelled or rejected); emitted on the GUI thread.
  void finished(const quench::app::QuantOutcome& outcome);

 private:
  std::shared_ptr<QuantScratch> m_scratch;
  JobRunner* m_runner;  ///< JobPolicy::Coalesce
};

}  // namespace quench::app
