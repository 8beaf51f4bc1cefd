#include "core/io/convert.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "core/exec/parallel.h"
#include "core/io/mapped_file.h"

namespace quench {
namespace {

// Elements converted per task: small enough to release the source pages right behind the sweep.
constexpr std::size_t kChunk = std::size_t{1} << 16;

// double → float rounded to odd: the truncation toward zero with its last bit set when inexact.
// float has 13 more significand bits than half and 16 more than bfloat16 (and the same exponent
// range as bfloat16), so rounding this float to nearest even gives the once-rounded result of the
// double (Boldo & Melquiond, "When double rounding is odd", 2005).
float toFloatRoundToOdd(double x) {
  if (std::isnan(x) || std::isinf(x)) return static_cast<float>(x);
  float f = static_cast<float>(x);
  if (static_cast<double>(f) == x) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(x)) f = std::nextafter(f, 0.0f);
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) | 1u);
}

std::string_view modeName(ConvertDType m) {
  switch (m) {
    case ConvertDType::Auto: return "auto";
    case ConvertDType::Keep: return "keep";
    case ConvertDType::F32: return "f32";
    case ConvertDType::F16: return "f16";
    case ConvertDType::BF16: return "bf16";
  }
  return "?";
}

// Writes `count` values of the stored element type `from` at `src` as `to` into `dst`.
void convertElements(DType from, DType to, const std::uint8_t* src, std::size_t count, std::uint8_t* dst) {
  const std::size_t inSize = dtypeSize(from);
  const std::size_t outSize = dtypeSize(to);
  exec::parallelFor(0, (count + kChunk - 1) / kChunk, 1,
                    [&](exec::Range r) {
                      std::vector<float> f;
                      for (std::size_t c = r.begin; c < r.end; ++c) {
                        const std::size_t first = c * kChunk;
                        const std::size_t n = std::min(kChunk, count - first);
                        const std::uint8_t* in = src + first * inSize;
                        std::uint8_t* out = dst + first * outSize;
                        if (from == DType::F64) {
                          for (std::size_t i = 0; i < n; ++i) {
                            double d;
                            std::memcpy(&d, in + 8 * i, 8);
                            if (to == DType::F32) {
                              const float v = static_cast<float>(d);
                              std::memcpy(out + 4 * i, &v, 4);
                            } else {
                              const std::uint16_t h = to == DType::F16 ? doubleToHalf(d) : doubleToBf16(d);
                              std::memcpy(out + 2 * i, &h, 2);
                            }
                          }
                        } else {
                          f.resize(n);
                          convertToFloat(from, in, n, f.data());
                          if (to == DType::F32) {
                            std::memcpy(out, f.data(), 4 * n);
                          } else {
                            for (std::size_t i = 0; i < n; ++i) {
                              const std::uint16_t h = to == DType::F16 ? floatToHalf(f[i]) : floatToBf16(f[i]);
                              std::memcpy(out + 2 * i, &h, 2);
                            }
                          }
                        }
                        MappedFile::dropResidentPages({in, n * inSize});  // no-op unless mapped
                      }
                    });
}

// Float32 values (ggml blocks dequantized) as `to`.
std::vector<std::uint8_t> fromFloats(const std::vector<float>& f, DType to) {
  std::vector<std::uint8_t> out(f.size() * dtypeSize(to));
  if (to == DType::F32) {
    if (!f.empty()) std::memcpy(out.data(), f.data(), out.size());
    return out;
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::uint16_t h = to == DType::F16 ? floatToHalf(f[i]) : floatToBf16(f[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

// Refuses a target that would replace the source file or a file of the source folder.
Status checkNotSource(const TensorReader& reader, const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(out, ec)) return {};
  const fs::path src = reader.path();
  if (fs::equivalent(out, src, ec))
    return makeError(out.string() + ": is the file being converted; write to another file");
  if (fs::is_directory(src, ec) && out.has_parent_path() && fs::equivalent(out.parent_path(), src, ec)) {
    const std::string name = out.filename().string();
    const std::string ext = out.extension().string();
    if (ext == ".safetensors" || name.find(".index.json") != std::string::npos)
      return makeError(out.string() + ": would replace a file of the checkpoint being converted (" + src.string() +
                       "); write outside its folder");
  }
  return {};
}

}  // namespace

std::uint16_t doubleToHalf(double x) { return floatToHalf(toFloatRoundToOdd(x)); }
std::uint16_t doubleToBf16(double x) { return floatToBf16(toFloatRoundToOdd(x)); }

std::optional<ConvertDType> convertDTypeFromName(std::string_view name) {
  for (ConvertDType m : {ConvertDType::Auto, ConvertDType::Keep, ConvertDType::F32, ConvertDType::F16, ConvertDType::BF16})
    if (modeName(m) == name) return m;
  return std::nullopt;
}

Result<DType> convertTarget(OutFormat format, const TensorInfo& t, ConvertDType mode) {
  const auto ctx = [&] { return std::string("tensor '") + t.name + "': "; };
  if (!isFloatingDType(t.dtype)) {
    if (auto why = cannotStore(format, t.dtype)) return makeError(ctx() + *why);
    return t.dtype;
  }
  DType to = t.dtype;
  switch (mode) {
    case ConvertDType::Auto:
      to = cannotStore(format, t.dtype) ? DType::F32 : t.dtype;
      break;
    case ConvertDType::Keep:
      if (auto why = cannotStore(format, t.dtype))
        return makeError(ctx() + *why + "; keep cannot write it (f32 holds " + std::string(dtypeName(t.dtype)) +
                         " exactly)");
      break;
    case ConvertDType::F32: to = DType::F32; break;
    case ConvertDType::F16: to = DType::F16; break;
    case ConvertDType::BF16: to = DType::BF16; break;
  }
  if (auto why = cannotStore(format, to)) return makeError(ctx() + *why);
  return to;
}

Result<ConvertReport> convertTensorFile(const TensorReader& reader, const std::filesystem::path& out,
                                        const ConvertOptions& options, const Work& work,
                                        const ConvertProgress& progress) {
  auto format = outFormatFor(out);
  if (!format) return format.error();
  if (auto st = checkNotSource(reader, out); !st) return st.error();

  // The plan: every selected tensor with its target dtype, checked before anything is written.
  ConvertReport report;
  report.format = *format;
  std::vector<std::size_t> indices;
  std::vector<TensorPlan> plan;
  std::uint64_t total = 0;
  const auto& infos = reader.tensors();
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const TensorInfo& t = infos[i];
    if (options.select && !options.select(t)) continue;
    auto to = convertTarget(*format, t, options.dtype);
    if (!to) return makeError(reader.path() + ": " + to.error().message);
    const auto count = checkedElementCount(t.shape);
    if (!count) return makeError(reader.path() + ": tensor '" + t.name + "': invalid shape " + shapeToString(t.shape));
    indices.push_back(i);
    plan.push_back({t.name, *to, t.shape});
    report.tensors.push_back({t.name, t.dtype, *to, t.shape, *count * dtypeSize(*to)});
    total += report.tensors.back().bytes;
  }
  if (indices.empty()) return makeError(reader.path() + ": no tensors selected to convert");

  Metadata metadata;
  if (*format == OutFormat::Safetensors) metadata.emplace_back("format", "pt");  // what transformers expects
  metadata.emplace_back("quench_converted_from", std::string(reader.format()) + ": " +
                                                     std::filesystem::path(reader.path()).filename().string());
  auto writer = createTensorFileWriter(out, *format, plan, metadata, options.write);
  if (!writer) return writer.error();

  const auto cancelled = [&] { return makeError(out.string() + ": conversion cancelled; nothing was written"); };
  std::uint64_t done = 0;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (work.cancelled()) return cancelled();
    const std::size_t i = indices[k];
    const TensorInfo& t = infos[i];
    const DType to = plan[k].dtype;
    const std::size_t count = static_cast<std::size_t>(report.tensors[k].bytes / dtypeSize(to));
    Status st;
    if (dtypeSize(t.dtype) == 0) {
      // ggml blocks: the reader's dequantization (llama.cpp's) is the value.
      auto values = reader.readFloat(i, Work{work.stop, {}});
      if (!values) return values.error();
      st = (*writer)->write(fromFloats(values->values, to));
    } else {
      const auto mapped = reader.storedBytes(i);
      std::vector<std::uint8_t> copy;
      std::span<const std::uint8_t> stored = mapped;
      if (mapped.size() != t.bytes) {
        auto read = reader.readStored(i, Work{work.stop, {}});
        if (!read) return read.error();
        copy = std::move(read).value();
        stored = copy;
      }
      if (stored.size() != t.bytes)
        return makeError(reader.path() + ": tensor '" + t.name + "': read " + std::to_string(stored.size()) +
                         " bytes, the catalog says " + std::to_string(t.bytes));
      if (to == t.dtype) {
        st = (*writer)->write(stored);  // as stored: straight from the mapping, no copy
        MappedFile::dropResidentPages(stored);
      } else {
        std::vector<std::uint8_t> converted(count * dtypeSize(to));
        convertElements(t.dtype, to, stored.data(), count, converted.data());
        MappedFile::dropResidentPages(stored);
        st = (*writer)->write(converted);
      }
    }
    if (!st) return st.error();
    done += report.tensors[k].bytes;
    work.report(static_cast<double>(done), static_cast<double>(total));
    if (progress) progress(report.tensors[k], k, indices.size(), done, total);
  }
  if (work.cancelled()) return cancelled();
  if (auto st = (*writer)->commit(); !st) return st.error();
  report.bytesWritten = done;
  return report;
}

}  // namespace quench
