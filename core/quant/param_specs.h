#pragma once
// The Spec parameters several methods share: a partition ("group:128"), a calibrator
// ("percentile:99.9"), a float format ("e4m3", "e5m3") and a sparsity (0.5, "2:4"). Each is parsed
// once into its typed value (PartitionSpec, Calibration, FloatFormatSpec, Sparsity) and carries
// the editor form of its language (SpecSyntax), so a new method that takes a partition gets the
// same JSON key, CLI flag, validation and editor fields by one line.
#include <memory>
#include <string>

#include "core/quant/calibrate.h"
#include "core/quant/float_format.h"
#include "core/quant/param.h"
#include "core/quant/partition.h"
#include "core/quant/prune.h"

namespace quench {

/// tensor | row | column | group:G[:column]; the hint counts the parts of a tensor.
std::shared_ptr<const SpecSyntax> partitionSyntax();
/// absmax | minmax | percentile:P | mse | entropy | signed-max.
std::shared_ptr<const SpecSyntax> calibrationSyntax();
/// fp16 | bf16 | e4m3 | e5m2 | e3m2 | e2m3 | e2m1 | eXmY.
std::shared_ptr<const SpecSyntax> floatFormatSyntax();
/// a fraction f ∈ [0, 1] (a JSON number) or "N:M".
std::shared_ptr<const SpecSyntax> sparsitySyntax();

Result<Sparsity> sparsityFromValue(const ParamValue& v);
ParamValue sparsityValue(const Sparsity& s);

template <class S, class C>
ParamDescriptor partitionParam(std::string key, PartitionSpec C::*member) {
  return ParamsOf<S>::spec(
      std::move(key), member, partitionSyntax(),
      [](const ParamValue& v) { return PartitionSpec::parse(std::get<std::string>(v)); },
      [](const PartitionSpec& p) { return p.text; });
}

template <class S, class C>
ParamDescriptor calibrationParam(std::string key, Calibration C::*member) {
  return ParamsOf<S>::spec(
      std::move(key), member, calibrationSyntax(),
      [](const ParamValue& v) { return parseCalibration(std::get<std::string>(v)); },
      [](const Calibration& c) { return calibrationSpec(c); });
}

template <class S, class C>
ParamDescriptor floatFormatParam(std::string key, FloatFormatSpec C::*member) {
  return ParamsOf<S>::spec(
      std::move(key), member, floatFormatSyntax(),
      [](const ParamValue& v) { return FloatFormatSpec::parse(std::get<std::string>(v)); },
      [](const FloatFormatSpec& f) { return f.text; });
}

template <class S, class C>
ParamDescriptor sparsityParam(std::string key, Sparsity C::*member) {
  return ParamsOf<S>::spec(std::move(key), member, sparsitySyntax(), &sparsityFromValue, &sparsityValue);
}

}  // namespace quench
