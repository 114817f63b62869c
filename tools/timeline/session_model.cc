// The SessionModel's queries: where an exchange starts and ends, and where an
// event sits on the recorded clock and on the page's time axis.
#include "lx/timeline/session_model.h"

#include <algorithm>

namespace lx::timeline {
namespace {

// Events past the last set_clock (or before the first) sit this far apart.
constexpr double kUnclockedEventSeconds = 1e-6;

}  // namespace

std::string_view lane_kind_name(LaneKind kind) {
  switch (kind) {
    case LaneKind::kStdio:
      return "stdio";
    case LaneKind::kAccepted:
      return "accepted";
    case LaneKind::kOutgoing:
      return "outgoing";
  }
  return "?";
}

std::string_view mark_kind_name(MarkKind kind) {
  switch (kind) {
    case MarkKind::kAccept:
      return "accept";
    case MarkKind::kHalfClose:
      return "half_close";
    case MarkKind::kClose:
      return "close";
    case MarkKind::kGone:
      return "gone";
    case MarkKind::kCheckpoint:
      return "checkpoint";
    case MarkKind::kSnapshot:
      return "snapshot";
    case MarkKind::kSource:
      return "source";
    case MarkKind::kDivergence:
      return "divergence";
    case MarkKind::kEnd:
      return "end";
  }
  return "?";
}

uint64_t Exchange::first_event() const {
  uint64_t first = UINT64_MAX;
  for (const Flow* f : {&in, &queued, &sent})
    if (!f->empty()) first = std::min(first, f->first_event);
  return first == UINT64_MAX ? 0 : first;
}

uint64_t Exchange::last_event() const {
  uint64_t last = 0;
  for (const Flow* f : {&in, &queued, &sent})
    if (!f->empty()) last = std::max(last, f->last_event);
  return last;
}

double SessionModel::time_of(uint64_t event) const {
  if (clock.empty()) return 0;
  auto it = std::upper_bound(clock.begin(), clock.end(), event,
                             [](uint64_t e, const ClockStep& s) { return e < s.event; });
  if (it == clock.begin()) return clock.front().seconds;
  return std::prev(it)->seconds;
}

double SessionModel::axis_time_of(uint64_t event) const {
  if (clock.empty()) return static_cast<double>(event) * 1e-3;
  auto it = std::upper_bound(clock.begin(), clock.end(), event,
                             [](uint64_t e, const ClockStep& s) { return e < s.event; });
  if (it == clock.begin())
    return clock.front().axis_seconds -
           static_cast<double>(clock.front().event - event) * kUnclockedEventSeconds;
  const size_t i = static_cast<size_t>(std::prev(it) - clock.begin());
  const double t = clock[i].axis_seconds;
  if (i + 1 == clock.size())
    return t + static_cast<double>(event - clock[i].event) * kUnclockedEventSeconds;
  const double next = clock[i + 1].axis_seconds;
  const double span = static_cast<double>(clock[i + 1].event - clock[i].event);
  return t + (next - t) * static_cast<double>(event - clock[i].event) / span;
}

int32_t SessionModel::lane_of(int32_t chid) const {
  auto it = std::lower_bound(lanes.begin(), lanes.end(), chid,
                             [](const Lane& l, int32_t c) { return l.chid < c; });
  if (it == lanes.end() || it->chid != chid) return -1;
  return static_cast<int32_t>(it - lanes.begin());
}

const std::string& SessionModel::head_text(uint32_t head) const {
  static const std::string kEmpty;
  return head == kNoHead || head >= heads.size() ? kEmpty : heads[head];
}

}  // namespace lx::timeline
