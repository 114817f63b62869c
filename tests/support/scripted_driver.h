// ScriptedDriver: an in-process driver for tests. It maps a fresh region,
// creates an engine through liblxengine.so's C ABI, feeds it events a test
// scripts, drains every channel's output the way lxrun would (peek_outgoing
// then sent_outgoing) and collects the log lines.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lx/engine_api.h"
#include "region.h"

namespace lx::test {

class ScriptedDriver {
 public:
  struct Options {
    uintptr_t base = kDefaultRegionBase;
    uint64_t heap_bytes = uint64_t{256} << 20;
    uint64_t seed = 42;
    uint64_t instruction_budget = 0;  // 0: unlimited
    uint64_t memory_cap_bytes = 0;    // 0: no cap
  };

  // Maps the region and creates the engine; throws std::runtime_error with
  // the engine's reason when create fails.
  explicit ScriptedDriver(Options options);
  // Maps a fresh region at options.base, copies a snapshot (bytes from
  // snapshot()) to its start and restores the engine from it; throws
  // std::runtime_error with the engine's reason when restore refuses.
  ScriptedDriver(Options options, const std::vector<uint8_t>& snapshot);
  ScriptedDriver();
  ~ScriptedDriver();
  ScriptedDriver(const ScriptedDriver&) = delete;
  ScriptedDriver& operator=(const ScriptedDriver&) = delete;

  const lx_engine_wrapper& api() const { return *api_; }
  lx_engine* engine() const { return engine_; }
  const Region& region() const { return *region_; }

  // ---- Events (return the engine's code) ----
  int set_clock(double seconds);
  int set_source(const std::map<std::string, std::string>& files,
                 const std::vector<std::string>& args = {});
  int set_source_blob(std::string_view blob);
  int recv(int32_t chid, std::string_view bytes);
  int sent(int32_t chid, uint64_t byte_count);
  int32_t accept(int32_t port);
  int close(int32_t chid);
  int update();

  // Sends every listed channel's queued output (one sent_outgoing per peeked
  // run), appends it to output(chid) and returns the runs, in order.
  std::vector<std::pair<int32_t, std::string>> drain();
  // Sends and returns only chid's queued output.
  std::string drain(int32_t chid);
  // Everything drained from chid so far.
  const std::string& output(int32_t chid);

  // Pops every pending log line.
  std::vector<std::string> logs();

  // ---- Queries ----
  std::vector<int32_t> channels() const;
  bool listed(int32_t chid) const;
  lx_channel_info info(int32_t chid) const;  // throws when the chid is not listed
  std::string peek(int32_t chid) const;      // the first contiguous outgoing run
  uint64_t memhash() const { return api_->memhash(engine_); }
  uint64_t outhash() const { return api_->outhash(engine_); }
  uint64_t heap_bytes() const { return api_->heap_bytes_in_use(engine_); }
  uint64_t events() const { return api_->event_count(engine_); }
  uint64_t snapshot_bytes() const { return api_->snapshot_bytes(engine_); }
  // A copy of the region's first snapshot_bytes() bytes: a snapshot.
  std::vector<uint8_t> snapshot() const;
  std::string last_error() const { return api_->last_error(engine_); }

 private:
  void drain_runs(int32_t chid, std::vector<std::pair<int32_t, std::string>>* runs);

  const lx_engine_wrapper* api_;
  std::unique_ptr<Region> region_;
  lx_engine* engine_ = nullptr;
  std::map<int32_t, std::string> outputs_;
};

// Shows bytes on one line: printable ASCII as is, backslash as "\\", the
// rest as "\xNN". Used by lx_script_session and test failure messages.
std::string escape_bytes(std::string_view bytes);

}  // namespace lx::test
