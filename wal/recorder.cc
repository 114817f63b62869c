// The write-ahead order lives here: record, then call, then checkpoint.
#include "lx/wal/recorder.h"

namespace lx::wal {

Recorder::Recorder(EventSink& engine, const FiguresSource& figures, LogWriter& writer,
                   const RecorderOptions& options)
    : engine_(engine), figures_(figures), writer_(writer), options_(options) {}

void Recorder::append_event(RecordType type, std::span<const uint8_t> prefix,
                            std::span<const uint8_t> data) {
  LX_ASSERT(!finished_);
  ++event_count_;
  (void)writer_.append(type, event_count_, prefix, data);  // false: not recording
}

void Recorder::after_event() {
  if (options_.checkpoint_every != 0 && event_count_ % options_.checkpoint_every == 0)
    append_checkpoint();
}

void Recorder::append_checkpoint() {
  const PayloadPrefix prefix = prefix_checkpoint(figures_.figures());
  (void)writer_.append(RecordType::kCheckpoint, event_count_, prefix.span(), {});
  last_checkpoint_event_ = event_count_;
}

int Recorder::set_clock(double seconds) {
  append_event(RecordType::kSetClock, prefix_set_clock(seconds).span());
  const int result = engine_.set_clock(seconds);
  after_event();
  return result;
}

int Recorder::set_lua_source(std::span<const uint8_t> blob) {
  append_event(RecordType::kSetLuaSource, {}, blob);
  const int result = engine_.set_lua_source(blob);
  after_event();
  return result;
}

int Recorder::recv_incoming(int32_t chid, std::span<const uint8_t> bytes) {
  append_event(RecordType::kRecvIncoming, prefix_chid(chid).span(), bytes);
  const int result = engine_.recv_incoming(chid, bytes);
  after_event();
  return result;
}

int Recorder::sent_outgoing(int32_t chid, uint64_t byte_count) {
  append_event(RecordType::kSentOutgoing, prefix_sent_outgoing(chid, byte_count).span());
  const int result = engine_.sent_outgoing(chid, byte_count);
  after_event();
  return result;
}

int32_t Recorder::notify_accept(int32_t port) {
  append_event(RecordType::kNotifyAccept, prefix_notify_accept(port).span());
  const int32_t chid = engine_.notify_accept(port);
  (void)writer_.append(RecordType::kAcceptResult, event_count_, prefix_chid(chid).span(), {});
  after_event();
  return chid;
}

int Recorder::notify_close(int32_t chid) {
  append_event(RecordType::kNotifyClose, prefix_chid(chid).span());
  const int result = engine_.notify_close(chid);
  after_event();
  return result;
}

int Recorder::invoke_event_update() {
  append_event(RecordType::kInvokeEventUpdate, {});
  const int result = engine_.invoke_event_update();
  after_event();
  return result;
}

void Recorder::finish() {
  if (finished_) return;
  if (event_count_ != 0 && last_checkpoint_event_ != event_count_) append_checkpoint();
  const PayloadPrefix prefix = prefix_end(EndReason::kClosed, 0);
  (void)writer_.append(RecordType::kEnd, event_count_, prefix.span(), {});
  finished_ = true;
}

}  // namespace lx::wal
