// quench-cli: the workbench's engine, headless, with JSON output for scripts and CI. The commands
// live in the quench_cli library (app/cli/commands.h), so tests can run them in-process.
#include "app/cli/commands.h"

int main(int argc, char** argv) { return quench::cli::run(argc, argv); }
