// Names a person reads for lanes and spans, shared by the trace export and
// the page's summary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lx/timeline/session_model.h"

namespace lx::timeline {

// "stdio (ch 0)", "ch 3 accepted on :8080", "ch 7 to 127.0.0.1:6379" or
// "ch 7 outgoing" when the target is unknown.
std::string lane_label(const Lane& lane);
// The first line of a request, printable ASCII kept and other bytes as
// \xHH, cut to max_bytes with "...": "GET /index.html HTTP/1.1".
std::string span_name(std::string_view head, size_t max_bytes);

}  // namespace lx::timeline
