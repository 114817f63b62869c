// lxreplay over scripted sessions: exact replays match every checkpoint;
// --until, --break-at, --record-to, --app (what-if) and damaged or missing
// logs behave as docs/replay.md says.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lx/exit_code.h"
#include "lxreplay_session.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

Captured replay(const LxreplayOptions& options) {
  return capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(options, out, err); });
}

LxreplayOptions options_for(const std::string& log) {
  LxreplayOptions o;
  o.log_path = log;
  return o;
}

const std::string& recorded_log() {
  static const std::string path = [] {
    SessionSpec spec;
    spec.log_path = temp_path("session.lxw");
    auto result = record_session(spec);
    REQUIRE(result.ok());
    return spec.log_path;
  }();
  return path;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a recorded session replays with every checkpoint matching", "[lxreplay]") {
  Captured c = replay(options_for(recorded_log()));
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out.find("lxreplay: match:") != std::string::npos);
  CHECK(c.out.find("divergence") != std::string::npos);  // "0 divergence(s)"
  CHECK(c.out.find(" 0 divergence(s)") != std::string::npos);
  // The app's lx.log lines reach stderr with the prefix.
  CHECK(c.err.find("lxreplay: app: accepted") != std::string::npos);
}

TEST_CASE("lxreplay --quiet drops the app's log lines", "[lxreplay]") {
  LxreplayOptions o = options_for(recorded_log());
  o.quiet = true;
  Captured c = replay(o);
  CHECK(c.code == kExitOk);
  CHECK(c.err.find("lxreplay: app:") == std::string::npos);
}

TEST_CASE("lxreplay --until stops after event N and prints the engine state", "[lxreplay]") {
  LxreplayOptions o = options_for(recorded_log());
  o.until = 30;
  o.quiet = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out.find("lxreplay: state after event 30\n") != std::string::npos);
  CHECK(c.out.find("  event_count        30\n") != std::string::npos);
  CHECK(c.out.find("  channels           4\n") != std::string::npos);  // stdio and 3 clients
  CHECK(c.out.find("7000  no      no") != std::string::npos);
  CHECK(c.out.find("30 events replayed; 3 of 3 checkpoints matched") != std::string::npos);

  SECTION("as JSON") {
    o.json = true;
    Captured j = replay(o);
    CHECK(j.code == kExitOk);
    CHECK(j.out.find("{\"kind\":\"engine_state\",\"event_count\":30,") != std::string::npos);
    CHECK(j.out.find("\"chid\":3,\"port\":7000,") != std::string::npos);
    CHECK(j.out.find("\"events_replayed\":30,") != std::string::npos);
    CHECK(j.out.find("\"stopped_at_until\":true") != std::string::npos);
  }
  SECTION("with --checkpoint-every, JSON checkpoint lines") {
    o.json = true;
    o.checkpoint_every = 7;
    Captured j = replay(o);
    CHECK(count_of(j.out, "{\"kind\":\"checkpoint\"") == 4);  // after 7, 14, 21, 28
    CHECK(j.out.find("{\"kind\":\"checkpoint\",\"event\":28,\"event_count\":28,") !=
          std::string::npos);
  }
}

TEST_CASE("lxreplay --break-at raises SIGTRAP just before the event", "[lxreplay][break]") {
  std::string command = std::string(LX_LXREPLAY_BIN) + " " + recorded_log() + " --quiet";
  SECTION("without a debugger SIGTRAP ends the process, and it says so first") {
    Captured c = run_command(command + " --break-at 12");
    CHECK(c.code == 128 + SIGTRAP);
    CHECK(c.err.find("lxreplay: break: event 12 ") != std::string::npos);
    CHECK(c.err.find("no debugger is attached") != std::string::npos);
  }
  SECTION("under gdb the debugger stops there, before the event is applied") {
    Captured probe = run_command("command -v gdb");
    if (probe.code != 0) {
      WARN("gdb is not installed");
      return;
    }
    Captured g = run_command(
        "timeout 120 gdb -nx -batch -ex run -ex bt -ex 'frame 3' "
        "-ex 'print record.event' --args " +
        command + " --break-at 12");
    INFO(g.out << g.err);
    CHECK(g.out.find("SIGTRAP") != std::string::npos);
    CHECK(g.out.find("lx::tools::break_before_event") != std::string::npos);
    CHECK(g.out.find("lx::tools::Replayer::apply") != std::string::npos);
    CHECK(g.err.find("debugger attached") != std::string::npos);
  }
}

TEST_CASE("lxreplay --record-to writes a log of the replay that replays itself", "[lxreplay]") {
  std::string copy = temp_path("rerecord_every_1.lxw");
  LxreplayOptions o = options_for(recorded_log());
  o.record_to = copy;
  o.checkpoint_every = 1;
  o.quiet = true;
  REQUIRE(replay(o).code == kExitOk);
  Captured again = replay(options_for(copy));
  INFO(again.out << again.err);
  CHECK(again.code == kExitOk);
  CHECK(again.out.find("215 of 215 checkpoints matched") != std::string::npos);
  SECTION("never over the log being replayed") {
    LxreplayOptions self = options_for(copy);
    self.record_to = copy;
    Captured c = replay(self);
    CHECK(c.code == kExitUsage);
    CHECK(c.err.find("is the log being replayed") != std::string::npos);
  }
}

TEST_CASE("lxreplay --record-to keeps the original's checkpoint interval by default",
          "[lxreplay]") {
  std::string copy = temp_path("rerecord_default.lxw");
  LxreplayOptions o = options_for(recorded_log());
  o.record_to = copy;
  o.quiet = true;
  Captured original = replay(o);
  REQUIRE(original.code == kExitOk);
  Captured again = replay(options_for(copy));
  INFO(original.out << again.out << again.err);
  CHECK(again.code == kExitOk);
  // Both logs hold the same number of checkpoints, so lxdiff compares them all.
  auto matched = [](const std::string& text) {
    size_t at = text.find(" checkpoints matched");
    REQUIRE(at != std::string::npos);
    size_t start = text.rfind(';', at);
    return text.substr(start, at - start);
  };
  CHECK(matched(again.out) == matched(original.out));
}

TEST_CASE("lxreplay --app replays another app source with the recorded arguments",
          "[lxreplay][what-if]") {
  SessionSpec spec;
  spec.log_path = temp_path("whatif.lxw");
  spec.args = {"from-args"};
  REQUIRE(record_session(spec).ok());
  auto write_app = [](const std::string& dir, const std::vector<host::SourceFile>& files) {
    REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
    for (const host::SourceFile& f : files) {
      write_file(dir + "/" + f.path, std::string(f.data.begin(), f.data.end()));
    }
  };
  std::string same_dir = temp_path("app_same");
  std::string changed_dir = temp_path("app_changed");
  write_app(same_dir, counter_app());
  write_app(changed_dir, counter_app("bonjour"));

  LxreplayOptions o = options_for(spec.log_path);
  o.quiet = true;
  o.app_dir = same_dir;
  Captured same = replay(o);
  INFO(same.out << same.err);
  // The same files with the recorded arguments give the same run: the
  // arguments came from the recorded blob.
  CHECK(same.code == kExitOk);

  o.app_dir = changed_dir;
  Captured changed = replay(o);
  INFO(changed.out << changed.err);
  CHECK(changed.code == kExitFinding);
  CHECK(changed.out.find("DIVERGENCE at the checkpoint after event") != std::string::npos);
  CHECK(changed.out.find("the event before it:") != std::string::npos);
  CHECK(changed.out.find("--app " + changed_dir) != std::string::npos);

  o.app_dir = temp_path("no_such_app");
  CHECK(replay(o).code == kExitUsage);
}

TEST_CASE("a log that cannot be read exits 3 with a clear message", "[lxreplay][damage]") {
  std::string bytes = read_file(recorded_log());
  REQUIRE(bytes.size() > 1000);
  SECTION("missing") {
    Captured c = replay(options_for(temp_path("missing.lxw")));
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("lxreplay: error: cannot open") != std::string::npos);
    CHECK(c.err.find("No such file") != std::string::npos);
  }
  SECTION("not a log") {
    std::string path = temp_path("text.lxw");
    write_file(path, "hello, I am not a log\n");
    Captured c = replay(options_for(path));
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("not an lx log") != std::string::npos);
  }
  SECTION("a truncated header") {
    std::string path = temp_path("torn_header.lxw");
    write_file(path, bytes.substr(0, 20));
    Captured c = replay(options_for(path));
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("lxreplay: error:") != std::string::npos);
    CHECK(c.err.find("header") != std::string::npos);
  }
  SECTION("corrupt in the middle") {
    std::string path = temp_path("corrupt.lxw");
    std::string broken = bytes;
    for (size_t i = broken.size() / 2; i < broken.size() / 2 + 16; ++i) broken[i] ^= 0x5a;
    write_file(path, broken);
    Captured c = replay(options_for(path));
    INFO(c.out << c.err);
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("lxreplay: warning: " + path) != std::string::npos);
    CHECK(c.err.find("damaged before its end") != std::string::npos);
  }
  SECTION("a torn tail replays up to the tear; --strict refuses it") {
    std::string path = temp_path("torn_tail.lxw");
    write_file(path, bytes.substr(0, bytes.size() * 7 / 10));
    LxreplayOptions o = options_for(path);
    o.quiet = true;
    Captured c = replay(o);
    INFO(c.out << c.err);
    CHECK(c.code == kExitOk);
    CHECK(c.err.find("torn") != std::string::npos);
    CHECK(c.out.find("lxreplay: match:") != std::string::npos);
    o.recovery = wal::Recovery::kStrict;
    Captured strict = replay(o);
    CHECK(strict.code == kExitUnreadable);
  }
}

TEST_CASE("an engine that cannot be loaded is an I/O error (exit 4)", "[lxreplay]") {
  LxreplayOptions o = options_for(recorded_log());
  o.engine_path = temp_path("no_engine.so");
  Captured c = replay(o);
  CHECK(c.code == kExitIo);
  CHECK(c.err.find("pass --engine PATH") != std::string::npos);
}

}  // namespace lx::tools::test
