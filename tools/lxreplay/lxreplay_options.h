// What lxreplay was asked to do: its command line (DESIGN.md section 5) as a
// struct, filled by main.cc from CLI11 or directly by tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
};

}  // namespace lx::tools
