#include "app/cli/method_options.h"

#include "core/quant/aware.h"

#include <algorithm>
#include <charconv>

namespace quench::cli {

namespace {

using Json = nlohmann::ordered_json;

// One method's use of a flag: the parameter, and whether the flag is its false side.
struct FlagUse {
  const MethodDescriptor* method;
  const ParamDescriptor* param;
  bool falseSide;
};

// Every flag of every registered method, each once, in registry order (a method's keys in
// recipe order; a switch's false side right after its true side).
std::vector<std::pair<std::string, std::vector<FlagUse>>> flagTable() {
  std::vector<std::pair<std::string, std::vector<FlagUse>>> table;
  auto add = [&](const std::string& flag, FlagUse use) {
    auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.first == flag; });
    if (it == table.end()) table.push_back({flag, {use}});
    else it->second.push_back(use);
  };
  for (const MethodDescriptor* m : registeredMethods())
    for (const ParamDescriptor& p : m->params()) {
      if (p.flag.empty()) continue;
      add(p.flag, {m, &p, false});
      if (!p.falseFlag.empty()) add(p.falseFlag, {m, &p, true});
    }
  return table;
}

// "nf4, fp4: absmax block B (default 64); float: MX block with an E8M0 scale (0 = none) (default 0)"
std::string helpOf(const std::vector<FlagUse>& uses) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;  // text → methods
  for (const FlagUse& u : uses) {
    const MethodParams defaults = u.method->defaults();
    const ParamValue def = u.param->get(defaults.settings());
    std::string text;
    if (u.param->type == ParamType::Bool) {
      const bool on = std::get<bool>(def);
      text = u.falseSide ? u.param->falseHelp : u.param->help;
      if (u.falseSide != on) text += " (default)";
      if (u.falseSide)
        for (const auto& [key, v] : u.param->falseImplies)
          if (const ParamDescriptor* k = u.method->param(key); k && !k->flag.empty())
            text += "; without --" + k->flag + ": " + paramValueText(v);
    } else {
      text = u.param->help + " (default " + paramValueText(def) + ")";
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == text; });
    if (g == groups.end()) groups.push_back({text, {std::string(u.method->name())}});
    else g->second.push_back(std::string(u.method->name()));
  }
  std::string out;
  for (const auto& [text, methods] : groups) {
    if (!out.empty()) out += "; ";
    for (std::size_t i = 0; i < methods.size(); ++i) out += (i ? ", " : "") + methods[i];
    out += ": " + text;
  }
  return out;
}

// The parameter of `m` that `flag` ("--asymmetric") sets, and whether it sets false.
const ParamDescriptor* paramOfFlag(const MethodDescriptor& m, std::string_view flag, bool& falseSide) {
  for (const ParamDescriptor& p : m.params()) {
    if (p.flag.empty()) continue;
    if ("--" + p.flag == flag) {
      falseSide = false;
      return &p;
    }
    if (!p.falseFlag.empty() && "--" + p.falseFlag == flag) {
      falseSide = true;
      return &p;
    }
  }
  return nullptr;
}

// A flag's text as its key's type reads it.
Result<ParamValue> parseText(const ParamDescriptor& p, const std::string& flag, const std::string& text) {
  if (p.type == ParamType::Int) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
      return makeError(flag + ": '" + text + "' is not an integer");
    return ParamValue(v);
  }
  if (p.type == ParamType::Number) {
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
      return makeError(flag + ": '" + text + "' is not a number");
    return ParamValue(v);
  }
  return ParamValue(text);
}

Result<const MethodDescriptor*> methodOf(const MethodOptions& o) {
  const MethodDescriptor* m = findMethod(o.method());
  if (!m) return makeError("--method: unknown method '" + o.method() + "' (expected " + methodNamesText() + ")");
  return m;
}

Status checkSwitchPairs(const MethodOptions& o) {
  for (const auto& [flag, uses] : flagTable())
    for (const FlagUse& u : uses)
      if (!u.falseSide && !u.param->falseFlag.empty() && o.given("--" + u.param->flag) &&
          o.given("--" + u.param->falseFlag))
        return makeError("give --" + u.param->flag + " or --" + u.param->falseFlag + ", not both");
  return {};
}

// (key, value) of every method flag given, in registry order, plus the implied keys.
Result<std::vector<std::pair<std::string, ParamValue>>> givenValues(const MethodOptions& o, const MethodDescriptor& m,
                                                                     const std::set<std::string>& anyMethod) {
  if (Status s = checkSwitchPairs(o); !s) return s.error();
  std::vector<std::pair<std::string, ParamValue>> values;
  std::set<std::string> keys;
  for (const std::string& flag : o.givenFlags()) {
    bool falseSide = false;
    const ParamDescriptor* p = paramOfFlag(m, flag, falseSide);
    if (!p) {
      if (anyMethod.count(flag)) continue;
      return makeError(flag + " does not apply to --method " + std::string(m.name()));
    }
    if (p->type == ParamType::Bool) {
      values.emplace_back(p->key, ParamValue(!falseSide));
    } else {
      auto v = parseText(*p, flag, *o.text(flag));
      if (!v) return v.error();
      values.emplace_back(p->key, std::move(*v));
    }
    keys.insert(p->key);
  }
  // Command-line defaults of a false switch (--asymmetric alone calibrates with minmax).
  for (const std::string& flag : o.givenFlags()) {
    bool falseSide = false;
    const ParamDescriptor* p = paramOfFlag(m, flag, falseSide);
    if (!p || !falseSide) continue;
    for (const auto& [key, v] : p->falseImplies)
      if (!keys.count(key)) values.emplace_back(key, v);
  }
  return values;
}

Json valueJson(const ParamValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const double* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

}  // namespace

void MethodOptions::addTo(CLI::App& cmd, std::string defaultMethod, bool withTensors) {
  m_cmd = &cmd;
  m_method = std::move(defaultMethod);
  cmd.add_option("--method", m_method,
                 "The method: " + methodNamesText() + (m_method.empty() ? "" : " (default " + m_method + ")"));
  if (withTensors)
    cmd.add_option("--tensors", m_tensors, "Glob over tensor names (default *: every tensor of rank >= 2)");
  for (const auto& [flag, uses] : flagTable()) {
    const std::string name = "--" + flag;
    // A command's own option of the same name wins (eval's --seed samples its sequences); the key
    // is still set from a recipe there.
    if (cmd.get_option_no_throw(name)) continue;
    const bool isSwitch = uses.front().param->type == ParamType::Bool;
    if (isSwitch) cmd.add_flag(name, m_switches[flag], helpOf(uses));
    else cmd.add_option(name, m_texts[flag], helpOf(uses));
    m_order.push_back(name);
  }
}

bool MethodOptions::given(std::string_view flag) const { return m_cmd && m_cmd->count(std::string(flag)) > 0; }

std::optional<std::string> MethodOptions::text(std::string_view flag) const {
  if (!given(flag) || flag.size() < 3) return std::nullopt;
  auto it = m_texts.find(std::string(flag.substr(2)));
  if (it == m_texts.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MethodOptions::givenFlags() const {
  std::vector<std::string> out;
  for (const std::string& f : m_order)
    if (given(f)) out.push_back(f);
  return out;
}

std::vector<std::string> MethodOptions::allFlags() const { return m_order; }

std::string flagOfPath(const MethodDescriptor& method, std::string_view path, const MethodOptions* given) {
  const std::string key(path.substr(0, path.find_first_of(".[")));
  const ParamDescriptor* p = method.param(key);
  if (!p || p->flag.empty()) return {};
  if (!p->falseFlag.empty() && given && given->given("--" + p->falseFlag)) return "--" + p->falseFlag;
  return "--" + p->flag;
}

Result<MethodParams> methodFromOptions(const MethodOptions& o, const std::set<std::string>& anyMethod) {
  auto m = methodOf(o);
  if (!m) return m.error();
  auto values = givenValues(o, **m, anyMethod);
  if (!values) return values.error();
  MethodParams p = (*m)->defaults();
  auto named = [&](const Error& e) {
    const std::string flag = flagOfPath(**m, e.path, &o);
    return flag.empty() ? e : prefixError(flag + ": ", e);
  };
  for (const auto& [key, v] : *values)
    if (Status s = p.set(key, v); !s) return named(s.error());
  if (Status s = p.validate(); !s) return named(s.error());
  return p;
}

Result<Json> methodRule(const MethodOptions& o) {
  Json rule = Json::object();
  if (o.method().empty()) {
    if (!o.givenFlags().empty()) return makeError("method options need --method (" + methodNamesText() + ")");
    return rule;
  }
  auto m = methodOf(o);
  if (!m) return m.error();
  auto values = givenValues(o, **m, {});
  if (!values) return values.error();
  rule["tensors"] = o.tensors();
  rule["method"] = o.method();
  for (const auto& [key, v] : *values) rule[key] = valueJson(v);
  return rule;
}

Result<Recipe> recipeFromRule(const Json& rule) {
  Json j;
  j["quench_recipe"] = kRecipeVersion;
  j["rules"] = Json::array({rule});
  return recipeFromJson(j.dump());
}

std::string activationsHelp() {
  std::string out;
  for (const MethodDescriptor* m : registeredMethods()) {
    const Need need = m->info().needs.activations;
    if (need == Need::None) continue;
    out += (out.empty() ? "" : ", ") + std::string(m->name()) + (need == Need::Required ? " (required)" : " (optional)");
  }
  for (const AwareStep& s : awareSteps()) {
    if (s.activations == Need::None) continue;
    out += (out.empty() ? "" : ", ") + std::string("--aware ") + std::string(s.name) +
           (s.activations == Need::Required ? (s.importance != Need::None ? " (required, or --imatrix)" : " (required)")
                                            : " (optional: the layer-output errors)");
  }
  return out + ": FILE:NAME of the layer's activations X (tokens × in features)";
}

}  // namespace quench::cli
