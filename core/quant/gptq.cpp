#include "core/quant/gptq.h"
#include "core/exec/parallel.h"

#include <cblas.h>

#include <algorithm>
#include <numeric>

extern "C" {
// LAPACK (column-major): Cholesky factor and inverse of a triangular matrix.
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dtrtri_(const char* uplo, const char* diag, const int* n, double* a, const int* lda, int* info);
}

namespace quench {

std::vector<double> gptqHessian(const aware::Activations& x, double damp, std::vector<std::uint8_t>& dead) {
  const std::size_t n = x.features;
  std::vector<double> h = aware::gram(x, 2.0 / static_cast<double>(x.tokens));
  dead.assign(n, 0);
  double sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    double& d = h[j * n + j];
    if (d == 0) {
      d = 1;
      dead[j] = 1;
    }
    sum += d;
  }
  const double add = damp * (sum / static_cast<double>(n));
  for (std::size_t j = 0; j < n; ++j) h[j * n + j] += add;
  return h;
}

Result<std::vector<double>> gptqInverseFactor(std::vector<double> h, std::size_t n) {
  // H⁻¹ = UᵀU with U upper ⇔ H = V·Vᵀ with V = U⁻¹ upper. With J the reversal, J·H·J = (JVJ)(JVJ)ᵀ
  // and JVJ is lower: the Cholesky factor L of J·H·J. So U = J·L⁻¹·J: one Cholesky factorization
  // and one triangular inverse (2n³/3 flops), instead of Cholesky, inverse and Cholesky again.
  // In memory: reversing the row-major buffer gives J·H·J with H's upper triangle landing in the
  // row-major lower = column-major upper triangle, which LAPACK's "U" routines read; their
  // column-major upper factor is the row-major L, their inverse the row-major L⁻¹, and reversing
  // again gives U. No copy of the n × n matrix is made.
  if (h.size() != n * n) return makeError("gptq: H must be n × n");
  std::reverse(h.begin(), h.end());
  const int ni = static_cast<int>(n);
  int info = 0;
  dpotrf_("U", &ni, h.data(), &ni, &info);
  if (info > 0)
    return makeError("gptq: H + λ·mean(diag H)·I is not positive definite (leading minor " +
                         std::to_string(info) + " of the reversed H); raise the dampening (--damp)",
                     "damp");
  if (info < 0) return makeError("gptq: dpotrf rejected argument " + std::to_string(-info));
  dtrtri_("U", "N", &ni, h.data(), &ni, &info);
  if (info != 0) return makeError("gptq: the Cholesky factor is singular at " + std::to_string(info), "damp");
  std::reverse(h.begin(), h.end());
  for (std::size_t r = 1; r < n; ++r) std::fill_n(h.data() + r * n, r, 0.0);  // what LAPACK left untouched
  return h;
}

namespace {

// Part of element (i, c) of a strided partition of a (rows × cols) matrix (partition.h numbering).
struct PartIndex {
  PartitionKind kind;
  std::size_t cols, group, perLine;
  std::size_t operator()(std::size_t i, std::size_t c) const {
    switch (kind) {
      case PartitionKind::Tensor: return 0;
      case PartitionKind::Row: return i;
      case PartitionKind::Column: return c;
      case PartitionKind::GroupAlongRow: return i * perLine + c / group;
      case PartitionKind::GroupAlongColumn: return c * perLine + i / group;
      case PartitionKind::Custom: break;
    }
    return 0;
  }
};

}  // namespace

Status gptqQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, std::vector<double> h,
                    std::span<const std::uint8_t> dead, const Partition& partition, const IntegerParams& ip,
                    const GptqOptions& options, QuantResult& out, const Work& work) {
  if (!partition.isStrided()) return makeError("gptq: custom partitions are not supported", "partition");
  // A per-tensor partition is one part of numel elements whatever its view; the others must view
  // the weight as (rows × cols).
  const bool shapeOk = partition.kind() == PartitionKind::Tensor
                           ? static_cast<std::size_t>(partition.numel()) == rows * cols
                           : static_cast<std::size_t>(partition.rowCount()) == rows &&
                                 static_cast<std::size_t>(partition.colCount()) == cols;
  if (!shapeOk) return makeError("gptq: the partition does not match the weight's shape", "partition");
  if (options.batch == 0) return makeError("gptq: the batch size must be at least 1");
  const std::size_t n = cols, parts = partition.partCount();
  const PartIndex partOf{partition.kind(), cols, static_cast<std::size_t>(std::max<std::int64_t>(partition.groupSize(), 1)),
                         partition.kind() == PartitionKind::GroupAlongRow
                             ? (cols + partition.groupSize() - 1) / partition.groupSize()
                         : partition.kind() == PartitionKind::GroupAlongColumn
                             ? (rows + partition.groupSize() - 1) / partition.groupSize()
                             : 0};

  // Processing order: identity, or by decreasing H_jj (stable: equal values keep index order).
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  if (options.actOrder)
    std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) { return h[a * n + a] > h[b * n + b]; });

  // W with dead columns zeroed (their reconstruction is 0), in processing order, in double.
  auto wzAt = [&](std::size_t i, std::size_t c) { return dead[c] ? 0.0f : w[i * cols + c]; };
  std::vector<double> wp(rows * n);
  exec::parallelFor(0, rows, 64, [&](exec::Range rr) {
    for (std::size_t i = rr.begin; i < rr.end; ++i)
      for (std::size_t a = 0; a < n; ++a) wp[i * n + a] = wzAt(i, perm[a]);
  });
  if (options.actOrder) {
    // The permuted H, upper triangle from H's upper triangle.
    std::vector<double> hp(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = a; b < n; ++b)
        hp[a * n + b] = h[std::min(perm[a], perm[b]) * n + std::max(perm[a], perm[b])];
    h.swap(hp);
  }
  auto uf = gptqInverseFactor(std::move(h), n);
  if (!uf) return uf.error();
  const std::vector<double>& u = *uf;
  if (work.cancelled()) return makeError("gptq: cancelled");

  // Part parameters: with act-order all from W (static groups); otherwise each part's when the
  // batch holding its first column starts, from W as it stands after the earlier batches.
  std::vector<PartParams> params(parts);
  std::vector<std::vector<std::size_t>> partsStartingIn((n + options.batch - 1) / options.batch);
  for (std::size_t p = 0; p < parts; ++p) {
    const auto first = static_cast<std::size_t>(partition.run(p).start) % cols;
    partsStartingIn[options.actOrder ? 0 : first / options.batch].push_back(p);
  }
  std::vector<std::size_t> inverse(n);  // original column → processing position
  for (std::size_t a = 0; a < n; ++a) inverse[perm[a]] = a;
  auto calibrateParts = [&](const std::vector<std::size_t>& list) -> Status {
    std::vector<std::string> errors(list.size());
    exec::parallelFor(0, list.size(), 1, [&](exec::Range r) {
      std::vector<float> values;
      for (std::size_t k = r.begin; k < r.end; ++k) {
        const std::size_t p = list[k];
        values.clear();
        partition.forEachIndex(p, [&](std::int64_t flat) {
          const auto i = static_cast<std::size_t>(flat) / cols, c = static_cast<std::size_t>(flat) % cols;
          values.push_back(options.actOrder ? wzAt(i, c) : static_cast<float>(wp[i * n + inverse[c]]));
        });
        auto pp = aware::calibratePart(values, ip, p);
        if (!pp) errors[k] = pp.error().message;
        else params[p] = *pp;
      }
    });
    for (const auto& e : errors)
      if (!e.empty()) return makeError("gptq: " + e);
    return {};
  };

  out.parts.clear();
  out.aware.reset();
  out.reconstruction.assign(rows * cols, 0.0f);  // reuses the buffers of an earlier result
  out.codes.assign(rows * cols, 0);
  out.saturated.assign(rows * cols, 0);
  std::vector<double> err;
  for (std::size_t b0 = 0; b0 < n; b0 += options.batch) {
    if (work.cancelled()) return makeError("gptq: cancelled");
    const std::size_t b1 = std::min(n, b0 + options.batch), nb = b1 - b0;
    if (Status s = calibrateParts(partsStartingIn[b0 / options.batch]); !s) return s;
    err.assign(rows * nb, 0.0);
    // Rows are independent: each quantizes its batch columns in order, updating the rest of its
    // batch at once after each column (w_k −= e_j·U_jk).
    exec::parallelFor(0, rows, 16, [&](exec::Range rr) {
      for (std::size_t i = rr.begin; i < rr.end; ++i) {
        double* row = wp.data() + i * n;
        for (std::size_t a = b0; a < b1; ++a) {
          const std::size_t c = perm[a];
          const std::size_t flat = i * cols + c;
          const aware::ElementResult q = aware::quantizeValue(row[a], params[partOf(i, c)], ip, flat);
          out.codes[flat] = static_cast<std::int32_t>(q.code);
          out.reconstruction[flat] = q.recon;
          out.saturated[flat] = q.saturated;
          const double e = (row[a] - static_cast<double>(q.recon)) / u[a * n + a];
          err[i * nb + (a - b0)] = e;
          const double* ua = u.data() + a * n;
          for (std::size_t k = a + 1; k < b1; ++k) row[k] -= e * ua[k];
        }
      }
    });
    // The columns after the batch: W[:, b1:] −= E·U[b0:b1, b1:].
    if (b1 < n)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(n - b1),
                  static_cast<int>(nb), -1.0, err.data(), static_cast<int>(nb), u.data() + b0 * n + b1,
                  static_cast<int>(n), 1.0, wp.data() + b1, static_cast<int>(n));
  }
  aware::finishReport(out, w, partition, params, ip.bits, aware::integerMetaBits(ip));
  return {};
}

}  // namespace quench
