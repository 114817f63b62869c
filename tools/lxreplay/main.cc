// lxreplay's command line: CLI11 fills LxreplayOptions; run_lxreplay does the work.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

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
  // Looking inside the past (docs/inspect.md).
  app.add_option("--at", options.at,
                 "with --eval, --dump-state or --repl: the state right after event N (0: before "
                 "the first; default: the end of the log)");
  app.add_option("--eval", options.evals,
                 "print a Lua expression (or a chunk with return) evaluated in the app's state; "
                 "may repeat");
  app.add_flag("--dump-state", options.dump_state,
               "print the app's whole Lua state as one tree of paths");
  app.add_flag("--repl", options.repl,
               "a prompt in the app's state at --at N: Lua expressions, and :next, :goto, "
               ":until, :events, :where (:help lists them)");
  std::vector<std::string> probe_texts;
  std::vector<std::string> when_texts;
  auto* probe_flag = app.add_option("--probe", probe_texts,
                                    "print a Lua expression after every event (where the --when "
                                    "after it holds); may repeat");
  auto* when_flag =
      app.add_option("--when", when_texts, "the condition of the --probe before it (sees ev)");
  app.add_option("--from", options.from, "probes from event N on");
  app.add_option("--depth", options.depth,
                 "tables nested deeper show their entry count (default 3)");
  app.add_option("--max-entries", options.max_entries, "entries shown per table (default 100)");
  app.add_option("--max-bytes", options.max_bytes,
                 "bytes of a string or payload shown before it is cut (default 200)");
  app.add_option("--eval-timeout", options.eval_timeout_s,
                 "seconds an inspection may run before it is stopped (default 60)");
  app.add_option("--snapshot-every", options.snapshot_every,
                 "the REPL keeps a snapshot every N events to go back through (default 1000)");
  bool strict = false;
  bool salvage = false;
  auto* strict_flag =
      app.add_flag("--strict", strict, "any damage in the log is an error (exit 3)");
  app.add_flag("--salvage", salvage, "read past damaged spans (the replay stops at a gap)")
      ->excludes(strict_flag);
  if (auto code = lx::parse_command_line(app, argc, argv, "lxreplay", lx::Program::kLxreplay))
    return *code;
  // Each --when belongs to the --probe before it.
  {
    size_t probes = 0;
    size_t whens = 0;
    for (CLI::Option* option : app.parse_order()) {
      if (option == probe_flag) {
        options.probes.push_back({probe_texts[probes++], ""});
      } else if (option == when_flag) {
        if (options.probes.empty() || !options.probes.back().condition.empty()) {
          std::fprintf(stderr,
                       "lxreplay: error: --when '%s' follows no --probe of its own; give --probe "
                       "EXPR --when COND\n",
                       when_texts[whens].c_str());
          return lx::kExitUsage;
        }
        options.probes.back().condition = when_texts[whens++];
      }
    }
  }
  if (strict) options.recovery = lx::wal::Recovery::kStrict;
  if (salvage) options.recovery = lx::wal::Recovery::kSalvage;
  return lx::tools::run_lxreplay(options, stdout, stderr);
}
