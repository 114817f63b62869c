// What lxdiff was asked to do (DESIGN.md section 5), filled by main.cc from
// CLI11 or directly by tests.
#pragma once

#include <cstdint>
#include <string>

namespace lx::tools {

struct LxdiffOptions {
  std::string a_path;
  std::string b_path;
  uint64_t context = 3;  // events shown from both logs before and after the first difference
  bool json = false;     // JSON Lines on stdout
  // Compare every event from the first, even when both indexes let lxdiff
  // start at the last checkpoint they agree on.
  bool full = false;
  // --state: when the logs part, replay both to the first differing
  // checkpoint and print the state paths that differ and the first event
  // after which the states part (docs/inspect-diff.md).
  bool state = false;
  // --html OUT.html: both sessions on one event axis, the first differing
  // event and checkpoint marked, the state paths listed (implies --state).
  std::string html;
  std::string engine_path;  // --engine: the engine --state replays with (default: beside lxdiff)
};

}  // namespace lx::tools
