#pragma once
// The fused quantization kernels against their scalar twins (core/simd/quant_kernels.h), for the
// kernel suites: every output compared, the kernel's scales and zero-points handed back for the
// caller's own checks. Use from a Qt Test slot; on a difference the slot fails (check
// QTest::currentTestFailed() before going on).
#include <QtTest/QtTest>

#include <cstdint>
#include <vector>

#include "core/simd/quant_kernels.h"

namespace quench::test {

/// quantizeRowsInt8Absmax against quantizeRowsInt8Absmax_ref on rows × cols values at x.
inline void sameInt8RowsAsTwin(const float* x, std::size_t rows, std::size_t cols) {
  const std::size_t n = rows * cols;
  std::vector<std::int8_t> c1(n), c2(n);
  std::vector<float> s1(rows), s2(rows), r1(n), r2(n);
  simd::quantizeRowsInt8Absmax(x, rows, cols, c1.data(), s1.data(), r1.data());
  simd::quantizeRowsInt8Absmax_ref(x, rows, cols, c2.data(), s2.data(), r2.data());
  QCOMPARE(c1, c2);
  QCOMPARE(s1, s2);
  QCOMPARE(r1, r2);
}

/// quantizeGroupsInt4MinMax against quantizeGroupsInt4MinMax_ref on n values at x; the kernel's
/// scales and zero-points in *scales / *zeros when given.
inline void sameInt4GroupsAsTwin(const float* x, std::size_t n, std::size_t group,
                                 std::vector<float>* scales = nullptr, std::vector<std::int32_t>* zeros = nullptr) {
  const std::size_t groups = (n + group - 1) / group;
  std::vector<std::uint8_t> q1(n), q2(n);
  std::vector<float> g1(groups), g2(groups), r1(n), r2(n);
  std::vector<std::int32_t> z1(groups), z2(groups);
  simd::quantizeGroupsInt4MinMax(x, n, group, q1.data(), g1.data(), z1.data(), r1.data());
  simd::quantizeGroupsInt4MinMax_ref(x, n, group, q2.data(), g2.data(), z2.data(), r2.data());
  QCOMPARE(q1, q2);
  QCOMPARE(g1, g2);
  QCOMPARE(z1, z2);
  QCOMPARE(r1, r2);
  if (scales) *scales = g1;
  if (zeros) *zeros = z1;
}

}  // namespace quench::test
