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
};

}  // namespace lx::tools
