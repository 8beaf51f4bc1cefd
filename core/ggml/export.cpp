#include "core/ggml/export.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/ggml/quants.h"
#include "core/io/gguf_writer.h"
#include "core/io/reader.h"
#include "core/io/writer.h"
#include "core/tensor/dtype.h"

namespace quench::ggml {
namespace {

constexpr std::uint32_t kQuantizationVersion = 2;      // GGML_QNT_VERSION
constexpr std::size_t kMaxOverrideString = 127;        // llama_model_kv_override::val_str holds 127 chars
constexpr std::uint64_t kSliceElements = 1u << 22;     // 4 Mi floats (16 MiB) converted per slice

/// gguf_set_val_*: remove the key if present, append it at the end.
void setKv(std::vector<GgufKv>& kv, const std::string& key, GgufValue v) {
  kv.erase(std::remove_if(kv.begin(), kv.end(), [&](const GgufKv& e) { return e.first == key; }), kv.end());
  kv.emplace_back(key, std::move(v));
}
void removeKv(std::vector<GgufKv>& kv, const std::string& key) {
  kv.erase(std::remove_if(kv.begin(), kv.end(), [&](const GgufKv& e) { return e.first == key; }), kv.end());
}

bool isTokenEmbd(const std::string& n) { return n == "token_embd.weight" || n == "per_layer_token_embd.weight"; }

/// tensor_requires_imatrix: the very low-bit types (never written by Quench) and Q2_K in Q2_K_S.
bool requiresImatrix(const std::string& name, Type t, FileType ft) {
  if (isTokenEmbd(name) || name == "output.weight") return false;
  switch (t) {
    case Type::IQ3_XXS: case Type::IQ2_XXS: case Type::IQ2_XS: case Type::IQ2_S: case Type::IQ1_M: case Type::IQ1_S: return true;
    case Type::Q2_K: return ft == FileType::MOSTLY_Q2_K_S;
    default: return false;
  }
}

std::uint64_t matrices(const std::vector<std::uint64_t>& ne) {
  std::uint64_t n = 1;
  for (std::size_t d = 2; d < ne.size(); ++d) n *= ne[d];
  return n;
}

}  // namespace

Result<ExportPlan> planExport(const GgufFile& source, const ExportOptions& options) {
  const std::string& name = source.file->name();
  const GgufHeader& h = source.header;
  ExportPlan plan;

  std::vector<MixTensor> tensors;
  tensors.reserve(h.tensors.size());
  for (const auto& t : h.tensors) tensors.push_back({t.name, t.ne, static_cast<Type>(t.type)});
  MixOptions mixOpt = options.mix;
  mixOpt.hasImatrix = options.imatrix != nullptr;
  auto model = MixModel::fromGguf(h);
  if (!model) {
    if (!mixOpt.pure) return makeError(name + ": " + model.error().message + " (llama.cpp's mixes need the model's shape)");
    model = MixModel{};  // --pure uses no model parameter
  }
  auto mix = planMix(*model, tensors, options.fileType, mixOpt);
  if (!mix) return makeError(name + ": " + mix.error().message);
  plan.fallbacks = mix->fallbacks;

  if (options.imatrix) plan.imatrixEntries = static_cast<int>(options.imatrix->entries.size());
  for (const std::size_t i : mix->order) {
    const GgufTensorInfo& src = h.tensors[i];
    const MixChoice& c = mix->choices[i];
    ExportTensor t;
    t.name = src.name;
    t.ne = src.ne;
    t.from = static_cast<Type>(src.type);
    t.to = c.type;
    t.quantize = c.quantize;
    t.note = c.note;
    t.bytesIn = src.bytes;
    t.bytesOut = src.bytes;
    plan.elements += src.elements();
    if (t.quantize) {
      const std::string where = name + ": tensor '" + t.name + "': ";
      if (!canQuantize(t.to))
        return makeError(where + "the plan gives it type " + std::string(typeInfo(t.to).name) +
                         ", which Quench does not write (it writes F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, "
                         "IQ4_NL, IQ4_XS)");
      const bool blockSource = typeInfo(t.from).blockSize > 1;
      if (blockSource && !options.allowRequantize)
        return makeError(where + "requantizing from " + std::string(typeInfo(t.from).name) + " is disabled (allow it explicitly)");
      if (!blockSource && t.from != Type::F32 && t.from != Type::F16 && t.from != Type::BF16)
        return makeError(where + "cannot convert type " + std::string(typeInfo(t.from).name) + " to float");
      std::uint64_t bytes = *rowBytes(t.to, t.ne[0]);
      for (std::size_t d = 1; d < t.ne.size(); ++d) bytes *= t.ne[d];
      t.bytesOut = bytes;
      if (options.imatrix) {
        const ImatrixEntry* e = options.imatrix->find(t.name);
        if (!e) {
          plan.warnings.push_back("did not find weights for " + t.name);
        } else if (e->sums.size() != t.ne[0] * matrices(t.ne)) {
          // llama-quantize ignores a mismatched token_embd entry and refuses any other.
          const std::string msg = "imatrix size " + std::to_string(e->sums.size()) + " is different from tensor size " +
                                  std::to_string(t.ne[0] * matrices(t.ne)) + " for " + t.name;
          if (!isTokenEmbd(t.name)) return makeError(name + ": " + msg);
          plan.warnings.push_back(msg);
        } else {
          t.importance = true;
        }
      }
      if (!t.importance && requiresImatrix(t.name, t.to, options.fileType))
        return makeError(where + "type " + std::string(typeInfo(t.to).name) + " in " +
                         std::string(fileTypeInfo(options.fileType).name) + " requires an importance matrix");
      if (t.importance) {
        const auto w = importanceOf(*options.imatrix, *options.imatrix->find(t.name));
        if (std::any_of(w.begin(), w.end(), [](float f) { return !std::isfinite(f); }))
          return makeError(name + ": imatrix entry for " + t.name + " holds non-finite values");
      }
    }
    plan.bytesIn += t.bytesIn;
    plan.bytesOut += t.bytesOut;
    plan.tensors.push_back(std::move(t));
  }

  // Key/values as llama-quantize writes them: the source's, then the quantization version and the
  // file type (moved to the end), split keys dropped, then the imatrix keys quantize adds.
  plan.kv = h.kv;
  setKv(plan.kv, "general.quantization_version", GgufValue::u32(kQuantizationVersion));
  setKv(plan.kv, "general.file_type", GgufValue::u32(static_cast<std::uint32_t>(options.fileType)));
  for (const char* k : {"split.no", "split.count", "split.tensors.count"}) removeKv(plan.kv, k);
  if (options.imatrix && !options.imatrix->entries.empty()) {
    setKv(plan.kv, "quantize.imatrix.file", GgufValue::string(options.imatrixFileName.substr(0, kMaxOverrideString)));
    if (!options.imatrix->datasets.empty())
      setKv(plan.kv, "quantize.imatrix.dataset", GgufValue::string(options.imatrix->datasets.front().substr(0, kMaxOverrideString)));
    setKv(plan.kv, "quantize.imatrix.entries_count", GgufValue::u32(static_cast<std::uint32_t>(options.imatrix->entries.size())));
    if (options.imatrix->chunkCount > 0)
      setKv(plan.kv, "quantize.imatrix.chunks_count", GgufValue::u32(static_cast<std::uint32_t>(options.imatrix->chunkCount)));
  }
  return plan;
}

Result<ExportPlan> exportGguf(const std::filesystem::path& sourcePath, const std::filesystem::path& out,
                              const ExportOptions& options, const Work& work) {
  if (Status s = checkNotAnInput(out, {sourcePath.string()}); !s) return s.error();
  auto source = openGgufFile(sourcePath);
  if (!source) return source.error();
  auto plan = planExport(*source, options);
  if (!plan) return plan.error();

  std::vector<GgufTensorSpec> specs;
  specs.reserve(plan->tensors.size());
  for (const auto& t : plan->tensors) specs.push_back({t.name, t.ne, t.to});
  auto writer = GgufWriter::create(out, plan->kv, std::move(specs));
  if (!writer) return writer.error();

  // Block-quantized sources are decoded through Quench's reader (whole tensor at a time).
  std::unique_ptr<TensorReader> decoder;
  const double total = static_cast<double>(std::max<std::uint64_t>(plan->elements, 1));
  double done = 0;
  std::vector<float> slice;
  std::vector<std::uint8_t> packed;
  for (const ExportTensor& t : plan->tensors) {
    if (work.cancelled()) return makeError(out.string() + ": export cancelled");
    const std::size_t si = *source->find(t.name);
    const auto bytes = source->tensorData(si);
    const std::string where = out.string() + ": tensor '" + t.name + "': ";
    std::uint64_t elements = 1;
    for (const auto d : t.ne) elements *= d;
    if (!t.quantize) {
      if (auto s = (*writer)->append(bytes); !s) return s.error();
      done += static_cast<double>(elements);
      work.report(done, total);
      continue;
    }
    const std::uint64_t cols = t.ne[0];
    const std::uint64_t rowsPerMatrix = t.ne.size() > 1 ? t.ne[1] : 1;
    const std::uint64_t nMat = matrices(t.ne);
    const std::uint64_t outRow = *rowBytes(t.to, cols);
    std::vector<float> whole;
    if (typeInfo(t.from).blockSize > 1) {
      if (!decoder) {
        auto r = openTensorFile(sourcePath);
        if (!r) return r.error();
        decoder = std::move(*r);
      }
      auto f = decoder->readFloat(std::string_view(t.name), work);
      if (!f) return makeError(where + f.error().message);
      whole = std::move(f->values);
    }
    std::vector<float> importance;
    if (t.importance) importance = importanceOf(*options.imatrix, *options.imatrix->find(t.name));
    // Experts of a 3-D tensor are quantized one matrix at a time, each with its own importance.
    const std::uint64_t sliceRows = std::max<std::uint64_t>(1, kSliceElements / cols);
    for (std::uint64_t m = 0; m < nMat; ++m) {
      const std::span<const float> w =
          importance.empty() ? std::span<const float>() : std::span<const float>(importance).subspan(m * cols, cols);
      for (std::uint64_t r0 = 0; r0 < rowsPerMatrix; r0 += sliceRows) {
        if (work.cancelled()) return makeError(out.string() + ": export cancelled");
        const std::uint64_t nr = std::min(sliceRows, rowsPerMatrix - r0);
        const std::uint64_t first = (m * rowsPerMatrix + r0) * cols;  // element index
        const std::uint64_t n = nr * cols;
        slice.resize(n);
        switch (t.from) {
          case Type::F32: std::memcpy(slice.data(), bytes.data() + first * 4, n * 4); break;
          case Type::F16:
            for (std::uint64_t k = 0; k < n; ++k)
              slice[k] = halfToFloat(static_cast<std::uint16_t>(bytes[2 * (first + k)] | (bytes[2 * (first + k) + 1] << 8)));
            break;
          case Type::BF16:
            for (std::uint64_t k = 0; k < n; ++k)
              slice[k] = bf16ToFloat(static_cast<std::uint16_t>(bytes[2 * (first + k)] | (bytes[2 * (first + k) + 1] << 8)));
            break;
          default: std::copy(whole.begin() + static_cast<std::ptrdiff_t>(first), whole.begin() + static_cast<std::ptrdiff_t>(first + n), slice.begin());
        }
        packed.resize(nr * outRow);
        Work sliceWork{work.stop, {}};
        if (auto s = quantizeMatrix(t.to, slice, static_cast<std::int64_t>(nr), static_cast<std::int64_t>(cols), w, packed, sliceWork); !s)
          return makeError(where + s.error().message);
        if (auto s = validateRowData(t.to, packed); !s) return makeError(where + s.error().message + " (quantized data validation failed)");
        if (auto s = (*writer)->append(packed); !s) return s.error();
        done += static_cast<double>(n);
        work.report(done, total);
      }
    }
  }
  if (auto s = (*writer)->finish(); !s) return s.error();
  return plan;
}

}  // namespace quench::ggml
