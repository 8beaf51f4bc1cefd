#pragma once
// The "prune" method (MATH.md §6): magnitude pruning of a fraction per tensor or per row, or N:M
// structured sparsity.
#include "core/quant/method.h"
#include "core/quant/prune.h"

namespace quench {

struct PruneSettings {
  Sparsity sparsity;                     ///< 0.5 by default
  PruneScope scope = PruneScope::Tensor;  ///< the recipe's "partition" (fraction only)
  friend bool operator==(const PruneSettings&, const PruneSettings&) = default;
};

const MethodDescriptor& pruneMethod();

}  // namespace quench
