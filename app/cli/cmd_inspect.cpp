// quench-cli inspect FILE [--stats] [--json]: the catalog of a tensor file (every tensor with its
// stored type and true bits per weight) and its metadata (GGUF arrays summarized).
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/io/metadata_summary.h"
#include "core/io/reader.h"
#include "core/stats/tensor_summary.h"

namespace quench::cli {
namespace {
struct InspectOptions {
  std::string file;
  bool stats = false;
  bool json = false;
};

int runInspect(const InspectOptions& o) {
  auto opened = openTensorFile(o.file);
  if (!opened) return fail(opened.error().message);
  const TensorReader& reader = **opened;
  nlohmann::ordered_json out;
  out["file"] = o.file;
  out["format"] = std::string(reader.format());
  out["metadata"] = metadataJson(reader);
  auto& list = out["tensors"] = nlohmann::ordered_json::array();
  // Statistics of every tensor, one at a time, from the stored values at their own precision
  // (float64 in double), streamed over the mapped bytes in parallel chunks: memory stays about a
  // chunk per thread however large the file. A tensor that cannot be decoded fails the command.
  std::vector<Summary> stats;
  if (o.stats) {
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
      auto s = summarizeStored(reader, i);
      if (!s) return fail(s.error().message);
      stats.push_back(*s);
    }
  }
  for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
    const TensorInfo& t = reader.tensors()[i];
    nlohmann::ordered_json j;
    j["name"] = t.name;
    j["dtype"] = std::string(dtypeName(t.dtype));
    j["shape"] = t.shape;
    j["bytes"] = t.bytes;
    j["bits_per_weight"] = bitsPerWeight(t.dtype);  // scales and minima of block types included
    if (!t.layout.empty()) j["layout"] = t.layout;
    if (o.stats) {
      // Figures over the finite values (null when there are none); NaN/Inf only counted.
      const Summary& s = stats[i];
      auto figure = [&](double v) { return s.count ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
      j["min"] = figure(s.min);
      j["max"] = figure(s.max);
      j["mean"] = figure(s.mean);
      j["std"] = figure(s.std);
      j["absmax"] = figure(s.absmax);
      j["nan"] = s.nan;
      j["inf"] = s.inf;
    }
    list.push_back(std::move(j));
  }
  if (o.json) {
    std::cout << out.dump(2) << '\n';
    return 0;
  }
  // Bits per weight of the whole file: stored bits over elements, as llama-quantize reports it.
  double bits = 0, weights = 0;
  for (const TensorInfo& t : reader.tensors()) {
    bits += 8.0 * static_cast<double>(t.bytes);
    weights += static_cast<double>(checkedElementCount(t.shape).value_or(0));
  }
  std::cout << o.file << " (" << reader.format() << ", " << reader.tensors().size() << " tensors";
  if (weights > 0) std::cout << ", " << std::setprecision(4) << bits / weights << " bits per weight";
  std::cout << ")\n";
  for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
    const TensorInfo& t = reader.tensors()[i];
    std::cout << "  " << std::left << std::setw(40) << t.name << ' ' << std::setw(8) << dtypeName(t.dtype) << ' '
              << std::setw(7) << std::setprecision(6) << bitsPerWeight(t.dtype) << ' ' << std::setw(16)
              << shapeToString(t.shape) << ' ' << t.bytes << " B";
    if (o.stats) {
      const Summary& s = stats[i];
      std::cout << std::right << std::setprecision(6) << "  min " << s.min << "  max " << s.max << "  mean " << s.mean
                << "  std " << s.std << "  absmax " << s.absmax << "  nan " << s.nan << "  inf " << s.inf << std::left;
    }
    std::cout << '\n';
  }
  const auto meta = summarizeMetadata(reader);
  if (!meta.empty()) {
    std::cout << "metadata (" << meta.size() << " keys)\n";
    constexpr std::size_t kMaxText = 120;  // a chat template or a license is shown by its start
    for (const MetadataEntry& m : meta) {
      std::string text = m.text;
      if (text.size() > kMaxText) {
        std::size_t cut = kMaxText;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
        text = text.substr(0, cut) + "… (" + std::to_string(m.text.size()) + " bytes)";
      }
      std::cout << "  " << std::left << std::setw(40) << m.key << ' ' << std::setw(14) << m.type << ' ' << text << '\n';
    }
  }
  return 0;
}
}  // namespace

Runner addInspectCommand(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect",
                                 "List the tensors of a file (name, stored type, bits per weight, shape, bytes) and "
                                 "its metadata");
  cmd->add_option("FILE", o->file, "safetensors, HDF5, .npy/.npz, GGUF or llama2.c checkpoint")->required();
  cmd->add_flag("--stats", o->stats, "Add min, max, mean, std, absmax and NaN/Inf counts per tensor (from the stored values, in double)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runInspect(*o); };
}

}  // namespace quench::cli
