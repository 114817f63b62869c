// SessionBuilder: turns records (and a replay's observations) into lanes,
// exchanges and marks. The exchange rule is in session_model.h and
// docs/timeline.md ("How exchanges are cut").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "lx/timeline/session_model.h"

namespace lx::timeline {

using wal::Record;
using wal::RecordType;

SessionBuilder::SessionBuilder(std::string title, std::string log_path) {
  model_.title = std::move(title);
  model_.log_path = std::move(log_path);
}

void SessionBuilder::set_header(const wal::LogHeader& header) { model_.header = header; }

void SessionBuilder::touch(Lane& lane, uint64_t event) {
  if (lane.first_event == 0 || event < lane.first_event) lane.first_event = event;
  lane.last_event = std::max(lane.last_event, event);
}

SessionBuilder::Channel& SessionBuilder::channel(int32_t chid, uint64_t event, LaneKind kind_if_new,
                                                 int32_t port) {
  auto it = channels_.find(chid);
  if (it == channels_.end()) {
    Lane lane;
    lane.chid = chid;
    lane.kind = chid == 0 ? LaneKind::kStdio : kind_if_new;
    lane.port = port;
    model_.lanes.push_back(lane);
    Channel ch;
    ch.lane = static_cast<uint32_t>(model_.lanes.size() - 1);
    it = channels_.emplace(chid, std::move(ch)).first;
  }
  touch(model_.lanes[it->second.lane], event);
  return it->second;
}

uint32_t SessionBuilder::intern(const std::string& bytes) {
  if (bytes.empty()) return kNoHead;
  auto [it, inserted] = head_index_.emplace(bytes, static_cast<uint32_t>(model_.heads.size()));
  if (inserted) model_.heads.push_back(bytes);
  return it->second;
}

void SessionBuilder::close_exchange(Channel& ch) {
  if (ch.current < 0) return;
  Exchange& x = model_.exchanges[static_cast<size_t>(ch.current)];
  x.in.head = intern(ch.in_head);
  x.queued.head = intern(ch.queued_head);
  ch.in_head.clear();
  ch.queued_head.clear();
  ch.current = -1;
  ch.answered = false;
}

uint32_t SessionBuilder::flow_in(Channel& ch, Dir dir, uint64_t event,
                                 std::span<const uint8_t> bytes, uint64_t byte_count) {
  const Lane& lane = model_.lanes[ch.lane];
  // kSent counts as output only when no observed output is waiting for it.
  const bool is_out = dir != Dir::kIn;
  const bool opens = lane.app_speaks_first() ? is_out : !is_out;
  if (ch.current >= 0 && opens && ch.answered) close_exchange(ch);
  if (ch.current < 0) {
    Exchange x;
    x.lane = ch.lane;
    model_.exchanges.push_back(x);
    ch.current = static_cast<int64_t>(model_.exchanges.size() - 1);
    ++model_.lanes[ch.lane].exchange_count;
  }
  if (!opens) ch.answered = true;
  Exchange& x = model_.exchanges[static_cast<size_t>(ch.current)];
  Flow& flow = dir == Dir::kIn ? x.in : dir == Dir::kQueued ? x.queued : x.sent;
  if (flow.first_event == 0) flow.first_event = event;
  flow.last_event = std::max(flow.last_event, event);
  ++flow.event_count;
  flow.byte_count += byte_count;
  std::string* head = dir == Dir::kIn       ? &ch.in_head
                      : dir == Dir::kQueued ? &ch.queued_head
                                            : nullptr;
  if (head != nullptr && head->size() < kHeadBytes) {
    const size_t take = std::min(kHeadBytes - head->size(), bytes.size());
    head->append(reinterpret_cast<const char*>(bytes.data()), take);
  }
  return static_cast<uint32_t>(ch.current);
}

void SessionBuilder::add_sent(Channel& ch, uint64_t event, uint64_t byte_count) {
  // Sent bytes go to the exchanges whose observed output they drain, oldest
  // first; bytes no observation announced belong to the current exchange.
  uint64_t left = byte_count;
  while (left > 0 && !ch.pending.empty()) {
    Pending& p = ch.pending.front();
    const uint64_t take = std::min(left, p.bytes);
    Flow& sent = model_.exchanges[p.exchange].sent;
    if (sent.first_event == 0) sent.first_event = event;
    sent.last_event = std::max(sent.last_event, event);
    ++sent.event_count;
    sent.byte_count += take;
    p.bytes -= take;
    left -= take;
    if (p.bytes == 0) ch.pending.pop_front();
  }
  if (left > 0 || byte_count == 0) flow_in(ch, Dir::kSent, event, {}, left);
}

void SessionBuilder::add_mark(MarkKind kind, uint64_t event, int32_t lane, std::string text) {
  model_.marks.push_back(Mark{kind, event, lane, std::move(text)});
}

void SessionBuilder::add(const Record& r) {
  model_.event_count = std::max(model_.event_count, r.event);
  if (accept_pending_ && r.type != RecordType::kAcceptResult) accept_pending_ = false;
  switch (r.type) {
    case RecordType::kSetClock: {
      // A clock that is not a finite number (a damaged or hostile log) holds
      // the axis where it was.
      const double prev = model_.clock.empty() ? 0.0 : model_.clock.back().axis_seconds;
      const double t = std::isfinite(r.clock_seconds) ? r.clock_seconds : prev;
      model_.clock.push_back(
          ClockStep{r.event, r.clock_seconds, model_.clock.empty() ? t : std::max(prev, t)});
      return;
    }
    case RecordType::kSetLuaSource:
      add_mark(MarkKind::kSource, r.event, -1,
               fmt::format("set_lua_source: the app's code, {} bytes", r.bytes.size()));
      return;
    case RecordType::kRecvIncoming: {
      Channel& ch = channel(r.chid, r.event, LaneKind::kOutgoing);
      model_.lanes[ch.lane].bytes_in += r.bytes.size();
      flow_in(ch, Dir::kIn, r.event, r.bytes, r.bytes.size());
      return;
    }
    case RecordType::kSentOutgoing: {
      Channel& ch = channel(r.chid, r.event, LaneKind::kOutgoing);
      model_.lanes[ch.lane].bytes_sent += r.byte_count;
      add_sent(ch, r.event, r.byte_count);
      return;
    }
    case RecordType::kNotifyAccept:
      accept_pending_ = true;
      accept_event_ = r.event;
      accept_port_ = r.port;
      return;
    case RecordType::kAcceptResult: {
      if (!accept_pending_ || r.event != accept_event_) return;
      accept_pending_ = false;
      Channel& ch = channel(r.chid, r.event, LaneKind::kAccepted, accept_port_);
      Lane& lane = model_.lanes[ch.lane];
      lane.kind = r.chid == 0 ? LaneKind::kStdio : LaneKind::kAccepted;
      lane.port = accept_port_;
      add_mark(MarkKind::kAccept, r.event, static_cast<int32_t>(ch.lane),
               fmt::format("notify_accept: a connection on port {} became channel {}", accept_port_,
                           r.chid));
      return;
    }
    case RecordType::kNotifyClose: {
      Channel& ch = channel(r.chid, r.event, LaneKind::kOutgoing);
      ++ch.closes;
      const bool stdio = r.chid == 0;
      if (ch.closes == 1) {
        add_mark(MarkKind::kHalfClose, r.event, static_cast<int32_t>(ch.lane),
                 stdio ? "notify_close: end of stdin; output still goes out"
                       : "notify_close: the peer closed (EOF, reset or failed connect); queued "
                         "output still goes out");
      } else {
        ch.pending.clear();  // the engine discards the channel's output
        add_mark(MarkKind::kClose, r.event, static_cast<int32_t>(ch.lane),
                 stdio ? "notify_close again: stdout failed; queued output dropped"
                       : "notify_close again: the socket cannot be written; queued output "
                         "dropped");
      }
      return;
    }
    case RecordType::kInvokeEventUpdate:
      model_.updates.push_back(r.event);
      return;
    case RecordType::kCheckpoint:
      add_mark(MarkKind::kCheckpoint, r.event, -1,
               fmt::format("checkpoint after event {}: memhash 0x{:016x} outhash 0x{:016x} "
                           "heap {} bytes",
                           r.figures.event_count, r.figures.memhash, r.figures.outhash,
                           r.figures.heap_bytes_in_use));
      return;
    case RecordType::kSnapshotTaken:
    case RecordType::kSnapshotData:
      return;  // the engine's saved state: nothing of the session's
    case RecordType::kEnd:
      add_mark(MarkKind::kEnd, r.event, -1,
               r.end_reason == wal::EndReason::kCrashed
                   ? fmt::format("end of log: crashed (signal {})", r.end_detail)
                   : fmt::format("end of log: {}", wal::end_reason_name(r.end_reason)));
      return;
  }
}

void SessionBuilder::observe_output(int32_t chid, uint64_t event, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  model_.event_count = std::max(model_.event_count, event);
  model_.replies_regenerated = true;
  Channel& ch = channel(chid, event, LaneKind::kOutgoing);
  const uint32_t x = flow_in(ch, Dir::kQueued, event, bytes, bytes.size());
  if (!ch.pending.empty() && ch.pending.back().exchange == x) {
    ch.pending.back().bytes += bytes.size();
  } else {
    ch.pending.push_back(Pending{x, bytes.size()});
  }
}

void SessionBuilder::observe_target(int32_t chid, std::string_view target) {
  auto it = channels_.find(chid);
  if (it == channels_.end()) return;
  model_.lanes[it->second.lane].target = std::string(target.substr(0, 256));
}

void SessionBuilder::observe_gone(int32_t chid, uint64_t event) {
  auto it = channels_.find(chid);
  if (it == channels_.end()) return;
  touch(model_.lanes[it->second.lane], event);
  add_mark(MarkKind::kGone, event, static_cast<int32_t>(it->second.lane),
           "the channel left the engine's list: the app closed it, or it finished");
}

void SessionBuilder::observe_snapshot(uint64_t event, std::string_view text) {
  add_mark(MarkKind::kSnapshot, event, -1, std::string(text));
}

void SessionBuilder::observe_divergence(uint64_t event, std::string_view text) {
  model_.event_count = std::max(model_.event_count, event);
  add_mark(MarkKind::kDivergence, event, -1, std::string(text));
}

SessionModel SessionBuilder::finish() && {
  for (auto& [chid, ch] : channels_) close_exchange(ch);
  // Lanes by chid (stdio may first show up after other channels).
  std::vector<uint32_t> order(model_.lanes.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return model_.lanes[a].chid < model_.lanes[b].chid; });
  std::vector<uint32_t> new_index(order.size());
  std::vector<Lane> lanes;
  lanes.reserve(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    lanes.push_back(std::move(model_.lanes[order[i]]));
  }
  model_.lanes = std::move(lanes);
  for (Exchange& x : model_.exchanges) x.lane = new_index[x.lane];
  for (Mark& m : model_.marks)
    if (m.lane >= 0) m.lane = static_cast<int32_t>(new_index[static_cast<size_t>(m.lane)]);
  std::stable_sort(model_.exchanges.begin(), model_.exchanges.end(),
                   [](const Exchange& a, const Exchange& b) {
                     return a.lane != b.lane ? a.lane < b.lane : a.first_event() < b.first_event();
                   });
  std::stable_sort(model_.marks.begin(), model_.marks.end(),
                   [](const Mark& a, const Mark& b) { return a.event < b.event; });
  channels_.clear();
  head_index_.clear();
  return std::move(model_);
}

}  // namespace lx::timeline
