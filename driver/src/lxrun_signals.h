// The asynchronous signals lxrun handles and what each does, in one table, so
// that the driver installs, answers and finally ignores the same set
// (docs/driver.md, "Signals"). Any other signal keeps its default action.
#pragma once

#include <signal.h>

namespace lx::driver {

enum class SignalAction {
  kStop,    // stop gracefully (the log is closed, exit 0); a second one exits at once
  kIgnore,  // one line on stderr saying so, nothing else
  kRotate,  // a new segment (--record DIR/); otherwise as kIgnore
};

struct HandledSignal {
  int signum;
  const char* name;
  SignalAction action;
  const char* ignored_because;  // for kIgnore (and kRotate): the reason the stderr line gives
};

// SIGHUP, SIGUSR1 and SIGUSR2 would kill lxrun by default, losing what the
// writer had not written and leaving the log without its end; SIGQUIT would
// also dump core. None of them may end a recording server by accident.
inline constexpr HandledSignal kHandledSignals[] = {
    {SIGINT, "SIGINT", SignalAction::kStop, nullptr},
    {SIGTERM, "SIGTERM", SignalAction::kStop, nullptr},
    {SIGQUIT, "SIGQUIT", SignalAction::kStop, nullptr},
    {SIGHUP, "SIGHUP", SignalAction::kRotate, "rotation needs --record DIR/"},
    {SIGUSR1, "SIGUSR1", SignalAction::kIgnore, "no meaning to lxrun"},
    {SIGUSR2, "SIGUSR2", SignalAction::kIgnore, "no meaning to lxrun"},
};
inline constexpr size_t kHandledSignalCount = sizeof kHandledSignals / sizeof kHandledSignals[0];

}  // namespace lx::driver
