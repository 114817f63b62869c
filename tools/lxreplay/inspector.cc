// The forked inspection: the child runs the body and writes its results to a
// pipe in a small framed form; the parent reads them, then reaps the child.
#include "inspector.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "lx/monotonic_clock.h"

namespace lx::tools {
namespace {

void put_u64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

bool get_u64(std::string_view& in, uint64_t* value) {
  if (in.size() < 8) return false;
  *value = 0;
  for (int i = 7; i >= 0; --i) *value = (*value << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  return true;
}

bool get_text(std::string_view& in, std::string* text) {
  uint64_t bytes = 0;
  if (!get_u64(in, &bytes) || bytes > in.size()) return false;
  text->assign(in.substr(0, bytes));
  in.remove_prefix(bytes);
  return true;
}

// The child's message: results (status, text), then log lines.
std::string encode(const std::vector<host::Engine::Inspection>& results,
                   const std::vector<std::string>& lines) {
  std::string out;
  put_u64(out, results.size());
  for (const host::Engine::Inspection& r : results) {
    put_u64(out, static_cast<uint64_t>(static_cast<int64_t>(r.status)));
    put_u64(out, r.text.size());
    out += r.text;
  }
  put_u64(out, lines.size());
  for (const std::string& line : lines) {
    put_u64(out, line.size());
    out += line;
  }
  return out;
}

bool decode(std::string_view in, Inspector::Outcome* outcome) {
  uint64_t count = 0;
  if (!get_u64(in, &count) || count > in.size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    host::Engine::Inspection r;
    uint64_t status = 0;
    if (!get_u64(in, &status) || !get_text(in, &r.text)) return false;
    r.status = static_cast<int>(static_cast<int64_t>(status));
    outcome->results.push_back(std::move(r));
  }
  if (!get_u64(in, &count) || count > in.size()) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string line;
    if (!get_text(in, &line)) return false;
    outcome->log_lines.push_back(std::move(line));
  }
  return in.empty();
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

[[noreturn]] void run_child(int fd, host::Engine& engine, const Inspector::Body& body) {
  // A crash here is the inspection's, not the replay's: no crash report, no
  // sanitizer or core dump handler of the parent's; the parent names the signal.
  for (int signo : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP}) ::signal(signo, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  std::vector<host::Engine::Inspection> results = body(engine);
  std::vector<std::string> lines;
  engine.drain_log([&](std::string_view line) { lines.emplace_back(line); });
  write_all(fd, encode(results, lines));
  ::_exit(0);
}

}  // namespace

lx_inspect_options inspect_options(bool json) {
  lx_inspect_options options{};
  options.struct_size = sizeof(options);
  options.format = json ? LX_RENDER_JSON : LX_RENDER_TEXT;
  return options;
}

Inspector::Outcome Inspector::run(host::Engine& engine, const Body& body) const {
  Outcome outcome;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    outcome.why = fmt::format("cannot make a pipe for the inspection: {}", std::strerror(errno));
    return outcome;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    outcome.why = fmt::format("cannot fork for the inspection: {}", std::strerror(errno));
    ::close(fds[0]);
    ::close(fds[1]);
    return outcome;
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], engine, body);
  }
  ++forks_;
  ::close(fds[1]);
  std::string message;
  bool timed_out = false;
  const int64_t deadline_ms = timeout_ms_ != 0 ? monotonic_ms() + timeout_ms_ : 0;
  char buffer[65536];
  for (;;) {
    int wait_ms = -1;
    if (deadline_ms != 0) {
      int64_t left = deadline_ms - monotonic_ms();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left);
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline is checked above
    ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    outcome.kind = Outcome::Kind::kTimedOut;
    outcome.why = fmt::format("the inspection ran past {} s and was stopped", timeout_ms_ / 1000.0);
    return outcome;
  }
  if (WIFSIGNALED(status)) {
    outcome.kind = Outcome::Kind::kCrashed;
    outcome.why = fmt::format(
        "the inspection crashed the engine's copy (signal {}, {}); the "
        "replay itself is unharmed",
        WTERMSIG(status), ::strsignal(WTERMSIG(status)));
    return outcome;
  }
  if (!decode(message, &outcome)) {
    outcome = Outcome{};
    outcome.why = fmt::format("the inspection's process ended without an answer (exit status {})",
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return outcome;
  }
  outcome.kind = Outcome::Kind::kDone;
  return outcome;
}

Inspector::Outcome Inspector::eval(host::Engine& engine, const std::string& chunk,
                                   const lx_inspect_options& options) const {
  return run(engine, [&](host::Engine& copy) {
    return std::vector<host::Engine::Inspection>{copy.eval(chunk, options)};
  });
}

Inspector::Outcome Inspector::dump(host::Engine& engine, const lx_inspect_options& options) const {
  return run(engine, [&](host::Engine& copy) {
    return std::vector<host::Engine::Inspection>{copy.dump_state(options)};
  });
}

}  // namespace lx::tools
