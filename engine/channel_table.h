// ChannelTable: every channel of an engine by chid, the accept queue, and
// the end-of-event step that retires drained channels. It owns the channel
// lifecycle rules (docs/channels.md) so events and Lua calls share them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "app_memory.h"
#include "channel.h"
#include "eng_containers.h"
#include "hash64.h"

namespace lx::engine {

class ChannelTable {
 public:
  // Creates stdio (chid 0). Queued output is charged to memory, which must
  // outlive the table.
  ChannelTable(Heap& heap, AppMemory& memory);

  // Any channel object still held (listed or finished), or null.
  Channel* find(int32_t chid);
  const Channel* find(int32_t chid) const;
  // A channel the driver can see (list_channels), or null.
  const Channel* find_listed(int32_t chid) const;
  Channel* find_listed(int32_t chid);

  // notify_accept: a new channel for port, queued for lx.accept(). Returns
  // its chid, or nullopt when chids are exhausted. Throws std::bad_alloc.
  std::optional<int32_t> open_incoming(int32_t port);
  // lx.connect: a new outgoing channel for target. Throws std::bad_alloc.
  std::optional<int32_t> open_outgoing(std::string_view target);
  // lx.accept: the oldest queued chid, or nullopt.
  std::optional<int32_t> pop_accepted();

  // notify_close: the first call marks the channel closed (the remote sends
  // no more; the app may still write, a half-close); a later one drops its
  // unsent output and every later write (the driver cannot deliver them).
  void close_by_driver(Channel& channel);
  // sent_outgoing: byte_count <= out.size().
  void consume_output(Channel& channel, uint64_t byte_count);
  // ch:close(): the app lets go of a channel (never stdio). Its input is
  // dropped; it is destroyed at the end of the event once its output is gone.
  void delete_by_app(Channel& channel);
  // ch:shutdown(): the app will write no more on a channel (never stdio);
  // once its output is sent the driver shuts the socket's write side, and
  // the channel still receives until the remote closes.
  void shut_down_by_app(Channel& channel);
  // ch:write(): queues bytes and folds them into outhash. Returns false (and
  // queues nothing) when the channel is not writable() (finished, shut down
  // by the app, or its output is dead). Throws std::bad_alloc, queueing
  // nothing, when the app's memory cap or its share of the heap is exhausted.
  bool write(Channel& channel, const void* bytes, std::size_t byte_count);

  // End of every event: destroys deleted channels without output, and marks
  // finished the channels without output whose two directions are done
  // (closed and shut down, or output dead).
  void settle();

  // Writes up to capacity listed chids in ascending order; returns how many
  // are listed in all.
  std::size_t list(int32_t* chids, std::size_t capacity) const;
  uint64_t outhash() const { return outhash_.value(); }
  std::size_t size() const { return channels_.size(); }

 private:
  std::optional<int32_t> open(int32_t port, std::string_view target, bool outgoing);

  Heap* heap_;
  AppMemory* memory_;
  eng::map<int32_t, Channel> channels_;
  eng::deque<int32_t> accept_queue_;
  int32_t next_chid_ = 1;
  bool settle_needed_ = false;
  Hash64 outhash_;
};

}  // namespace lx::engine
