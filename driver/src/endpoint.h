// The driver side of one engine channel: a TCP connection or stdio. The
// Driver keeps one per chid it knows and tells it what the engine wants.
#pragma once

#include <cstdint>

namespace lx::driver {

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual int32_t chid() const = 0;
  // Writes the engine's output for the channel as far as the OS takes it.
  virtual void flush() = 0;
  // Starts or stops reading (back-pressure, shutdown).
  virtual void set_reading(bool on) = 0;
  // True while output can be written now (connected, not failed, not released).
  virtual bool can_write() const = 0;
  // True when output can never be written again (reset, failed connect or write).
  virtual bool broken() const = 0;
  // The app shut the channel down (ch:shutdown()) and the engine holds no
  // more of its output: once the queued writes are done, shut the write side
  // (the peer reads EOF) and go on reading. Called again, does nothing.
  virtual void shutdown_write() = 0;
  // Bytes copied into driver memory and not yet written to the kernel.
  virtual uint64_t pending_write_bytes() const = 0;
  // The engine dropped the channel (or the driver is stopping): no more
  // events from this endpoint. graceful: let queued writes finish and shut
  // the socket down first; otherwise close at once. May be called again
  // with graceful false to cut a graceful close short.
  virtual void release(bool graceful) = 0;
  // True once every handle is closed and every request has called back: the
  // object may be deleted.
  virtual bool finished() const = 0;

  // How long, in ms up to now_ms, the channel's unsent output (the engine's
  // outgoing_bytes and the driver's own pending bytes) has not changed; 0
  // while there is none. Measures from the first call, so call it every
  // loop turn while it matters.
  uint64_t output_stuck_ms(uint64_t now_ms, uint64_t outgoing_bytes) {
    const uint64_t unsent = outgoing_bytes + pending_write_bytes();
    if (unsent == 0 || unsent != last_unsent_bytes_) {
      last_unsent_bytes_ = unsent;
      unsent_since_ms_ = now_ms;
    }
    return now_ms - unsent_since_ms_;
  }

 private:
  uint64_t last_unsent_bytes_ = 0;
  uint64_t unsent_since_ms_ = 0;
};

}  // namespace lx::driver
