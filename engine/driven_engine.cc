// DrivenEngine: the seven events, the queries, and the failed state.
#include "driven_engine.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>

#include "engine_assert.h"
#include "region_header.h"
#include "source_blob_reader.h"
#ifdef LX_CHAOS
#include "chaos/chaos_hook.h"
#endif

namespace lx::engine {
namespace {

// Clock values beyond this are refused: os.time() must fit an integer.
constexpr double kMaxClockSeconds = 9.0e15;

// An app error identical to the last one logged is logged again at most this
// often (engine clock); the ones between are counted.
constexpr double kRepeatWindowSeconds = 10;

std::string decimal(int64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  return std::string(digits, result.ptr);
}

// 3712 -> "3,712".
std::string grouped(uint64_t value) {
  std::string digits = decimal(static_cast<int64_t>(value));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

int DrivenEngine::create(const lx_engine_config& config, OffHeap* off_heap, DrivenEngine** out,
                         std::string* error) {
  *out = nullptr;
  RegionHeader* header = RegionHeader::stamp(config);
  Heap* heap = Heap::create_in(static_cast<unsigned char*>(config.heap_base) + RegionHeader::kBytes,
                               config.heap_bytes - RegionHeader::kBytes);
  void* memory = heap->allocate(sizeof(DrivenEngine), Heap::Budget::kInternal);
  if (memory == nullptr) {
    *error = "the heap region cannot hold the engine";
    return LX_ERR_NO_MEMORY;
  }
  DrivenEngine* engine = nullptr;
  try {
    engine = new (memory) DrivenEngine(*heap, config);
  } catch (const std::bad_alloc&) {
    *error = "the heap region cannot hold the engine's tables";
    return LX_ERR_NO_MEMORY;
  }
  engine->attach(off_heap);
  if (!engine->lua_.open(*heap, engine->app_memory_, *engine, config.seed,
                         config.instruction_budget, error)) {
    destroy(engine);
    return LX_ERR_NO_MEMORY;
  }
  engine->detach();
  header->engine_offset = static_cast<uint64_t>(reinterpret_cast<unsigned char*>(engine) -
                                                static_cast<unsigned char*>(config.heap_base));
  *out = engine;
  return LX_OK;
}

int DrivenEngine::adopt(const lx_engine_config& config, DrivenEngine** out, std::string* error) {
  *out = nullptr;
  const RegionHeader* header = RegionHeader::check(config, error);
  if (header == nullptr) return LX_ERR_SNAPSHOT;
  auto* region = static_cast<unsigned char*>(config.heap_base);
  if (header->engine_offset > config.heap_bytes - sizeof(DrivenEngine)) {
    *error = "the snapshot is damaged: its engine would end past the region; take it again";
    return LX_ERR_SNAPSHOT;
  }
  auto* engine = reinterpret_cast<DrivenEngine*>(region + header->engine_offset);
  if (!engine->valid() || engine->heap_ != reinterpret_cast<Heap*>(region + RegionHeader::kBytes) ||
      engine->off_heap_ != nullptr || engine->seed_ != config.seed ||
      engine->snapshot_bytes() > config.heap_bytes) {
    *error =
        "the snapshot is damaged: no engine at the offset its header names; take the snapshot "
        "again";
    return LX_ERR_SNAPSHOT;
  }
  *out = engine;
  return LX_OK;
}

void DrivenEngine::destroy(DrivenEngine* engine) noexcept {
  if (engine == nullptr) return;
  Heap& heap = *engine->heap_;
  engine->~DrivenEngine();
  heap.deallocate(engine, sizeof(DrivenEngine));
}

uint64_t DrivenEngine::snapshot_bytes() const {
  return RegionHeader::kBytes + heap_->high_water_offset();
}

DrivenEngine::DrivenEngine(Heap& heap, const lx_engine_config& config)
    : heap_(&heap),
      seed_(config.seed),
      app_memory_(config.memory_cap_bytes),
      random_(config.seed),
      channels_(heap, app_memory_),
      wakes_(heap, app_memory_),
      source_(heap) {}

DrivenEngine::~DrivenEngine() {
  closing_ = true;
  lua_.close();  // before the channels: finalizers look channels up
  magic_ = 0;
}

DrivenEngine::OffHeap& DrivenEngine::attached() const {
  LX_ENGINE_ASSERT_MSG(off_heap_ != nullptr, "the engine is used outside a call of its C ABI");
  return *off_heap_;
}

void DrivenEngine::fail(bool out_of_memory, std::string_view reason) {
  if (failed_) return;
  failed_ = true;
  failed_out_of_memory_ = out_of_memory;
  std::size_t n = reason.size() < kFailureTextBytes - 1 ? reason.size() : kFailureTextBytes - 1;
  std::memcpy(failure_text_, reason.data(), n);
  failure_text_[n] = '\0';
}

void DrivenEngine::lua_warning(const char* piece, bool to_be_continued) noexcept {
  try {
    std::string& text = attached().warning;
    if (text.empty() && !to_be_continued && piece[0] == '@') return;  // control message
    text += piece;
    if (to_be_continued) return;
    attached().log.push("Lua warning: " + text);
    text.clear();
  } catch (...) {
    attached().warning.clear();
  }
}

int DrivenEngine::set_error(int code, std::string_view text) {
  try {
    attached().last_error.assign(text);
  } catch (...) {
    attached().last_error.clear();
  }
  return code;
}

template <typename Body>
int DrivenEngine::run_event(const char* name, Body&& body) {
  ++event_count_;
  if (failed_) {
    return set_error(LX_ERR_FAILED, std::string(name) + ": the engine failed earlier (" +
                                        failure_text_ + "); recreate it");
  }
  int code = LX_OK;
  try {
    code = body();
  } catch (const std::bad_alloc&) {
    fail(true, "the engine heap is exhausted (engine bookkeeping)");
  } catch (const std::exception& e) {
    fail(false, e.what());
  }
  if (failed_) {
    return set_error(failed_out_of_memory_ ? LX_ERR_NO_MEMORY : LX_ERR_FAILED,
                     std::string(name) + ": " + failure_text_ +
                         "; the engine is failed and refuses further events");
  }
  channels_.settle();
  return code;
}

// ---- Events ----

int DrivenEngine::set_clock(double seconds) {
  return run_event("set_clock", [&]() -> int {
    if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxClockSeconds) {
      return set_error(LX_ERR_ARGUMENT, "set_clock: the time must be finite and within 9e15 s");
    }
    clock_seconds_ = seconds;
    return LX_OK;
  });
}

int DrivenEngine::set_lua_source(const uint8_t* blob, std::size_t blob_bytes) {
  return run_event("set_lua_source", [&] { return apply_lua_source(blob, blob_bytes); });
}

int DrivenEngine::report_lua_failure(const char* where, const LuaSandbox::Failure& failure) {
  if (!failure.traceback.empty()) log_failure(where, failure.traceback);
  return set_error(LX_ERR_APP, failure.message);
}

void DrivenEngine::log_failure(const char* where, std::string_view traceback) noexcept {
  OffHeap& o = attached();
  try {
    std::string key = std::string(where) + '\n' + std::string(traceback);
    double since = clock_seconds_ - o.last_failure_clock;
    if (key == o.last_failure && since >= 0 && since < kRepeatWindowSeconds) {
      ++o.failure_repeats;
      return;
    }
    if (o.failure_repeats > 0) {
      std::string_view last(o.last_failure);
      last.remove_prefix(o.last_failure_where.size() + 1);
      o.log.push("error in " + o.last_failure_where + ": " +
                 std::string(last.substr(0, last.find('\n'))) + " (repeated " +
                 grouped(o.failure_repeats) +
                 " more times; an identical error is logged at most once every 10 s)");
      o.failure_repeats = 0;
    }
    o.last_failure = std::move(key);
    o.last_failure_where = where;
    o.last_failure_clock = clock_seconds_;
    std::string_view text = traceback;
    bool first = true;
    while (!text.empty() || first) {
      std::size_t newline = text.find('\n');
      std::string_view line = text.substr(0, newline);
      std::string entry;
      if (first) entry = std::string("error in ") + where + ": ";
      for (char c : line) {
        if (c == '\t') {
          entry += "    ";
        } else {
          entry += c;
        }
      }
      o.log.push(entry);
      first = false;
      if (newline == std::string_view::npos) break;
      text.remove_prefix(newline + 1);
    }
  } catch (...) {
    o.last_failure.clear();  // out of system memory: the next error is logged in full
    o.failure_repeats = 0;
  }
}

int DrivenEngine::apply_lua_source(const uint8_t* blob, std::size_t blob_bytes) {
  rescan_requested_ = false;
  SourceBlobReader reader;
  if (!reader.parse(blob, blob_bytes)) {
    const SourceBlobReader::Error& error = reader.error();
    std::string text = "set_lua_source: bad source blob: ";
    text += error.reason;
    if (error.item >= 0) text += " (entry " + decimal(error.item) + ")";
    text += " at byte " + decimal(static_cast<int64_t>(error.offset));
    return set_error(LX_ERR_ARGUMENT, text);
  }
  std::string_view main_code;
  reader.walk(
      [&](const SourceBlobReader::File& file) {
        if (file.path == "main.lua") main_code = file.data;
      },
      [](std::string_view) {});

  // Compile first: a syntax error leaves the running app untouched.
  LuaSandbox::Failure failure;
  if (!lua_.compile(main_code, "@main.lua", &failure)) {
    return set_error(LX_ERR_APP, failure.message);
  }
  bool rescan = source_loaded_;
  source_.assign(blob, blob_bytes, reader);
  source_loaded_ = true;
  missing_update_reported_ = false;
  if (!lua_.start_source(source_, &failure)) return report_lua_failure("main.lua", failure);
  if (!lua_.run_compiled("main.lua", &failure)) return report_lua_failure("main.lua", failure);
  if (rescan) {
    bool defined = false;
    if (!lua_.call_global("on_reload", &defined, &failure)) {
      return report_lua_failure("on_reload()", failure);
    }
  }
  return LX_OK;
}

int DrivenEngine::recv_incoming(int32_t chid, const uint8_t* bytes, std::size_t byte_count) {
  return run_event("recv_incoming", [&]() -> int {
    if (bytes == nullptr && byte_count > 0) {
      return set_error(LX_ERR_ARGUMENT, "recv_incoming: null bytes with a non-zero count");
    }
    Channel* channel = channels_.find_listed(chid);
    if (channel == nullptr || channel->closed || channel->deleted) {
      return set_error(LX_ERR_NO_CHANNEL, "recv_incoming: channel " + decimal(chid) +
                                              " is not open for input (unknown, closed or "
                                              "deleted); the bytes were dropped");
    }
    channel->in.append(bytes, byte_count);
    return LX_OK;
  });
}

int DrivenEngine::sent_outgoing(int32_t chid, uint64_t byte_count) {
  return run_event("sent_outgoing", [&]() -> int {
    Channel* channel = channels_.find_listed(chid);
    if (channel == nullptr) {
      return set_error(LX_ERR_NO_CHANNEL, "sent_outgoing: no listed channel " + decimal(chid));
    }
    if (byte_count > channel->out.size()) {
      return set_error(LX_ERR_ARGUMENT,
                       "sent_outgoing: " + decimal(static_cast<int64_t>(byte_count)) +
                           " bytes sent but only " +
                           decimal(static_cast<int64_t>(channel->out.size())) +
                           " queued on channel " + decimal(chid));
    }
    channels_.consume_output(*channel, byte_count);
    return LX_OK;
  });
}

int32_t DrivenEngine::notify_accept(int32_t port) {
  return run_event("notify_accept", [&]() -> int {
    if (port < 1 || port > 65535) {
      return set_error(LX_ERR_ARGUMENT,
                       "notify_accept: port " + decimal(port) + " is not within 1 to 65535");
    }
    std::optional<int32_t> chid = channels_.open_incoming(port);
    if (!chid) return set_error(LX_ERR_FAILED, "notify_accept: channel ids are exhausted");
    return *chid;
  });
}

int DrivenEngine::notify_close(int32_t chid) {
  return run_event("notify_close", [&]() -> int {
    Channel* channel = channels_.find_listed(chid);
    if (channel == nullptr) {
      return set_error(LX_ERR_NO_CHANNEL, "notify_close: no listed channel " + decimal(chid));
    }
    channels_.close_by_driver(*channel);
    return LX_OK;
  });
}

int DrivenEngine::invoke_event_update() {
  return run_event("invoke_event_update", [&] {
#ifdef LX_CHAOS
    chaos_before_update(*heap_, update_count_ + 1);  // tests only: engine/chaos
#endif
    ++update_count_;
    return apply_update();
  });
}

int DrivenEngine::apply_update() {
  // This update answers every wake time the clock has reached.
  wakes_.consume_due(clock_seconds_);
  if (!source_loaded_) {
    if (missing_update_reported_) return LX_OK;
    missing_update_reported_ = true;
    return set_error(LX_ERR_APP, "invoke_event_update: no app yet (call set_lua_source first)");
  }
  bool defined = false;
  LuaSandbox::Failure failure;
  bool ok = lua_.call_global("update", &defined, &failure);
  if (!ok) return report_lua_failure("update()", failure);
  if (!defined) {
    if (missing_update_reported_) return LX_OK;
    missing_update_reported_ = true;
    std::string text =
        "main.lua defines no global function update(); the engine has nothing to run";
    attached().log.push("error: " + text);
    return set_error(LX_ERR_APP, text);
  }
  return LX_OK;
}

// ---- Queries ----

std::size_t DrivenEngine::list_channels(int32_t* chids, std::size_t capacity) const {
  return channels_.list(chids, capacity);
}

int DrivenEngine::get_channel_info(int32_t chid, lx_channel_info* info) const {
  const Channel* channel = channels_.find_listed(chid);
  if (channel == nullptr) return LX_ERR_NO_CHANNEL;
  *info = lx_channel_info{};
  info->chid = channel->chid;
  info->port = channel->port;
  info->incoming_bytes = channel->in.size();
  info->outgoing_bytes = channel->out.size();
  info->closed = channel->closed ? 1 : 0;
  info->outgoing = channel->outgoing ? 1 : 0;
  info->deleted = channel->deleted ? 1 : 0;
  info->shut_down = channel->shut_down ? 1 : 0;
  return LX_OK;
}

int DrivenEngine::get_target(int32_t chid, const char** target, std::size_t* target_bytes) const {
  const Channel* channel = channels_.find_listed(chid);
  if (channel == nullptr) return LX_ERR_NO_CHANNEL;
  *target = channel->target.data();
  *target_bytes = channel->target.size();
  return LX_OK;
}

int DrivenEngine::peek_outgoing(int32_t chid, const uint8_t** bytes,
                                std::size_t* byte_count) const {
  return peek_outgoing_at(chid, 0, bytes, byte_count);
}

int DrivenEngine::peek_outgoing_at(int32_t chid, uint64_t offset, const uint8_t** bytes,
                                   std::size_t* byte_count) const {
  const Channel* channel = channels_.find_listed(chid);
  if (channel == nullptr) return LX_ERR_NO_CHANNEL;
  if (offset > channel->out.size()) return LX_ERR_ARGUMENT;
  std::span<const uint8_t> run = channel->out.peek_at(static_cast<std::size_t>(offset));
  *bytes = run.data();
  *byte_count = run.size();
  return LX_OK;
}

}  // namespace lx::engine
