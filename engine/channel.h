// Channel: one byte stream between the app and the driver (a socket or
// stdio), with its two FIFOs and its place in the lifecycle that
// docs/channels.md describes.
#pragma once

#include <cstdint>
#include <string_view>

#include "eng_containers.h"
#include "stream_buffer.h"

namespace lx::engine {

struct Channel {
  Channel(Heap& heap, int32_t chid_in, int32_t port_in, std::string_view target_in,
          bool outgoing_in)
      : chid(chid_in),
        port(port_in),
        target(target_in, eng::Allocator<char>(heap)),
        in(heap, Heap::Budget::kInternal),
        out(heap, Heap::Budget::kApp),
        outgoing(outgoing_in) {}

  const int32_t chid;
  const int32_t port;        // listening port it was accepted on; 0 otherwise
  const eng::string target;  // "host:port" for lx.connect channels; empty otherwise
  StreamBuffer in;           // received, not yet read by the app
  StreamBuffer out;          // written by the app, not yet sent by the driver
  const bool outgoing;       // made by lx.connect
  bool closed = false;       // notify_close arrived: the remote sends no more (EOF) or failed
  bool deleted = false;      // the app called ch:close(); lingers only to flush output
  bool shut_down = false;    // the app called ch:shutdown(): it writes no more, still reads
  bool output_dead = false;  // a second notify_close: output cannot be delivered, writes drop
  bool finished = false;     // both directions done: out of the driver's list for good

  // In list_channels: everything except finished channels (deleted channels
  // are destroyed once drained, so they never reach that state).
  bool listed() const { return !finished; }
  // ch:write() queues bytes only while this is true.
  bool writable() const { return !finished && !output_dead && !shut_down; }
};

}  // namespace lx::engine
