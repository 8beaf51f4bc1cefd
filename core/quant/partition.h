#pragma once
// Partitions of a tensor's flat indices into parts that each get their own quantization
// parameters (MATH.md §1). Regular partitions are described by strided runs, never by index
// lists: a 4096×4096 per-row partition is 4096 (start, count, stride) triples computed on demand.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

enum class PartitionKind {
  Tensor,       ///< one part: every element
  Row,          ///< one part per row (output channel) of a (rows, cols) view
  Column,       ///< one part per column (input channel)
  GroupAlongRow,     ///< runs of g consecutive elements inside each row (contiguous); last group of a row short
  GroupAlongColumn,  ///< runs of g consecutive elements inside each column (stride cols); last short
  Custom,       ///< explicit index lists
};

/// A part described as indices start, start + stride, ..., start + (count − 1)·stride.
struct StridedRun {
  std::int64_t start = 0;
  std::int64_t count = 0;
  std::int64_t stride = 1;
};

/// A validated partition of {0..numel−1} for a (rows, cols) row-major view of a tensor (rank ≤ 1
/// tensors are one row; rank > 2 tensors are (shape[0], product of the rest)).
class Partition {
 public:
  /// Per-tensor partition of `numel` elements.
  static Partition tensor(std::int64_t numel);
  /// Per-row partition of a (rows, cols) view.
  static Partition rows(std::int64_t rows, std::int64_t cols);
  /// Per-column partition of a (rows, cols) view.
  static Partition columns(std::int64_t rows, std::int64_t cols);
  /// Groups of `group` ≥ 1 consecutive elements along each row (alongRow) or each column.
  static Result<Partition> groups(std::int64_t rows, std::int64_t cols, std::int64_t group, bool alongRow = true);
  /// Explicit parts over `numel` elements. Every index must be in [0, numel), appear in exactly
  /// one part, and every index must be covered: an uncovered index is an error (it does NOT form
  /// an extra part), so a typo never silently changes the parameters of some elements.
  static Result<Partition> custom(std::int64_t numel, std::vector<std::vector<std::int64_t>> parts);
  /// Partition of a tensor of `shape` from its CLI/recipe spelling: "tensor", "row", "column",
  /// "group:G" (along rows), "group:G:column" (along columns).
  static Result<Partition> fromSpec(std::string_view spec, std::span<const std::int64_t> shape);

  PartitionKind kind() const { return m_kind; }
  std::int64_t numel() const { return m_rows * m_cols; }
  std::int64_t rowCount() const { return m_rows; }
  std::int64_t colCount() const { return m_cols; }
  std::int64_t groupSize() const { return m_group; }
  std::size_t partCount() const;
  std::int64_t partSize(std::size_t j) const;
  /// True for every kind except Custom: each part is one StridedRun.
  bool isStrided() const { return m_kind != PartitionKind::Custom; }
  /// The run of part j (isStrided() only).
  StridedRun run(std::size_t j) const;
  /// The explicit indices of part j (Custom only).
  std::span<const std::int64_t> indices(std::size_t j) const { return m_custom[j]; }
  /// The canonical spelling (inverse of fromSpec for regular kinds; "custom" for explicit parts).
  std::string spec() const;

  /// Calls f(flatIndex) for each index of part j, in part order.
  template <class F>
  void forEachIndex(std::size_t j, F&& f) const {
    if (isStrided()) {
      const StridedRun r = run(j);
      for (std::int64_t k = 0, i = r.start; k < r.count; ++k, i += r.stride) f(i);
    } else {
      for (std::int64_t i : m_custom[j]) f(i);
    }
  }
  /// Copies part j's values of `x` (length numel) into `out` (length partSize(j)).
  void gather(std::size_t j, std::span<const float> x, float* out) const;

 private:
  PartitionKind m_kind = PartitionKind::Tensor;
  std::int64_t m_rows = 1, m_cols = 0, m_group = 0;
  std::int64_t m_groupsPerLine = 0;  // groups per row (GroupAlongRow) or per column (GroupAlongColumn)
  std::vector<std::vector<std::int64_t>> m_custom;
};

/// A partition as recipes and the CLI spell it, parsed once: "tensor", "row", "column", "group:G"
/// (along rows; "group:G:row" is accepted too) or "group:G:column". The spelling is kept as
/// written, so a recipe writes back exactly what it read; two specs are equal when spelled alike.
struct PartitionSpec {
  PartitionKind kind = PartitionKind::Row;
  std::int64_t group = 0;    ///< G of the group kinds
  std::string text = "row";  ///< the spelling

  /// Errors: "partition: unknown partition 'diag' (...)", "partition: bad group size in ...".
  static Result<PartitionSpec> parse(std::string_view text);
  /// The partition of a tensor of `shape` (see matrixView).
  Result<Partition> on(std::span<const std::int64_t> shape) const;
  friend bool operator==(const PartitionSpec& a, const PartitionSpec& b) { return a.text == b.text; }
};

/// (rows, cols) view of a shape used by row/column/group partitions: rank 0/1 → (1, numel),
/// rank ≥ 2 → (shape[0], product of the rest).
std::pair<std::int64_t, std::int64_t> matrixView(std::span<const std::int64_t> shape);

}  // namespace quench
