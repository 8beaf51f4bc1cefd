// libFuzzer target for explicit-LM JSON (core/divergence/explicit_lm.h, quench-cli lm-divergence):
// any bytes give an error naming the file or a model whose every conditional is a pmf over its
// vocabulary (finite, non-negative, summing to 1 within 1e-9) for any prefix; and the exact
// divergence of the model with itself, when small enough to enumerate, is zero. Never a crash.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/divergence/explicit_lm.h"
#include "core/io/text_file.h"

namespace {
void checkAt(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_explicit_lm: property at line %d violated\n", line);
  std::abort();
}
}  // namespace
#define check(ok) checkAt((ok), __LINE__)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (quench::jsonDepthError(text)) return 0;  // ExplicitLm::load refuses these before parsing
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  auto lm = quench::ExplicitLm::fromJson(j, "fuzz.json");
  if (!lm) {
    check(lm.error().message.rfind("fuzz.json: ", 0) == 0);
    return 0;
  }
  const auto v = static_cast<std::int32_t>(lm->vocabSize());
  check(v > 0);
  // Prefixes from the input's bytes: every one falls back to some context's pmf.
  std::vector<std::int32_t> prefix;
  for (std::size_t i = 0; i <= std::min<std::size_t>(size, 8); ++i) {
    const auto p = lm->next(prefix);
    check(p.size() == lm->vocabSize());
    double sum = 0;
    for (double x : p) {
      check(std::isfinite(x) && x >= 0);
      sum += x;
    }
    check(std::fabs(sum - 1) <= 1e-6);
    if (i < size) prefix.push_back(static_cast<std::int32_t>(data[i] % v));
  }
  if (lm->vocabSize() <= 16) {
    auto d = quench::exactLmDivergence(*lm, *lm, 2);
    check(d.ok());
    check(std::fabs(d->klJoint) <= 1e-12 && std::fabs(d->jsJoint) <= 1e-12);
  }
  return 0;
}
