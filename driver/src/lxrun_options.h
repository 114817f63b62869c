// Everything lxrun's command line can say, as plain data, so main.cc only
// parses and run_lxrun (and the tests) take a filled-in struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lx/engine_api.h"
#include "lx/host/engine.h"
#include "lx/host/heap_region.h"
#include "lx/host/source_blob.h"
#include "record_options.h"

namespace lx::driver {

struct LxrunOptions {
  // The engine seed when --seed is not given. Fixed, so two runs of the same
  // app with the same traffic behave the same; pass --seed for another.
  static constexpr uint64_t kDefaultSeed = 1;
  // 0: no fixed tick; the driver runs update() on I/O and when a wake time
  // the app asked for is due (docs/driver.md, "Wake-driven loop").
  static constexpr uint32_t kDefaultTickMs = 0;
  // Chosen from measurements of the samples under load (docs/driver.md).
  static constexpr uint64_t kDefaultInstructionBudget = LX_DEFAULT_INSTRUCTION_BUDGET;
  static constexpr uint64_t kDefaultMemoryMb = 1024;
  // Accepted connections held at once; more are closed at once (shed). Below
  // the usual `ulimit -n` of 1024, with room for lxrun's own descriptors
  // (docs/hostile-clients.md).
  static constexpr uint64_t kDefaultMaxConnections = 960;

  std::string app_dir;                // --app DIR (required)
  bool app_follow_symlinks = false;   // --app-follow-symlinks: read *.lua links leading anywhere
  std::vector<std::string> listen;    // --listen [HOST:]PORT, repeatable
  uint64_t seed = kDefaultSeed;       // --seed N
  uint32_t tick_ms = kDefaultTickMs;  // --tick-ms MS: a fixed tick; 0 wake-driven
  uint64_t instruction_budget = kDefaultInstructionBudget;  // --instruction-budget N; 0 unlimited
  uint64_t memory_mb = kDefaultMemoryMb;                    // --memory-mb N; 0 no cap
  uint64_t max_connections = kDefaultMaxConnections;        // --max-connections N
  std::string engine_path;  // --engine PATH; empty: liblxengine.so beside lxrun
  uint64_t heap_base = host::HeapRegion::kDefaultHeapBase;  // --heap-base ADDR
  std::vector<std::string> app_args;                        // the words after "--"
  RecordOptions record;  // --record FILE and the recorder's flags
};

// How lxrun reads the app directory (at start and on every rescan).
inline host::AppSymlinks app_symlinks(const LxrunOptions& options) {
  return options.app_follow_symlinks ? host::AppSymlinks::kFollowAll
                                     : host::AppSymlinks::kInsideOnly;
}

// The limits lxrun creates the engine with (and records in the log header).
inline host::EngineLimits engine_limits(const LxrunOptions& options) {
  return {options.instruction_budget, options.memory_mb << 20};
}

}  // namespace lx::driver
