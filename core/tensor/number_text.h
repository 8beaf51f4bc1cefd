#pragma once
// Numbers as text, the same way everywhere (MATH.md §2: the textbook form prints the shortest
// decimal that reads back as the same double: 1.2, not 1.1999999; 0, not −0).
#include <string>

namespace quench {

/// The shortest decimal that round-trips to `v` (std::to_chars): 1.2, 11.499999999999998, 1e-07,
/// 0 for ±0, "inf"/"-inf"/"nan" for non-finite values. ASCII minus.
std::string shortestDecimal(double v);

/// The same for a float32 value (the shortest decimal that reads back as the same float).
std::string shortestDecimal(float v);

}  // namespace quench
