// What lxreplay was asked to do: its command line (DESIGN.md section 5) as a
// struct, filled by main.cc from CLI11 or directly by tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lx/wal/log_reader.h"

namespace lx::tools {

struct LxreplayOptions {
  std::string log_path;     // the .lxw to replay
  std::string engine_path;  // empty: liblxengine.so beside the running binary
  // A what-if run: every set_lua_source is replaced by this directory's blob,
  // built with the recorded app arguments. Empty: the recorded source.
  std::string app_dir;
  std::optional<uint64_t> until;     // stop after this event and print the engine state
  std::optional<uint64_t> break_at;  // raise SIGTRAP just before applying this event
  uint64_t checkpoint_every = 0;     // compute figures every N events (0: never)
  std::string record_to;             // write a log of the replay itself
  bool keep_going = false;           // report every mismatch, not only the first
  bool json = false;                 // JSON Lines on stdout
  bool quiet = false;                // do not print the app's lx.log lines
  wal::Recovery recovery = wal::Recovery::kTolerant;  // --strict / --salvage

  // ---- Looking inside the past (docs/inspect.md) ----
  // A probe: print expression after every event where condition (empty:
  // always) holds.
  struct Probe {
    std::string expression;
    std::string condition;
  };
  std::optional<uint64_t> at;      // --at N: the state right after event N (default: the end)
  std::vector<std::string> evals;  // --eval EXPR, in order
  bool dump_state = false;         // --dump-state
  std::vector<Probe> probes;       // --probe EXPR [--when COND], in order
  // --from N: a plain replay verifies from event N to the end; probes print
  // from event N on.
  std::optional<uint64_t> from;
  // --from-start: never start at one of the log's snapshots (--until,
  // --break-at and --from start at the last one before their event).
  bool from_start = false;
  bool repl = false;                 // --repl
  bool conversation = false;         // --conversation
  std::optional<int32_t> chid;       // --chid C: one channel's conversation
  bool responses = false;            // --responses (with --app)
  std::string timeline_path;         // --timeline OUT.html ("-": stdout)
  uint32_t depth = 0;                // --depth D: tables nested deeper are counted (0: 3)
  uint32_t max_entries = 0;          // --max-entries N per table (0: 100)
  uint32_t max_bytes = 0;            // --max-bytes N of a string or payload shown (0: 200)
  uint32_t eval_timeout_s = 60;      // --eval-timeout S: an inspection past it is stopped
  uint64_t snapshot_every = 1000;    // --snapshot-every N: the REPL's in-memory snapshots
  uint64_t snapshot_max_mib = 1024;  // their memory, at most (then the interval doubles)

  // True when one of the inspection modes above was asked for.
  bool inspecting() const {
    return !evals.empty() || dump_state || !probes.empty() || repl || conversation || responses ||
           !timeline_path.empty();
  }
};

}  // namespace lx::tools
