// The text and JSON forms of lxreplay's divergence reports.
#include "divergence_report.h"

#include <fmt/format.h>

#include "lx/tools/figures_text.h"
#include "lx/tools/json_line.h"

namespace lx::tools {
namespace {

uint64_t first_suspect_after(std::optional<uint64_t> last_matched) {
  return last_matched ? *last_matched + 1 : 1;
}

std::string suspects_text(uint64_t first, uint64_t last) {
  if (first >= last) return fmt::format("event {} itself", last);
  return fmt::format("events {}..{}", first, last);
}

}  // namespace

std::vector<std::string> DivergenceReport::next_commands(uint64_t first_suspect,
                                                         uint64_t event) const {
  std::string log = shell_quote(options_.log_path);
  std::string replay = fmt::format("lxreplay {}", log);
  if (!options_.engine_path.empty()) replay += " --engine " + shell_quote(options_.engine_path);
  if (!options_.app_dir.empty()) replay += " --app " + shell_quote(options_.app_dir);
  std::string copy = fmt::format("replay-{}.lxw", event);
  std::string range =
      first_suspect >= event ? std::to_string(event) : fmt::format("{}-{}", first_suspect, event);
  return {
      fmt::format("lxdump {} {}", log, range),
      fmt::format("{} --checkpoint-every 1 --until {} --record-to {}", replay, event, copy),
      fmt::format("lxdiff {} {}", log, copy),
  };
}

void DivergenceReport::print_next(uint64_t first_suspect, uint64_t event) const {
  fmt::print(out_, "  next:\n");
  for (const std::string& command : next_commands(first_suspect, event)) {
    fmt::print(out_, "    {}\n", command);
  }
  fmt::print(out_,
             "  (a replay recorded with --checkpoint-every 1 has a checkpoint after every event: "
             "lxdiff of two such logs names the exact event)\n");
}

std::string DivergenceReport::next_json(uint64_t first_suspect, uint64_t event) const {
  std::string array = "[";
  for (const std::string& command : next_commands(first_suspect, event)) {
    if (array.size() > 1) array += ",";
    array += JsonLine::quote(command);
  }
  return array + "]";
}

void DivergenceReport::print_json_end(JsonLine& j, std::optional<uint64_t> last_matched,
                                      uint64_t first, uint64_t event) const {
  j.add_optional_u64("last_matched_event", last_matched);
  j.add_u64("first_suspect_event", first).add_raw("next", next_json(first, event));
  j.print(out_);
}

void DivergenceReport::print_text_end(std::optional<uint64_t> last_matched, uint64_t first,
                                      uint64_t event) const {
  if (last_matched) {
    fmt::print(out_, "  last matching checkpoint:   after event {}\n", *last_matched);
  } else {
    fmt::print(out_, "  last matching checkpoint:   none\n");
  }
  fmt::print(out_, "  the cause is in {}\n", suspects_text(first, event));
  print_next(first, event);
}

void DivergenceReport::checkpoint_mismatch(const EventBrief& event_before,
                                           std::optional<uint64_t> last_matched,
                                           const EngineFigures& recorded,
                                           const EngineFigures& replayed) {
  if (!first_) first_ = First{event_before.event, last_matched};
  ++count_;
  uint64_t event = event_before.event;
  uint64_t first = first_suspect_after(last_matched);
  if (options_.json) {
    JsonLine j;
    j.add_str("kind", "divergence").add_str("divergence", "checkpoint");
    add_brief(j, event_before);
    j.add_str("differs", differing_figures(recorded, replayed));
    j.add_optional_u64("last_matched_event", last_matched);
    j.add_u64("first_suspect_event", first)
        .add_raw("recorded_figures", figures_json(recorded))
        .add_raw("replayed_figures", figures_json(replayed))
        .add_raw("next", next_json(first, event));
    j.print(out_);
    return;
  }
  fmt::print(out_, "lxreplay: DIVERGENCE at the checkpoint after event {} of {}\n", event,
             options_.log_path);
  fmt::print(out_, "  first differing checkpoint: after event {} (differs: {})\n", event,
             differing_figures(recorded, replayed));
  fmt::print(out_, "  the event before it:        {}\n", describe_brief(event_before));
  if (last_matched) {
    fmt::print(out_, "  last matching checkpoint:   after event {}\n", *last_matched);
  } else {
    fmt::print(out_, "  last matching checkpoint:   none (this is the first checkpoint)\n");
  }
  fmt::print(out_, "  the cause is in {}\n", suspects_text(first, event));
  print_figures_side_by_side(out_, "  ", "recorded", recorded, "replayed", replayed);
  print_next(first, event);
}

void DivergenceReport::state_mismatch(const EventBrief& event, std::optional<uint64_t> last_matched,
                                      uint64_t recorded_hash, uint64_t replayed_hash) {
  if (!first_) first_ = First{event.event, last_matched};
  ++count_;
  uint64_t first = first_suspect_after(last_matched);
  if (options_.json) {
    JsonLine j;
    j.add_str("kind", "divergence").add_str("divergence", "state");
    add_brief(j, event);
    j.add_str("recorded_state_hash", fmt::format("{:016x}", recorded_hash))
        .add_str("replayed_state_hash", fmt::format("{:016x}", replayed_hash));
    print_json_end(j, last_matched, first, event.event);
    return;
  }
  fmt::print(out_, "lxreplay: DIVERGENCE at the snapshot after event {} of {}: the state differs\n",
             event.event, options_.log_path);
  fmt::print(out_, "  the event before it:        {}\n", describe_brief(event));
  fmt::print(out_,
             "  state hash {:016x} recorded, {:016x} replayed (the figures matched: a value\n"
             "  changed in place, which memhash does not see)\n",
             recorded_hash, replayed_hash);
  print_text_end(last_matched, first, event.event);
}

void DivergenceReport::accept_mismatch(const EventBrief& event,
                                       std::optional<uint64_t> last_matched, int32_t recorded_chid,
                                       int32_t replayed_chid) {
  if (!first_) first_ = First{event.event, last_matched};
  ++count_;
  uint64_t first = first_suspect_after(last_matched);
  if (options_.json) {
    JsonLine j;
    j.add_str("kind", "divergence").add_str("divergence", "accept");
    add_brief(j, event);
    j.add_i64("recorded_chid", recorded_chid).add_i64("replayed_chid", replayed_chid);
    print_json_end(j, last_matched, first, event.event);
    return;
  }
  fmt::print(out_, "lxreplay: DIVERGENCE at event {} of {}: accept chid differs\n", event.event,
             options_.log_path);
  fmt::print(out_, "  the event:                  {}\n", describe_brief(event));
  fmt::print(out_, "  recorded chid {}, replayed chid {}\n", recorded_chid, replayed_chid);
  print_text_end(last_matched, first, event.event);
}

}  // namespace lx::tools
