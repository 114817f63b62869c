// lxdump's command line: CLI11 fills LxdumpOptions; run_lxdump does the work.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "lx/command_line.h"
#include "lx/standard_fds.h"
#include "lx/wal/format.h"
#include "run_lxdump.h"

namespace {

// "-M": a dash and one or more digits. (A std::regex for this cost a million
// instructions, a third of lxdump's start.)
bool is_up_to_range(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  for (char c : arg.substr(1))
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything opens a file or socket (common/include/lx/standard_fds.h).
  lx::open_missing_standard_fds();
  lx::tools::LxdumpOptions options;
  CLI::App app{"lxdump: prints an lx write-ahead log (.lxw) as text, JSON Lines or statistics."};
  app.add_option("file", options.path, "the log file, or - for standard input")->required();
  app.add_option("range", options.range, "events to print: N, N-M, N-, -M or end (default: all)");
  app.add_flag("--json", options.json, "print JSON Lines (one object per line, docs/json.md)");
  app.add_flag("--stats", options.stats,
               "print statistics: events per type, bytes per channel, duration, health");
  app.add_option("--channel", options.channel, "only events on this channel id");
  app.add_option("--type", options.type,
                 "only records of this type: " + lx::wal::record_type_names());
  app.add_flag("--follow", options.follow,
               "follow a log being written; ends when it is closed or its writer is gone");
  app.add_option("--max-bytes", options.max_bytes, "bytes of payload to preview (default 64)");
  app.add_flag("--checkpoints", options.checkpoints, "also print checkpoints");
  app.add_flag("--strict", options.strict, "any damage is an error (exit 3)");
  app.add_option("--trace-events", options.trace_events,
                 "write the session as a Chrome trace (Perfetto, chrome://tracing) to this file");
  app.add_option("--timeline", options.timeline,
                 "write the session's HTML timeline (replies as byte counts) to this file");
  app.add_flag("--salvage", options.salvage, "skip damaged spans and go on at the next frame");
  // A range "-M" (events 1 to M) would read as a flag: take it out before
  // CLI11 sees it.
  std::vector<const char*> args;
  int ranges = 0;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && is_up_to_range(argv[i])) {
      options.range = argv[i];
      ++ranges;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (auto code = lx::parse_command_line(app, static_cast<int>(args.size()), args.data(), "lxdump",
                                         lx::Program::kLxdump))
    return *code;
  if (ranges > 1 || (ranges == 1 && app.count("range") > 0)) {
    std::fprintf(stderr, "lxdump: error: more than one range given; see lxdump --help\n");
    return lx::kExitUsage;
  }
  return lx::tools::run_lxdump(options, stdout, stderr);
}
