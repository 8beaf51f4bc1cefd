#include "core/quant/partition.h"

#include <algorithm>
#include <charconv>

namespace quench {

std::pair<std::int64_t, std::int64_t> matrixView(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  if (shape.size() < 2) return {1, n};
  return {shape[0], shape[0] == 0 ? 0 : n / shape[0]};
}

Partition Partition::tensor(std::int64_t numel) {
  Partition p;
  p.m_kind = PartitionKind::Tensor;
  p.m_rows = 1;
  p.m_cols = numel;
  return p;
}

Partition Partition::rows(std::int64_t rows, std::int64_t cols) {
  Partition p;
  p.m_kind = PartitionKind::Row;
  p.m_rows = rows;
  p.m_cols = cols;
  return p;
}

Partition Partition::columns(std::int64_t rows, std::int64_t cols) {
  Partition p = Partition::rows(rows, cols);
  p.m_kind = PartitionKind::Column;
  return p;
}

Result<Partition> Partition::groups(std::int64_t rows, std::int64_t cols, std::int64_t group, bool alongRow) {
  if (group < 1) return makeError("partition: group size must be ≥ 1, got " + std::to_string(group));
  Partition p = Partition::rows(rows, cols);
  p.m_kind = alongRow ? PartitionKind::GroupAlongRow : PartitionKind::GroupAlongColumn;
  p.m_group = group;
  const std::int64_t line = alongRow ? cols : rows;
  p.m_groupsPerLine = (line + group - 1) / group;
  return p;
}

Result<Partition> Partition::custom(std::int64_t numel, std::vector<std::vector<std::int64_t>> parts) {
  if (numel < 0) return makeError("partition: negative element count");
  // owner[i] = 1 + index of the part holding i, 0 when uncovered (a byte vector would be enough
  // for the check, but the owner makes the overlap message name both parts).
  std::vector<std::uint32_t> owner(static_cast<std::size_t>(numel), 0);
  for (std::size_t j = 0; j < parts.size(); ++j) {
    if (parts[j].empty()) return makeError("partition: part " + std::to_string(j) + " is empty");
    for (std::int64_t i : parts[j]) {
      if (i < 0 || i >= numel)
        return makeError("partition: index " + std::to_string(i) + " of part " + std::to_string(j) +
                         " is out of range [0, " + std::to_string(numel) + ")");
      auto& o = owner[static_cast<std::size_t>(i)];
      if (o != 0)
        return makeError("partition: index " + std::to_string(i) + " is in part " + std::to_string(o - 1) +
                         " and in part " + std::to_string(j) + " (parts must be disjoint)");
      o = static_cast<std::uint32_t>(j + 1);
    }
  }
  const auto missing = std::find(owner.begin(), owner.end(), 0u);
  if (missing != owner.end()) {
    const auto count = std::count(owner.begin(), owner.end(), 0u);
    return makeError("partition: index " + std::to_string(missing - owner.begin()) + " is in no part (" +
                     std::to_string(count) + " uncovered; parts must cover every index)");
  }
  Partition p;
  p.m_kind = PartitionKind::Custom;
  p.m_rows = 1;
  p.m_cols = numel;
  p.m_custom = std::move(parts);
  return p;
}

Result<PartitionSpec> PartitionSpec::parse(std::string_view text) {
  PartitionSpec s;
  s.text = std::string(text);
  if (text == "tensor") {
    s.kind = PartitionKind::Tensor;
  } else if (text == "row") {
    s.kind = PartitionKind::Row;
  } else if (text == "column") {
    s.kind = PartitionKind::Column;
  } else if (text.starts_with("group:")) {
    std::string_view rest = text.substr(6);
    s.kind = PartitionKind::GroupAlongRow;
    if (rest.ends_with(":column")) {
      s.kind = PartitionKind::GroupAlongColumn;
      rest.remove_suffix(7);
    } else if (rest.ends_with(":row")) {
      rest.remove_suffix(4);
    }
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), s.group);
    if (ec != std::errc() || ptr != rest.data() + rest.size() || s.group < 1)
      return makeError("partition: bad group size in '" + std::string(text) + "' (expected group:G with G ≥ 1)");
  } else {
    return makeError("partition: unknown partition '" + std::string(text) +
                     "' (expected tensor, row, column, group:G or group:G:column)");
  }
  return s;
}

Result<Partition> PartitionSpec::on(std::span<const std::int64_t> shape) const {
  const auto [rows, cols] = matrixView(shape);
  switch (kind) {
    case PartitionKind::Tensor: return Partition::tensor(rows * cols);
    case PartitionKind::Row: return Partition::rows(rows, cols);
    case PartitionKind::Column: return Partition::columns(rows, cols);
    case PartitionKind::GroupAlongRow:
    case PartitionKind::GroupAlongColumn:
      return Partition::groups(rows, cols, group, kind == PartitionKind::GroupAlongRow);
    case PartitionKind::Custom: break;
  }
  return makeError("partition: '" + text + "' has no regular layout");
}

Result<Partition> Partition::fromSpec(std::string_view spec, std::span<const std::int64_t> shape) {
  auto s = PartitionSpec::parse(spec);
  if (!s) return s.error();
  return s->on(shape);
}

std::size_t Partition::partCount() const {
  switch (m_kind) {
    case PartitionKind::Tensor: return 1;
    case PartitionKind::Row: return static_cast<std::size_t>(m_rows);
    case PartitionKind::Column: return static_cast<std::size_t>(m_cols);
    case PartitionKind::GroupAlongRow: return static_cast<std::size_t>(m_rows * m_groupsPerLine);
    case PartitionKind::GroupAlongColumn: return static_cast<std::size_t>(m_cols * m_groupsPerLine);
    case PartitionKind::Custom: return m_custom.size();
  }
  return 0;
}

std::int64_t Partition::partSize(std::size_t j) const {
  if (m_kind == PartitionKind::Custom) return static_cast<std::int64_t>(m_custom[j].size());
  return run(j).count;
}

StridedRun Partition::run(std::size_t j) const {
  const auto jj = static_cast<std::int64_t>(j);
  switch (m_kind) {
    case PartitionKind::Tensor: return {0, m_rows * m_cols, 1};
    case PartitionKind::Row: return {jj * m_cols, m_cols, 1};
    case PartitionKind::Column: return {jj, m_rows, m_cols};
    case PartitionKind::GroupAlongRow: {
      const std::int64_t r = jj / m_groupsPerLine, g = jj % m_groupsPerLine;
      return {r * m_cols + g * m_group, std::min(m_group, m_cols - g * m_group), 1};
    }
    case PartitionKind::GroupAlongColumn: {
      // Parts are numbered column by column: part c·groupsPerColumn + g is group g of column c.
      const std::int64_t c = jj / m_groupsPerLine, g = jj % m_groupsPerLine;
      return {g * m_group * m_cols + c, std::min(m_group, m_rows - g * m_group), m_cols};
    }
    case PartitionKind::Custom: break;
  }
  return {};
}

std::string Partition::spec() const {
  switch (m_kind) {
    case PartitionKind::Tensor: return "tensor";
    case PartitionKind::Row: return "row";
    case PartitionKind::Column: return "column";
    case PartitionKind::GroupAlongRow: return "group:" + std::to_string(m_group);
    case PartitionKind::GroupAlongColumn: return "group:" + std::to_string(m_group) + ":column";
    case PartitionKind::Custom: return "custom";
  }
  return "tensor";
}

void Partition::gather(std::size_t j, std::span<const float> x, float* out) const {
  if (isStrided()) {
    const StridedRun r = run(j);
    if (r.stride == 1) {
      std::copy_n(x.data() + r.start, r.count, out);
      return;
    }
  }
  forEachIndex(j, [&](std::int64_t i) { *out++ = x[static_cast<std::size_t>(i)]; });
}

}  // namespace quench
