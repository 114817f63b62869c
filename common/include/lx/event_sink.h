// The seven engine events as a C++ interface, so the driver can feed either
// the engine itself or a Recorder that logs each event before forwarding it
// (DESIGN.md sections 1 and 2). Queries are not here: they are not events.
#pragma once

#include <cstdint>
#include <span>

namespace lx {

// Receives engine events in order. Return values are the engine's status
// codes (LX_OK, LX_ERR_*, see engine_api.h); notify_accept returns the new
// chid or a negative error. Not thread-safe: one thread feeds events.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual int set_clock(double seconds) = 0;
  virtual int set_lua_source(std::span<const uint8_t> blob) = 0;
  virtual int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) = 0;
  virtual int sent_outgoing(int32_t chid, uint64_t byte_count) = 0;
  virtual int32_t notify_accept(int32_t port) = 0;
  virtual int notify_close(int32_t chid) = 0;
  virtual int invoke_event_update() = 0;
};

// The figures a checkpoint records after an event (DESIGN.md section 2).
struct EngineFigures {
  uint64_t event_count = 0;
  uint64_t memhash = 0;
  uint64_t outhash = 0;
  uint64_t heap_bytes_in_use = 0;
  bool operator==(const EngineFigures&) const = default;
};

// Reads the current figures without changing the engine.
class FiguresSource {
 public:
  virtual ~FiguresSource() = default;
  virtual EngineFigures figures() const = 0;
};

}  // namespace lx
