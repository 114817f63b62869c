// lxdump's options and entry point, apart from the command-line wiring so
// tests can run it with their own output streams.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace lx::tools {

struct LxdumpOptions {
  std::string path;   // a .lxw file, or "-" for standard input
  std::string range;  // N, N-M, N-, -M or "end"; empty: every event
  bool json = false;
  bool stats = false;
  bool follow = false;
  bool checkpoints = false;
  bool strict = false;
  bool salvage = false;
  std::optional<int32_t> channel;
  std::string type;  // a record type name; empty: every type
  size_t max_bytes = 64;
  // Write views of the whole log instead of printing it (docs/timeline.md).
  std::string trace_events;  // --trace-events OUT.json
  std::string timeline;      // --timeline OUT.html
};

// Prints the log as options say to `out`; diagnostics go to `err`, one line
// each starting "lxdump: ". @return the exit code: 0 ok, 2 usage, 3 a log
// that cannot be read (missing, not an lx log, newer major version, any
// damage with --strict), 4 another I/O error.
int run_lxdump(const LxdumpOptions& options, std::FILE* out, std::FILE* err);

}  // namespace lx::tools
