// Everything lxrun's command line can say, as plain data, so main.cc only
// parses and run_lxrun (and the tests) take a filled-in struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lx/host/heap_region.h"

namespace lx::driver {

struct LxrunOptions {
  // The engine seed when --seed is not given. Fixed, so two runs of the same
  // app with the same traffic behave the same; pass --seed for another.
  static constexpr uint64_t kDefaultSeed = 1;
  static constexpr uint32_t kDefaultTickMs = 10;

  std::string app_dir;              // --app DIR (required)
  std::vector<std::string> listen;  // --listen [HOST:]PORT, repeatable
  uint64_t seed = kDefaultSeed;     // --seed N
  uint32_t tick_ms = kDefaultTickMs;  // --tick-ms MS: how often set_clock is fed
  std::string engine_path;          // --engine PATH; empty: liblxengine.so beside lxrun
  uint64_t heap_base = host::HeapRegion::kDefaultHeapBase;  // --heap-base ADDR
  std::vector<std::string> app_args;  // the words after "--"

  // Recording (wal/) slots in here later as one member, e.g. `RecordOptions
  // record;` holding --record FILE, --flush-ms, --fsync, --checkpoint-every,
  // --zstd-level, --max-log-bytes, --force and --on-log-error; run_lxrun then
  // puts a Recorder in front of the Engine as the driver's EventSink.
};

}  // namespace lx::driver
