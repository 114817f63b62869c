// SIGTRAP before a chosen event, for lxreplay --break-at.
#include "break_point.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace lx::tools {

int tracer_pid() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  int pid = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, "TracerPid:", 10) == 0) {
      pid = std::atoi(line + 10);
      break;
    }
  }
  std::fclose(f);
  return pid;
}

__attribute__((noinline)) void break_before_event(const EventBrief& next_event, std::FILE* err) {
  int tracer = tracer_pid();
  fmt::print(err, "lxreplay: break: {} is next (not applied yet); raising SIGTRAP\n",
             describe_brief(next_event));
  if (tracer == 0) {
    fmt::print(err,
               "lxreplay: warning: no debugger is attached (TracerPid 0), so SIGTRAP ends "
               "lxreplay now; run it under gdb (docs/debugging.md)\n");
  } else if (tracer > 0) {
    fmt::print(err, "lxreplay: debugger attached (TracerPid {}); continue to apply the event\n",
               tracer);
  }
  std::fflush(err);
  std::raise(SIGTRAP);
  // Reached when a debugger continues; also keeps this frame in backtraces
  // (raise is not a tail call).
  fmt::print(err, "lxreplay: continuing with event {}\n", next_event.event);
}

}  // namespace lx::tools
