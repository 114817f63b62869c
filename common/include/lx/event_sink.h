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

// The figures a checkpoint records after an event (DESIGN.md section 2),
// defined once: X(field, is_hash). Every tool shows, compares and writes
// them under these names, which are the engine ABI's (engine_api.h).
#define LX_ENGINE_FIGURES(X) \
  X(event_count, false)      \
  X(memhash, true)           \
  X(outhash, true)           \
  X(heap_bytes_in_use, false)

struct EngineFigures {
#define LX_FIGURE_FIELD(name, is_hash) uint64_t name = 0;
  LX_ENGINE_FIGURES(LX_FIGURE_FIELD)
#undef LX_FIGURE_FIELD
  bool operator==(const EngineFigures&) const = default;
};

// One figure's name, whether it is a hash (shown in hex), and where it lives.
struct FigureInfo {
  const char* name;
  bool is_hash;
  uint64_t EngineFigures::*field;
};
inline constexpr FigureInfo kEngineFigures[] = {
#define LX_FIGURE_INFO(name, is_hash) {#name, is_hash, &EngineFigures::name},
    LX_ENGINE_FIGURES(LX_FIGURE_INFO)
#undef LX_FIGURE_INFO
};

// Reads the current figures without changing the engine.
class FiguresSource {
 public:
  virtual ~FiguresSource() = default;
  virtual EngineFigures figures() const = 0;
};

}  // namespace lx
