#pragma once
// The method options of `quantize` as `eval` and `sweep` take them: one recipe rule built from the
// command line, applied to every tensor of rank ≥ 2 unless --tensors GLOB narrows it.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "core/recipe/recipe.h"

namespace quench::cli {

struct MethodOptions {
  std::string method, partition, calib, round, scaleFormat, arithmetic, format, sparsity, tensors = "*";
  int bits = 0, block = -1;
  double threshold = 0;
  bool symmetric = false, asymmetric = false, doubleQuant = false;
};

/// Adds --method, --bits, --symmetric/--asymmetric, --partition, --calib, --round, --scale-format,
/// --arithmetic, --format, --block, --double-quant, --sparsity, --threshold and --tensors.
void addMethodOptions(CLI::App& cmd, MethodOptions& o);

/// The rule these options describe ({"tensors": ..., "method": ..., keys given}); an error when a
/// key is given without --method or both --symmetric and --asymmetric are.
Result<nlohmann::ordered_json> methodRule(const MethodOptions& o);

/// A validated one-rule recipe.
Result<Recipe> recipeFromRule(const nlohmann::ordered_json& rule);

}  // namespace quench::cli
