#pragma once
// The method options of every command that quantizes (quantize, eval, sweep), generated from the
// method registry (core/quant/method.h): --method, and one flag per recipe key of any registered
// method (--bits, --partition, ...; "scale_format" is --scale-format). A Bool key is a switch,
// with its opposite when it has one (--symmetric/--asymmetric). The --help text of each flag says
// which methods take it, with their defaults. A method registered later (a test's, an
// extension's) gets its flags here without a line of this file changing.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/recipe/recipe.h"

namespace quench::cli {

class MethodOptions {
 public:
  /// Adds --method (default `defaultMethod`; "" = none unless given), --tensors GLOB when
  /// `withTensors`, and every method key's flag to `cmd`.
  void addTo(CLI::App& cmd, std::string defaultMethod = {}, bool withTensors = true);

  /// --method as given (or its default).
  const std::string& method() const { return m_method; }
  /// --tensors (default "*": every tensor of rank ≥ 2).
  const std::string& tensors() const { return m_tensors; }
  /// Whether `flag` ("--bits") was on the command line.
  bool given(std::string_view flag) const;
  /// The text of option `flag` ("--round") when given.
  std::optional<std::string> text(std::string_view flag) const;
  /// The method flags given, in registry order ("--bits", "--asymmetric"; not --method, --tensors).
  std::vector<std::string> givenFlags() const;
  /// Every method flag (given or not), in registry order.
  std::vector<std::string> allFlags() const;

 private:
  CLI::App* m_cmd = nullptr;
  std::string m_method, m_tensors = "*";
  std::map<std::string, std::string> m_texts;  // option flag → text (node-stable: CLI11 keeps pointers)
  std::map<std::string, bool> m_switches;      // switch flag → set
  std::vector<std::string> m_order;            // flags in registry order
};

/// The parameters of --method from the flags given: each flag's text is read as its key's type
/// and validated by the method; errors name the flag ("--bits: bits must be 2..8 or 16, got 9",
/// "--bits does not apply to --method nf4", "--method: unknown method 'x' (expected ...)"). Flags
/// in `anyMethod` are accepted with every method (quantize's --threshold also reports outlier
/// columns) and set the key only where the method has it.
Result<MethodParams> methodFromOptions(const MethodOptions& o, const std::set<std::string>& anyMethod = {});

/// The one recipe rule the flags describe ({"tensors": ..., "method": ..., keys given}), values
/// typed for JSON but not validated (a sweep replaces one key before the rule must be valid);
/// an empty object when neither --method nor any method flag is given. Errors: a method flag
/// without --method, a flag the method does not take, a value that is not of its key's type.
Result<nlohmann::ordered_json> methodRule(const MethodOptions& o);

/// A validated one-rule recipe.
Result<Recipe> recipeFromRule(const nlohmann::ordered_json& rule);

/// The flag ("--bits") of the recipe key an error's path starts with, for `method`; "" when the
/// path names no flag of it.
std::string flagOfPath(const MethodDescriptor& method, std::string_view path, const MethodOptions* given = nullptr);

/// --help of --activations: which methods take the activations X, and whether they must.
std::string activationsHelp();

}  // namespace quench::cli
