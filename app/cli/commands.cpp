#include "app/cli/commands.h"

#include <iostream>
#include <utility>
#include <vector>

namespace quench::cli {

int fail(const std::string& message) {
  std::cerr << "quench-cli: " << message << '\n';
  return 1;
}

std::vector<std::pair<CLI::App*, Runner>> addCommands(CLI::App& app) {
  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](Runner (*registerFn)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    Runner r = registerFn(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) commands.emplace_back(subs.back(), std::move(r));
  };
  add(addInspectCommand);
  add(addConvertCommand);
  add(addQuantizeCommand);
  add(addDivergenceCommand);
  add(addLmDivergenceCommand);
  add(addGenerateCommand);
  add(addTokenizeCommand);
  add(addLogitsCommand);
  add(addEvalCommand);
  add(addSweepCommand);
  add(addTrainCommand);
  add(addExportGgufCommand);
  return commands;
}

int run(int argc, const char* const* argv) {
  CLI::App app{"quench-cli: inspect, quantize and measure model weights (JSON with --json)"};
  app.require_subcommand(1);
  auto commands = addCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, runner] : commands) {
    if (sub->parsed()) {
      try {
        return runner();
      } catch (const std::exception& e) {
        return fail(e.what());
      }
    }
  }
  return fail("no command given (try --help)");
}

}  // namespace quench::cli
