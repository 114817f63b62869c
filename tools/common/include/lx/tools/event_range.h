// The RANGE argument of lxdump and of the REPL's :events (as rr dump takes
// it): N, N-M, N-, -M or end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lx/status.h"

namespace lx::tools {

struct EventRange {
  uint64_t first = 1;
  uint64_t last = UINT64_MAX;
  bool end = false;  // "end": the last event only (known once the log is read)

  bool contains(uint64_t event) const { return event >= first && event <= last; }
};

// A decimal number of at most 19 digits and nothing else.
bool parse_event_number(std::string_view text, uint64_t* value);

// Parses text (empty: every event). kUsage with a message that quotes text
// as given and says what is wrong ("events are numbered from 1").
Result<EventRange> parse_event_range(const std::string& text);

}  // namespace lx::tools
