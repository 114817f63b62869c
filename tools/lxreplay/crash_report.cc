// The fatal-signal handler of lxreplay: only async-signal-safe calls (write,
// sigaction, raise) and a message built in a static buffer.
#include "crash_report.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace lx::tools {
namespace {

constexpr std::array<int, 5> kSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
std::array<struct sigaction, kSignals.size()> g_previous{};
const char* g_replay_command = "lxreplay";
std::FILE* g_json_out = nullptr;
volatile uint64_t g_event = 0;
const char* volatile g_type = "";
volatile size_t g_type_bytes = 0;
char g_message[1024];

// Appends text (or a number) to g_message at *used, never past its end.
void append(size_t* used, const char* text, size_t bytes) {
  size_t room = sizeof(g_message) - 1 - *used;
  if (bytes > room) bytes = room;
  std::memcpy(g_message + *used, text, bytes);
  *used += bytes;
}
void append(size_t* used, const char* text) { append(used, text, std::strlen(text)); }
void append_number(size_t* used, uint64_t value) {
  char digits[24];
  size_t count = 0;
  do {
    digits[sizeof(digits) - 1 - count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  append(used, digits + sizeof(digits) - count, count);
}

// The JSON summary of a crashed replay (docs/json.md), on the JSON stream.
void write_json_summary(int signal_number, uint64_t event) {
  // The engine died inside its own code, never inside stdio, so flushing the
  // lines printed before the crash is safe enough on this dying path.
  std::fflush(g_json_out);
  size_t used = 0;
  append(&used, "{\"kind\":\"summary\",\"tool\":\"lxreplay\",\"result\":\"crashed\",\"signal\":");
  append_number(&used, static_cast<uint64_t>(signal_number));
  append(&used, ",\"event\":");
  append_number(&used, event);
  append(&used, ",\"record_type\":\"");
  append(&used, g_type, g_type_bytes);
  append(&used, "\",\"exit_code\":");
  append_number(&used, 128 + static_cast<uint64_t>(signal_number));
  append(&used, "}\n");
  ssize_t ignored = ::write(::fileno(g_json_out), g_message, used);
  (void)ignored;
}

void on_fatal_signal(int signal_number, siginfo_t* info, void*) {
  const uint64_t event = g_event;
  size_t used = 0;
  append(&used, "lxreplay: the engine died of signal ");
  append_number(&used, static_cast<uint64_t>(signal_number));
  if (event != 0) {
    append(&used, " while applying event ");
    append_number(&used, event);
    append(&used, " (");
    append(&used, g_type, g_type_bytes);
    append(&used, "); to stop just before it: gdb --args ");
    append(&used, g_replay_command);
    append(&used, " --break-at ");
    append_number(&used, event);
    append(&used, " (docs/debugging.md)");
  }
  append(&used, "\n");
  ssize_t ignored = ::write(STDERR_FILENO, g_message, used);
  (void)ignored;
  if (g_json_out != nullptr) write_json_summary(signal_number, event);
  // Hand the signal on: restore the previous action. A fault repeats when the
  // faulting instruction runs again; a sent signal (si_code <= 0) is raised.
  for (size_t i = 0; i < kSignals.size(); ++i) {
    if (kSignals[i] == signal_number) ::sigaction(signal_number, &g_previous[i], nullptr);
  }
  if (info == nullptr || info->si_code <= 0) ::raise(signal_number);
}

}  // namespace

void install_crash_report(const char* replay_command, std::FILE* json_out) {
  g_replay_command = replay_command;
  g_json_out = json_out;
  // The handler may run on a stack that overflowed: give it its own.
  static char alternate_stack[64 * 1024];
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) != 0) {
    stack_t stack{};
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof(alternate_stack);
    ::sigaltstack(&stack, nullptr);
  }
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
}

void note_applying(uint64_t event, std::string_view type_name) {
  g_type = type_name.data();
  g_type_bytes = type_name.size();
  g_event = event;
}

}  // namespace lx::tools
