#pragma once
// Max-pooling of a 2-D tensor for the saturation heat map: a big matrix (e.g. 4096 × 11008) is
// shown as at most maxRows × maxCols cells, each cell keeping its most extreme value and the
// number of saturated elements it covers, so no outlier or saturated element disappears.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

/// A pooled (rows × cols) map, row-major; cell (i, j) covers input rows [i·rowStride,
/// min((i+1)·rowStride, inputRows)) and likewise for columns.
struct SaturationMap {
  std::size_t inputRows = 0, inputCols = 0;
  std::size_t rows = 0, cols = 0;
  std::size_t rowStride = 1, colStride = 1;  ///< input elements per cell along each axis
  std::vector<float> value;                  ///< the covered value of largest magnitude (sign kept); NaN only if all are NaN
  std::vector<std::uint32_t> saturated;      ///< saturated elements covered by the cell
};

/// Pool `value` (inputRows × inputCols, row-major) into at most maxRows × maxCols cells with
/// strides ⌈inputRows / maxRows⌉, ⌈inputCols / maxCols⌉. `saturated` is empty (nothing
/// saturates) or one 0/1 flag per element. Errors on size mismatch or a zero dimension/limit.
Result<SaturationMap> poolSaturationMap(std::span<const float> value, std::span<const std::uint8_t> saturated,
                                        std::size_t inputRows, std::size_t inputCols, std::size_t maxRows,
                                        std::size_t maxCols);

}  // namespace quench
