// What an endpoint (the driver side of one engine channel) may ask of the
// driver: engine queries, and the events it causes, which the driver feeds
// through its EventSink at the right point of the loop turn.
#pragma once

#include <uv.h>

#include <cstdint>
#include <span>

#include "lx/host/engine.h"

namespace lx::driver {

class EndpointHost {
 public:
  virtual ~EndpointHost() = default;
  virtual uv_loop_t* loop() = 0;
  // For queries only (peek_outgoing, info): events go through the calls below.
  virtual const host::Engine& engine() const = 0;

  // Bytes arrived on the channel: recv_incoming now.
  virtual void received(int32_t chid, std::span<const uint8_t> bytes) = 0;
  // byte_count bytes of the channel's output left the engine's care (written
  // to the kernel or copied into driver memory): sent_outgoing now.
  virtual void sent(int32_t chid, uint64_t byte_count) = 0;
  // The remote finished sending, the connection reset, or connecting failed:
  // notify_close after this turn's update, so the app first answers what
  // arrived before the close.
  virtual void remote_closed(int32_t chid) = 0;
  // Nothing more can be written on the channel: notify_close now (a second
  // time when needed, which makes the engine drop the unsent output).
  virtual void output_failed(int32_t chid) = 0;
  // Something changed outside any event (a write finished, a connect
  // completed): reconcile the channels again soon.
  virtual void wake() = 0;
  // True when reading this channel must pause (back-pressure).
  virtual bool input_paused(int32_t chid) const = 0;
};

}  // namespace lx::driver
