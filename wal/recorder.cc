// The write-ahead order lives here: record, then call, then checkpoint; and
// the way back from a record to its call.
#include "lx/wal/recorder.h"

namespace lx::wal {

Recorder::Recorder(EventSink& engine, const FiguresSource& figures, LogWriter& writer,
                   const RecorderOptions& options)
    : engine_(engine), figures_(figures), writer_(&writer), options_(options) {}

namespace {

// The EventSink call an event record stands for. Inline: in forward, whose
// callers each pass a constant type, the switch folds to the one call.
[[gnu::always_inline]] inline int32_t call_sink(const Record& event, EventSink& sink) {
  switch (event.type) {
    case RecordType::kSetClock:
      return sink.set_clock(event.clock_seconds);
    case RecordType::kSetLuaSource:
      return sink.set_lua_source(event.bytes);
    case RecordType::kRecvIncoming:
      return sink.recv_incoming(event.chid, event.bytes);
    case RecordType::kSentOutgoing:
      return sink.sent_outgoing(event.chid, event.byte_count);
    case RecordType::kNotifyAccept:
      return sink.notify_accept(event.port);
    case RecordType::kNotifyClose:
      return sink.notify_close(event.chid);
    case RecordType::kInvokeEventUpdate:
      return sink.invoke_event_update();
    case RecordType::kCheckpoint:
    case RecordType::kAcceptResult:
    case RecordType::kEnd:
    case RecordType::kSnapshotTaken:
    case RecordType::kSnapshotData:
      break;
  }
  LX_ASSERT(false && "apply_event takes the seven events only");
  return 0;
}

}  // namespace

// Inline into each event's method below (the type is a constant there, so
// the prefix's layout and the engine call are chosen at compile time); the
// rare paths are calls.
[[gnu::always_inline]] inline int32_t Recorder::forward(Record& event) {
  LX_ASSERT(!finished_);
  event.event = ++event_count_;
  if (ended_early_) [[unlikely]]
    return call_sink(event, engine_);
  const PayloadPrefix prefix = encode_prefix(event);
  if (!writer_->has_room(record_bytes(event.type, event.event, prefix.size + event.bytes.size())))
      [[unlikely]] {
    end_full();
    return call_sink(event, engine_);
  }
  (void)writer_->append(event.type, event.event, prefix.span(),
                        event.bytes);  // false: not recording
  const int32_t result = call_sink(event, engine_);
  if (event.type == RecordType::kNotifyAccept) {
    (void)writer_->append(RecordType::kAcceptResult, event_count_,
                          prefix_chid(RecordType::kAcceptResult, result).span(), {});
  }
  if (options_.checkpoint_every != 0 && event_count_ % options_.checkpoint_every == 0)
    append_checkpoint();
  return result;
}

void Recorder::end_full() {
  // Near max_log_bytes: end the log at the last recorded event, with its
  // checkpoint, while both still fit; this event and later ones go
  // unrecorded.
  --event_count_;
  end_log(writer_->full_reason());
  ++event_count_;
}

void Recorder::append_checkpoint() {
  const PayloadPrefix prefix = prefix_checkpoint(figures_.figures());
  (void)writer_->append(RecordType::kCheckpoint, event_count_, prefix.span(), {});
  last_checkpoint_event_ = event_count_;
}

std::optional<SnapshotFields> Recorder::begin_snapshot(uint64_t state_bytes,
                                                       const EngineFigures& figures) {
  LX_ASSERT(!finished_);
  if (ended_early_ || event_count_ == 0) return std::nullopt;
  SnapshotFields fields;
  fields.serial = snapshot_serial_ + 1;
  fields.event = event_count_;
  const PayloadPrefix prefix = prefix_snapshot_taken(fields, state_bytes, figures);
  if (!writer_->has_room(record_bytes(RecordType::kSnapshotTaken, event_count_, prefix.size)) ||
      !writer_->append(RecordType::kSnapshotTaken, event_count_, prefix.span(), {})) {
    return std::nullopt;
  }
  snapshot_serial_ = fields.serial;
  return fields;
}

bool Recorder::append_snapshot_data(const SnapshotFields& snapshot, uint8_t flags,
                                    std::span<const uint8_t> bytes) {
  LX_ASSERT(!finished_);
  LX_ASSERT_OP(snapshot.event, <=, event_count_);
  if (ended_early_) return false;
  SnapshotFields fields = snapshot;
  fields.serial = snapshot_serial_ + 1;
  fields.flags = flags;
  PayloadPrefix prefix = prefix_snapshot_data(fields);
  const bool fits = writer_->has_room(
      record_bytes(RecordType::kSnapshotData, event_count_, prefix.size + bytes.size()));
  if (!fits) {
    // Give the snapshot up rather than the events that follow it.
    fields.flags = kSnapshotAbandoned;
    prefix = prefix_snapshot_data(fields);
    bytes = {};
    if (!writer_->has_room(record_bytes(RecordType::kSnapshotData, event_count_, prefix.size)))
      return false;
  }
  if (!writer_->append(RecordType::kSnapshotData, event_count_, prefix.span(), bytes)) return false;
  snapshot_serial_ = fields.serial;
  return fits;
}

int Recorder::set_clock(double seconds) {
  Record r;
  r.type = RecordType::kSetClock;
  r.clock_seconds = seconds;
  return forward(r);
}

int Recorder::set_lua_source(std::span<const uint8_t> blob) {
  Record r;
  r.type = RecordType::kSetLuaSource;
  r.bytes = blob;
  return forward(r);
}

int Recorder::recv_incoming(int32_t chid, std::span<const uint8_t> bytes) {
  Record r;
  r.type = RecordType::kRecvIncoming;
  r.chid = chid;
  r.bytes = bytes;
  return forward(r);
}

int Recorder::sent_outgoing(int32_t chid, uint64_t byte_count) {
  Record r;
  r.type = RecordType::kSentOutgoing;
  r.chid = chid;
  r.byte_count = byte_count;
  return forward(r);
}

int32_t Recorder::notify_accept(int32_t port) {
  Record r;
  r.type = RecordType::kNotifyAccept;
  r.port = port;
  return forward(r);
}

int Recorder::notify_close(int32_t chid) {
  Record r;
  r.type = RecordType::kNotifyClose;
  r.chid = chid;
  return forward(r);
}

int Recorder::invoke_event_update() {
  Record r;
  r.type = RecordType::kInvokeEventUpdate;
  return forward(r);
}

bool Recorder::append_end(EndReason reason, int32_t detail) {
  if (event_count_ != 0 && last_checkpoint_event_ != event_count_) append_checkpoint();
  const PayloadPrefix prefix = prefix_end(reason, detail);
  return writer_->append(RecordType::kEnd, event_count_, prefix.span(), {});
}

void Recorder::end_log(EndReason reason, int32_t detail) {
  (void)append_end(reason, detail);
  ended_early_ = reason != EndReason::kClosed;
}

bool Recorder::rotate(LogWriter& next, uint64_t next_segment) {
  LX_ASSERT(!finished_);
  LX_ASSERT(&next != writer_);
  if (ended_early_ || !writer_->accepting()) return false;
  const PayloadPrefix end = prefix_end(EndReason::kClosed, static_cast<int32_t>(next_segment));
  const uint64_t need =
      record_bytes(RecordType::kCheckpoint, event_count_, kMaxFieldsPayloadBytes) +
      record_bytes(RecordType::kEnd, event_count_, end.size);
  if (!writer_->has_room(need)) return false;
  if (!append_end(EndReason::kClosed, static_cast<int32_t>(next_segment))) return false;
  writer_ = &next;
  return true;
}

void Recorder::finish() {
  if (finished_) return;
  if (!ended_early_) end_log(EndReason::kClosed);
  finished_ = true;
}

int32_t apply_event(const Record& event, EventSink& sink) { return call_sink(event, sink); }

}  // namespace lx::wal
