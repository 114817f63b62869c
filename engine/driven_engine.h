// DrivenEngine: the deterministic state machine behind the C ABI. The driver
// feeds it the seven events; it keeps every byte of state (channels, app
// source, Lua) on the heap in the caller's region, and answers queries
// without changing anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app_memory.h"
#include "app_source.h"
#include "channel_table.h"
#include "engine_random.h"
#include "heap.h"
#include "log_queue.h"
#include "lua_sandbox.h"
#include "lx/engine_api.h"
#include "wake_queue.h"

namespace lx::engine {

class DrivenEngine {
 public:
  static constexpr uint64_t kMagic = 0x6c78'2d65'6e67'696eull;

  // What the engine keeps on the system heap: debug output and the last
  // error text, which are not engine state and may not touch the region. Its
  // owner (the ABI's handle) lives outside the region; the engine sees it
  // only while attached (see attach()).
  struct OffHeap {
    LogQueue log;
    std::string last_error;
    std::string warning;  // pieces of a warning; always empty between calls
    // The last app error logged in full (entry point and traceback), when
    // (engine clock), and how many identical ones were not logged since:
    // rate-limiting debug output, not engine state.
    std::string last_failure;
    std::string last_failure_where;
    double last_failure_clock = 0;
    uint64_t failure_repeats = 0;
  };

  // Builds an engine in config.heap_base (already checked by the ABI layer),
  // attached to off_heap. Returns LX_OK and stores it in *out, or an error
  // with the reason in *error.
  static int create(const lx_engine_config& config, OffHeap* off_heap, DrivenEngine** out,
                    std::string* error);
  // Adopts the engine of a region whose used bytes were copied from another
  // one (a snapshot): checks the region header (RegionHeader::check) and the
  // engine inside. Returns LX_OK and stores it, detached, in *out, or
  // LX_ERR_SNAPSHOT with the reason in *error.
  static int adopt(const lx_engine_config& config, DrivenEngine** out, std::string* error);
  // Tears down an engine made by create() or adopt(); it must be attached.
  // Null is ignored.
  static void destroy(DrivenEngine* engine) noexcept;

  // Binds the engine to its off-heap part for the length of one call, and
  // unbinds it. Between calls the region holds no pointer outside itself, so
  // its bytes are the same in every process (a snapshot, the state hash).
  void attach(OffHeap* off_heap) { off_heap_ = off_heap; }
  void detach() { off_heap_ = nullptr; }
  // Bytes of the region, from its base, that hold all of the engine's state
  // (the region header and the heap up to its high-water mark).
  uint64_t snapshot_bytes() const;

  DrivenEngine(const DrivenEngine&) = delete;
  DrivenEngine& operator=(const DrivenEngine&) = delete;

  bool valid() const { return magic_ == kMagic; }

  // ---- Events (each counts, even when it fails) ----
  int set_clock(double seconds);
  int set_lua_source(const uint8_t* blob, std::size_t blob_bytes);
  int recv_incoming(int32_t chid, const uint8_t* bytes, std::size_t byte_count);
  int sent_outgoing(int32_t chid, uint64_t byte_count);
  int32_t notify_accept(int32_t port);
  int notify_close(int32_t chid);
  int invoke_event_update();

  // ---- Queries (change nothing) ----
  std::size_t list_channels(int32_t* chids, std::size_t capacity) const;
  int get_channel_info(int32_t chid, lx_channel_info* info) const;
  int get_target(int32_t chid, const char** target, std::size_t* target_bytes) const;
  int peek_outgoing(int32_t chid, const uint8_t** bytes, std::size_t* byte_count) const;
  int peek_outgoing_at(int32_t chid, uint64_t offset, const uint8_t** bytes,
                       std::size_t* byte_count) const;
  // The earliest pending wake time (lx.wake_at, lx.after), if any.
  std::optional<double> next_wake() const { return wakes_.earliest(); }
  uint64_t app_memory_bytes() const { return app_memory_.used_bytes(); }
  bool rescan_requested() const { return rescan_requested_; }
  bool stop_requested() const { return stop_requested_; }
  uint64_t memhash() const { return heap_->memhash(); }
  uint64_t outhash() const { return channels_.outhash(); }
  uint64_t heap_bytes_in_use() const { return heap_->bytes_in_use(); }
  uint64_t event_count() const { return event_count_; }

  // ---- For the Lua bindings ----
  Heap& heap() { return *heap_; }
  ChannelTable& channels() { return channels_; }
  const AppSource& source() const { return source_; }
  EngineRandom& random() { return random_; }
  LogQueue& log() { return attached().log; }
  WakeQueue& wakes() { return wakes_; }
  LuaSandbox& sandbox() { return lua_; }
  double clock_seconds() const { return clock_seconds_; }
  // A piece of a Lua warning (warn()); a complete warning becomes a log line.
  void lua_warning(const char* piece, bool to_be_continued) noexcept;
  void request_stop() { stop_requested_ = true; }
  void request_rescan() { rescan_requested_ = true; }
  // True while destroy() closes the Lua state (finalizers must not act).
  bool closing() const { return closing_; }
  // Puts the engine in its failed state: every later event returns
  // LX_ERR_FAILED. out_of_memory makes the current event return
  // LX_ERR_NO_MEMORY.
  void fail(bool out_of_memory, std::string_view reason);
  bool failed() const { return failed_; }

 private:
  // The failure reason is state (later events repeat it), so it lives in the
  // region, cut to this many bytes.
  static constexpr std::size_t kFailureTextBytes = 256;

  DrivenEngine(Heap& heap, const lx_engine_config& config);
  ~DrivenEngine();

  OffHeap& attached() const;

  // Runs one event: counts it, refuses it when failed, turns exceptions into
  // the failed state, and settles the channel table afterwards.
  template <typename Body>
  int run_event(const char* name, Body&& body);
  int set_error(int code, std::string_view text);
  int apply_lua_source(const uint8_t* blob, std::size_t blob_bytes);
  int apply_update();
  int report_lua_failure(const char* where, const LuaSandbox::Failure& failure);
  // Logs an app error's traceback, one line each, except when it repeats the
  // last one logged within kRepeatWindowSeconds: then it only counts it, and
  // the count is logged before the next error that is logged.
  void log_failure(const char* where, std::string_view traceback) noexcept;

  uint64_t magic_ = kMagic;
  Heap* heap_;
  OffHeap* off_heap_ = nullptr;  // set only while a call runs (attach)
  uint64_t seed_;
  uint64_t event_count_ = 0;
  uint64_t update_count_ = 0;  // invoke_event_update calls (the chaos engine counts on it)
  double clock_seconds_ = 0;
  bool rescan_requested_ = false;
  bool stop_requested_ = false;
  bool source_loaded_ = false;
  bool missing_update_reported_ = false;
  bool failed_ = false;
  bool failed_out_of_memory_ = false;
  bool closing_ = false;
  char failure_text_[kFailureTextBytes] = {};
  AppMemory app_memory_;  // before everything charged to it
  EngineRandom random_;
  ChannelTable channels_;
  WakeQueue wakes_;
  AppSource source_;
  LuaSandbox lua_;
};

}  // namespace lx::engine
