// quench-cli inspect FILE [--stats] [--json]: the catalog of a tensor file.
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "core/io/reader.h"

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
  for (const TensorInfo& t : reader.tensors()) {
    nlohmann::ordered_json j;
    j["name"] = t.name;
    j["dtype"] = std::string(dtypeName(t.dtype));
    j["shape"] = t.shape;
    j["bytes"] = t.bytes;
    if (!t.layout.empty()) j["layout"] = t.layout;
    list.push_back(std::move(j));
  }
  if (o.json) {
    std::cout << out.dump(2) << '\n';
    return 0;
  }
  std::cout << o.file << " (" << reader.format() << ", " << reader.tensors().size() << " tensors)\n";
  for (const TensorInfo& t : reader.tensors())
    std::cout << "  " << std::left << std::setw(40) << t.name << ' ' << std::setw(8) << dtypeName(t.dtype) << ' '
              << std::setw(16) << shapeToString(t.shape) << ' ' << t.bytes << " B\n";
  return 0;
}
}  // namespace

Runner addInspectCommand(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "List the tensors of a file (name, dtype, shape, bytes)");
  cmd->add_option("FILE", o->file, "safetensors, HDF5, .npy/.npz, GGUF or llama2.c checkpoint")->required();
  cmd->add_flag("--stats", o->stats, "Add min, max, mean, std, absmax and NaN/Inf counts per tensor");
  cmd->add_flag("--json", o->json, "Print JSON");
  return [o] { return runInspect(*o); };
}

}  // namespace quench::cli
