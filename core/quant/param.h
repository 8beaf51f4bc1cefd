#pragma once
// The parameters of a quantization method, described once (issue 12): what a recipe key is
// called, its type, default, allowed values, unit, the MATH.md formula of its tooltip and how its
// value reads and writes the method's own settings struct. The recipe JSON, the quench-cli flags
// and their --help text, and the recipe editor's fields are all generated from these
// descriptions; validation of a single value happens here, once (ParamDescriptor::set).
//
// Values travel as ParamValue (the JSON scalars). A method keeps them typed in its own struct
// (e.g. IntSettings::partition is a PartitionSpec parsed once); the builders in ParamsOf<S> make a
// descriptor from a member pointer, so reading and writing a value never needs per-method code.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/quant/integer.h"
#include "core/tensor/result.h"

namespace quench {

/// A parameter value as JSON carries it (integers and numbers apart, as JSON writes them apart).
using ParamValue = std::variant<bool, std::int64_t, double, std::string>;

/// The value as text: true/false, 8, the shortest decimal that reads back (0.1, 6), a string as is.
std::string paramValueText(const ParamValue& v);

/// Per-part hand-typed parameters of a method (part index → PartOverride).
using PartOverrides = std::map<std::size_t, PartOverride>;

enum class ParamType {
  Bool,           ///< true/false; a checkbox, or a two-choice combo when both sides are named
  Int,            ///< an integer in [min, max] (and `allowed`); a spin box (with a slider over `steps`)
  Number,         ///< a finite real in [min, max]; a spin box (step > 0) or a line edit
  Choice,         ///< one key of `choices`; a combo box
  Spec,           ///< a string in a small language (partition "group:128", calib "percentile:99.9", ...);
                  ///< the editor shows `syntax`: a combo of alternatives, each with its own fields
  PartOverrides,  ///< per-part s, b, L, U typed by hand (the recipe's "overrides"); the parts table
};

/// One allowed value of a Choice (or one side of a Bool shown as a combo).
struct ParamChoice {
  std::string key;    ///< the recipe / CLI spelling ("even")
  std::string label;  ///< the editor's text ("half to even")
};

/// One field of a Spec parameter's editor form (partition's G, calib's P, a custom format's E).
struct SpecArg {
  std::string id;             ///< editor id, e.g. "group", "percentile" (tests and notes name it)
  ParamType type = ParamType::Int;  ///< Int (spin box), Number (line edit) or Choice (combo)
  std::string name;           ///< in notes: "percentile P must be a number in (0, 100], got 'x'"
  std::string label;          ///< text shown before the field ("P ="), empty for none
  std::string prefix;         ///< spin box prefix ("G = ")
  std::string placeholder;    ///< line edit placeholder
  std::string tip;            ///< tooltip
  double min = 0, max = 0;    ///< Int: the spin box's range (wider than valid where a note must explain);
                              ///< Number: the valid range
  bool minExclusive = false;  ///< Number: min itself is not allowed
  std::vector<ParamChoice> choices;  ///< Choice
  ParamValue initial;         ///< the value shown while the current spelling does not set it
};

/// One alternative of a Spec ("group" of partition) and the args its form shows.
struct SpecAlternative {
  std::string key;
  std::string label;
  std::vector<std::string> args;  ///< ids of SpecSyntax::args shown with this alternative
};

/// A Spec value as its editor form holds it: the alternative and the values of its args.
struct SpecForm {
  std::string alternative;
  std::map<std::string, ParamValue> args;
};

/// How a Spec parameter is spelled and edited.
struct SpecSyntax {
  std::vector<SpecAlternative> alternatives;
  std::vector<SpecArg> args;
  /// The form of a (valid) value; args the value does not set get their `initial`.
  std::function<SpecForm(const ParamValue&)> toForm;
  /// The value a form spells (validated afterwards by ParamDescriptor::set).
  std::function<ParamValue(const SpecForm&)> fromForm;
  /// What the value means for a tensor of `shape` ("128 parts of 64"); empty when nothing to say.
  std::function<std::string(const ParamValue&, std::span<const std::int64_t> shape)> hint;
  bool acceptsNumber = false;  ///< a JSON number is a valid spelling too (sparsity 0.5)
  std::string expected;        ///< what a value of the wrong JSON type should have been
};

/// One parameter of a method. Built with ParamsOf<S> and refined with the chained setters.
struct ParamDescriptor {
  std::string key;      ///< recipe key and error path ("scale_format")
  std::string id;       ///< editor field id, default = key (ids that differ name a method's own
                        ///< version of a shared key: prune's partition is "prune_partition")
  std::string flag;     ///< quench-cli flag without dashes, default = key with '_' → '-'; "" = none
  std::string label;    ///< editor label ("bits k")
  std::string noun;     ///< in messages ("bits must be 2..8 or 16"), default = key with '_' → ' '
  std::string help;     ///< one line for --help ("2..8 or 16")
  std::string formula;  ///< the MATH.md formula(s) of the tooltip
  std::string unit;     ///< "bits", "elements", "" when dimensionless
  ParamType type = ParamType::Int;
  bool perPart = false;  ///< the value is one per part (PartOverrides)

  // Int / Number
  double min = 0, max = 0;     ///< allowed range (Number: may be ±inf)
  bool minExclusive = false;   ///< Number: min itself is not allowed
  std::function<bool(std::int64_t)> allowed;  ///< Int: further restriction inside [min, max]
  std::string allowedText;     ///< how messages say the allowed values ("2..8 or 16"); default from the range
  std::vector<std::int64_t> steps;  ///< Int: the values a spin box steps through (and a slider shows)
  bool slider = false;         ///< Int with steps: a slider beside the spin box
  std::string zeroText;        ///< Int: what 0 means in the spin box ("none")
  double step = 0;             ///< Number: spin box step (0: a line edit)
  int decimals = 3;            ///< Number: spin box decimals
  // Bool
  std::optional<ParamChoice> trueChoice, falseChoice;  ///< both set: a combo (keys are the combo's data)
  std::string checkText;       ///< the checkbox's text
  std::string falseFlag;       ///< a second CLI flag that sets false ("asymmetric")
  std::string falseHelp;       ///< its --help line
  /// Command-line defaults that come with the false flag: keys (not given themselves) take these
  /// values when it is given (--asymmetric alone calibrates with minmax).
  std::vector<std::pair<std::string, ParamValue>> falseImplies;
  // Choice
  std::vector<ParamChoice> choices;
  // Spec
  std::shared_ptr<const SpecSyntax> syntax;

  // Access to the method's settings struct (set by ParamsOf<S>; use the member functions).
  std::function<ParamValue(const void* settings)> getter;
  std::function<Status(const ParamDescriptor& self, void* settings, const ParamValue& v)> setter;
  std::function<PartOverrides*(void* settings)> overridesOf;

  /// Reads the value from a settings struct of the method (not for ParamType::PartOverrides).
  ParamValue get(const void* settings) const { return getter(settings); }
  /// Validates `v` alone and stores it; the error's message names the problem without location
  /// ("bits must be 2..8 or 16, got 9") and its path is the key.
  Status set(void* settings, const ParamValue& v) const { return setter(*this, settings, v); }
  /// ParamType::PartOverrides: the overrides of a settings struct.
  PartOverrides* overrides(void* settings) const { return overridesOf(settings); }

  ParamDescriptor&& withLabel(std::string v) && { label = std::move(v); return std::move(*this); }
  ParamDescriptor&& withNoun(std::string v) && { noun = std::move(v); return std::move(*this); }
  ParamDescriptor&& withHelp(std::string v) && { help = std::move(v); return std::move(*this); }
  ParamDescriptor&& withFormula(std::string v) && { formula = std::move(v); return std::move(*this); }
  ParamDescriptor&& withUnit(std::string v) && { unit = std::move(v); return std::move(*this); }
  ParamDescriptor&& withId(std::string v) && { id = std::move(v); return std::move(*this); }
  ParamDescriptor&& withFlag(std::string v) && { flag = std::move(v); return std::move(*this); }
  ParamDescriptor&& withAllowed(std::function<bool(std::int64_t)> f, std::string text) && {
    allowed = std::move(f);
    allowedText = std::move(text);
    return std::move(*this);
  }
  ParamDescriptor&& withSteps(std::vector<std::int64_t> v, bool withSlider) && {
    steps = std::move(v);
    slider = withSlider;
    return std::move(*this);
  }
  ParamDescriptor&& withZeroText(std::string v) && { zeroText = std::move(v); return std::move(*this); }
  ParamDescriptor&& withSpin(double stepSize, int digits) && {
    step = stepSize;
    decimals = digits;
    return std::move(*this);
  }
  ParamDescriptor&& withCombo(ParamChoice whenTrue, ParamChoice whenFalse) && {
    trueChoice = std::move(whenTrue);
    falseChoice = std::move(whenFalse);
    return std::move(*this);
  }
  ParamDescriptor&& withCheckText(std::string v) && { checkText = std::move(v); return std::move(*this); }
  ParamDescriptor&& withFalseFlag(std::string name, std::string helpLine) && {
    falseFlag = std::move(name);
    falseHelp = std::move(helpLine);
    return std::move(*this);
  }
  ParamDescriptor&& withFalseImplies(std::string key, ParamValue value) && {
    falseImplies.emplace_back(std::move(key), std::move(value));
    return std::move(*this);
  }
  ParamDescriptor&& withChoiceLabels(std::vector<std::string> labels) && {
    for (std::size_t i = 0; i < labels.size() && i < choices.size(); ++i) choices[i].label = std::move(labels[i]);
    return std::move(*this);
  }

  /// The tooltip: the formula, else the help line.
  std::string tooltip() const { return formula.empty() ? help : formula; }
};

namespace param_detail {
/// Fills key, id, flag and noun from the key; checks the common JSON types of `v`.
ParamDescriptor base(std::string key, ParamType type);
std::string rangeText(const ParamDescriptor& d);
Status checkInt(const ParamDescriptor& d, const ParamValue& v, std::int64_t& out);
Status checkNumber(const ParamDescriptor& d, const ParamValue& v, double& out);
Status checkBool(const ParamDescriptor& d, const ParamValue& v, bool& out);
Status checkChoice(const ParamDescriptor& d, const ParamValue& v, std::size_t& index);
}  // namespace param_detail

/// A choice of an enum-valued parameter: its value and spelling.
template <class E>
struct EnumChoice {
  E value;
  std::string key;
  std::string label;
};

/// Builders of the parameters of a method whose settings struct is S. Members may belong to a
/// base of S (IntSettings gets bits from IntegerParams; GPTQ's settings may derive from
/// IntSettings and reuse integerParamList<GptqSettings>()).
template <class S>
struct ParamsOf {
  /// An integer member of any integral type, allowed in [min, max].
  template <class T, class C>
  static ParamDescriptor integer(std::string key, T C::*member, std::int64_t min, std::int64_t max) {
    static_assert(std::is_base_of_v<C, S> && std::is_integral_v<T>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::Int);
    d.min = static_cast<double>(min);
    d.max = static_cast<double>(max);
    d.getter = [member](const void* s) { return ParamValue(static_cast<std::int64_t>(static_cast<const S*>(s)->*member)); };
    d.setter = [member](const ParamDescriptor& self, void* s, const ParamValue& v) -> Status {
      std::int64_t i = 0;
      if (Status st = param_detail::checkInt(self, v, i); !st) return st;
      static_cast<S*>(s)->*member = static_cast<T>(i);
      return {};
    };
    return d;
  }
  /// A real member, finite, in [min, max] (min excluded when minExclusive; max may be +inf).
  template <class C>
  static ParamDescriptor number(std::string key, double C::*member, double min, double max, bool minExclusive = false) {
    static_assert(std::is_base_of_v<C, S>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::Number);
    d.min = min;
    d.max = max;
    d.minExclusive = minExclusive;
    d.getter = [member](const void* s) { return ParamValue(static_cast<const S*>(s)->*member); };
    d.setter = [member](const ParamDescriptor& self, void* s, const ParamValue& v) -> Status {
      double x = 0;
      if (Status st = param_detail::checkNumber(self, v, x); !st) return st;
      static_cast<S*>(s)->*member = x;
      return {};
    };
    return d;
  }
  template <class C>
  static ParamDescriptor boolean(std::string key, bool C::*member) {
    static_assert(std::is_base_of_v<C, S>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::Bool);
    d.getter = [member](const void* s) { return ParamValue(static_cast<const S*>(s)->*member); };
    d.setter = [member](const ParamDescriptor& self, void* s, const ParamValue& v) -> Status {
      bool b = false;
      if (Status st = param_detail::checkBool(self, v, b); !st) return st;
      static_cast<S*>(s)->*member = b;
      return {};
    };
    return d;
  }
  /// An enum member with its spellings, in the order the editor and messages list them.
  template <class E, class C>
  static ParamDescriptor choice(std::string key, E C::*member, std::vector<EnumChoice<E>> values) {
    static_assert(std::is_base_of_v<C, S>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::Choice);
    for (const auto& c : values) d.choices.push_back({c.key, c.label});
    d.getter = [member, values](const void* s) {
      for (const auto& c : values)
        if (c.value == static_cast<const S*>(s)->*member) return ParamValue(c.key);
      return ParamValue(values.front().key);
    };
    d.setter = [member, values](const ParamDescriptor& self, void* s, const ParamValue& v) -> Status {
      std::size_t i = 0;
      if (Status st = param_detail::checkChoice(self, v, i); !st) return st;
      static_cast<S*>(s)->*member = values[i].value;
      return {};
    };
    return d;
  }
  /// A typed member parsed from its spelling once: `parse(value)` validates (its error is the
  /// message), `write(member)` gives the value back.
  template <class T, class C, class Parse, class Write>
  static ParamDescriptor spec(std::string key, T C::*member, std::shared_ptr<const SpecSyntax> syntax, Parse parse,
                              Write write) {
    static_assert(std::is_base_of_v<C, S>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::Spec);
    d.syntax = std::move(syntax);
    d.getter = [member, write](const void* s) { return ParamValue(write(static_cast<const S*>(s)->*member)); };
    d.setter = [member, parse](const ParamDescriptor& self, void* s, const ParamValue& v) -> Status {
      const bool text = std::holds_alternative<std::string>(v);
      const bool number = std::holds_alternative<double>(v) || std::holds_alternative<std::int64_t>(v);
      if (!text && !(number && self.syntax->acceptsNumber))
        return makeError("expected " + self.syntax->expected + ", got " + paramValueText(v), self.key);
      Result<T> r = parse(v);
      if (!r) return makeError(r.error().message, self.key);
      static_cast<S*>(s)->*member = std::move(*r);
      return {};
    };
    return d;
  }
  /// The per-part overrides of the integer grid (s, b, L, U): edited in the parts table, written
  /// to the recipe as {"PART": {"scale", "zero", "clip_low", "clip_high"}}.
  template <class C>
  static ParamDescriptor overrides(std::string key, PartOverrides C::*member) {
    static_assert(std::is_base_of_v<C, S>);
    ParamDescriptor d = param_detail::base(std::move(key), ParamType::PartOverrides);
    d.perPart = true;
    d.flag.clear();  // typed per part in a recipe or the editor, never on the command line
    d.overridesOf = [member](void* s) { return &(static_cast<S*>(s)->*member); };
    return d;
  }
};

}  // namespace quench
