// Inspector: runs inspections (eval, dump_state) of the replay's engine in a
// forked copy of the process, so the engine the replay goes on with never
// sees them (DESIGN.md section 10, "Looking must not touch"). The child's
// memory, the heap region included, is a copy-on-write copy of this
// process: whatever an inspection allocates, changes, loops on or crashes
// with dies with the child, and the replay's next checkpoint still matches.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lx/host/engine.h"

namespace lx::tools {

class Inspector {
 public:
  // How a forked inspection ended.
  struct Outcome {
    enum class Kind {
      kDone,      // results holds what the body returned
      kFailed,    // the child could not be started or said nothing (why)
      kCrashed,   // the child died of a signal (why names it)
      kTimedOut,  // the child ran past the time limit and was killed
    };
    Kind kind = Kind::kFailed;
    std::vector<host::Engine::Inspection> results;
    std::vector<std::string> log_lines;  // lx.log lines the inspections wrote, oldest first
    std::string why;
    bool done() const { return kind == Kind::kDone; }
  };

  // Runs in the child with the engine; each Inspection it returns comes
  // back in Outcome::results, in order.
  using Body = std::function<std::vector<host::Engine::Inspection>(host::Engine&)>;

  // timeout_ms bounds each run (0: none). The instruction budget bounds
  // app code in the child as it does in the replay; this bounds the rest.
  explicit Inspector(uint32_t timeout_ms) : timeout_ms_(timeout_ms) {}

  // Forks, runs body(engine) in the child, and returns what it returned.
  // Call it between events only (the engine is not in a call). Flushes no
  // stdio stream: the child never writes to one and leaves with _exit.
  Outcome run(host::Engine& engine, const Body& body) const;

  // One eval in a fork: results[0] is the engine's answer.
  Outcome eval(host::Engine& engine, const std::string& chunk,
               const lx_inspect_options& options) const;
  // One dump_state in a fork.
  Outcome dump(host::Engine& engine, const lx_inspect_options& options) const;

  // How many children run() has started (for figures and tests).
  uint64_t forks() const { return forks_; }

 private:
  uint32_t timeout_ms_;
  mutable uint64_t forks_ = 0;
};

// lx_inspect_options with struct_size set and everything else zero
// (defaults), in format json or text.
lx_inspect_options inspect_options(bool json);

}  // namespace lx::tools
