#pragma once
// Each quench-cli subcommand adds itself to the app and returns the function that runs it.
// Contract: stdout carries the result (JSON with --json); errors are one clear line on stderr and
// a non-zero exit code.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace quench::cli {

/// Runs a parsed subcommand; returns the process exit code.
using Runner = std::function<int()>;

Runner addInspectCommand(CLI::App& app);
Runner addQuantizeCommand(CLI::App& app);
Runner addDivergenceCommand(CLI::App& app);
Runner addLmDivergenceCommand(CLI::App& app);
Runner addGenerateCommand(CLI::App& app);
Runner addTokenizeCommand(CLI::App& app);
Runner addLogitsCommand(CLI::App& app);
Runner addEvalCommand(CLI::App& app);
Runner addSweepCommand(CLI::App& app);
Runner addTrainCommand(CLI::App& app);
Runner addConvertCommand(CLI::App& app);
Runner addExportGgufCommand(CLI::App& app);

/// Print "quench-cli: <message>" on stderr and return exit code 1.
int fail(const std::string& message);

/// Adds every subcommand to `app`; the runner of each, to call after parsing.
std::vector<std::pair<CLI::App*, Runner>> addCommands(CLI::App& app);

/// quench-cli with these arguments (argv[0] is the program name): parses, runs the command, and
/// returns the exit code. Output goes to std::cout / std::cerr.
int run(int argc, const char* const* argv);

}  // namespace quench::cli
