#include "core/quant/param_specs.h"

#include <algorithm>
#include <cctype>

namespace quench {

namespace {

std::int64_t argInt(const SpecForm& f, const std::string& id, std::int64_t fallback) {
  auto it = f.args.find(id);
  if (it == f.args.end()) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  if (const auto* d = std::get_if<double>(&it->second)) return static_cast<std::int64_t>(*d);
  return fallback;
}

double argNumber(const SpecForm& f, const std::string& id, double fallback) {
  auto it = f.args.find(id);
  if (it == f.args.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return fallback;
}

std::string argText(const SpecForm& f, const std::string& id, const std::string& fallback) {
  auto it = f.args.find(id);
  if (it == f.args.end()) return fallback;
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return fallback;
}

// The form with every arg at its initial value, then `alternative`.
SpecForm initialForm(const SpecSyntax& syntax, std::string alternative) {
  SpecForm f;
  f.alternative = std::move(alternative);
  for (const SpecArg& a : syntax.args) f.args[a.id] = a.initial;
  return f;
}

}  // namespace

std::shared_ptr<const SpecSyntax> partitionSyntax() {
  static const auto syntax = [] {
    auto s = std::make_shared<SpecSyntax>();
    s->expected = "a string (tensor, row, column, group:G or group:G:column)";
    s->alternatives = {{"tensor", "tensor", {}},
                       {"row", "row", {}},
                       {"column", "column", {}},
                       {"group", "group", {"group", "group_axis"}}};
    SpecArg g;
    g.id = "group";
    g.type = ParamType::Int;
    g.name = "the group size G";
    g.prefix = "G = ";
    g.tip = "group size G: runs of G consecutive elements (g = 32, 64, 128, ...)";
    g.min = 1;
    g.max = 1 << 24;
    g.initial = std::int64_t{128};
    SpecArg axis;
    axis.id = "group_axis";
    axis.type = ParamType::Choice;
    axis.name = "the group axis";
    axis.tip = "along rows: G consecutive elements of a row (stride 1)\n"
               "along columns: G consecutive elements of a column (stride = row length)";
    axis.choices = {{"row", "along rows"}, {"column", "along columns"}};
    axis.initial = std::string("row");
    s->args = {g, axis};
    const SpecSyntax* self = s.get();
    s->toForm = [self](const ParamValue& v) {
      const auto spec = PartitionSpec::parse(std::get<std::string>(v));
      if (!spec) return initialForm(*self, "row");
      switch (spec->kind) {
        case PartitionKind::Tensor: return initialForm(*self, "tensor");
        case PartitionKind::Column: return initialForm(*self, "column");
        case PartitionKind::GroupAlongRow:
        case PartitionKind::GroupAlongColumn: {
          SpecForm f = initialForm(*self, "group");
          f.args["group"] = spec->group;
          f.args["group_axis"] = std::string(spec->kind == PartitionKind::GroupAlongColumn ? "column" : "row");
          return f;
        }
        default: return initialForm(*self, "row");
      }
    };
    s->fromForm = [](const SpecForm& f) {
      if (f.alternative != "group") return ParamValue(f.alternative);
      std::string text = "group:" + std::to_string(argInt(f, "group", 128));
      if (argText(f, "group_axis", "row") == "column") text += ":column";
      return ParamValue(text);
    };
    s->hint = [](const ParamValue& v, std::span<const std::int64_t> shape) -> std::string {
      if (shape.empty()) return {};
      const auto spec = PartitionSpec::parse(std::get<std::string>(v));
      if (!spec) return {};
      const auto part = spec->on(shape);
      if (!part) return {};
      const std::size_t n = part->partCount();
      std::string t = std::to_string(n) + (n == 1 ? " part" : " parts");
      if (part->kind() == PartitionKind::GroupAlongRow || part->kind() == PartitionKind::GroupAlongColumn) {
        const std::int64_t line = part->kind() == PartitionKind::GroupAlongRow ? part->colCount() : part->rowCount();
        if (line % part->groupSize() != 0) t += ", last of each line " + std::to_string(line % part->groupSize());
      } else if (n > 0) {
        t += " of " + std::to_string(part->partSize(0));
      }
      return t;
    };
    return std::shared_ptr<const SpecSyntax>(s);
  }();
  return syntax;
}

std::shared_ptr<const SpecSyntax> calibrationSyntax() {
  static const auto syntax = [] {
    auto s = std::make_shared<SpecSyntax>();
    s->expected = "a string (absmax, minmax, percentile:P, mse, entropy or signed-max)";
    s->alternatives = {{"absmax", "absmax", {}},
                       {"minmax", "min-max", {}},
                       {"percentile", "percentile", {"percentile"}},
                       {"mse", "MSE-optimal", {}},
                       {"entropy", "entropy (KL)", {}},
                       {"signed-max", "signed max (Q4_0)", {}}};
    SpecArg p;
    p.id = "percentile";
    p.type = ParamType::Number;
    p.name = "percentile P";
    p.label = "P =";
    p.placeholder = "P";
    p.tip = "P ∈ (0, 100]: clip range [−P_P(|x|), P_P(|x|)] (symmetric) or [P_(100−P)(x), P_P(x)];\n"
            "the tail beyond it saturates on purpose";
    p.min = 0;
    p.max = 100;
    p.minExclusive = true;
    p.initial = 99.9;
    s->args = {p};
    const SpecSyntax* self = s.get();
    s->toForm = [self](const ParamValue& v) {
      const auto c = parseCalibration(std::get<std::string>(v));
      if (!c) return initialForm(*self, "absmax");
      const std::string spec = calibrationSpec(*c);
      SpecForm f = initialForm(*self, spec.substr(0, spec.find(':')));
      f.args["percentile"] = c->percentile;
      return f;
    };
    s->fromForm = [](const SpecForm& f) {
      if (f.alternative != "percentile") return ParamValue(f.alternative);
      Calibration c;
      c.method = CalibrationMethod::Percentile;
      c.percentile = argNumber(f, "percentile", 99.9);
      return ParamValue(calibrationSpec(c));
    };
    return std::shared_ptr<const SpecSyntax>(s);
  }();
  return syntax;
}

std::shared_ptr<const SpecSyntax> floatFormatSyntax() {
  static const auto syntax = [] {
    auto s = std::make_shared<SpecSyntax>();
    s->expected = "a string (fp16, bf16, e4m3, e5m2, e3m2, e2m3, e2m1 or eXmY)";
    s->alternatives = {{"fp16", "fp16 (E5M10)", {}},      {"bf16", "bf16 (E8M7)", {}},
                       {"e4m3", "fp8 E4M3", {}},          {"e5m2", "fp8 E5M2", {}},
                       {"e3m2", "fp6 E3M2", {}},          {"e2m3", "fp6 E2M3", {}},
                       {"e2m1", "fp4 E2M1", {}},          {"custom", "custom ExMy", {"format_custom", "format_custom_m"}}};
    SpecArg e;
    e.id = "format_custom";
    e.type = ParamType::Int;
    e.name = "the exponent bits e";
    e.prefix = "E";
    e.tip = "e exponent bits, 1..8 (bias 2^(e−1) − 1); 1 + e + m ≤ 16";
    e.min = 0;  // 0 and 9 are typeable so the note can say why they fail
    e.max = 9;
    e.initial = std::int64_t{4};
    SpecArg m;
    m.id = "format_custom_m";
    m.type = ParamType::Int;
    m.name = "the mantissa bits m";
    m.prefix = "M";
    m.tip = "m mantissa bits, 0..15; 1 + e + m ≤ 16";
    m.min = 0;
    m.max = 16;
    m.initial = std::int64_t{3};
    s->args = {e, m};
    const SpecSyntax* self = s.get();
    s->toForm = [self](const ParamValue& v) {
      std::string text = std::get<std::string>(v);
      std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      const auto f = parseFloatFormat(text);
      auto named = [&](const std::string& key) {
        return std::any_of(self->alternatives.begin(), self->alternatives.end(),
                           [&](const SpecAlternative& a) { return a.key == key && a.key != "custom"; });
      };
      SpecForm form = initialForm(*self, named(text) ? text : f && named(f->name) ? f->name : "custom");
      if (f) {
        form.args["format_custom"] = std::int64_t{f->exponentBits};
        form.args["format_custom_m"] = std::int64_t{f->mantissaBits};
      }
      return form;
    };
    s->fromForm = [](const SpecForm& f) {
      if (f.alternative != "custom") return ParamValue(f.alternative);
      return ParamValue("e" + std::to_string(argInt(f, "format_custom", 4)) + "m" +
                        std::to_string(argInt(f, "format_custom_m", 3)));
    };
    return std::shared_ptr<const SpecSyntax>(s);
  }();
  return syntax;
}

Result<Sparsity> sparsityFromValue(const ParamValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return Sparsity::parse(*s);
  return Sparsity::parse(paramValueText(v));
}

ParamValue sparsityValue(const Sparsity& s) {
  if (s.structured) return s.spec();
  return s.fraction;
}

std::shared_ptr<const SpecSyntax> sparsitySyntax() {
  static const auto syntax = [] {
    auto s = std::make_shared<SpecSyntax>();
    s->acceptsNumber = true;
    s->expected = "a fraction or \"N:M\"";
    s->alternatives = {{"fraction", "fraction f", {"fraction"}}, {"nm", "N:M", {"sparsity_n", "sparsity_m"}}};
    SpecArg f;
    f.id = "fraction";
    f.type = ParamType::Number;
    f.name = "the fraction";
    f.placeholder = "0.5";
    f.tip = "fraction f ∈ [0, 1] of the smallest |θ| set to zero";
    f.min = 0;
    f.max = 1;
    f.initial = 0.5;
    SpecArg n;
    n.id = "sparsity_n";
    n.type = ParamType::Int;
    n.name = "N";
    n.prefix = "N ";
    n.tip = "N kept per group, 1 ≤ N ≤ M";
    n.min = 0;
    n.max = 1024;
    n.initial = std::int64_t{2};
    SpecArg m;
    m.id = "sparsity_m";
    m.type = ParamType::Int;
    m.name = "M";
    m.prefix = "M ";
    m.tip = "M consecutive inputs per group";
    m.min = 1;
    m.max = 1024;
    m.initial = std::int64_t{4};
    s->args = {f, n, m};
    const SpecSyntax* self = s.get();
    s->toForm = [self](const ParamValue& v) {
      const auto sp = sparsityFromValue(v);
      if (!sp) return initialForm(*self, "fraction");
      SpecForm form = initialForm(*self, sp->structured ? "nm" : "fraction");
      if (sp->structured) {
        form.args["sparsity_n"] = std::int64_t{sp->n};
        form.args["sparsity_m"] = std::int64_t{sp->m};
      } else {
        form.args["fraction"] = sp->fraction;
      }
      return form;
    };
    s->fromForm = [](const SpecForm& f) {
      if (f.alternative == "nm")
        return ParamValue(std::to_string(argInt(f, "sparsity_n", 2)) + ":" + std::to_string(argInt(f, "sparsity_m", 4)));
      return ParamValue(argNumber(f, "fraction", 0.5));
    };
    return std::shared_ptr<const SpecSyntax>(s);
  }();
  return syntax;
}

}  // namespace quench
