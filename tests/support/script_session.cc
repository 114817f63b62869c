// run_script_session: the fixed session behind lx_script_session and the
// cross-process determinism tests.
#include "script_session.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "scripted_driver.h"

namespace lx::test {
namespace {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "%016" PRIx64, value);
  return text;
}

class Session {
 public:
  Session(const SessionOptions& options, std::ostream& out)
      : driver_(ScriptedDriver::Options{options.base, options.heap_bytes, options.seed}),
        out_(out) {}

  // Prints the event's result, then drains output and logs.
  int step(const std::string& name, int code) {
    out_ << "event " << driver_.events() << " " << name << " rc=" << code
         << " memhash=" << hex(driver_.memhash()) << " outhash=" << hex(driver_.outhash())
         << " heap=" << driver_.heap_bytes() << "\n";
    if (code < 0 && code != LX_ERR_APP) out_ << "error " << driver_.last_error() << "\n";
    for (const auto& [chid, run] : driver_.drain()) {
      out_ << "out " << chid << " " << escape_bytes(run) << "\n";
    }
    for (const std::string& line : driver_.logs()) out_ << "log " << escape_bytes(line) << "\n";
    return code;
  }

  ScriptedDriver& driver() { return driver_; }

 private:
  ScriptedDriver driver_;
  std::ostream& out_;
};

}  // namespace

void run_script_session(const std::map<std::string, std::string>& files,
                        const std::vector<std::string>& args, const SessionOptions& options,
                        std::ostream& out) {
  Session s(options, out);
  ScriptedDriver& d = s.driver();
  const double start = 1700000000.25;
  s.step("set_clock", d.set_clock(start));
  int code = s.step("set_lua_source", d.set_source(files, args));
  if (code != LX_OK) out << "app error " << d.last_error() << "\n";
  s.step("update", d.update());
  int32_t a = s.step("notify_accept 8080", d.accept(8080));
  s.step("recv a", d.recv(a, "hello\r\nwor"));
  s.step("update", d.update());
  s.step("recv a", d.recv(a, "ld\nsecond line\n"));
  s.step("update", d.update());
  s.step("recv stdin", d.recv(LX_STDIO_CHID, "from stdin\n"));
  s.step("update", d.update());
  for (int i = 1; i <= 6; ++i) {
    s.step("set_clock", d.set_clock(start + i * 1.5));
    s.step("update", d.update());
  }
  int32_t b = s.step("notify_accept 8081", d.accept(8081));
  s.step("recv b", d.recv(b, "ping\n"));
  s.step("notify_close b", d.close(b));
  s.step("update", d.update());
  s.step("notify_close a", d.close(a));
  s.step("update", d.update());
  s.step("notify_close stdin", d.close(LX_STDIO_CHID));
  s.step("update", d.update());
  out << "final events=" << d.events() << " memhash=" << hex(d.memhash())
      << " outhash=" << hex(d.outhash()) << " heap=" << d.heap_bytes() << "\n";
}

}  // namespace lx::test
