// lxreplay's command line: CLI11 fills LxreplayOptions; run_lxreplay does the work.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "lx/command_line.h"
#include "lx/standard_fds.h"
#include "run_lxreplay.h"

int main(int argc, char** argv) {
  // Before anything opens a file or socket (common/include/lx/standard_fds.h).
  lx::open_missing_standard_fds();
  lx::tools::LxreplayOptions options;
  CLI::App app{
      "lxreplay: feeds a recorded log's events into the engine through the same C ABI and checks "
      "every recorded checkpoint."};
  app.add_option("log", options.log_path, "the log to replay (FILE.lxw)")->required();
  app.add_option("--engine", options.engine_path,
                 "engine library (default: liblxengine.so beside lxreplay)");
  app.add_option("--app", options.app_dir,
                 "what-if: replace every recorded app source with this directory's, built with "
                 "the recorded app arguments");
  app.add_option("--until", options.until, "stop after event N and print the engine state");
  app.add_option("--break-at", options.break_at,
                 "raise SIGTRAP just before event N is applied (run under gdb: "
                 "docs/debugging.md; without a debugger SIGTRAP ends the process)");
  app.add_option("--checkpoint-every", options.checkpoint_every,
                 "compute figures every N events (JSON checkpoint lines, and in --record-to)");
  app.add_option("--record-to", options.record_to, "write a log of this replay to NEW.lxw");
  app.add_flag("--keep-going", options.keep_going, "report every mismatch, not only the first");
  app.add_flag("--json", options.json, "JSON Lines on stdout");
  app.add_flag("--quiet", options.quiet, "do not print the app's lx.log lines on stderr");
  bool strict = false;
  bool salvage = false;
  auto* strict_flag =
      app.add_flag("--strict", strict, "any damage in the log is an error (exit 3)");
  app.add_flag("--salvage", salvage, "read past damaged spans (the replay stops at a gap)")
      ->excludes(strict_flag);
  if (auto code = lx::parse_command_line(app, argc, argv, "lxreplay", lx::Program::kLxreplay))
    return *code;
  if (strict) options.recovery = lx::wal::Recovery::kStrict;
  if (salvage) options.recovery = lx::wal::Recovery::kSalvage;
  return lx::tools::run_lxreplay(options, stdout, stderr);
}
