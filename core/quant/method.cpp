#include "core/quant/method.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace quench {

// ---- values and the checks every parameter of a type shares ------------------------------------

namespace {

std::string shortest(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

std::string orList(const std::vector<ParamChoice>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i].key;
  }
  return out;
}

}  // namespace

std::string paramValueText(const ParamValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return shortest(*d);
  return std::get<std::string>(v);
}

namespace param_detail {

ParamDescriptor base(std::string key, ParamType type) {
  ParamDescriptor d;
  d.key = std::move(key);
  d.id = d.key;
  d.flag = d.key;
  std::replace(d.flag.begin(), d.flag.end(), '_', '-');
  d.noun = d.key;
  std::replace(d.noun.begin(), d.noun.end(), '_', ' ');
  d.label = d.noun;
  d.type = type;
  return d;
}

std::string rangeText(const ParamDescriptor& d) {
  if (!d.allowedText.empty()) return d.allowedText;
  if (d.type == ParamType::Int)
    return shortest(d.min) + ".." + shortest(d.max);
  if (d.minExclusive && d.min == 0 && std::isinf(d.max)) return "positive and finite";
  const std::string hi = std::isinf(d.max) ? "∞)" : shortest(d.max) + "]";
  return "a number in " + std::string(d.minExclusive ? "(" : "[") + shortest(d.min) + ", " + hi;
}

Status checkInt(const ParamDescriptor& d, const ParamValue& v, std::int64_t& out) {
  const std::int64_t* i = std::get_if<std::int64_t>(&v);
  if (!i) return makeError("expected an integer, got " + paramValueText(v), d.key);
  const bool inRange = static_cast<double>(*i) >= d.min && static_cast<double>(*i) <= d.max;
  if (!inRange || (d.allowed && !d.allowed(*i)))
    return makeError(d.noun + " must be " + rangeText(d) + ", got " + std::to_string(*i), d.key);
  out = *i;
  return {};
}

Status checkNumber(const ParamDescriptor& d, const ParamValue& v, double& out) {
  double x = 0;
  if (const double* p = std::get_if<double>(&v)) x = *p;
  else if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) x = static_cast<double>(*i);
  else return makeError("expected a number, got " + paramValueText(v), d.key);
  const bool low = d.minExclusive ? x > d.min : x >= d.min;
  if (!std::isfinite(x) || !low || !(x <= d.max))
    return makeError(d.noun + " must be " + rangeText(d) + ", got " + shortest(x), d.key);
  out = x;
  return {};
}

Status checkBool(const ParamDescriptor& d, const ParamValue& v, bool& out) {
  const bool* b = std::get_if<bool>(&v);
  if (!b) return makeError("expected true or false, got " + paramValueText(v), d.key);
  out = *b;
  return {};
}

Status checkChoice(const ParamDescriptor& d, const ParamValue& v, std::size_t& index) {
  const std::string* s = std::get_if<std::string>(&v);
  if (!s) return makeError("expected a string, got " + paramValueText(v), d.key);
  for (std::size_t i = 0; i < d.choices.size(); ++i)
    if (d.choices[i].key == *s) {
      index = i;
      return {};
    }
  return makeError("unknown " + d.noun + " '" + *s + "' (expected " + orList(d.choices) + ")", d.key);
}

}  // namespace param_detail

// ---- MethodParams ---------------------------------------------------------------------------------

MethodParams::MethodParams() : MethodParams(*registeredMethods().front()) {}

MethodParams::MethodParams(const MethodDescriptor& method) : m_method(&method), m_settings(method.makeSettings()) {}

MethodParams::MethodParams(const MethodDescriptor* method, std::unique_ptr<SettingsBox> settings)
    : m_method(method), m_settings(std::move(settings)) {}

MethodParams MethodParams::defaults(std::string_view name) {
  const MethodDescriptor* m = findMethod(name);
  if (!m) {
    std::fprintf(stderr, "quench: no method named '%.*s' is registered\n", static_cast<int>(name.size()), name.data());
    std::abort();
  }
  return MethodParams(*m);
}

MethodParams::MethodParams(const MethodParams& other)
    : m_method(other.m_method), m_settings(other.m_settings->clone()) {}

MethodParams& MethodParams::operator=(const MethodParams& other) {
  if (this != &other) {
    m_method = other.m_method;
    m_settings = other.m_settings->clone();
  }
  return *this;
}

std::string_view MethodParams::name() const { return m_method->name(); }

void MethodParams::wrongType(const std::type_info& wanted) const {
  std::fprintf(stderr, "quench: the settings of method '%s' are not a %s\n", m_method->info().name.c_str(),
               wanted.name());
  std::abort();
}

std::optional<ParamValue> MethodParams::value(std::string_view key) const {
  const ParamDescriptor* p = m_method->param(key);
  if (!p || p->type == ParamType::PartOverrides) return std::nullopt;
  return p->get(settings());
}

Status MethodParams::set(std::string_view key, const ParamValue& v) {
  const ParamDescriptor* p = m_method->param(key);
  if (!p || p->type == ParamType::PartOverrides)
    return makeError("unknown key for method '" + m_method->info().name + "'", std::string(key));
  return p->set(settings(), v);
}

const PartOverrides* MethodParams::overrides() const {
  for (const ParamDescriptor& p : m_method->params())
    if (p.type == ParamType::PartOverrides) return p.overrides(const_cast<void*>(settings()));
  return nullptr;
}

PartOverrides* MethodParams::overrides() {
  for (const ParamDescriptor& p : m_method->params())
    if (p.type == ParamType::PartOverrides) return p.overrides(settings());
  return nullptr;
}

Status MethodParams::validate() const { return m_method->validateImpl(settings()); }

void MethodParams::reconcile(const MethodParams& before, std::string_view key) {
  if (before.m_method != m_method) return;  // a method switch keeps the other method's own settings
  m_method->reconcileImpl(settings(), before.settings(), key);
}

bool MethodParams::isRelevant(std::string_view key) const { return m_method->relevantImpl(settings(), key); }

std::string MethodParams::label(LabelStyle style) const { return m_method->labelImpl(settings(), style); }

std::optional<double> MethodParams::bitsPerParam(std::span<const std::int64_t> shape) const {
  return m_method->bitsImpl(settings(), shape);
}

PartLayout MethodParams::partLayout() const { return m_method->layoutImpl(settings()); }

Status MethodParams::quantize(const QuantizeContext& ctx, QuantResult& out) const {
  const CalibrationNeeds& needs = m_method->info().needs;
  const std::string& name = m_method->info().name;
  const auto cols = static_cast<std::size_t>(ctx.tensor.cols());
  const FloatTensor* x = ctx.calibration.activations;
  if (needs.activations == Need::Required && !x)
    return makeError(name + ": needs the activations X (tokens × in) of the layer", "activations");
  if (needs.activations != Need::None && x && static_cast<std::size_t>(x->cols()) != cols)
    return makeError(name + ": activations have " + std::to_string(x->cols()) + " features, the weight has " +
                         std::to_string(cols) + " input columns",
                     "activations");
  const std::span<const float> v = ctx.calibration.importance;
  if (needs.importance == Need::Required && v.empty())
    return makeError(name + ": needs an importance matrix (one value per input column)", "importance");
  if (needs.importance != Need::None && !v.empty() && v.size() != cols)
    return makeError(name + ": the importance matrix has " + std::to_string(v.size()) + " values, the weight has " +
                         std::to_string(cols) + " input columns",
                     "importance");
  // Inputs a method does not take are ignored: the GUI hands its activations to every method.
  return m_method->quantizeImpl(settings(), ctx, out);
}

Result<std::vector<PartParams>> MethodParams::proposal(const QuantizeContext& ctx) const {
  return m_method->proposalImpl(settings(), ctx);
}

bool operator==(const MethodParams& a, const MethodParams& b) {
  return a.m_method == b.m_method && a.m_settings->equals(*b.m_settings);
}

// ---- MethodDescriptor -----------------------------------------------------------------------------

MethodDescriptor::MethodDescriptor(MethodInfo info, std::vector<ParamDescriptor> params)
    : m_info(std::move(info)), m_params(std::move(params)) {}

const ParamDescriptor* MethodDescriptor::param(std::string_view key) const {
  for (const ParamDescriptor& p : m_params)
    if (p.key == key) return &p;
  return nullptr;
}

// ---- the registry ---------------------------------------------------------------------------------

// The built-in methods, in the order the editor and messages list them (method_registry.cpp).
std::vector<const MethodDescriptor*> builtinMethods();

namespace {

struct Registry {
  std::vector<const MethodDescriptor*> list;                // built-ins are function-local statics
  std::vector<std::unique_ptr<MethodDescriptor>> owned;     // the ones registerMethod added
};

Status checkNew(const Registry& r, const MethodDescriptor& m) {
  if (m.name().empty()) return makeError("a method needs a name");
  for (const MethodDescriptor* other : r.list)
    if (other->name() == m.name()) return makeError("method '" + std::string(m.name()) + "' is registered already");
  const auto& params = m.params();
  for (std::size_t i = 0; i < params.size(); ++i)
    for (std::size_t j = i + 1; j < params.size(); ++j)
      if (params[i].key == params[j].key)
        return makeError("method '" + std::string(m.name()) + "' has two parameters '" + params[i].key + "'");
  // A flag shared with another method must read the same way (a switch, or an option with a value).
  for (const ParamDescriptor& p : params) {
    if (p.flag.empty()) continue;
    for (const MethodDescriptor* other : r.list)
      for (const ParamDescriptor& q : other->params()) {
        const bool same = q.flag == p.flag || (!q.falseFlag.empty() && q.falseFlag == p.flag) ||
                          (!p.falseFlag.empty() && (p.falseFlag == q.flag || p.falseFlag == q.falseFlag));
        if (same && (q.type == ParamType::Bool) != (p.type == ParamType::Bool))
          return makeError("method '" + std::string(m.name()) + "': --" + p.flag + " is a switch for one method and " +
                           "takes a value for another ('" + std::string(other->name()) + "')");
      }
  }
  return {};
}

Registry& registry() {
  static Registry r = [] {
    Registry init;
    for (const MethodDescriptor* m : builtinMethods()) {
      if (Status s = checkNew(init, *m); !s) {
        std::fprintf(stderr, "quench: built-in method registry: %s\n", s.error().message.c_str());
        std::abort();
      }
      init.list.push_back(m);
    }
    return init;
  }();
  return r;
}

}  // namespace

const std::vector<const MethodDescriptor*>& registeredMethods() { return registry().list; }

const MethodDescriptor* findMethod(std::string_view name) {
  for (const MethodDescriptor* m : registeredMethods())
    if (m->name() == name) return m;
  return nullptr;
}

std::string methodNamesText() {
  std::vector<ParamChoice> names;
  for (const MethodDescriptor* m : registeredMethods()) names.push_back({std::string(m->name()), {}});
  return orList(names);
}

Status registerMethod(std::unique_ptr<MethodDescriptor> method) {
  if (!method) return makeError("no method to register");
  Registry& r = registry();
  if (Status s = checkNew(r, *method); !s) return s;
  r.list.push_back(method.get());
  r.owned.push_back(std::move(method));
  return {};
}

}  // namespace quench
