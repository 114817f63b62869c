// Event groups for lxdiff's side-by-side walk.
#include "group_reader.h"

#include "lx/host/snapshot_stream.h"

namespace lx::tools {

EventBrief EventGroup::brief() const {
  EventBrief b;
  b.event = event;
  b.type = type;
  b.chid = chid;
  b.port = port;
  b.bytes = wal::has_field(type, wal::kFieldCount) ? byte_count : bytes.size();
  return b;
}

void GroupReader::start_group(const wal::Record& record, EventGroup* group) {
  group->event = record.event;
  group->has_event = wal::is_event(record.type);
  group->accept_chid.reset();
  group->checkpoint.reset();
  group->end.reset();
  group->bytes.clear();
  group->text.clear();
  if (!group->has_event) return;
  // The reader sets only the fields the type carries (the others keep their
  // defaults), so comparing every field of two groups is exact.
  group->type = record.type;
  group->clock_seconds = record.clock_seconds;
  group->chid = record.chid;
  group->port = record.port;
  group->byte_count = record.byte_count;
  group->bytes.assign(record.bytes.begin(), record.bytes.end());
  group->text = describe_record(record);
}

Result<bool> GroupReader::next(EventGroup* out) {
  if (done_ && !has_pending_) return false;
  wal::Record record;
  bool started = false;
  if (has_pending_) {
    std::swap(*out, pending_);
    has_pending_ = false;
    started = true;
  }
  while (!done_) {
    Result<bool> more = reader_.next(&record);
    if (!more.ok()) return more.status();
    if (!more.value()) {
      done_ = true;
      break;
    }
    if (wal::is_event(record.type)) {
      if (!started) {
        start_group(record, out);
        started = true;
        continue;
      }
      start_group(record, &pending_);
      has_pending_ = true;
      return true;
    }
    if (!started) {
      start_group(record, out);  // records before the first event
      started = true;
    }
    if (record.info().repeats() &&
        snapshots_.add(record) == wal::SnapshotAssembler::Outcome::kComplete) {
      const wal::LogSnapshot done = snapshots_.take();
      completed_.push_back(
          SnapshotBrief{done.event, done.state_bytes, host::state_hash_of_stream_end(done.stream)});
    }
    switch (record.type) {
      case wal::RecordType::kAcceptResult:
        out->accept_chid = record.chid;
        break;
      case wal::RecordType::kCheckpoint:
        out->checkpoint = record.figures;
        break;
      case wal::RecordType::kEnd:
        out->end = record.end_reason;
        break;
      default:
        break;
    }
  }
  return started;
}

}  // namespace lx::tools
