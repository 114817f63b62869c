// Autopsy: when two runs of one session part ways (a what-if --app or
// --engine against the recorded one, or lxdiff's two logs), replays each side
// again to say which state paths differ at the divergence and after which
// event the states first parted (docs/inspect-diff.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lx/tools/record_text.h"
#include "lx/tools/state_diff.h"
#include "lxreplay_options.h"

namespace lx::tools {

// One side: the log, engine and app to replay it with, and its name in the
// report ("recorded", "replayed", "A", "B").
struct AutopsySide {
  LxreplayOptions options;
  std::string name;
};

struct AutopsyFindings {
  uint64_t event = 0;                    // the divergence: the states are compared after it
  std::optional<uint64_t> last_matched;  // the last checkpoint both agree on
  StateDiff state;                       // the two states after `event`, left vs right

  // How the first differing event was found: "state_hash" (the content hash
  // of the heap region after every event) or "state_tree" (the dump_state
  // trees, when the hashes differ already at the start, as they do when the
  // two apps' code differs: the source lives in the heap).
  std::string method;
  uint64_t compared_from = 0;  // the first event compared (0: before any event)
  uint64_t compared_to = 0;    // the last (event, or fewer for the trees)
  // The first event after which the two differ (left side's record); empty
  // when they differed already at compared_from.
  std::optional<EventBrief> first_differing;
  bool differ_at_start = false;
  // The first event after which the checkpoint figures (memhash, outhash,
  // heap bytes) differ, from the last agreeing checkpoint on: where the
  // engines part even when the Lua states do not (another --engine).
  std::optional<EventBrief> figures_differing;

  // Set when the autopsy could not be done (the divergence report stands).
  std::string error;
};

// How many differing paths a report lists (the total is counted).
inline constexpr size_t kAutopsyPathsShown = 20;
// Events whose state trees are compared, at most (a forked dump each, about
// 2 ms; docs/inspect-diff.md, "Cost").
inline constexpr uint64_t kAutopsyTreeEventsMax = 2000;

// Replays left, then right, each in a fresh engine from the start, and
// compares them between last_matched (or the start) and event. Needs the
// process's heap region and engine address free: call it after the replay
// that found the divergence released its engine. timeout_ms bounds each
// forked dump_state (0: none).
AutopsyFindings run_autopsy(const AutopsySide& left, const AutopsySide& right, uint64_t event,
                            std::optional<uint64_t> last_matched, uint32_t timeout_ms);

// The findings as text lines (each starting with indent) and as the value
// of a JSON line's "autopsy" key.
void print_autopsy(const AutopsyFindings& f, std::string_view left_name,
                   std::string_view right_name, std::string_view indent, std::FILE* out);
std::string autopsy_json(const AutopsyFindings& f);

}  // namespace lx::tools
