// Parsing an event RANGE (lxdump's argument, the REPL's :events).
#include "lx/tools/event_range.h"

#include <fmt/format.h>

namespace lx::tools {

bool parse_event_number(std::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = v;
  return true;
}

Result<EventRange> parse_event_range(const std::string& text) {
  EventRange range;
  if (text.empty()) return range;
  // Found before the comparison with "end": after it, GCC 12 with the
  // precompiled headers (cmake/BuildTime.cmake) warns that find reads past
  // any object.
  const size_t dash = text.find('-');
  if (text == "end") {
    range.end = true;
    return range;
  }
  auto bad = [&](std::string_view why) {
    return Status::usage(fmt::format("bad range '{}': {}; use N, N-M, N-, -M or end", text, why));
  };
  if (dash == std::string::npos) {
    if (!parse_event_number(text, &range.first)) return bad("not a number");
    range.last = range.first;
  } else {
    const std::string a = text.substr(0, dash);
    const std::string b = text.substr(dash + 1);
    if (a.empty() && b.empty()) return bad("no numbers");
    if (!a.empty() && !parse_event_number(a, &range.first)) return bad("not a number");
    if (!b.empty() && !parse_event_number(b, &range.last)) return bad("not a number");
  }
  if (range.first == 0 || range.last == 0) return bad("events are numbered from 1");
  if (range.first > range.last) return bad("the first event is after the last");
  return range;
}

}  // namespace lx::tools
