#include "core/quant/prune_method.h"

#include "core/quant/param_specs.h"

namespace quench {

namespace {

std::vector<ParamDescriptor> pruneParams() {
  using P = ParamsOf<PruneSettings>;
  std::vector<ParamDescriptor> list;
  list.push_back(sparsityParam<PruneSettings>("sparsity", &PruneSettings::sparsity)
                     .withHelp("fraction F of smallest |w| or N:M")
                     .withFormula("fraction f: zero the fraction f of smallest |θ| (per tensor or per row)\n"
                                  "N:M: in each group of M consecutive inputs keep the N largest |θ| (2:4 by default)"));
  list.push_back(P::choice("partition", &PruneSettings::scope,
                           std::vector<EnumChoice<PruneScope>>{{PruneScope::Tensor, "tensor", "per tensor"},
                                                               {PruneScope::Row, "row", "per row"}})
                     .withId("prune_partition")
                     .withLabel("scope")
                     .withNoun("pruning partition")
                     .withHelp("tensor|row (the fraction's ranking unit)")
                     .withFormula("the fraction f is taken of the whole tensor or of every row"));
  return list;
}

class PruneMethod final : public TypedMethod<PruneSettings> {
 public:
  PruneMethod()
      : TypedMethod({"prune", "prune (magnitude / N:M)",
                     "zero the fraction f of smallest |θ|, or keep the N largest |θ| of every M", "§6", {}},
                    pruneParams()) {}

 protected:
  std::string label(const PruneSettings& s, LabelStyle style) const override {
    if (style == LabelStyle::Short) return "prune " + s.sparsity.spec();
    return "prune " + s.sparsity.spec() + " · " + (s.scope == PruneScope::Row ? "row" : "tensor");
  }

  // Magnitude pruning is reported as dense fp32; N:M as N fp32 values and N·⌈log2 M⌉ index bits
  // per group of M (prune.h).
  std::optional<double> bitsPerParam(const PruneSettings& s, std::span<const std::int64_t>) const override {
    if (!s.sparsity.structured) return 32.0;
    int indexBits = 0;
    while ((1 << indexBits) < s.sparsity.m) ++indexBits;
    return (32.0 * s.sparsity.n + static_cast<double>(s.sparsity.n) * indexBits) / s.sparsity.m;
  }

  PartLayout partLayout(const PruneSettings&) const override {
    PartLayout l;
    l.scale = false;
    l.saturation = false;
    return l;
  }

  bool relevant(const PruneSettings& s, std::string_view key) const override {
    return key != "partition" || !s.sparsity.structured;  // N:M groups are along rows anyway
  }

  Status quantize(const PruneSettings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    const auto rowLength = static_cast<std::size_t>(ctx.tensor.cols());
    Result<PruneResult> r = makeError("");
    if (s.sparsity.structured) {
      NmPruneParams np;
      np.n = s.sparsity.n;
      np.m = s.sparsity.m;
      np.rowLength = rowLength;
      r = pruneNM(ctx.tensor.values, np, ctx.work);
    } else {
      MagnitudePruneParams mp;
      mp.fraction = s.sparsity.fraction;
      mp.scope = s.scope;
      mp.rowLength = rowLength;
      r = pruneMagnitude(ctx.tensor.values, mp, ctx.work);
    }
    if (!r) return r.error();
    out = QuantResult(std::move(static_cast<QuantResult&>(*r)));
    return {};
  }
};

}  // namespace

const MethodDescriptor& pruneMethod() {
  static const PruneMethod m;
  return m;
}

}  // namespace quench
