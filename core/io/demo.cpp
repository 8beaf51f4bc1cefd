#include "core/io/demo.h"

#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <string>

namespace quench {

namespace {

constexpr std::int64_t kDim = 512;      // model width
constexpr std::int64_t kKvDim = 256;    // 4 of 8 heads for k/v (grouped-query attention)
constexpr std::int64_t kHidden = 1376;  // FFN width (≈ 8/3 · 512, rounded to a multiple of 32)
constexpr std::int64_t kVocab = 2048;
constexpr int kLayers = 2;

constexpr std::array<std::int64_t, 6> kOutlierColumns{17, 90, 211, 302, 388, 469};

// How a tensor's values are drawn.
enum class Kind {
  Norm,           // RMSNorm gains: near 1
  Weight,         // Gaussian rows with log-normal per-row std and a Student-t tail
  OutlierWeight,  // Weight, plus kOutlierColumns scaled by kDemoOutlierScale
};

struct Spec {
  TensorInfo info;
  Kind kind;
};

// splitmix64: decorrelates the per-tensor and per-row seeds derived from one user seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Standard normal variates by Box–Muller on mt19937_64, identical on every standard library
// (std::normal_distribution is not).
class Gauss {
 public:
  explicit Gauss(std::uint64_t seed) : m_rng(seed) {}
  // Uniform on (0, 1]: 53 random bits, shifted so log() never sees 0.
  double uniform() { return (static_cast<double>(m_rng() >> 11) + 1.0) * 0x1.0p-53; }
  double operator()() {
    if (m_hasSpare) {
      m_hasSpare = false;
      return m_spare;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double t = 2.0 * std::numbers::pi * uniform();
    m_spare = r * std::sin(t);
    m_hasSpare = true;
    return r * std::cos(t);
  }
  // Student-t with 3 degrees of freedom, scaled to unit variance (var of t_ν is ν/(ν−2) = 3).
  double studentT3() {
    const double z = (*this)();
    double chi2 = 0;
    for (int i = 0; i < 3; ++i) {
      const double g = (*this)();
      chi2 += g * g;
    }
    return z / std::sqrt(chi2 / 3.0) / std::sqrt(3.0);
  }

 private:
  std::mt19937_64 m_rng;
  double m_spare = 0;
  bool m_hasSpare = false;
};

Spec makeSpec(std::string name, Shape shape, Kind kind) {
  Spec s;
  s.info.name = std::move(name);
  s.info.dtype = DType::F32;
  s.info.bytes = *checkedElementCount(shape) * sizeof(float);
  s.info.shape = std::move(shape);
  s.kind = kind;
  return s;
}

std::vector<Spec> demoSpecs() {
  std::vector<Spec> specs;
  specs.push_back(makeSpec("token_embd.weight", {kVocab, kDim}, Kind::Weight));
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    specs.push_back(makeSpec(p + "attn_norm.weight", {kDim}, Kind::Norm));
    specs.push_back(makeSpec(p + "attn_q.weight", {kDim, kDim}, Kind::OutlierWeight));
    specs.push_back(makeSpec(p + "attn_k.weight", {kKvDim, kDim}, Kind::OutlierWeight));
    specs.push_back(makeSpec(p + "attn_v.weight", {kKvDim, kDim}, Kind::OutlierWeight));
    specs.push_back(makeSpec(p + "attn_output.weight", {kDim, kDim}, Kind::Weight));
    specs.push_back(makeSpec(p + "ffn_norm.weight", {kDim}, Kind::Norm));
    specs.push_back(makeSpec(p + "ffn_gate.weight", {kHidden, kDim}, Kind::OutlierWeight));
    specs.push_back(makeSpec(p + "ffn_up.weight", {kHidden, kDim}, Kind::OutlierWeight));
    specs.push_back(makeSpec(p + "ffn_down.weight", {kDim, kHidden}, Kind::Weight));
  }
  specs.push_back(makeSpec("output_norm.weight", {kDim}, Kind::Norm));
  return specs;
}

class DemoReader final : public TensorReader {
 public:
  explicit DemoReader(std::uint64_t seed) : m_seed(seed) {
    for (auto& s : demoSpecs()) {
      m_infos.push_back(s.info);
      m_kinds.push_back(s.kind);
    }
    m_metadata = {{"generator", "Quench demo (synthetic, Llama-style 2-layer block)"},
                  {"seed", std::to_string(seed)},
                  {"outlier_columns", "[17,90,211,302,388,469]"}};
  }

  std::string_view format() const override { return "demo"; }
  const std::string& path() const override { return m_path; }
  const std::vector<TensorInfo>& tensors() const override { return m_infos; }
  const Metadata& metadata() const override { return m_metadata; }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index >= m_infos.size())
      return makeError(m_path + ": tensor index " + std::to_string(index) + " out of range");
    const TensorInfo& info = m_infos[index];
    FloatTensor t;
    t.name = info.name;
    t.shape = info.shape;
    t.values.resize(info.bytes / sizeof(float));
    const std::int64_t rows = t.rows(), cols = t.cols();
    const std::uint64_t tensorSeed = mix(m_seed ^ mix(index + 1));

    if (m_kinds[index] == Kind::Norm) {
      Gauss g(tensorSeed);
      // Trained RMSNorm gains scatter around 1 with a slight skew towards larger values.
      for (float& v : t.values) v = static_cast<float>(1.0 + 0.08 * g() + 0.02 * std::fabs(g()));
      return t;
    }

    // Initialisation-scale std (1/√fan_in), then per row a log-normal factor: trained matrices
    // have rows of very different norms.
    const double baseStd = 1.0 / std::sqrt(static_cast<double>(cols));
    const bool outliers = m_kinds[index] == Kind::OutlierWeight;
    for (std::int64_t r = 0; r < rows; ++r) {
      if (work.cancelled()) return makeError(m_path + ": reading " + info.name + " cancelled");
      // One generator per row: the values of a row do not depend on how many rows came before
      // in some other traversal order.
      Gauss g(mix(tensorSeed ^ static_cast<std::uint64_t>(r)));
      const double rowStd = baseStd * std::exp(0.35 * g());
      float* row = t.values.data() + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) {
        // 90 % Gaussian, 10 % unit-variance Student-t(3): a heavy tail (kurtosis > 3).
        const double x = g.uniform() < 0.9 ? g() : g.studentT3();
        row[c] = static_cast<float>(rowStd * x);
      }
      if (outliers)
        for (std::int64_t c : kOutlierColumns) row[c] *= kDemoOutlierScale;
      if (r % 64 == 63) work.report(static_cast<double>(r + 1), static_cast<double>(rows));
    }
    work.report(static_cast<double>(rows), static_cast<double>(rows));
    return t;
  }

 private:
  std::uint64_t m_seed;
  std::string m_path = "Quench demo";
  std::vector<TensorInfo> m_infos;
  std::vector<Kind> m_kinds;
  Metadata m_metadata;
};

}  // namespace

std::span<const std::int64_t> demoOutlierColumns() { return kOutlierColumns; }

std::unique_ptr<TensorReader> makeDemoReader(std::uint64_t seed) {
  return std::make_unique<DemoReader>(seed);
}

}  // namespace quench
