// quench-cli convert IN OUT [--tensors GLOB]... [--dtype auto|keep|f32|f16|bf16] [--json]:
// any readable file or checkpoint folder to safetensors, HDF5 or .npz (by OUT's extension), one
// tensor at a time, written beside OUT and renamed into place. Progress goes to stderr (one line per
// tensor, or one updating line on a terminal); the result to stdout.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/io/convert.h"
#include "core/io/reader.h"
#include "core/recipe/recipe.h"

namespace quench::cli {
namespace {

struct ConvertCliOptions {
  std::string in, out;
  std::vector<std::string> globs;
  std::string dtype = "auto";
  bool json = false;
  bool quiet = false;
};

std::string gigabytes(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / 1e9);
  return buf;
}

int runConvert(const ConvertCliOptions& o) {
  const auto mode = convertDTypeFromName(o.dtype);
  if (!mode) return fail("--dtype: '" + o.dtype + "' is not one of auto, keep, f32, f16, bf16");
  auto opened = openTensorFile(o.in);
  if (!opened) return fail(opened.error().message);
  const TensorReader& reader = **opened;

  ConvertOptions options;
  options.dtype = *mode;
  if (!o.globs.empty()) {
    options.select = [&](const TensorInfo& t) {
      for (const std::string& g : o.globs)
        if (globMatch(g, t.name)) return true;
      return false;
    };
    bool any = false;
    for (const TensorInfo& t : reader.tensors()) any = any || options.select(t);
    if (!any) return fail(reader.path() + ": no tensor matches --tensors " + o.globs.front() +
                          (o.globs.size() > 1 ? " (or the other patterns)" : ""));
  }

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&](const ConvertedTensor& t, std::size_t k, std::size_t n, std::uint64_t done, std::uint64_t total) {
    if (o.quiet) return;
    const int pct = total ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : 100;
    char head[64];
    std::snprintf(head, sizeof head, "[%zu/%zu] %3d%% ", k + 1, n, pct);
    const std::string line = std::string(head) + t.name + "  " + std::string(dtypeName(t.from)) +
                             (t.from == t.to ? std::string() : " -> " + std::string(dtypeName(t.to))) + "  " +
                             shapeToString(t.shape);
    if (tty) std::cerr << "\r\033[K" << line << (k + 1 == n ? "\n" : "") << std::flush;
    else std::cerr << "convert: " << line << '\n';
  };
  auto report = convertTensorFile(reader, o.out, options, {}, progress);
  if (!report) {
    if (tty && !o.quiet) std::cerr << '\n';
    return fail(report.error().message);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (o.json) {
    nlohmann::ordered_json j;
    j["input"] = o.in;
    j["output"] = o.out;
    j["format"] = std::string(outFormatName(report->format));
    j["bytes"] = report->bytesWritten;
    auto& list = j["tensors"] = nlohmann::ordered_json::array();
    for (const ConvertedTensor& t : report->tensors)
      list.push_back({{"name", t.name}, {"from", std::string(dtypeName(t.from))}, {"to", std::string(dtypeName(t.to))},
                      {"shape", t.shape}, {"bytes", t.bytes}});
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::size_t changed = 0;
  for (const ConvertedTensor& t : report->tensors) changed += t.from != t.to;
  std::cout << "wrote " << o.out << " (" << outFormatName(report->format) << "): " << report->tensors.size()
            << " tensors, " << gigabytes(report->bytesWritten) << " of data";
  if (changed) std::cout << ", " << changed << " converted to another dtype";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", seconds);
  std::cout << ", in " << secs << " s\n";
  return 0;
}

}  // namespace

Runner addConvertCommand(CLI::App& app) {
  auto o = std::make_shared<ConvertCliOptions>();
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a tensor file or checkpoint folder to safetensors, HDF5 or .npz (by OUT's extension), "
      "one tensor at a time, atomically");
  cmd->add_option("IN", o->in, "safetensors (or a sharded folder), GGUF, HDF5, .npy/.npz or llama2.c checkpoint")
      ->required();
  cmd->add_option("OUT", o->out, "the file to write: .safetensors, .h5/.hdf5 or .npz")->required();
  cmd->add_option("--tensors", o->globs,
                  "Only tensors whose names match this glob (*, ?, [set]); repeat for several")
      ->allow_extra_args(false);
  cmd->add_option("--dtype", o->dtype,
                  "Floating-point tensors as: auto (as stored when OUT can hold it, else f32; the default), "
                  "keep (as stored, or an error), f32 (ggml blocks dequantized exactly as llama.cpp does), "
                  "f16, bf16. Integer tensors are always copied as stored");
  cmd->add_flag("--json", o->json, "Print the converted tensors as JSON");
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr");
  return [o] { return runConvert(*o); };
}

}  // namespace quench::cli
