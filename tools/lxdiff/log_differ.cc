// lxdiff's comparison: headers, then both logs side by side, event group by
// event group, starting where the indexes say the logs may first part.
#include "log_differ.h"

#include <fmt/format.h>

#include <algorithm>

#include "lx/exit_code.h"
#include "lx/tools/figures_text.h"
#include "lx/tools/json_line.h"
#include "lx/tools/log_open.h"
#include "lx/tools/record_text.h"

namespace lx::tools {
namespace {

constexpr const char* kTool = "lxdiff";
constexpr size_t kColumnChars = 46;
constexpr size_t kWindowBytes = 32;

std::string cut(const std::string& text, size_t chars) {
  if (text.size() <= chars) return text;
  return text.substr(0, chars - 3) + "...";
}

std::string side_json(const std::optional<EventBrief>& brief, const std::string& text,
                      const std::string& window) {
  if (!brief) return "null";
  JsonLine j;
  add_brief(j, *brief);
  j.add_str("text", text);
  if (!window.empty()) j.add_str("bytes_preview", window);
  return j.str();
}

}  // namespace

int LogDiffer::run() {
  if (options_.a_path == "-" && options_.b_path == "-") {
    error_ = "A and B are both standard input; at most one log can come from '-'";
    diag_.error("{}", error_);
    print_summary(kExitUsage);
    return kExitUsage;
  }
  if (int code = open_logs()) {
    print_summary(code);
    return code;
  }
  header_diffs_ = diff_headers(a_->header(), b_->header());
  for (const HeaderFieldDiff& d : header_diffs_) counted_header_diffs_ += d.counted ? 1 : 0;
  int code = walk(choose_start());
  if (code != kExitOk) {
    print_summary(code);
    return code;
  }
  print_headers();
  print_event_diff();
  print_checkpoint_diff();
  print_snapshot_diff();
  bool differ = counted_header_diffs_ > 0 || event_diff_ || checkpoint_diff_ || snapshot_diff_;
  int exit_code = differ ? kExitFinding : kExitOk;
  if (after_compare_) {
    LogDivergence d;
    if (event_diff_) {
      d.first_event_diff = event_diff_->event;
      d.event_what = event_diff_->what;
      auto is_source = [](const std::optional<EventBrief>& b) {
        return b && b->type == wal::RecordType::kSetLuaSource;
      };
      d.first_event_is_source = is_source(event_diff_->a_brief) && is_source(event_diff_->b_brief);
    }
    if (checkpoint_diff_) d.first_checkpoint_diff = checkpoint_diff_->event;
    if (snapshot_diff_) d.first_snapshot_diff = snapshot_diff_->event;
    d.last_matched_checkpoint = last_matched_checkpoint_;
    if (int after = after_compare_(d)) exit_code = after;
  }
  print_summary(exit_code);
  std::fflush(out_);
  return exit_code;
}

int LogDiffer::open_logs() {
  for (auto [path, reader] : {std::pair{&options_.a_path, &a_}, std::pair{&options_.b_path, &b_}}) {
    auto opened = open_log(*path, wal::Recovery::kTolerant, diag_);
    if (!opened.ok()) return read_error(opened.status());
    *reader = std::move(opened).value();
  }
  return 0;
}

uint64_t LogDiffer::choose_start() {
  const wal::LogIndex* ia = a_->index();
  const wal::LogIndex* ib = b_->index();
  if (options_.full || ia == nullptr || ib == nullptr || ia->frames.empty() || ib->frames.empty()) {
    return 1;
  }
  // Both indexes list their checkpoints in event order: walk the common ones.
  std::optional<uint64_t> last_match;
  size_t i = 0;
  size_t j = 0;
  while (i < ia->checkpoints.size() && j < ib->checkpoints.size()) {
    const wal::CheckpointEntry& ca = ia->checkpoints[i];
    const wal::CheckpointEntry& cb = ib->checkpoints[j];
    if (ca.event < cb.event) {
      ++i;
    } else if (cb.event < ca.event) {
      ++j;
    } else {
      if (!(ca.figures == cb.figures)) {
        index_checkpoint_diff_ = ca.event;
        break;
      }
      last_match = ca.event;
      ++i;
      ++j;
    }
  }
  // With no differing checkpoint, only a walk over every event can tell
  // whether the logs are the same.
  if (!index_checkpoint_diff_ || !last_match) return 1;
  uint64_t from = *last_match + 1;
  from = from > options_.context ? from - options_.context : 1;
  if (from <= 1) return 1;
  Status sa = a_->seek_to_event(from);
  Status sb = b_->seek_to_event(from);
  if (!sa.ok() || !sb.ok()) {
    diag_.warning("cannot seek through the indexes ({}); comparing from event 1",
                  !sa.ok() ? sa.message() : sb.message());
    return 0;  // the caller reopens nothing: walk() treats 0 as "reopen"
  }
  indexes_used_ = true;
  last_matched_checkpoint_ = last_match;
  return from;
}

int LogDiffer::read_error(const Status& status) {
  error_ = status.message();
  print_log_error(diag_, status, false);
  return exit_code_for(status);
}

int LogDiffer::walk(uint64_t from_event) {
  if (from_event == 0) {
    // A failed seek left the readers somewhere: start them over.
    a_.reset();
    b_.reset();
    if (int code = open_logs()) return code;
    from_event = 1;
  }
  compared_from_ = from_event;
  GroupReader ra(*a_);
  GroupReader rb(*b_);
  EventGroup x;
  EventGroup y;
  auto read = [&](GroupReader& r, EventGroup* g, bool* has) -> int {
    Result<bool> more = r.next(g);
    if (!more.ok()) {
      return read_error(more.status());
    }
    *has = more.value();
    return 0;
  };
  bool hx = false;
  bool hy = false;
  if (int code = read(ra, &x, &hx)) return code;
  if (int code = read(rb, &y, &hy)) return code;
  while ((hx || hy) && !done()) {
    compare_snapshots(ra, rb);
    if (hx && hy && x.event == y.event) {
      pair(x, y);
      if (int code = read(ra, &x, &hx)) return code;
      if (int code = read(rb, &y, &hy)) return code;
    } else if (hx && (!hy || x.event < y.event)) {
      one_side(x, true);
      if (int code = read(ra, &x, &hx)) return code;
    } else {
      one_side(y, false);
      if (int code = read(rb, &y, &hy)) return code;
    }
  }
  compare_snapshots(ra, rb);
  return 0;
}

void LogDiffer::compare_snapshots(GroupReader& ra, GroupReader& rb) {
  for (const SnapshotBrief& s : ra.take_snapshots()) snapshots_a_[s.event] = s;
  for (const SnapshotBrief& s : rb.take_snapshots()) snapshots_b_[s.event] = s;
  for (auto a = snapshots_a_.begin(); a != snapshots_a_.end();) {
    auto b = snapshots_b_.find(a->first);
    if (b == snapshots_b_.end()) {
      ++a;
      continue;
    }
    ++snapshots_compared_;
    if (a->second.state_hash != b->second.state_hash && !snapshot_diff_)
      snapshot_diff_ = SnapshotDiff{a->first, a->second, b->second};
    snapshots_b_.erase(b);
    a = snapshots_a_.erase(a);
  }
}

bool LogDiffer::done() const {
  // Once a checkpoint differs the logs differ: events after it are not
  // needed to say where they first parted.
  if (checkpoint_diff_ && !event_diff_) return true;
  if (!event_diff_ || after_.size() < options_.context) return false;
  if (checkpoint_diff_) return true;
  // The indexes tell whether a checkpoint difference is still to come.
  return indexes_used_ && !index_checkpoint_diff_;
}

void LogDiffer::pair(const EventGroup& a, const EventGroup& b) {
  if (a.has_event) last_event_a_ = a.event;
  if (b.has_event) last_event_b_ = b.event;
  if (a.end) end_a_ = a.end;
  if (b.end) end_b_ = b.end;
  if (a.checkpoint && b.checkpoint) {
    ++checkpoints_compared_;
    if (*a.checkpoint == *b.checkpoint) {
      if (!checkpoint_diff_) last_matched_checkpoint_ = a.event;
    } else if (!checkpoint_diff_) {
      checkpoint_diff_ =
          CheckpointDiff{a.event, last_matched_checkpoint_, *a.checkpoint, *b.checkpoint};
    }
  }
  if (!a.has_event && !b.has_event) return;
  std::optional<EventDiff> diff = compare_events(a, b);
  Row row{a.event, a.text, b.text, !diff};
  if (diff && !event_diff_) event_diff_ = std::move(diff);
  add_row(std::move(row), !row.same);
}

void LogDiffer::one_side(const EventGroup& group, bool in_a) {
  if (in_a) {
    if (group.has_event) last_event_a_ = group.event;
    if (group.end) end_a_ = group.end;
  } else {
    if (group.has_event) last_event_b_ = group.event;
    if (group.end) end_b_ = group.end;
  }
  if (!group.has_event) return;
  Row row{group.event, in_a ? group.text : "", in_a ? "" : group.text, false};
  if (!event_diff_) {
    EventDiff d;
    d.event = group.event;
    d.what = in_a ? "only in A (B has no such event)" : "only in B (A has no such event)";
    (in_a ? d.a_text : d.b_text) = group.text;
    (in_a ? d.a_brief : d.b_brief) = group.brief();
    event_diff_ = std::move(d);
  }
  add_row(std::move(row), true);
}

void LogDiffer::add_row(Row row, bool differs) {
  if (!marked_) {
    if (differs && event_diff_ && event_diff_->event == row.event) {
      marked_ = std::move(row);
      return;
    }
    before_.push_back(std::move(row));
    while (before_.size() > options_.context) before_.pop_front();
    return;
  }
  if (after_.size() < options_.context) after_.push_back(std::move(row));
}

std::optional<LogDiffer::EventDiff> LogDiffer::compare_events(const EventGroup& a,
                                                              const EventGroup& b) const {
  EventDiff d;
  d.event = a.event;
  d.a_text = a.text;
  d.b_text = b.text;
  if (a.has_event) d.a_brief = a.brief();
  if (b.has_event) d.b_brief = b.brief();
  if (!a.has_event || !b.has_event) {
    d.what = a.has_event ? "only in A" : "only in B";
    return d;
  }
  if (a.type != b.type) {
    d.what = "event type differs";
    return d;
  }
  // Fields a type does not use are zero on both sides, so comparing them all
  // is exact.
  if (a.clock_seconds != b.clock_seconds) {
    d.what = "clock differs";
  } else if (a.port != b.port) {
    d.what = "port differs";
  } else if (a.chid != b.chid) {
    d.what = "channel differs";
  } else if (a.byte_count != b.byte_count) {
    d.what = "byte count differs";
  }
  if (d.what.empty() && a.bytes != b.bytes) {
    auto [ia, ib] = std::mismatch(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
    uint64_t offset = static_cast<uint64_t>(ia - a.bytes.begin());
    d.offset = offset;
    d.what = a.bytes.size() == b.bytes.size()
                 ? fmt::format("payload differs at byte {}", offset)
                 : fmt::format("payload differs at byte {} (A {} bytes, B {} bytes)", offset,
                               a.bytes.size(), b.bytes.size());
    d.window_start = offset > 8 ? offset - 8 : 0;
    auto window = [&](const std::vector<uint8_t>& bytes) {
      if (d.window_start >= bytes.size()) return std::string("(end)");
      std::span<const uint8_t> s(bytes.data() + d.window_start, bytes.size() - d.window_start);
      return escape_bytes(s, kWindowBytes);
    };
    d.a_window = window(a.bytes);
    d.b_window = window(b.bytes);
    (void)ib;
  }
  if (d.what.empty() && a.accept_chid != b.accept_chid) {
    d.what = fmt::format("accept result differs: A chid {}, B chid {}", a.accept_chid.value_or(-1),
                         b.accept_chid.value_or(-1));
  }
  if (d.what.empty()) return std::nullopt;
  return d;
}

void LogDiffer::print_headers() {
  if (options_.json) {
    for (const HeaderFieldDiff& d : header_diffs_) {
      JsonLine j;
      j.add_str("kind", "header_diff")
          .add_str("field", d.field)
          .add_str("a_value", d.a)
          .add_str("b_value", d.b)
          .add_bool("counted", d.counted);
      j.print(out_);
    }
    return;
  }
  fmt::print(out_, "{}: A = {}\n{}: B = {}\n", kTool, options_.a_path, kTool, options_.b_path);
  std::string notes;
  for (const HeaderFieldDiff& d : header_diffs_) {
    if (d.counted) {
      fmt::print(out_, "{}: header differs: {}: A {}, B {}\n", kTool, d.field, cut(d.a, 80),
                 cut(d.b, 80));
    } else {
      notes += notes.empty() ? d.field : ", " + d.field;
    }
  }
  if (!notes.empty()) {
    fmt::print(out_,
               "{}: note: recorder fields differ (not counted; they change between runs): "
               "{}\n",
               kTool, notes);
  }
}

void LogDiffer::print_event_diff() {
  if (compared_from_ > 1 && !options_.json) {
    fmt::print(out_,
               "{}: note: events 1..{} were not compared one by one: both indexes agree on their "
               "checkpoints (--full compares every event)\n",
               kTool, compared_from_ - 1);
  }
  std::vector<const Row*> rows;
  for (const Row& r : before_) rows.push_back(&r);
  if (marked_) rows.push_back(&*marked_);
  for (const Row& r : after_) rows.push_back(&r);
  if (options_.json) {
    if (!event_diff_) return;
    const EventDiff& d = *event_diff_;
    JsonLine j;
    j.add_str("kind", "event_diff").add_u64("event", d.event).add_str("what", d.what);
    if (d.offset) {
      j.add_u64("offset", *d.offset).add_u64("preview_from", d.window_start);
    }
    j.add_raw("a_event", side_json(d.a_brief, d.a_text, d.a_window))
        .add_raw("b_event", side_json(d.b_brief, d.b_text, d.b_window));
    j.print(out_);
    for (const Row* r : rows) {
      JsonLine c;
      c.add_str("kind", "context").add_u64("event", r->event);
      c.add_optional_str("a_text", r->a).add_optional_str("b_text", r->b);
      c.add_bool("same", r->same).add_bool("first_difference", r == &*marked_);
      c.print(out_);
    }
    return;
  }
  if (!event_diff_) {
    if (checkpoint_diff_) {
      fmt::print(out_,
                 "{}: no event differs from event {} to event {} (the first differing "
                 "checkpoint): the same events, but the engines behaved differently\n",
                 kTool, compared_from_, checkpoint_diff_->event);
    } else {
      fmt::print(out_, "{}: no event differs (compared from event {} to the end of both logs)\n",
                 kTool, compared_from_);
    }
    return;
  }
  const EventDiff& d = *event_diff_;
  fmt::print(out_, "{}: first differing event: {}: {}\n", kTool, d.event, d.what);
  fmt::print(out_, "  A: {}\n  B: {}\n", d.a_text.empty() ? "(none)" : d.a_text,
             d.b_text.empty() ? "(none)" : d.b_text);
  if (d.offset) {
    fmt::print(out_, "  A bytes from {}: \"{}\"\n  B bytes from {}: \"{}\"\n", d.window_start,
               d.a_window, d.window_start, d.b_window);
  }
  fmt::print(out_, "  context ({} events before and after, from both logs):\n", options_.context);
  fmt::print(out_, "    {:>1} {:>8}  {:<{}}  {}\n", "", "event", "A", kColumnChars, "B");
  for (const Row* r : rows) {
    std::string a = r->a.empty() ? "(none)" : cut(r->a, kColumnChars);
    std::string b = r->same ? "=" : (r->b.empty() ? "(none)" : cut(r->b, kColumnChars));
    fmt::print(out_, "    {:>1} {:>8}  {:<{}}  {}\n", r == &*marked_ ? ">" : (r->same ? "" : "!"),
               r->event, a, kColumnChars, b);
  }
}

void LogDiffer::print_checkpoint_diff() {
  if (!checkpoint_diff_) {
    if (!options_.json) {
      fmt::print(out_, "{}: no checkpoint differs ({} compared)\n", kTool, checkpoints_compared_);
    }
    return;
  }
  const CheckpointDiff& c = *checkpoint_diff_;
  if (options_.json) {
    JsonLine j;
    j.add_str("kind", "checkpoint_diff")
        .add_u64("event", c.event)
        .add_str("differs", differing_figures(c.a, c.b));
    j.add_optional_u64("last_matched_event", c.last_matched);
    j.add_raw("a_figures", figures_json(c.a)).add_raw("b_figures", figures_json(c.b));
    j.print(out_);
    return;
  }
  fmt::print(out_, "{}: first differing checkpoint: after event {} (differs: {})\n", kTool, c.event,
             differing_figures(c.a, c.b));
  if (c.last_matched) {
    fmt::print(out_, "  last matching checkpoint: after event {}\n", *c.last_matched);
  } else {
    fmt::print(out_, "  last matching checkpoint: none\n");
  }
  print_figures_side_by_side(out_, "  ", "A", c.a, "B", c.b);
}

void LogDiffer::print_snapshot_diff() {
  auto hash = [](const SnapshotBrief& s) {
    return s.state_hash ? hex64(*s.state_hash) : std::string("(stream damaged)");
  };
  if (options_.json) {
    if (!snapshot_diff_) return;
    JsonLine j;
    j.add_str("kind", "snapshot_diff")
        .add_u64("event", snapshot_diff_->event)
        .add_str("a_state_hash", hash(snapshot_diff_->a))
        .add_str("b_state_hash", hash(snapshot_diff_->b))
        .add_u64("a_state_bytes", snapshot_diff_->a.state_bytes)
        .add_u64("b_state_bytes", snapshot_diff_->b.state_bytes);
    j.print(out_);
    return;
  }
  if (!snapshot_diff_) {
    if (snapshots_compared_ > 0) {
      fmt::print(out_, "{}: no snapshot differs ({} of the same events compared)\n", kTool,
                 snapshots_compared_);
    }
    return;
  }
  const SnapshotDiff& d = *snapshot_diff_;
  fmt::print(out_,
             "{}: first differing snapshot: the states after event {} (the heaps' contents "
             "differ, whatever the figures say)\n  A: {} bytes, state hash {}\n  B: {} bytes, "
             "state hash {}\n",
             kTool, d.event, d.a.state_bytes, hash(d.a), d.b.state_bytes, hash(d.b));
}

void LogDiffer::print_summary(int exit_code) {
  const wal::LogIndex* ia = a_ ? a_->index() : nullptr;
  const wal::LogIndex* ib = b_ ? b_->index() : nullptr;
  if (options_.json) {
    const char* result = exit_code == kExitOk        ? "same"
                         : exit_code == kExitFinding ? "differ"
                                                     : "error";
    JsonLine j = summary_line(kTool, result, exit_code);
    if (!error_.empty()) {
      j.add_str("error", error_);
      j.print(out_);
      return;
    }
    j.add_u64("header_differences", counted_header_diffs_);
    j.add_optional_u64("first_event_diff",
                       event_diff_ ? std::optional(event_diff_->event) : std::nullopt);
    j.add_optional_u64("first_checkpoint_diff",
                       checkpoint_diff_ ? std::optional(checkpoint_diff_->event) : std::nullopt);
    j.add_optional_u64("first_snapshot_diff",
                       snapshot_diff_ ? std::optional(snapshot_diff_->event) : std::nullopt);
    j.add_u64("snapshots_compared", snapshots_compared_);
    j.add_u64("checkpoints_compared", checkpoints_compared_)
        .add_u64("compared_from_event", compared_from_)
        .add_bool("indexes_used", indexes_used_)
        .add_u64("decoded_bytes_a", a_->raw_bytes())
        .add_u64("decoded_bytes_b", b_->raw_bytes());
    if (ia != nullptr) {
      j.add_u64("record_bytes_a", ia->raw_bytes).add_u64("events_a", ia->event_count);
    }
    if (ib != nullptr) {
      j.add_u64("record_bytes_b", ib->raw_bytes).add_u64("events_b", ib->event_count);
    }
    j.print(out_);
    return;
  }
  if (!error_.empty()) return;  // already reported on stderr
  if (end_a_ && end_b_ && *end_a_ != *end_b_) {
    fmt::print(out_, "{}: note: the logs end differently: A {}, B {}\n", kTool,
               wal::end_reason_name(*end_a_), wal::end_reason_name(*end_b_));
  }
  auto decoded = [](const wal::LogReader& r, const wal::LogIndex* index) {
    if (index == nullptr) return fmt::format("{} record bytes", r.raw_bytes());
    return fmt::format("{} of {} record bytes", r.raw_bytes(), index->raw_bytes);
  };
  fmt::print(out_, "{}: {}: {} header difference(s), {}, {}; decoded {} of A, {} of B\n", kTool,
             exit_code == kExitOk ? "same" : "differ", counted_header_diffs_,
             event_diff_ ? fmt::format("first differing event {}", event_diff_->event)
                         : std::string("no differing event"),
             checkpoint_diff_
                 ? fmt::format("first differing checkpoint after event {}", checkpoint_diff_->event)
                 : std::string("no differing checkpoint"),
             decoded(*a_, ia), decoded(*b_, ib));
}

}  // namespace lx::tools
