#include "core/stats/saturation_map.h"

#include <cmath>
#include <limits>
#include <string>

namespace quench {

Result<SaturationMap> poolSaturationMap(std::span<const float> value, std::span<const std::uint8_t> saturated,
                                        std::size_t inputRows, std::size_t inputCols, std::size_t maxRows,
                                        std::size_t maxCols) {
  if (inputRows == 0 || inputCols == 0 || maxRows == 0 || maxCols == 0)
    return makeError("saturation map: zero rows, columns or cell limit");
  if (inputCols > std::numeric_limits<std::size_t>::max() / inputRows || value.size() != inputRows * inputCols)
    return makeError("saturation map: " + std::to_string(value.size()) + " values do not fill " +
                     std::to_string(inputRows) + " × " + std::to_string(inputCols));
  if (!saturated.empty() && saturated.size() != value.size())
    return makeError("saturation map: " + std::to_string(saturated.size()) + " saturation flags for " +
                     std::to_string(value.size()) + " values");
  SaturationMap map;
  map.inputRows = inputRows;
  map.inputCols = inputCols;
  map.rowStride = (inputRows + maxRows - 1) / maxRows;
  map.colStride = (inputCols + maxCols - 1) / maxCols;
  map.rows = (inputRows + map.rowStride - 1) / map.rowStride;
  map.cols = (inputCols + map.colStride - 1) / map.colStride;
  map.value.assign(map.rows * map.cols, std::numeric_limits<float>::quiet_NaN());
  map.saturated.assign(map.rows * map.cols, 0);
  for (std::size_t r = 0; r < inputRows; ++r) {
    const std::size_t rowCell = (r / map.rowStride) * map.cols;
    for (std::size_t c = 0; c < inputCols; ++c) {
      const std::size_t cell = rowCell + c / map.colStride;
      const float v = value[r * inputCols + c];
      float& kept = map.value[cell];
      // NaN never wins against a number; ±inf wins against every finite value.
      if (!std::isnan(v) && (std::isnan(kept) || std::fabs(v) > std::fabs(kept))) kept = v;
      if (!saturated.empty() && saturated[r * inputCols + c]) ++map.saturated[cell];
    }
  }
  return map;
}

}  // namespace quench
