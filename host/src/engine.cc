// Forwarding the C++ Engine to the engine's C ABI (see engine.h).
#include "lx/host/engine.h"

#include <fmt/format.h>

#include <cstring>

#include "lx/assert.h"

namespace lx::host {
namespace {

using OpenCall = int (*)(const lx_engine_config*, lx_engine**, char*, size_t);

// Calls create or restore with the config for region, seed and limits (a
// restored engine keeps the limits of its snapshot: they are in its state).
Result<lx_engine*> open_engine(OpenCall call, const char* verb, const HeapRegion& region,
                               uint64_t seed, const EngineLimits& limits = {}) {
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = region.base();
  config.heap_bytes = region.bytes();
  config.seed = seed;
  config.instruction_budget = limits.instruction_budget;
  config.memory_cap_bytes = limits.memory_cap_bytes;
  char why[512] = {};
  lx_engine* engine = nullptr;
  int rc = call(&config, &engine, why, sizeof(why));
  if (rc != LX_OK || engine == nullptr) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("cannot {} the engine (status {}): {}", verb, rc,
                                     why[0] != 0 ? why : "no reason given"));
  }
  return engine;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(const EngineLibrary& library, HeapRegion& region,
                                               uint64_t seed, const EngineLimits& limits) {
  if (!region.fresh()) {
    return Status::error(ErrorKind::kEngine,
                         "cannot create the engine: its heap region was used before; reserve a "
                         "fresh region for each engine");
  }
  region.mark_used();
  auto engine = open_engine(library.api().create, "create", region, seed, limits);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Engine>(new Engine(library.api(), engine.value(), region, seed));
}

Result<std::unique_ptr<Engine>> Engine::restore(const EngineLibrary& library, HeapRegion& region,
                                                const Snapshot& snapshot) {
  const SnapshotInfo& info = snapshot.info;
  const char* own_build = library.api().build_id != nullptr ? library.api().build_id : "";
  if (info.build_id != own_build) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("cannot restore the snapshot of event {}: it was taken by "
                                     "engine build {}, and {} is build {}; restore it with the "
                                     "engine library of build {}",
                                     info.figures.event_count, info.build_id, library.path(),
                                     own_build, info.build_id));
  }
  if (!region.fresh()) {
    return Status::error(ErrorKind::kEngine,
                         "cannot restore the snapshot: its heap region was used before; reserve "
                         "a fresh region for each engine");
  }
  region.mark_used();
  if (reinterpret_cast<uint64_t>(region.base()) != info.base ||
      region.bytes() != info.region_bytes) {
    return Status::error(
        ErrorKind::kEngine,
        fmt::format("cannot restore the snapshot: it needs a region of {} bytes "
                    "at {:#x}, this one is {} bytes at {}; reserve one at the "
                    "snapshot's base and size",
                    info.region_bytes, info.base, region.bytes(), fmt::ptr(region.base())));
  }
  if (snapshot.bytes.size() != info.snapshot_bytes || info.snapshot_bytes > region.bytes()) {
    return Status::error(ErrorKind::kCorrupt,
                         fmt::format("cannot restore the snapshot: it holds {} bytes but says {} "
                                     "(region of {}); take it again",
                                     snapshot.bytes.size(), info.snapshot_bytes, region.bytes()));
  }
  if (host::state_hash(snapshot.bytes) != info.state_hash) {
    return Status::error(ErrorKind::kCorrupt,
                         fmt::format("cannot restore the snapshot of event {}: its bytes do not "
                                     "match its state hash {:016x}; it is damaged, take it again",
                                     info.figures.event_count, info.state_hash));
  }
  std::memcpy(region.base(), snapshot.bytes.data(), snapshot.bytes.size());
  auto engine = open_engine(library.api().restore, "restore", region, info.seed);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<Engine> restored(new Engine(library.api(), engine.value(), region, info.seed));
  if (restored->figures() != info.figures) {
    EngineFigures got = restored->figures();
    return Status::error(
        ErrorKind::kCorrupt,
        fmt::format("the restored engine's figures (event {}, memhash {:016x}, outhash {:016x}, "
                    "heap {} bytes) are not the snapshot's (event {}, memhash {:016x}, outhash "
                    "{:016x}, heap {} bytes); the snapshot's description does not belong to its "
                    "bytes",
                    got.event_count, got.memhash, got.outhash, got.heap_bytes_in_use,
                    info.figures.event_count, info.figures.memhash, info.figures.outhash,
                    info.figures.heap_bytes_in_use));
  }
  return restored;
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

uint64_t Engine::snapshot_bytes() const { return api_.snapshot_bytes(engine_); }

std::span<const uint8_t> Engine::snapshot_span() const {
  uint64_t used = snapshot_bytes();
  LX_ASSERT(used <= region_bytes_);
  return {region_base_, static_cast<size_t>(used)};
}

SnapshotInfo Engine::snapshot_info() const {
  SnapshotInfo info;
  info.build_id = std::string(build_id());
  info.base = reinterpret_cast<uint64_t>(region_base_);
  info.region_bytes = region_bytes_;
  info.seed = seed_;
  info.snapshot_bytes = snapshot_bytes();
  info.figures = figures();
  return info;
}

uint64_t Engine::state_hash() const { return host::state_hash(snapshot_span()); }

Snapshot Engine::snapshot() const {
  Snapshot snapshot;
  snapshot.info = snapshot_info();
  std::span<const uint8_t> bytes = snapshot_span();
  snapshot.bytes.assign(bytes.begin(), bytes.end());
  snapshot.info.state_hash = host::state_hash(snapshot.bytes);
  return snapshot;
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
