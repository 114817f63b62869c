// ReplyCapture: reading each reply out of the engine just before the
// sent_outgoing that consumes it, and keeping a bounded head of every message.
#include "reply_capture.h"

#include <xxhash.h>

#include <algorithm>

#include "lx/assert.h"

namespace lx::tools {

std::string_view message_kind_name(Message::Kind kind) {
  switch (kind) {
    case Message::Kind::kArrived:
      return "arrived";
    case Message::Kind::kReplied:
      return "replied";
    case Message::Kind::kUnsent:
      return "unsent";
    case Message::Kind::kAccepted:
      return "accepted";
    case Message::Kind::kClosed:
      return "closed";
  }
  return "?";
}

void regenerate_sent(const host::Engine& engine, int32_t chid, uint64_t count,
                     std::vector<uint8_t>* bytes) {
  bytes->clear();
  // Bounded by count, and every turn either takes bytes or stops.
  while (bytes->size() < count) {
    std::span<const uint8_t> run = engine.peek_outgoing_at(chid, bytes->size());
    if (run.empty()) break;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(run.size(), count - bytes->size()));
    bytes->insert(bytes->end(), run.begin(), run.begin() + static_cast<std::ptrdiff_t>(take));
  }
  LX_ASSERT(bytes->size() <= count);
}

ReplyCapture::ReplyCapture(size_t head_bytes_max, bool keep_messages)
    : head_bytes_max_(head_bytes_max), keep_messages_(keep_messages) {
  LX_ASSERT(head_bytes_max_ >= 1);
}

Payload ReplyCapture::payload_of(std::span<const uint8_t> bytes) const {
  Payload p;
  p.byte_count = bytes.size();
  p.hash = XXH3_64bits(bytes.data(), bytes.size());
  const size_t keep = std::min(bytes.size(), head_bytes_max_);
  p.head.assign(reinterpret_cast<const char*>(bytes.data()), keep);
  return p;
}

void ReplyCapture::add(int32_t chid, Message message) {
  message.clock_seconds = clock_seconds_;
  message.has_clock = has_clock_;
  if (keep_messages_) channels_[chid].push_back(std::move(message));
}

void ReplyCapture::before_event(const wal::Record& event, const host::Engine& engine) {
  if (event.type != wal::RecordType::kSentOutgoing) return;
  regenerate_sent(engine, event.chid, event.byte_count, &last_reply_);
  ++replies_;
  Message m;
  m.kind = Message::Kind::kReplied;
  m.event = event.event;
  m.recorded_count = event.byte_count;
  m.payload = payload_of(last_reply_);
  if (keep_queued_) {
    std::vector<uint8_t> queued;
    regenerate_sent(engine, event.chid, UINT64_MAX, &queued);
    m.queued = payload_of(queued);
  }
  add(event.chid, std::move(m));
}

void ReplyCapture::after_event(const wal::Record& event, int32_t result, host::Engine& engine) {
  (void)engine;
  Message m;
  m.event = event.event;
  switch (event.type) {
    case wal::RecordType::kSetClock:
      clock_seconds_ = event.clock_seconds;
      has_clock_ = true;
      return;
    case wal::RecordType::kRecvIncoming:
      m.kind = Message::Kind::kArrived;
      m.payload = payload_of(event.bytes);
      add(event.chid, std::move(m));
      return;
    case wal::RecordType::kNotifyAccept:
      if (result <= 0) return;  // refused: no channel
      m.kind = Message::Kind::kAccepted;
      m.port = event.port;
      add(result, std::move(m));
      return;
    case wal::RecordType::kNotifyClose:
      m.kind = Message::Kind::kClosed;
      add(event.chid, std::move(m));
      return;
    default:
      return;
  }
}

void ReplyCapture::on_rewind(uint64_t event) {
  // The events after `event` come again: forget what they said.
  for (auto it = channels_.begin(); it != channels_.end();) {
    std::vector<Message>& messages = it->second;
    while (!messages.empty() && messages.back().event > event) messages.pop_back();
    if (messages.empty()) {
      it = channels_.erase(it);
    } else {
      if (messages.back().has_clock) {
        clock_seconds_ = messages.back().clock_seconds;
        has_clock_ = true;
      }
      ++it;
    }
  }
  last_reply_.clear();
}

void ReplyCapture::finish(const host::Engine& engine, uint64_t last_event) {
  std::vector<uint8_t> rest;
  for (int32_t chid : engine.channels()) {
    regenerate_sent(engine, chid, UINT64_MAX, &rest);
    if (rest.empty()) continue;
    Message m;
    m.kind = Message::Kind::kUnsent;
    m.event = last_event;
    m.payload = payload_of(rest);
    add(chid, std::move(m));
  }
}

}  // namespace lx::tools
