// libFuzzer harnesses "http_app" and "resp_app" (this file, built once per
// sample with LX_FUZZ_APP_DIR): a sample's protocol parser run inside the
// engine. Each input is one client's bytes, fed to an accepted channel in a
// few reads, on an engine restored from one snapshot taken after the app
// loaded, so every input starts from the same state. The region is mapped
// once: before each restore, the bytes an input dirtied (snapshot_bytes()
// before destroy; everything beyond stays zero, engine_api.h) are zeroed
// again, which costs a tenth of mapping a fresh region and faulting 1.5 MB in.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "engine_api.h"  // lx::engine::api_table(): the engine is linked in (lx_engine_core)
#include "lx/engine_api.h"
#include "lx/host/heap_region.h"
#include "lx/host/source_blob.h"

namespace {

using lx::host::HeapRegion;

constexpr int32_t kPort = 8000;
constexpr double kStartClock = 1.0;
constexpr size_t kMaxCuts = 3;
constexpr size_t kLogLinesKept = 20;
// lxrun's instruction budget, so a runaway update() is an app error (a
// finding) rather than a libFuzzer timeout, and a cap well under the
// fuzzer's RSS limit, so unbounded growth is one too.
constexpr uint64_t kInstructionBudget = LX_DEFAULT_INSTRUCTION_BUDGET;
constexpr uint64_t kMemoryCapBytes = uint64_t{256} << 20;
// A wake time at most this far past the clock is run, as lxrun would after
// waiting for it (the samples ask for 10 ms when they left work for later);
// the timeouts (seconds away) are not reached.
constexpr double kWakeHorizon = 0.05;
constexpr int kMaxWakeRounds = 64;

const lx_engine_wrapper* api = nullptr;
std::vector<uint8_t> snapshot;  // the region's state after the app loaded and accepted the client
int32_t client = 0;             // the accepted channel in that state
std::optional<HeapRegion> region;
uint64_t dirty_bytes = 0;  // of the region, from its base: all beyond is zero
uint64_t snapshot_memhash = 0;
uint64_t snapshot_outhash = 0;
lx_engine* engine = nullptr;
std::deque<std::string> log_lines;  // the latest lx.log lines, shown with a failure
std::vector<char> line_buffer(4096);

void drain_log() {
  for (;;) {
    const int64_t length = api->pop_log_line(engine, line_buffer.data(), line_buffer.size());
    if (length < 0) return;
    log_lines.emplace_back(line_buffer.data());
    if (log_lines.size() > kLogLinesKept) log_lines.pop_front();
  }
}

[[noreturn]] void broken(const char* what, int code) {
  drain_log();
  std::fprintf(stderr, "%s: %s returned %d: %s\n", LX_FUZZ_TARGET, what, code,
               engine != nullptr ? api->last_error(engine) : "(no engine)");
  for (const std::string& line : log_lines) std::fprintf(stderr, "  lx.log: %s\n", line.c_str());
  std::abort();
}

void require_ok(const char* what, int code) {
  if (code != LX_OK) broken(what, code);
  drain_log();
}

lx_engine_config config_for(const HeapRegion& heap) {
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = heap.base();
  config.heap_bytes = heap.bytes();
  config.seed = 1;
  config.instruction_budget = kInstructionBudget;
  config.memory_cap_bytes = kMemoryCapBytes;
  return config;
}

void reserve_region() {
  auto reserved = HeapRegion::reserve();
  if (!reserved.ok()) {
    std::fprintf(stderr, "%s: %s\n", LX_FUZZ_TARGET, reserved.status().message().c_str());
    std::abort();
  }
  region.emplace(std::move(reserved).value());
}

// Ends the input's engine, remembering how far it wrote into the region.
void destroy_engine() {
  dirty_bytes = std::max(dirty_bytes, api->snapshot_bytes(engine));
  api->destroy(engine);
  engine = nullptr;
}

// The region as a fresh mapping holding the snapshot, and the engine adopted from it.
void restore_engine() {
  auto* base = static_cast<uint8_t*>(region->base());
  if (dirty_bytes > snapshot.size())
    std::memset(base + snapshot.size(), 0, dirty_bytes - snapshot.size());
  std::memcpy(base, snapshot.data(), snapshot.size());
  dirty_bytes = snapshot.size();
  lx_engine_config config = config_for(*region);
  char why[512] = {};
  if (api->restore(&config, &engine, why, sizeof(why)) != LX_OK) {
    std::fprintf(stderr, "%s: cannot restore the engine: %s\n", LX_FUZZ_TARGET, why);
    std::abort();
  }
  if (api->memhash(engine) != snapshot_memhash || api->outhash(engine) != snapshot_outhash) {
    std::fprintf(stderr, "%s: the restored engine's hashes are not the snapshot's\n",
                 LX_FUZZ_TARGET);
    std::abort();
  }
}

// Sends every queued byte of every channel, as lxrun would.
void drain_output() {
  int32_t chids[16];
  const size_t count = api->list_channels(engine, chids, 16);
  for (size_t i = 0; i < count && i < 16; ++i) {
    const uint8_t* bytes = nullptr;
    size_t byte_count = 0;
    while (api->peek_outgoing(engine, chids[i], &bytes, &byte_count) == LX_OK && byte_count > 0)
      require_ok("sent_outgoing", api->sent_outgoing(engine, chids[i], byte_count));
  }
}

// Runs update() for each wake time due within kWakeHorizon, moving the
// clock to it, as lxrun does when nothing else happens; returns the clock.
double run_due_wakes(double clock) {
  double wake = 0;
  for (int round = 0;
       round < kMaxWakeRounds && api->next_wake(engine, &wake) == 1 && wake <= clock + kWakeHorizon;
       ++round) {
    clock = std::max(clock, wake);
    require_ok("set_clock", api->set_clock(engine, clock));
    require_ok("invoke_event_update", api->invoke_event_update(engine));
    drain_output();
  }
  return clock;
}

// True while the client's channel still takes input: the app has not closed it.
bool client_open() {
  lx_channel_info info{};
  return api->get_channel_info(engine, client, &info) == LX_OK && info.deleted == 0 &&
         info.closed == 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  api = lx::engine::api_table();
  reserve_region();
  lx_engine_config config = config_for(*region);
  char why[512] = {};
  if (api->create(&config, &engine, why, sizeof(why)) != LX_OK) {
    std::fprintf(stderr, "%s: cannot create the engine: %s\n", LX_FUZZ_TARGET, why);
    std::abort();
  }
  auto blob = lx::host::read_app_dir(LX_FUZZ_APP_DIR, {});
  if (!blob.ok()) {
    std::fprintf(stderr, "%s: %s\n", LX_FUZZ_TARGET, blob.status().message().c_str());
    std::abort();
  }
  require_ok("set_clock", api->set_clock(engine, kStartClock));
  require_ok("set_lua_source",
             api->set_lua_source(engine, blob.value().data(), blob.value().size()));
  require_ok("invoke_event_update", api->invoke_event_update(engine));
  client = api->notify_accept(engine, kPort);
  if (client <= 0) broken("notify_accept", client);
  require_ok("invoke_event_update", api->invoke_event_update(engine));
  drain_output();
  const auto* base = static_cast<const uint8_t*>(region->base());
  snapshot.assign(base, base + api->snapshot_bytes(engine));
  snapshot_memhash = api->memhash(engine);
  snapshot_outhash = api->outhash(engine);
  std::fprintf(stderr, "%s: the app's snapshot holds %zu bytes\n", LX_FUZZ_TARGET, snapshot.size());
  destroy_engine();
  return 0;
}

// The input: a control byte whose low two bits say how many cuts (0-3), one
// little-endian u16 per cut (an offset into the rest, modulo its size), then
// the client's bytes, fed in that many + 1 reads with update() after each
// (and after each wake time the app asked for within kWakeHorizon).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t cuts = size > 0 ? data[0] % (kMaxCuts + 1) : 0;
  size_t header = size > 0 ? 1 : 0;
  if (size < header + 2 * cuts) cuts = 0;
  header += 2 * cuts;
  const uint8_t* stream = data + header;
  const size_t stream_bytes = size - header;
  std::vector<size_t> ends;
  for (size_t i = 0; i < cuts; ++i) {
    const size_t at = static_cast<size_t>(data[1 + 2 * i] | (data[2 + 2 * i] << 8));
    ends.push_back(at % (stream_bytes + 1));
  }
  ends.push_back(stream_bytes);
  std::sort(ends.begin(), ends.end());

  restore_engine();
  double clock = kStartClock;
  size_t at = 0;
  for (size_t end : ends) {
    if (end == at) continue;
    if (!client_open()) break;
    clock += 0.25;
    require_ok("set_clock", api->set_clock(engine, clock));
    require_ok("recv_incoming", api->recv_incoming(engine, client, stream + at, end - at));
    require_ok("invoke_event_update", api->invoke_event_update(engine));
    drain_output();
    clock = run_due_wakes(clock);
    at = end;
  }
  if (client_open()) {
    require_ok("notify_close", api->notify_close(engine, client));
    require_ok("invoke_event_update", api->invoke_event_update(engine));
    drain_output();
    run_due_wakes(clock);
  }
  destroy_engine();
  return 0;
}
