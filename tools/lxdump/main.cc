// lxdump's command line: CLI11 wiring only; the work is in run_lxdump.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "lx/command_line.h"
#include "lx/standard_fds.h"
#include "lxdump.h"

int main(int argc, char** argv) {
  // Before anything opens a file or socket (common/include/lx/standard_fds.h).
  lx::open_missing_standard_fds();
  lx::tools::LxdumpOptions options;
  CLI::App app{"Prints an lx write-ahead log (.lxw) as text, JSON Lines or statistics.", "lxdump"};
  app.add_option("file", options.path, "the log file, or - for standard input")->required();
  app.add_option("range", options.range, "events to print: N, N-M, N-, -M or end (default: all)");
  app.add_flag("--json", options.json, "print JSON Lines (one object per line) for jq");
  app.add_flag("--stats", options.stats,
               "print statistics: events per type, bytes per channel, duration, health");
  app.add_option("--channel", options.channel, "only events on this channel id");
  app.add_option("--type", options.type, "only records of this type (e.g. recv_incoming)");
  app.add_flag("--follow", options.follow, "follow a log being written; ends when it is closed");
  app.add_option("--max-bytes", options.max_bytes, "bytes of payload to preview (default 64)");
  app.add_flag("--checkpoints", options.checkpoints, "also print checkpoints");
  app.add_flag("--strict", options.strict, "any damage is an error (exit 3)");
  app.add_option("--trace-events", options.trace_events,
                 "write the session as a Chrome trace (Perfetto, chrome://tracing) to this file");
  app.add_option("--timeline", options.timeline,
                 "write the session's HTML timeline (replies as byte counts) to this file");
  app.add_flag("--salvage", options.salvage, "skip damaged spans and go on at the next frame");
  // "-M" (events 1 to M) would read as a flag: say it as "1-M".
  std::vector<std::string> args(argv, argv + argc);
  static const std::regex kUpTo("-[0-9]+");
  for (size_t i = 1; i < args.size(); ++i)
    if (std::regex_match(args[i], kUpTo)) args[i] = "1" + args[i];
  std::vector<const char*> fixed;
  for (const std::string& a : args) fixed.push_back(a.c_str());
  if (auto code =
          lx::parse_command_line(app, static_cast<int>(fixed.size()), fixed.data(), "lxdump"))
    return *code;
  return lx::tools::run_lxdump(options, stdout, stderr);
}
