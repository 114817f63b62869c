// ReplyCapture: what each channel said and what the app answered, as the
// replay regenerates it (the log keeps only the count a sent_outgoing took).
// One observer for --conversation, --responses and --timeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "replay_observer.h"

namespace lx::tools {

// The bytes of one message: at most the capture's limit of them, with the
// whole length and a hash of all of it (so two long payloads still compare).
struct Payload {
  std::string head;         // the first bytes, at most ReplyCapture::head_bytes_max()
  uint64_t byte_count = 0;  // every byte
  uint64_t hash = 0;        // XXH3-64 of every byte
  bool cut() const { return head.size() < byte_count; }
  bool same_bytes(const Payload& other) const {
    return byte_count == other.byte_count && hash == other.hash;
  }
};

// One step of a channel's conversation.
struct Message {
  enum class Kind : uint8_t {
    kArrived,   // recv_incoming: bytes from the peer
    kReplied,   // sent_outgoing: the bytes it took, regenerated
    kUnsent,    // what the app had queued and no sent_outgoing took by the end
    kAccepted,  // notify_accept made this channel (port in `port`)
    kClosed,    // notify_close (the first: the peer finished; again: cannot write)
  };
  Kind kind = Kind::kArrived;
  uint64_t event = 0;           // the event number (for kUnsent: the last event replayed)
  double clock_seconds = 0;     // the recorded clock at that event (0 before any set_clock)
  bool has_clock = false;       // a set_clock came before it
  int32_t port = 0;             // kAccepted
  uint64_t recorded_count = 0;  // kReplied: the count the log holds (the payload may be shorter)
  Payload payload;              // kArrived, kReplied, kUnsent
  // kReplied, when the capture keeps it: everything the app had queued on
  // the channel then (the payload and what follows it), so a what-if reply
  // longer than the recorded count is seen whole.
  Payload queued;
};

std::string_view message_kind_name(Message::Kind kind);

class ReplyCapture : public ReplayObserver {
 public:
  // head_bytes_max: bytes kept of each payload (>= 1). keep_messages false:
  // keep no history, only the last reply (a view that streams, like the
  // timeline, bounded however long the session).
  explicit ReplyCapture(size_t head_bytes_max, bool keep_messages = true);

  // Also keep Message::queued for each reply (costs a read of the whole
  // queue per sent_outgoing).
  void keep_queued(bool keep) { keep_queued_ = keep; }

  void before_event(const wal::Record& event, const host::Engine& engine) override;
  void after_event(const wal::Record& event, int32_t result, host::Engine& engine) override;
  void on_rewind(uint64_t event) override;

  // Adds, for every channel still listed, the output the app queued that no
  // sent_outgoing took (a kUnsent message), as of the last event replayed.
  void finish(const host::Engine& engine, uint64_t last_event);

  // Every channel's messages, by chid, each in event order.
  const std::map<int32_t, std::vector<Message>>& channels() const { return channels_; }
  size_t head_bytes_max() const { return head_bytes_max_; }
  // The whole bytes the last sent_outgoing took (before_event of it on),
  // valid until the next event's before_event.
  std::span<const uint8_t> last_reply() const { return last_reply_; }
  uint64_t replies() const { return replies_; }

 private:
  void add(int32_t chid, Message message);
  Payload payload_of(std::span<const uint8_t> bytes) const;

  size_t head_bytes_max_;
  bool keep_messages_;
  bool keep_queued_ = false;
  std::map<int32_t, std::vector<Message>> channels_;
  std::vector<uint8_t> last_reply_;
  uint64_t replies_ = 0;
  double clock_seconds_ = 0;
  bool has_clock_ = false;
};

// The bytes a sent_outgoing of `count` bytes on chid takes from the front
// of the channel's queued output, read without consuming any (it may span
// several contiguous runs). Fewer when less is queued (a what-if app that
// answers shorter). Replaces *bytes.
void regenerate_sent(const host::Engine& engine, int32_t chid, uint64_t count,
                     std::vector<uint8_t>* bytes);

}  // namespace lx::tools
