// quench-cli inspect FILE [--stats] [--json]: the catalog of a tensor file.
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
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
  std::cout << o.file << " (" << reader.format() << ", " << reader.tensors().size() << " tensors)\n";
  for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
    const TensorInfo& t = reader.tensors()[i];
    std::cout << "  " << std::left << std::setw(40) << t.name << ' ' << std::setw(8) << dtypeName(t.dtype) << ' '
              << std::setw(16) << shapeToString(t.shape) << ' ' << t.bytes << " B";
    if (o.stats) {
      const Summary& s = stats[i];
      std::cout << std::right << std::setprecision(6) << "  min " << s.min << "  max " << s.max << "  mean " << s.mean
                << "  std " << s.std << "  absmax " << s.absmax << "  nan " << s.nan << "  inf " << s.inf << std::left;
    }
    std::cout << '\n';
  }
  return 0;
}
}  // namespace

Runner addInspectCommand(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "List the tensors of a file (name, dtype, shape, bytes)");
  cmd->add_option("FILE", o->file, "safetensors, HDF5, .npy/.npz, GGUF or llama2.c checkpoint")->required();
  cmd->add_flag("--stats", o->stats, "Add min, max, mean, std, absmax and NaN/Inf counts per tensor (from the stored values, in double)");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runInspect(*o); };
}

}  // namespace quench::cli
