#include "core/tensor/tensor.h"

namespace quench {

std::optional<std::uint64_t> checkedElementCount(std::span<const std::int64_t> shape) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 62;
  std::uint64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > kLimit / u) return std::nullopt;
    n *= u;
  }
  return n;
}

std::string shapeToString(std::span<const std::int64_t> shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += "\xC3\x97";  // U+00D7 multiplication sign
    s += std::to_string(shape[i]);
  }
  return s;
}

std::int64_t FloatTensor::cols() const {
  if (shape.size() <= 1) return static_cast<std::int64_t>(values.size());
  std::int64_t c = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) c *= shape[i];
  return c;
}

}  // namespace quench
