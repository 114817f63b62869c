// The C ABI table (the "EngineWrapper"): every entry checks its arguments,
// catches everything, and turns failures into LX_ERR_* codes, so nothing is
// ever thrown across the boundary.
#include "engine_api.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "driven_engine.h"
#include "heap.h"

namespace lx::engine {
namespace {

// What an lx_engine* points at. It lives on the system heap, never in the
// region: it owns the engine's off-heap part (log lines, error text), which
// the engine sees only while one of the calls below runs (Attached).
struct Handle {
  static constexpr uint64_t kMagic = 0x6c78'6861'6e64'6c65ull;  // "lxhandle"
  uint64_t magic = kMagic;
  DrivenEngine* engine = nullptr;
  DrivenEngine::OffHeap off_heap;
};

// The handle behind an lx_engine*, or null when it is not a live one. (The
// C ABI's const on queries is kept: they only read through it.)
Handle* handle_of(const lx_engine* engine) {
  auto* h = reinterpret_cast<Handle*>(const_cast<lx_engine*>(engine));
  return h != nullptr && h->magic == Handle::kMagic && h->engine->valid() ? h : nullptr;
}

const DrivenEngine* unwrap(const lx_engine* engine) {
  Handle* h = handle_of(engine);
  return h != nullptr ? h->engine : nullptr;
}

// Binds an engine to its handle's off-heap part for one call.
class Attached {
 public:
  explicit Attached(Handle& handle) : engine_(*handle.engine) { engine_.attach(&handle.off_heap); }
  ~Attached() { engine_.detach(); }
  Attached(const Attached&) = delete;
  Attached& operator=(const Attached&) = delete;

 private:
  DrivenEngine& engine_;
};

void write_error(char* error_text, size_t error_cap, std::string_view text) {
  if (error_text == nullptr || error_cap == 0) return;
  std::size_t n = text.size() < error_cap - 1 ? text.size() : error_cap - 1;
  std::memcpy(error_text, text.data(), n);
  error_text[n] = '\0';
}

// Runs an event body with the engine checked and every exception caught.
template <typename Body>
int guard_event(lx_engine* engine, Body&& body) noexcept {
  Handle* h = handle_of(engine);
  if (h == nullptr) return LX_ERR_ARGUMENT;
  DrivenEngine* e = h->engine;
  Attached attached(*h);
  try {
    return body(*e);
  } catch (const std::bad_alloc&) {
    e->fail(true, "out of memory outside the engine heap");
    return LX_ERR_NO_MEMORY;
  } catch (...) {
    e->fail(false, "an unexpected exception inside the engine");
    return LX_ERR_FAILED;
  }
}

// lx_engine_config as ABI 1 knew it: up to and including seed.
constexpr std::size_t kAbi1ConfigBytes = offsetof(lx_engine_config, instruction_budget);
static_assert(kAbi1ConfigBytes == 32);
constexpr uint64_t kMinMemoryCapBytes = uint64_t{1} << 20;

bool all_zero(const unsigned char* bytes, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// Checks what create and restore both need of a config. Returns LX_OK, or an
// error with the reason (prefixed with call) in error_text.
int check_config(const char* call, const lx_engine_config* config, lx_engine** out,
                 char* error_text, size_t error_cap) {
  if (out != nullptr) *out = nullptr;
  std::string prefix = std::string(call) + ": ";
  if (config == nullptr || out == nullptr) {
    write_error(error_text, error_cap, prefix + "config and out must not be null");
    return LX_ERR_ARGUMENT;
  }
  if (config->struct_size != sizeof(lx_engine_config) && config->struct_size != kAbi1ConfigBytes) {
    write_error(error_text, error_cap,
                prefix +
                    "config->struct_size does not match this engine's lx_engine_config "
                    "(built against another engine_api.h?)");
    return LX_ERR_VERSION;
  }
  // An ABI 1 config ends before the limits: it gets none.
  if (config->struct_size == sizeof(lx_engine_config) && config->memory_cap_bytes != 0 &&
      config->memory_cap_bytes < kMinMemoryCapBytes) {
    write_error(error_text, error_cap,
                prefix +
                    "memory_cap_bytes must be 0 (no cap) or at least 1 MiB (the Lua sandbox "
                    "alone needs a few hundred KiB)");
    return LX_ERR_ARGUMENT;
  }
  if (config->reserved != 0) {
    write_error(error_text, error_cap, prefix + "config->reserved must be zero");
    return LX_ERR_ARGUMENT;
  }
  auto base = reinterpret_cast<uintptr_t>(config->heap_base);
  if (base == 0 || base % Heap::kRegionAlignBytes != 0) {
    write_error(error_text, error_cap,
                prefix + "heap_base must be a non-null, 4096-aligned address");
    return LX_ERR_ARGUMENT;
  }
  if (config->heap_bytes < Heap::kMinRegionBytes ||
      config->heap_bytes % Heap::kRegionAlignBytes != 0 ||
      config->heap_bytes > (uint64_t{1} << 46) || base + config->heap_bytes < base) {
    write_error(error_text, error_cap,
                prefix + "heap_bytes must be a multiple of 4096 from 8 MiB to 64 TiB");
    return LX_ERR_ARGUMENT;
  }
  return LX_OK;
}

// The body of create and restore: make a handle, let make_engine fill it.
template <typename MakeEngine>
int open_engine(const char* call, const lx_engine_config* config, lx_engine** out, char* error_text,
                size_t error_cap, MakeEngine&& make_engine) noexcept {
  try {
    int code = check_config(call, config, out, error_text, error_cap);
    if (code != LX_OK) return code;
    // An ABI 1 config ends before the limits: it gets none.
    lx_engine_config full{};
    std::memcpy(&full, config, config->struct_size);
    auto handle = std::make_unique<Handle>();
    std::string error;
    code = make_engine(full, *handle, &error);
    if (code != LX_OK) {
      write_error(error_text, error_cap, std::string(call) + ": " + error);
      return code;
    }
    *out = reinterpret_cast<lx_engine*>(handle.release());
    return LX_OK;
  } catch (const std::bad_alloc&) {
    write_error(error_text, error_cap, std::string(call) + ": out of memory");
    return LX_ERR_NO_MEMORY;
  } catch (...) {
    write_error(error_text, error_cap, std::string(call) + ": unexpected exception");
    return LX_ERR_FAILED;
  }
}

int api_create(const lx_engine_config* config, lx_engine** out, char* error_text,
               size_t error_cap) noexcept {
  return open_engine(
      "create", config, out, error_text, error_cap,
      [](const lx_engine_config& c, Handle& handle, std::string* error) {
        if (!all_zero(static_cast<const unsigned char*>(c.heap_base), 4096)) {
          *error =
              "the heap region is not fresh (its first page is not zero); map a new region for "
              "every engine";
          return LX_ERR_ARGUMENT;
        }
        return DrivenEngine::create(c, &handle.off_heap, &handle.engine, error);
      });
}

int api_restore(const lx_engine_config* config, lx_engine** out, char* error_text,
                size_t error_cap) noexcept {
  return open_engine("restore", config, out, error_text, error_cap,
                     [](const lx_engine_config& c, Handle& handle, std::string* error) {
                       return DrivenEngine::adopt(c, &handle.engine, error);
                     });
}

void api_destroy(lx_engine* engine) noexcept {
  Handle* h = handle_of(engine);
  if (h == nullptr) return;
  {
    Attached attached(*h);  // finalizers run and may log
    DrivenEngine::destroy(h->engine);
  }
  h->magic = 0;
  delete h;
}

int api_set_clock(lx_engine* engine, double seconds) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.set_clock(seconds); });
}

int api_set_lua_source(lx_engine* engine, const uint8_t* blob, size_t blob_bytes) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.set_lua_source(blob, blob_bytes); });
}

int api_recv_incoming(lx_engine* engine, int32_t chid, const uint8_t* bytes,
                      size_t byte_count) noexcept {
  return guard_event(engine,
                     [&](DrivenEngine& e) { return e.recv_incoming(chid, bytes, byte_count); });
}

int api_sent_outgoing(lx_engine* engine, int32_t chid, uint64_t byte_count) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.sent_outgoing(chid, byte_count); });
}

int32_t api_notify_accept(lx_engine* engine, int32_t port) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.notify_accept(port); });
}

int api_notify_close(lx_engine* engine, int32_t chid) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.notify_close(chid); });
}

int api_invoke_event_update(lx_engine* engine) noexcept {
  return guard_event(engine, [&](DrivenEngine& e) { return e.invoke_event_update(); });
}

size_t api_list_channels(const lx_engine* engine, int32_t* chids, size_t capacity) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr) return 0;
  if (chids == nullptr) capacity = 0;
  return e->list_channels(chids, capacity);
}

int api_get_channel_info(const lx_engine* engine, int32_t chid, lx_channel_info* info) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr || info == nullptr) return LX_ERR_ARGUMENT;
  return e->get_channel_info(chid, info);
}

int api_get_target(const lx_engine* engine, int32_t chid, const char** target,
                   size_t* target_bytes) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr || target == nullptr || target_bytes == nullptr) return LX_ERR_ARGUMENT;
  return e->get_target(chid, target, target_bytes);
}

int api_peek_outgoing(const lx_engine* engine, int32_t chid, const uint8_t** bytes,
                      size_t* byte_count) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr || bytes == nullptr || byte_count == nullptr) return LX_ERR_ARGUMENT;
  return e->peek_outgoing(chid, bytes, byte_count);
}

int api_peek_outgoing_at(const lx_engine* engine, int32_t chid, uint64_t offset,
                         const uint8_t** bytes, size_t* byte_count) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr || bytes == nullptr || byte_count == nullptr) return LX_ERR_ARGUMENT;
  return e->peek_outgoing_at(chid, offset, bytes, byte_count);
}

int api_next_wake(const lx_engine* engine, double* seconds) noexcept {
  const DrivenEngine* e = unwrap(engine);
  if (e == nullptr || seconds == nullptr) return 0;
  std::optional<double> wake = e->next_wake();
  if (!wake) return 0;
  *seconds = *wake;
  return 1;
}

int api_get_rescan_flag(const lx_engine* engine) noexcept {
  const DrivenEngine* e = unwrap(engine);
  return e != nullptr && e->rescan_requested() ? 1 : 0;
}

int api_get_stop_flag(const lx_engine* engine) noexcept {
  const DrivenEngine* e = unwrap(engine);
  return e != nullptr && e->stop_requested() ? 1 : 0;
}

// memhash, outhash, heap_bytes_in_use, event_count, app_memory_bytes: 0 for
// a null engine.
template <uint64_t (DrivenEngine::*kFigure)() const>
uint64_t api_figure(const lx_engine* engine) noexcept {
  const DrivenEngine* e = unwrap(engine);
  return e != nullptr ? (e->*kFigure)() : 0;
}

const char* api_last_error(const lx_engine* engine) noexcept {
  Handle* h = handle_of(engine);
  return h != nullptr ? h->off_heap.last_error.c_str() : "not a live engine handle";
}

int64_t api_pop_log_line(lx_engine* engine, char* buffer, size_t capacity) noexcept {
  Handle* h = handle_of(engine);
  if (h == nullptr) return -1;
  return h->off_heap.log.pop(buffer, capacity);
}

uint64_t api_snapshot_bytes(const lx_engine* engine) noexcept {
  const DrivenEngine* e = unwrap(engine);
  return e != nullptr ? e->snapshot_bytes() : 0;
}

}  // namespace

const lx_engine_wrapper* api_table() noexcept {
  static const lx_engine_wrapper table = {
      LX_ENGINE_ABI_VERSION,
      sizeof(lx_engine_wrapper),
      build_id(),
      api_create,
      api_destroy,
      api_set_clock,
      api_set_lua_source,
      api_recv_incoming,
      api_sent_outgoing,
      api_notify_accept,
      api_notify_close,
      api_invoke_event_update,
      api_list_channels,
      api_get_channel_info,
      api_get_target,
      api_peek_outgoing,
      api_get_rescan_flag,
      api_get_stop_flag,
      api_figure<&DrivenEngine::memhash>,
      api_figure<&DrivenEngine::outhash>,
      api_figure<&DrivenEngine::heap_bytes_in_use>,
      api_figure<&DrivenEngine::event_count>,
      api_last_error,
      api_pop_log_line,
      api_snapshot_bytes,
      api_restore,
      // Limits and timers
      api_next_wake,
      api_peek_outgoing_at,
      api_figure<&DrivenEngine::app_memory_bytes>,
  };
  return &table;
}

}  // namespace lx::engine
