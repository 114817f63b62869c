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
};

}  // namespace lx::tools
