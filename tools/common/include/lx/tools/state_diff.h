// StateDiff: which paths of two dump_state trees (the engine's canonical
// text form, "PATH\tVALUE" lines) hold other values, so a divergence report
// can say `sessions[42].total: 17 (recorded) vs 18 (replayed)`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lx/status.h"

namespace lx::tools {

// A parsed tree: each path once, with its rendered value.
using StateTree = std::map<std::string, std::string, std::less<>>;

// Parses dump_state's text form. @return kCorrupt naming the first line
// that is not "PATH<TAB>VALUE" or repeats a path.
Result<StateTree> parse_state_tree(std::string_view text);

struct StateDifference {
  std::string path;
  std::optional<std::string> left;   // absent: the path exists only on the right
  std::optional<std::string> right;  // absent: only on the left
};

struct StateDiff {
  std::vector<StateDifference> shown;  // the first max_shown differences, sorted by path
  uint64_t total = 0;                  // every difference, shown or not
  bool same() const { return total == 0; }
};

// The paths whose values differ, were added or removed, sorted by path.
StateDiff diff_state_trees(const StateTree& left, const StateTree& right, size_t max_shown);

// One difference as a line: "PATH: L (left_name) vs R (right_name)", a side
// without the path reading "absent".
std::string difference_text(const StateDifference& d, std::string_view left_name,
                            std::string_view right_name);
// The differences as a JSON array of {"path","left","right"} (values as the
// engine rendered them, null when absent).
std::string differences_json(const StateDiff& diff);

}  // namespace lx::tools
