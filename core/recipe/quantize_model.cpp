#include "core/recipe/quantize_model.h"

#include <bit>
#include <memory>
#include <optional>
#include <span>

#include "core/io/writer.h"
#include "core/quant/method.h"
#include "core/stats/error_figures.h"

namespace quench {
namespace {

// The writers take little-endian element bytes; the vectors are handed over as they lie in memory.
static_assert(std::endian::native == std::endian::little, "tensor bytes are written as they lie in memory");

template <class T>
std::span<const std::uint8_t> bytesOf(const std::vector<T>& v) {
  return {reinterpret_cast<const std::uint8_t*>(v.data()), v.size() * sizeof(T)};
}

// The caller's stop token without its progress: the steps below report in file elements.
Work stopOnly(const Work& w) { return Work{w.stop, {}}; }

Error cancelled(const TensorReader& reader) {
  Error e = makeError(reader.path() + ": cancelled");
  e.file = reader.path();
  return e;
}

// Quantizes `t` with rule `rule` into `out` (its buffers reused); errors as applyRecipe gives them,
// with the tensor's name.
Status quantizeOne(const TensorReader& reader, const Recipe& recipe, std::size_t rule, const FloatTensor& t,
                   const QuantizeModelOptions& options, bool codes, QuantResult& out, const Work& work) {
  std::vector<float> importance;
  if (options.imatrix)
    if (const ImatrixEntry* e = options.imatrix->find(t.name); e && e->matrices() == 1)
      importance = importanceOf(*options.imatrix, *e);
  const QuantizeContext ctx{t, work, CalibrationInputs{nullptr, importance}, codes};
  if (Status s = recipe.rules[rule].params.quantize(ctx, out); !s) {
    if (work.cancelled()) return cancelled(reader);
    Error e = nestError("rules[" + std::to_string(rule) + "]", prefixError(reader.path() + ": " + t.name + ": ", s.error()));
    e.file = reader.path();
    return e;
  }
  return {};
}

// What the codes pre-pass learns of a selected tensor: whether its method gives codes, and how
// many parts (scales, zero points) it reports.
struct CodesShape {
  bool codes = false;
  std::size_t parts = 0;
};

}  // namespace

Result<QuantizedModel> quantizeModel(const TensorReader& reader, const Recipe& recipe,
                                     const QuantizeModelOptions& options, const Work& work) {
  const auto& infos = reader.tensors();
  const std::size_t n = infos.size();
  std::vector<std::optional<std::size_t>> rules(n);
  std::vector<std::uint64_t> elements(n, 0);
  double allElements = 0;
  for (std::size_t i = 0; i < n; ++i) {
    rules[i] = matchRule(recipe, infos[i].name, infos[i].shape.size());
    elements[i] = checkedElementCount(infos[i].shape).value_or(0);
    allElements += static_cast<double>(elements[i]);
  }
  const bool writing = !options.out.empty();
  const bool codes = writing && options.codes;
  QuantResult result;  // reused from tensor to tensor: the quantizers write into its buffers

  // With codes, the extra tensors' sizes come from a first quantization of every selected tensor.
  std::vector<CodesShape> codeShapes(n);
  if (codes) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!rules[i]) continue;
      if (work.cancelled()) return cancelled(reader);
      auto t = reader.readFloat(i, stopOnly(work));
      if (!t) return work.cancelled() ? cancelled(reader) : t.error();
      if (Status s = quantizeOne(reader, recipe, *rules[i], *t, options, true, result, stopOnly(work)); !s) return s.error();
      codeShapes[i] = {!result.codes.empty(), result.parts.size()};
    }
  }

  std::unique_ptr<TensorFileWriter> writer;
  if (writing) {
    std::vector<TensorPlan> plan;
    plan.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      plan.push_back({infos[i].name, DType::F32, infos[i].shape});
      if (codeShapes[i].codes) {
        const auto parts = static_cast<std::int64_t>(codeShapes[i].parts);
        plan.push_back({infos[i].name + ".codes", DType::I32, infos[i].shape});
        plan.push_back({infos[i].name + ".scales", DType::F32, {parts}});
        plan.push_back({infos[i].name + ".zero_points", DType::I32, {parts}});
      }
    }
    auto w = createTensorFileWriter(options.out, std::move(plan), {{"quench_recipe", recipeToJson(recipe)}});
    if (!w) return w.error();
    writer = std::move(*w);
  }

  QuantizedModel model;
  ErrorAccumulator sums;  // over every transformed element, merged tensor by tensor
  double bits = 0;        // storage of every transformed tensor, metadata included
  double done = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (work.cancelled()) return cancelled(reader);
    if (!rules[i]) {
      ++model.copied;
      if (writing) {
        auto t = reader.readFloat(i, stopOnly(work));
        if (!t) return work.cancelled() ? cancelled(reader) : t.error();
        if (Status s = writer->write(bytesOf(t->values)); !s) return s.error();
      }
    } else {
      auto t = reader.readFloat(i, stopOnly(work));
      if (!t) return work.cancelled() ? cancelled(reader) : t.error();
      if (Status s = quantizeOne(reader, recipe, *rules[i], *t, options, codes, result, stopOnly(work)); !s) return s.error();
      sums.add(t->values, result.reconstruction, result.saturated);
      bits += result.total.bitsPerParam * static_cast<double>(result.total.numel);
      model.tensors.push_back({t->name, t->shape, *rules[i], result.total, result.parts, result.aware});
      if (writing) {
        if (Status s = writer->write(bytesOf(result.reconstruction)); !s) return s.error();
        if (codeShapes[i].codes) {
          if (result.codes.size() != t->values.size() || result.parts.size() != codeShapes[i].parts)
            return makeError(reader.path() + ": " + t->name + ": the method gave " + std::to_string(result.parts.size()) +
                             " parts on the second run, " + std::to_string(codeShapes[i].parts) + " on the first");
          std::vector<float> scales;
          std::vector<std::int32_t> zeros;
          scales.reserve(result.parts.size());
          zeros.reserve(result.parts.size());
          for (const PartReport& p : result.parts) {
            scales.push_back(static_cast<float>(p.params.scale));
            zeros.push_back(static_cast<std::int32_t>(p.params.zeroPoint));
          }
          for (auto bytes : {bytesOf(result.codes), bytesOf(scales), bytesOf(zeros)})
            if (Status s = writer->write(bytes); !s) return s.error();
        }
      }
    }
    done += static_cast<double>(elements[i]);
    work.report(done, allElements);
  }
  if (writer)
    if (Status s = writer->commit(); !s) return s.error();
  model.total = sums.figures();
  setStorage(model.total, bits);
  return model;
}

}  // namespace quench
