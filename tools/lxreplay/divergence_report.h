// DivergenceReport: how lxreplay tells a person (or jq) where a replay parted
// from its recording: the first checkpoint that differs, the event before it,
// the last checkpoint that matched, both sets of figures side by side, and
// the commands to paste next (in the manner of rr and TigerBeetle's hash log).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "lx/event_sink.h"
#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"
#include "lxreplay_options.h"

namespace lx::tools {

class DivergenceReport {
 public:
  // options and out must outlive the report.
  DivergenceReport(const LxreplayOptions& options, std::FILE* out) : options_(options), out_(out) {}

  // A recorded checkpoint (after event_before) that the replay does not
  // reproduce. last_matched: the event of the last checkpoint that matched.
  void checkpoint_mismatch(const EventBrief& event_before, std::optional<uint64_t> last_matched,
                           const EngineFigures& recorded, const EngineFigures& replayed);
  // notify_accept returned another chid than the recording's accept_result.
  void accept_mismatch(const EventBrief& event, std::optional<uint64_t> last_matched,
                       int32_t recorded_chid, int32_t replayed_chid);

  // The state a snapshot in the log holds (after `event`) differs from the
  // replay's, although every figure before it matched: a value changed in
  // place, which memhash does not see (docs/snapshots.md).
  void state_mismatch(const EventBrief& event, std::optional<uint64_t> last_matched,
                      uint64_t recorded_hash, uint64_t replayed_hash);

  uint64_t count() const { return count_; }

  // The first divergence reported: its event and the last checkpoint that
  // matched before it (what an autopsy compares).
  struct First {
    uint64_t event = 0;
    std::optional<uint64_t> last_matched;
  };
  const std::optional<First>& first() const { return first_; }

  // The commands that narrow a divergence at `event` whose cause lies in
  // first_suspect..event (public for tests).
  std::vector<std::string> next_commands(uint64_t first_suspect, uint64_t event) const;

 private:
  void print_next(uint64_t first_suspect, uint64_t event) const;
  // The end of a state or accept report: the last match, the suspects and
  // the commands to run next.
  void print_json_end(JsonLine& j, std::optional<uint64_t> last_matched, uint64_t first,
                      uint64_t event) const;
  void print_text_end(std::optional<uint64_t> last_matched, uint64_t first, uint64_t event) const;
  std::string next_json(uint64_t first_suspect, uint64_t event) const;

  const LxreplayOptions& options_;
  std::FILE* out_;
  uint64_t count_ = 0;
  std::optional<First> first_;
};

}  // namespace lx::tools
