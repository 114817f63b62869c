// Recorder: an EventSink that appends each event to the log BEFORE it hands
// the event to the engine (write-ahead), so a crash inside the engine still
// leaves the fatal event in the file. Checkpoints follow every N events.
// Beside it, its inverse: apply_event turns a recorded event back into the
// EventSink call it stands for (lxreplay, the tests).
#pragma once

#include <cstdint>
#include <optional>

#include "lx/event_sink.h"
#include "lx/status.h"
#include "lx/wal/log_writer.h"

namespace lx::wal {

struct RecorderOptions {
  // A checkpoint (engine figures) after every N-th event, and one after the
  // last event at finish(). 1000 costs about 40 bytes per 1000 events and
  // bounds how far lxreplay must look to find a divergence. 0: only at finish().
  uint64_t checkpoint_every = 1000;
};

class Recorder : public EventSink {
 public:
  // `engine` receives every event; `figures` reads the engine's checkpoint
  // figures; `writer` takes the records. All three must outlive the Recorder.
  // Use from the one thread that feeds events (the driver's).
  Recorder(EventSink& engine, const FiguresSource& figures, LogWriter& writer,
           const RecorderOptions& options = {});

  // Each event: append the record, forward it to the engine, return the
  // engine's result; notify_accept then appends an accept_result with the
  // chid the engine returned; every checkpoint_every events a checkpoint
  // follows. When the writer is not recording (I/O error, max_log_bytes)
  // events are still forwarded, and nothing is appended.
  int set_clock(double seconds) override;
  int set_lua_source(std::span<const uint8_t> blob) override;
  int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) override;
  int sent_outgoing(int32_t chid, uint64_t byte_count) override;
  int32_t notify_accept(int32_t port) override;
  int notify_close(int32_t chid) override;
  int invoke_event_update() override;

  // Appends a checkpoint after the last event (unless one is already there)
  // and the end record (kClosed). Call once, before LogWriter::close().
  void finish();
  // Ends the current log as a segment (a checkpoint of the last event,
  // unless one is there, and the end record "closed" whose detail is
  // next_segment) and goes on appending to `next`, which must outlive the
  // Recorder (or the next rotate). The caller closes the old writer. False
  // (nothing changed) when the log takes no more records or the end does
  // not fit.
  bool rotate(LogWriter& next, uint64_t next_segment);
  // True once the log was ended early because the writer asked (near
  // max_log_bytes): it ends with a checkpoint of its last event and an end
  // record "truncated"; later events are forwarded unrecorded.
  bool ended_early() const { return ended_early_; }

  // ---- Snapshots (docs/wal-format.md, "Snapshots") ----
  // Appends the snapshot_taken record of the engine's state as it is now,
  // after event_count() (not before the first event): state_bytes bytes
  // whose figures are `figures`. @return the fields its snapshot_data
  // records carry, or nullopt (nothing appended) when the log takes no more
  // records or has no room for it.
  std::optional<SnapshotFields> begin_snapshot(uint64_t state_bytes, const EngineFigures& figures);
  // Appends the next piece of that snapshot's stream; `flags` is
  // kSnapshotLast on the last piece, kSnapshotAbandoned when the stream will
  // not be finished (bytes may be empty). A piece that does not fit in the
  // log is not appended: the snapshot is abandoned instead (when that fits)
  // and false returned; so is false once the log takes no more records.
  bool append_snapshot_data(const SnapshotFields& snapshot, uint8_t flags,
                            std::span<const uint8_t> bytes);

  // True while records reach the log. Once false it stays false: read
  // writer().state() (kTruncated, kFailed) and writer().error() to say why.
  bool recording() const { return writer_->accepting(); }
  LogWriter& writer() { return *writer_; }
  // Events forwarded so far (recorded or not).
  uint64_t event_count() const { return event_count_; }

 private:
  // Numbers the event, appends its record, makes the engine call, then
  // appends what follows it (accept result, checkpoint). @return the call's result.
  int32_t forward(Record& event);
  // forward's way when the log is full: ends it before the event, which is
  // then forwarded unrecorded. Takes no Record, so that forward's never
  // escapes (its fields stay in registers).
  __attribute__((noinline)) void end_full();
  void append_checkpoint();
  // A checkpoint of the last event (unless there is one) and an end record.
  // @return whether the writer took the end record.
  bool append_end(EndReason reason, int32_t detail);

  EventSink& engine_;
  const FiguresSource& figures_;
  LogWriter* writer_;  // never null; rotate() changes it
  const RecorderOptions options_;
  uint64_t event_count_ = 0;
  uint64_t last_checkpoint_event_ = 0;
  uint64_t snapshot_serial_ = 0;  // of the last snapshot record appended
  bool finished_ = false;
  bool ended_early_ = false;
  // Ends the log with a checkpoint of the last event and an end record.
  void end_log(EndReason reason, int32_t detail = 0);
};

// Makes the EventSink call that `event` (a record of one of the seven event
// types) stands for, with its recorded arguments. @return the sink's result:
// a status, or for notify_accept the chid.
int32_t apply_event(const Record& event, EventSink& sink);

}  // namespace lx::wal
