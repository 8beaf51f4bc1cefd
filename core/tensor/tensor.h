#pragma once
// What a tensor is to the rest of Quench: a name, a shape and float values.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"

namespace quench {

using Shape = std::vector<std::int64_t>;

/// Catalog entry: everything known about a stored tensor without reading its data.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;             ///< row-major (C order) logical shape
  std::uint64_t bytes = 0; ///< stored size in bytes
  std::string layout;      ///< free text for block formats, e.g. "Q8_0: blocks of 32 (fp16 d + 32 int8)"
};

/// Product of the dimensions; nullopt when a dimension is negative or the product overflows 2^62.
std::optional<std::uint64_t> checkedElementCount(std::span<const std::int64_t> shape);
/// "4096×4096" style rendering of a shape ("scalar" for rank 0).
std::string shapeToString(std::span<const std::int64_t> shape);

/// A tensor converted to float32, row-major. The unit of work of quant/, stats/ and model/.
struct FloatTensor {
  std::string name;
  Shape shape;
  std::vector<float> values;

  std::int64_t rows() const { return shape.empty() ? 1 : shape.front(); }
  /// Elements per row (product of all dimensions but the first); numel for rank ≤ 1.
  std::int64_t cols() const;
  std::size_t numel() const { return values.size(); }
};

}  // namespace quench
