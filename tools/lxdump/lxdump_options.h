// What lxdump was asked to do (DESIGN.md section 5), filled by main.cc from
// CLI11 or directly by tests.
#pragma once

#include <cstdint>
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
  std::string type;  // a record type name; empty: events, the end (and --checkpoints)
  size_t max_bytes = 64;
  // Write views of the whole log instead of printing it (docs/timeline.md).
  std::string trace_events;  // --trace-events OUT.json
  std::string timeline;      // --timeline OUT.html
};

}  // namespace lx::tools
