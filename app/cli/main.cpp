// quench-cli: the workbench's engine, headless, with JSON output for scripts and CI.
#include <cstdio>
#include <iostream>
#include <utility>
#include <vector>

#include "app/cli/commands.h"

namespace quench::cli {
int fail(const std::string& message) {
  std::cerr << "quench-cli: " << message << '\n';
  return 1;
}
}  // namespace quench::cli

int main(int argc, char** argv) {
  using namespace quench::cli;
  CLI::App app{"quench-cli: inspect, quantize and measure model weights (JSON with --json)"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](Runner (*registerFn)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    Runner r = registerFn(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) commands.emplace_back(subs.back(), std::move(r));
  };
  add(addInspectCommand);
  add(addQuantizeCommand);
  add(addDivergenceCommand);
  add(addLmDivergenceCommand);
  add(addGenerateCommand);
  add(addTokenizeCommand);
  add(addLogitsCommand);
  add(addEvalCommand);
  add(addSweepCommand);
  add(addExportGgufCommand);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : commands) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const std::exception& e) {
        return fail(e.what());
      }
    }
  }
  return fail("no command given (try --help)");
}
