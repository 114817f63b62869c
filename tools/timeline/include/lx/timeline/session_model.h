// The session model behind the timeline page and the trace export: lanes (one
// per channel), exchanges (what arrived and what the app answered), marks and
// the recorded clock, built record by record from a log and, in a replay, from
// what the engine queued. Nothing here reads a file or an engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lx/wal/format.h"
#include "lx/wal/log_header.h"

namespace lx::timeline {

// Bytes of a request or a reply the model keeps (the rest is counted only).
inline constexpr size_t kHeadBytes = 256;
// SessionModel::heads index meaning "no bytes kept".
inline constexpr uint32_t kNoHead = UINT32_MAX;

enum class LaneKind : uint8_t {
  kStdio = 0,     // channel 0
  kAccepted = 1,  // notify_accept on a listening port
  kOutgoing = 2,  // lx.connect (seen in the log only as a chid nobody accepted)
};
std::string_view lane_kind_name(LaneKind kind);

// One channel over its life.
struct Lane {
  int32_t chid = 0;
  LaneKind kind = LaneKind::kStdio;
  int32_t port = 0;          // kAccepted: the listening port
  std::string target;        // kOutgoing: "host:port" when a replay observed it, else ""
  uint64_t first_event = 0;  // accept, or the first event that names the channel
  uint64_t last_event = 0;   // the last event that names it
  uint64_t bytes_in = 0;     // recv_incoming bytes
  uint64_t bytes_sent = 0;   // sent_outgoing counts
  uint32_t exchange_count = 0;
  // On accepted channels and stdio the peer asks and the app answers; on an
  // outgoing channel the app asks (what it queued) and the peer answers.
  bool app_speaks_first() const { return kind == LaneKind::kOutgoing; }
};

// The bytes of one direction of an exchange.
struct Flow {
  uint64_t first_event = 0;  // 0: nothing in this direction
  uint64_t last_event = 0;
  uint32_t event_count = 0;
  uint64_t byte_count = 0;  // every byte; the head keeps at most kHeadBytes
  uint32_t head = kNoHead;  // index into SessionModel::heads
  bool empty() const { return event_count == 0; }
};

// A request and its reply on one lane. On an accepted channel or stdio the
// request is `in` (recv_incoming bytes up to the app's reply) and the reply
// is `queued` (what the app queued, only when a replay observed it) and
// `sent` (the sent_outgoing counts, always in the log). On an outgoing
// channel the app's request is queued/sent and the peer's answer is `in`.
struct Exchange {
  uint32_t lane = 0;
  Flow in;
  Flow queued;
  Flow sent;  // head is always kNoHead: the log keeps counts, not bytes
  // The box runs from the first to the last event of any of its flows.
  uint64_t first_event() const;
  uint64_t last_event() const;
  bool regenerated() const { return !queued.empty(); }
  // The answering direction was seen (a reply on accepted channels).
  bool answered(const Lane& of) const {
    return of.app_speaks_first() ? !in.empty() : !(queued.empty() && sent.empty());
  }
};

enum class MarkKind : uint8_t {
  kAccept = 0,  // notify_accept (lane)
  kHalfClose =
      1,  // first notify_close: the peer finished sending (or stdin ended); replies still go out
  kClose = 2,  // second notify_close: the socket cannot be written; queued output dropped
  kGone = 3,   // replay: the channel left the engine's list (the app closed it, or it finished)
  kCheckpoint = 4,  // a checkpoint record
  kSnapshot = 5,    // replay: a snapshot taken or restored
  kSource = 6,      // set_lua_source: the app's code (re)loaded
  kDivergence = 7,  // replay: where the replay parted from the recording
  kEnd = 8,         // the end record
};
std::string_view mark_kind_name(MarkKind kind);

struct Mark {
  MarkKind kind = MarkKind::kCheckpoint;
  uint64_t event = 0;
  int32_t lane = -1;  // index into lanes, or -1 for the whole session
  std::string text;   // a line for the details pane (figures, report text)
};

// A set_clock event: from `event` on, the recorded clock reads `seconds`.
struct ClockStep {
  uint64_t event = 0;
  double seconds = 0;
  double axis_seconds = 0;  // the running maximum of seconds: the axis never steps back
};

struct SessionModel {
  std::string title;     // what the page calls the session (e.g. the log's file name)
  std::string log_path;  // used in the commands the page suggests
  wal::LogHeader header;
  uint64_t event_count = 0;          // the last event number seen
  std::vector<Lane> lanes;           // by chid, stdio first
  std::vector<Exchange> exchanges;   // by lane, then by first event
  std::vector<Mark> marks;           // by event
  std::vector<uint64_t> updates;     // invoke_event_update events, ascending
  std::vector<ClockStep> clock;      // set_clock events, ascending
  std::vector<std::string> heads;    // request and reply bytes, at most kHeadBytes each, interned
  bool replies_regenerated = false;  // some output was observed (a replay built it)

  // The recorded clock at `event`: the last set_clock at or before it (the
  // first one for events before it; 0 without any).
  double time_of(uint64_t event) const;
  // A position on a time axis that keeps event order: events between two
  // set_clocks are spread evenly across that tick, events past the last one
  // 1 us apart, and the clock never steps back. The page's JavaScript and the
  // trace export use this same rule (docs/timeline.md).
  double axis_time_of(uint64_t event) const;
  // The index of chid's lane, or -1.
  int32_t lane_of(int32_t chid) const;
  const std::string& head_text(uint32_t head) const;
};

// Builds a SessionModel one record at a time, in log order. lxdump feeds it
// every record of a log; lxreplay feeds each record it applies and, after
// applying it, what the engine queued during that event:
//
//   SessionBuilder builder(name, path);
//   builder.set_header(reader.header());
//   for each record r:   builder.add(r);                 // before or after applying it
//                        for each chid with new output:   // after applying r
//                          builder.observe_output(chid, r.event, new_bytes);
//   on a divergence:     builder.observe_divergence(event, report_text);
//   SessionModel model = std::move(builder).finish();
//
// Calls for event N come after add() of N's record and before add() of the
// next event's record; except that observe_output of the bytes a
// sent_outgoing takes (regenerated by the replay just before applying it)
// may come right before add() of that sent_outgoing, with its number. Each call is O(log channels)
// and copies at most kHeadBytes per flow; memory grows with exchanges and marks, not with bytes.
// Single-threaded; not thread-safe.
class SessionBuilder {
 public:
  SessionBuilder(std::string title, std::string log_path);

  void set_header(const wal::LogHeader& header);
  // Takes the next record of the log (every type; an accept_result must
  // follow its notify_accept, as LogReader delivers them).
  void add(const wal::Record& record);
  // `bytes` were queued by the app on chid during `event` (the replay's
  // regenerated reply). A chid never seen before becomes an outgoing lane.
  void observe_output(int32_t chid, uint64_t event, std::span<const uint8_t> bytes);
  // The target ("host:port") of an outgoing channel (the engine's get_target).
  void observe_target(int32_t chid, std::string_view target);
  // chid left the engine's channel list after `event`.
  void observe_gone(int32_t chid, uint64_t event);
  void observe_snapshot(uint64_t event, std::string_view text);
  // The replay diverged at `event`; text is the report (several lines allowed).
  void observe_divergence(uint64_t event, std::string_view text);

  // Closes the open exchanges and hands over the model; the builder is
  // spent afterwards.
  SessionModel finish() &&;

 private:
  enum class Dir { kIn, kQueued, kSent };
  struct Pending {  // output queued for an exchange and not yet sent
    uint32_t exchange;
    uint64_t bytes;
  };
  struct Channel {
    uint32_t lane = 0;
    int64_t current = -1;   // exchange being built, -1: none
    bool answered = false;  // the current exchange saw its answering direction
    std::string in_head, queued_head;
    std::deque<Pending> pending;
    uint32_t closes = 0;
  };

  Channel& channel(int32_t chid, uint64_t event, LaneKind kind_if_new, int32_t port = 0);
  // Adds event/bytes to direction dir of chid's current exchange, opening a
  // new one when this direction opens an exchange and the last one was answered.
  uint32_t flow_in(Channel& ch, Dir dir, uint64_t event, std::span<const uint8_t> bytes,
                   uint64_t byte_count);
  void add_sent(Channel& ch, uint64_t event, uint64_t byte_count);
  void close_exchange(Channel& ch);
  void add_mark(MarkKind kind, uint64_t event, int32_t lane, std::string text);
  uint32_t intern(const std::string& bytes);
  void touch(Lane& lane, uint64_t event);

  SessionModel model_;
  std::map<int32_t, Channel> channels_;
  std::unordered_map<std::string, uint32_t> head_index_;
  bool accept_pending_ = false;
  uint64_t accept_event_ = 0;
  int32_t accept_port_ = 0;
};

}  // namespace lx::timeline
