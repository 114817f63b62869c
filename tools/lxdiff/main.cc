// lxdiff's command line: CLI11 fills LxdiffOptions; run_lxdiff does the work.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "lx/command_line.h"
#include "lx/standard_fds.h"
#include "run_lxdiff.h"

int main(int argc, char** argv) {
  // Before anything opens a file or socket (common/include/lx/standard_fds.h).
  lx::open_missing_standard_fds();
  lx::tools::LxdiffOptions options;
  CLI::App app{
      "lxdiff: compares two lx logs: header, the first event that differs, the first checkpoint "
      "that differs."};
  app.add_option("A.lxw", options.a_path, "first log")->required();
  app.add_option("B.lxw", options.b_path, "second log")->required();
  app.add_option("--context", options.context,
                 "events shown from both logs around the first difference")
      ->default_val(3);
  app.add_flag("--json", options.json, "JSON Lines on stdout");
  app.add_flag("--full", options.full,
               "compare every event, even where both indexes agree on the checkpoints");
  app.add_flag("--state", options.state,
               "when the logs part, replay both and print the Lua state paths that differ and "
               "the first event after which the states part");
  app.add_option("--html", options.html,
                 "write a page with both sessions on one event axis, the divergence marked and "
                 "the differing state paths listed (implies --state)");
  app.add_option("--engine", options.engine_path,
                 "the engine --state and --html replay with (default: the one beside lxdiff)");
  if (auto code = lx::parse_command_line(app, argc, argv, "lxdiff", lx::Program::kLxdiff))
    return *code;
  return lx::tools::run_lxdiff(options, stdout, stderr);
}
