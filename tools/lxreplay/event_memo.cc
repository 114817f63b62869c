// EventMemo: copying the last event out of the reader's buffer.
#include "event_memo.h"

#include <fmt/format.h>

#include "reply_capture.h"

namespace lx::tools {

void EventMemo::before_event(const wal::Record& event, const host::Engine& engine) {
  sent_.clear();
  if (event.type != wal::RecordType::kSentOutgoing) return;
  regenerate_sent(engine, event.chid, event.byte_count, &sent_);
}

void EventMemo::after_event(const wal::Record& event, int32_t result, host::Engine& engine) {
  (void)result;
  (void)engine;
  has_event_ = true;
  brief_ = brief_of(event);
  if (event.type == wal::RecordType::kSetClock) clock_seconds_ = event.clock_seconds;
  has_bytes_ = true;
  if (event.type == wal::RecordType::kSentOutgoing) {
    bytes_.swap(sent_);
    sent_.clear();
  } else if (event.info().has(wal::kFieldBytes)) {
    bytes_.assign(event.bytes.begin(), event.bytes.end());
  } else {
    bytes_.clear();
    has_bytes_ = false;
  }
}

void EventMemo::on_rewind(uint64_t event) {
  has_event_ = false;
  brief_ = EventBrief{};
  brief_.event = event;
}

const lx_inspect_event* EventMemo::event() {
  if (!has_event_) return nullptr;
  const wal::RecordTypeInfo& info = wal::record_type_info(brief_.type);
  event_ = lx_inspect_event{};
  event_.number = brief_.event;
  event_.type = info.name.data();  // the table's names are NUL-terminated literals
  event_.has_chid = info.has(wal::kFieldChid) ? 1 : 0;
  event_.chid = brief_.chid;
  event_.has_port = info.has(wal::kFieldPort) ? 1 : 0;
  event_.port = brief_.port;
  event_.has_clock = info.has(wal::kFieldClock) ? 1 : 0;
  event_.clock = clock_seconds_;
  event_.size_bytes = brief_.bytes;
  event_.has_bytes = has_bytes_ ? 1 : 0;
  event_.bytes = bytes_.data();
  event_.byte_count = bytes_.size();
  return &event_;
}

std::string event_label(const EventBrief& brief) {
  const wal::RecordTypeInfo& info = wal::record_type_info(brief.type);
  std::string out = fmt::format("#{} {}", brief.event, info.name);
  if (info.has(wal::kFieldChid)) out += fmt::format(" {}", brief.chid);
  return out;
}

}  // namespace lx::tools
