// The C++ face of one engine instance: the seven events (as an EventSink, so a
// Recorder can stand in front of it) plus the queries a driver needs. It owns
// the lx_engine and destroys it; it never owns the library or the region.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lx/engine_api.h"
#include "lx/event_sink.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/snapshot.h"
#include "lx/status.h"

namespace lx::host {

// What an engine may spend per app (lx_engine_config's ABI 2 fields). The
// default is no limit, as for an engine created before limits existed.
struct EngineLimits {
  uint64_t instruction_budget = 0;  // VM instructions per entry point; 0 unlimited
  uint64_t memory_cap_bytes = 0;    // the app's memory; 0 no cap but the region
};

class Engine final : public EventSink, public FiguresSource {
 public:
  // Creates an engine in region with seed and limits. The library and the
  // region must outlive the Engine. The region must be fresh
  // (HeapRegion::fresh); it is marked used even when creation fails. Errors
  // are ErrorKind::kEngine with the engine's own reason.
  static Result<std::unique_ptr<Engine>> create(const EngineLibrary& library, HeapRegion& region,
                                                uint64_t seed, const EngineLimits& limits = {});
  // Rebuilds the engine a snapshot was taken of, in region: checks that the
  // region is fresh and has the snapshot's base and size, that the library
  // is the snapshot's build and that the bytes match their state hash,
  // copies them in and lets the engine adopt them (the engine checks its
  // region header again), then checks that the figures are the snapshot's.
  // The library and the region must outlive the Engine; the region is
  // marked used even when restoring fails. Errors are ErrorKind::kEngine
  // (another build, a region that does not fit) or kCorrupt (bytes that do
  // not match their hash or figures), each saying what to do.
  static Result<std::unique_ptr<Engine>> restore(const EngineLibrary& library, HeapRegion& region,
                                                 const Snapshot& snapshot);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- Events (EventSink): forwarded to the C ABI as they are ----
  int set_clock(double seconds) override;
  int set_lua_source(std::span<const uint8_t> blob) override;
  int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) override;
  int sent_outgoing(int32_t chid, uint64_t byte_count) override;
  int32_t notify_accept(int32_t port) override;
  int notify_close(int32_t chid) override;
  int invoke_event_update() override;

  // ---- Queries: change nothing in the engine ----

  // Live chids in ascending order (see list_channels in engine_api.h).
  std::vector<int32_t> channels() const;
  // The same into a caller's vector, reusing its capacity.
  void channels(std::vector<int32_t>& out) const;
  // Facts about a channel, or nullopt when it does not exist (any more).
  std::optional<lx_channel_info> info(int32_t chid) const;
  // "host:port" of an lx.connect channel, empty otherwise or when unknown.
  // Valid until the next event.
  std::string_view target(int32_t chid) const;
  // The first contiguous run of the channel's unsent output; empty when none
  // or unknown. Valid until sent_outgoing consumes it or the channel is
  // deleted (so copy what must outlive the next event).
  std::span<const uint8_t> peek_outgoing(int32_t chid) const;
  // The contiguous run of unsent output that starts offset bytes into it;
  // empty when offset is at or past the end or the channel is unknown. Valid
  // as peek_outgoing's.
  std::span<const uint8_t> peek_outgoing_at(int32_t chid, uint64_t offset) const;
  // The earliest wake time the app asked for (engine clock seconds), or
  // nullopt when it asked for none.
  std::optional<double> next_wake() const;
  // Bytes charged to the app's memory cap.
  uint64_t app_memory_bytes() const;
  bool rescan_requested() const;
  bool stop_requested() const;
  uint64_t memhash() const;
  uint64_t outhash() const;
  uint64_t heap_bytes_in_use() const;
  uint64_t event_count() const;
  EngineFigures figures() const override;
  // The message of the last failed event, "" if none. Valid until the next event.
  std::string_view last_error() const;
  std::string_view build_id() const;

  // ---- Snapshots: queries too ----

  // Bytes of the region, from its base, that hold the engine's whole state.
  uint64_t snapshot_bytes() const;
  // Those bytes, valid until the next event.
  std::span<const uint8_t> snapshot_span() const;
  // The snapshot's description without its state hash (0): what a
  // SnapshotTaker knows before its child has read the bytes.
  SnapshotInfo snapshot_info() const;
  // The state hash of the region now (reads snapshot_bytes() bytes).
  uint64_t state_hash() const;
  // A copy of the state: the bytes, their description and state hash. Takes
  // as long as copying and hashing the bytes; SnapshotTaker does it without
  // stalling the caller.
  Snapshot snapshot() const;

  // Hands every pending lx.log line, oldest first, to emit; returns how many.
  // Not an event: it touches nothing in the heap region.
  size_t drain_log(const std::function<void(std::string_view)>& emit);

 private:
  Engine(const lx_engine_wrapper& api, lx_engine* engine, const HeapRegion& region, uint64_t seed)
      : api_(api),
        engine_(engine),
        region_base_(static_cast<const uint8_t*>(region.base())),
        region_bytes_(region.bytes()),
        seed_(seed) {}

  const lx_engine_wrapper& api_;
  lx_engine* engine_;
  const uint8_t* region_base_;
  uint64_t region_bytes_;
  uint64_t seed_;
  std::vector<char> log_line_;  // reused by drain_log
};

}  // namespace lx::host
