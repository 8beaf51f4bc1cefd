#include "core/tensor/number_text.h"

#include <charconv>
#include <cmath>

namespace quench {
namespace {

template <class T>
std::string shortestOf(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) v = 0;  // −0 prints as 0: a teacher never writes −0 on the board
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string shortestDecimal(double v) { return shortestOf(v); }
std::string shortestDecimal(float v) { return shortestOf(v); }

}  // namespace quench
