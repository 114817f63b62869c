// LogDiffer: lxdiff's work. Compares two logs' headers, then walks both logs
// event by event and names the first event that differs (type, channel,
// payload with the first differing byte) and the first checkpoint that
// differs, with context from both sides, and the first snapshot at which
// both logs hold states that differ. When both logs have an index it
// compares their checkpoints first and decodes only from the last checkpoint
// they agree on, so two large logs that differ late cost little.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "group_reader.h"
#include "header_diff.h"
#include "lx/tools/diagnostics.h"
#include "lx/wal/log_reader.h"
#include "lxdiff_options.h"

namespace lx::tools {

// Where two logs part, for what runs after the comparison (--state, --html).
struct LogDivergence {
  std::optional<uint64_t> first_event_diff;       // the first event that differs
  std::optional<uint64_t> first_checkpoint_diff;  // the event of the first differing checkpoint
  std::optional<uint64_t> last_matched_checkpoint;
  std::optional<uint64_t>
      first_snapshot_diff;  // the event of the first snapshot whose states differ
  std::string event_what;   // how the first differing event differs ("payload differs at byte 5")
  // The first differing event is set_lua_source in both logs: the apps
  // differ, not the inputs.
  bool first_event_is_source = false;
  bool differ() const { return first_event_diff || first_checkpoint_diff || first_snapshot_diff; }
};

class LogDiffer {
 public:
  // options, out and err must outlive the LogDiffer. One run per LogDiffer.
  LogDiffer(const LxdiffOptions& options, std::FILE* out, std::FILE* err)
      : options_(options), out_(out), diag_("lxdiff", err) {}

  // @return the exit code (0 same, 1 differ, 3 unreadable, 4 I/O).
  int run();

  // Called once the logs are compared, before the summary line, with where
  // they part (or nothing differs); returns an exit code to end with
  // instead of the comparison's when non-zero (an error of its own).
  using AfterCompare = std::function<int(const LogDivergence&)>;
  void set_after_compare(AfterCompare after) { after_compare_ = std::move(after); }

 private:
  // One line of the side-by-side context.
  struct Row {
    uint64_t event = 0;
    std::string a;  // empty: no such event in A
    std::string b;
    bool same = true;
  };
  struct EventDiff {
    uint64_t event = 0;
    std::string what;                // "payload differs at byte 5", "only in A", ...
    std::optional<uint64_t> offset;  // first differing payload byte
    std::string a_text, b_text;      // describe_record() of each side, "" when absent
    std::string a_window, b_window;  // escaped bytes around the offset
    uint64_t window_start = 0;
    std::optional<EventBrief> a_brief, b_brief;
  };
  struct CheckpointDiff {
    uint64_t event = 0;
    std::optional<uint64_t> last_matched;
    EngineFigures a, b;
  };
  struct SnapshotDiff {
    uint64_t event = 0;
    SnapshotBrief a, b;
  };

  int open_logs();
  // Prints why a read failed and returns its exit code.
  int read_error(const Status& status);
  // The event to start decoding at: 1, or (both indexes) just before the
  // last checkpoint both agree on ahead of their first differing one.
  uint64_t choose_start();
  int walk(uint64_t from_event);
  void pair(const EventGroup& a, const EventGroup& b);
  void one_side(const EventGroup& group, bool in_a);
  void add_row(Row row, bool differs);
  std::optional<EventDiff> compare_events(const EventGroup& a, const EventGroup& b) const;
  bool done() const;
  // Compares the snapshots both logs completed so far, event by event.
  void compare_snapshots(GroupReader& ra, GroupReader& rb);

  void print_headers();
  void print_event_diff();
  void print_checkpoint_diff();
  void print_snapshot_diff();
  void print_summary(int exit_code);

  const LxdiffOptions& options_;
  std::FILE* out_;
  Diagnostics diag_;
  std::string error_;  // why the run failed, for the --json summary
  std::unique_ptr<wal::LogReader> a_;
  std::unique_ptr<wal::LogReader> b_;

  std::vector<HeaderFieldDiff> header_diffs_;
  size_t counted_header_diffs_ = 0;
  uint64_t compared_from_ = 1;
  std::optional<uint64_t> index_checkpoint_diff_;  // first differing checkpoint per the indexes
  bool indexes_used_ = false;

  std::deque<Row> before_;  // up to context rows before the first difference
  std::optional<Row> marked_;
  std::vector<Row> after_;  // up to context rows after it
  std::optional<EventDiff> event_diff_;
  std::optional<CheckpointDiff> checkpoint_diff_;
  std::optional<uint64_t> last_matched_checkpoint_;
  uint64_t checkpoints_compared_ = 0;
  // Snapshots of one log whose event the other has not reached yet.
  std::map<uint64_t, SnapshotBrief> snapshots_a_, snapshots_b_;
  std::optional<SnapshotDiff> snapshot_diff_;
  uint64_t snapshots_compared_ = 0;
  uint64_t last_event_a_ = 0;
  uint64_t last_event_b_ = 0;
  std::optional<wal::EndReason> end_a_, end_b_;
  AfterCompare after_compare_;
};

}  // namespace lx::tools
