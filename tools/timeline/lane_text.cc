// Lane labels and span names.
#include "lane_text.h"

#include <fmt/format.h>

namespace lx::timeline {

std::string lane_label(const Lane& lane) {
  switch (lane.kind) {
    case LaneKind::kStdio:
      return "stdio (ch 0)";
    case LaneKind::kAccepted:
      return fmt::format("ch {} accepted on :{}", lane.chid, lane.port);
    case LaneKind::kOutgoing:
      return lane.target.empty() ? fmt::format("ch {} outgoing", lane.chid)
                                 : fmt::format("ch {} to {}", lane.chid, lane.target);
  }
  return fmt::format("ch {}", lane.chid);
}

std::string span_name(std::string_view head, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    if (c == '\n' || c == '\r') break;
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace lx::timeline
