// Everything lxrun's command line can say, as plain data, so main.cc only
// parses and run_lxrun (and the tests) take a filled-in struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lx/host/heap_region.h"
#include "record_options.h"

namespace lx::driver {

struct LxrunOptions {
  // The engine seed when --seed is not given. Fixed, so two runs of the same
  // app with the same traffic behave the same; pass --seed for another.
  static constexpr uint64_t kDefaultSeed = 1;
  static constexpr uint32_t kDefaultTickMs = 10;
  // Accepted connections held at once; more are closed at once (shed). Below
  // the usual `ulimit -n` of 1024, with room for lxrun's own descriptors
  // (docs/hostile-clients.md).
  static constexpr uint64_t kDefaultMaxConnections = 960;

  std::string app_dir;                                // --app DIR (required)
  std::vector<std::string> listen;                    // --listen [HOST:]PORT, repeatable
  uint64_t seed = kDefaultSeed;                       // --seed N
  uint32_t tick_ms = kDefaultTickMs;                  // --tick-ms MS: how often set_clock is fed
  uint64_t max_connections = kDefaultMaxConnections;  // --max-connections N
  std::string engine_path;  // --engine PATH; empty: liblxengine.so beside lxrun
  uint64_t heap_base = host::HeapRegion::kDefaultHeapBase;  // --heap-base ADDR
  std::vector<std::string> app_args;                        // the words after "--"
  RecordOptions record;  // --record FILE and the recorder's flags
};

}  // namespace lx::driver
