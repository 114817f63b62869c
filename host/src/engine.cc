// Forwarding the C++ Engine to the engine's C ABI (see engine.h).
#include "lx/host/engine.h"

#include <fmt/format.h>

namespace lx::host {

Result<std::unique_ptr<Engine>> Engine::create(const EngineLibrary& library, HeapRegion& region,
                                               uint64_t seed, const EngineLimits& limits) {
  if (!region.fresh()) {
    return Status::error(ErrorKind::kEngine,
                         "cannot create the engine: its heap region was used before; reserve a "
                         "fresh region for each engine");
  }
  region.mark_used();
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = region.base();
  config.heap_bytes = region.bytes();
  config.seed = seed;
  config.instruction_budget = limits.instruction_budget;
  config.memory_cap_bytes = limits.memory_cap_bytes;
  char why[512] = {};
  lx_engine* engine = nullptr;
  int rc = library.api().create(&config, &engine, why, sizeof(why));
  if (rc != LX_OK || engine == nullptr) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("cannot create the engine (status {}): {}", rc,
                                     why[0] != 0 ? why : "no reason given"));
  }
  return std::unique_ptr<Engine>(new Engine(library.api(), engine));
}

Engine::~Engine() { api_.destroy(engine_); }

int Engine::set_clock(double seconds) { return api_.set_clock(engine_, seconds); }

int Engine::set_lua_source(std::span<const uint8_t> blob) {
  return api_.set_lua_source(engine_, blob.data(), blob.size());
}

int Engine::recv_incoming(int32_t chid, std::span<const uint8_t> bytes) {
  return api_.recv_incoming(engine_, chid, bytes.data(), bytes.size());
}

int Engine::sent_outgoing(int32_t chid, uint64_t byte_count) {
  return api_.sent_outgoing(engine_, chid, byte_count);
}

int32_t Engine::notify_accept(int32_t port) { return api_.notify_accept(engine_, port); }

int Engine::notify_close(int32_t chid) { return api_.notify_close(engine_, chid); }

int Engine::invoke_event_update() { return api_.invoke_event_update(engine_); }

std::vector<int32_t> Engine::channels() const {
  std::vector<int32_t> out;
  channels(out);
  return out;
}

void Engine::channels(std::vector<int32_t>& out) const {
  out.resize(out.capacity() < 16 ? 16 : out.capacity());
  for (;;) {
    size_t count = api_.list_channels(engine_, out.data(), out.size());
    if (count <= out.size()) {
      out.resize(count);
      return;
    }
    out.resize(count);  // the list cannot change between two queries
  }
}

std::optional<lx_channel_info> Engine::info(int32_t chid) const {
  lx_channel_info info{};
  if (api_.get_channel_info(engine_, chid, &info) != LX_OK) return std::nullopt;
  return info;
}

std::string_view Engine::target(int32_t chid) const {
  const char* text = nullptr;
  size_t size = 0;
  if (api_.get_target(engine_, chid, &text, &size) != LX_OK || text == nullptr) return {};
  return {text, size};
}

std::span<const uint8_t> Engine::peek_outgoing(int32_t chid) const {
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  if (api_.peek_outgoing(engine_, chid, &bytes, &size) != LX_OK || bytes == nullptr) return {};
  return {bytes, size};
}

std::span<const uint8_t> Engine::peek_outgoing_at(int32_t chid, uint64_t offset) const {
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  if (api_.peek_outgoing_at(engine_, chid, offset, &bytes, &size) != LX_OK || bytes == nullptr) {
    return {};
  }
  return {bytes, size};
}

std::optional<double> Engine::next_wake() const {
  double seconds = 0;
  if (api_.next_wake(engine_, &seconds) == 0) return std::nullopt;
  return seconds;
}

uint64_t Engine::app_memory_bytes() const { return api_.app_memory_bytes(engine_); }

bool Engine::rescan_requested() const { return api_.get_rescan_flag(engine_) != 0; }
bool Engine::stop_requested() const { return api_.get_stop_flag(engine_) != 0; }
uint64_t Engine::memhash() const { return api_.memhash(engine_); }
uint64_t Engine::outhash() const { return api_.outhash(engine_); }
uint64_t Engine::heap_bytes_in_use() const { return api_.heap_bytes_in_use(engine_); }
uint64_t Engine::event_count() const { return api_.event_count(engine_); }

EngineFigures Engine::figures() const {
  EngineFigures figures;
  figures.event_count = event_count();
  figures.memhash = memhash();
  figures.outhash = outhash();
  figures.heap_bytes_in_use = heap_bytes_in_use();
  return figures;
}

std::string_view Engine::last_error() const {
  const char* text = api_.last_error(engine_);
  return text == nullptr ? std::string_view() : std::string_view(text);
}

std::string_view Engine::build_id() const {
  return api_.build_id == nullptr ? std::string_view() : std::string_view(api_.build_id);
}

size_t Engine::drain_log(const std::function<void(std::string_view)>& emit) {
  constexpr size_t kLineBytes = 16 << 10;
  if (log_line_.size() < kLineBytes) log_line_.resize(kLineBytes);
  size_t count = 0;
  for (;;) {
    int64_t length = api_.pop_log_line(engine_, log_line_.data(), log_line_.size());
    if (length < 0) return count;
    size_t kept = static_cast<size_t>(length) < log_line_.size() ? static_cast<size_t>(length)
                                                                 : log_line_.size() - 1;
    emit(std::string_view(log_line_.data(), kept));
    ++count;
  }
}

}  // namespace lx::host
