// ChannelTable: the channel lifecycle of docs/channels.md.
#include "channel_table.h"

#include <limits>
#include <new>

#include "engine_assert.h"
#include "lx/engine_api.h"

namespace lx::engine {

ChannelTable::ChannelTable(Heap& heap, AppMemory& memory)
    : heap_(&heap),
      memory_(&memory),
      channels_(eng::Allocator<std::pair<const int32_t, Channel>>(heap)),
      accept_queue_(eng::Allocator<int32_t>(heap)) {
  channels_.try_emplace(LX_STDIO_CHID, heap, LX_STDIO_CHID, 0, std::string_view(), false);
}

Channel* ChannelTable::find(int32_t chid) {
  auto it = channels_.find(chid);
  return it == channels_.end() ? nullptr : &it->second;
}

const Channel* ChannelTable::find(int32_t chid) const {
  auto it = channels_.find(chid);
  return it == channels_.end() ? nullptr : &it->second;
}

const Channel* ChannelTable::find_listed(int32_t chid) const {
  const Channel* channel = find(chid);
  return channel != nullptr && channel->listed() ? channel : nullptr;
}

Channel* ChannelTable::find_listed(int32_t chid) {
  Channel* channel = find(chid);
  return channel != nullptr && channel->listed() ? channel : nullptr;
}

std::optional<int32_t> ChannelTable::open(int32_t port, std::string_view target, bool outgoing) {
  if (next_chid_ == std::numeric_limits<int32_t>::max()) return std::nullopt;
  int32_t chid = next_chid_;
  channels_.try_emplace(chid, *heap_, chid, port, target, outgoing);
  ++next_chid_;  // only once the channel exists: chids are never reused or skipped
  return chid;
}

std::optional<int32_t> ChannelTable::open_incoming(int32_t port) {
  // Make room in the queue first, so a failure leaves no unqueued channel.
  accept_queue_.push_back(0);
  std::optional<int32_t> chid;
  try {
    chid = open(port, std::string_view(), false);
  } catch (...) {
    accept_queue_.pop_back();
    throw;
  }
  if (!chid) {
    accept_queue_.pop_back();
    return std::nullopt;
  }
  accept_queue_.back() = *chid;
  return chid;
}

std::optional<int32_t> ChannelTable::open_outgoing(std::string_view target) {
  return open(0, target, true);
}

std::optional<int32_t> ChannelTable::pop_accepted() {
  while (!accept_queue_.empty()) {
    int32_t chid = accept_queue_.front();
    accept_queue_.pop_front();
    if (find(chid) != nullptr) return chid;
  }
  return std::nullopt;
}

void ChannelTable::close_by_driver(Channel& channel) {
  if (!channel.closed) {
    channel.closed = true;
  } else {
    memory_->release(channel.out.size());
    channel.out.clear();
    channel.output_dead = true;
  }
  settle_needed_ = true;
}

void ChannelTable::consume_output(Channel& channel, uint64_t byte_count) {
  LX_ENGINE_ASSERT(byte_count <= channel.out.size());
  channel.out.consume(static_cast<std::size_t>(byte_count));
  memory_->release(byte_count);
  if (channel.closed || channel.deleted || channel.shut_down) settle_needed_ = true;
}

void ChannelTable::delete_by_app(Channel& channel) {
  LX_ENGINE_ASSERT(channel.chid != LX_STDIO_CHID);
  if (channel.deleted) return;
  channel.deleted = true;
  channel.in.clear();
  settle_needed_ = true;
}

void ChannelTable::shut_down_by_app(Channel& channel) {
  LX_ENGINE_ASSERT(channel.chid != LX_STDIO_CHID);
  LX_ENGINE_ASSERT(!channel.deleted);
  if (channel.shut_down) return;
  channel.shut_down = true;
  settle_needed_ = true;
}

bool ChannelTable::write(Channel& channel, const void* bytes, std::size_t byte_count) {
  LX_ENGINE_ASSERT(!channel.deleted);
  if (!channel.writable()) return false;
  if (byte_count == 0) return true;
  if (!memory_->fits(byte_count)) throw std::bad_alloc();
  channel.out.append(bytes, byte_count);
  memory_->charge(byte_count);
  outhash_.mix(static_cast<uint64_t>(static_cast<uint32_t>(channel.chid)));
  outhash_.mix_bytes(bytes, byte_count);
  return true;
}

void ChannelTable::settle() {
  if (!settle_needed_) return;
  settle_needed_ = false;
  for (auto it = channels_.begin(); it != channels_.end();) {
    Channel& channel = it->second;
    if (channel.chid == LX_STDIO_CHID || !channel.out.empty()) {
      ++it;
    } else if (channel.deleted) {
      it = channels_.erase(it);
    } else {
      // A closed channel stays listed while the app may still write to it
      // (a half-close): only when neither direction can carry bytes is it done.
      if (channel.output_dead || (channel.closed && channel.shut_down)) channel.finished = true;
      ++it;
    }
  }
}

std::size_t ChannelTable::list(int32_t* chids, std::size_t capacity) const {
  std::size_t count = 0;
  for (const auto& [chid, channel] : channels_) {
    if (!channel.listed()) continue;
    if (count < capacity) chids[count] = chid;
    ++count;
  }
  return count;
}

}  // namespace lx::engine
