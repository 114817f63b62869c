// The chaos engine (engine/chaos) against the replay tools: a replay through
// it must diverge exactly at the checkpoint after its 100th update, and two
// replays through it in two processes must differ there too (ASLR).
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "lx/exit_code.h"
#include "lxreplay_session.h"
#include "run_lxdiff.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

constexpr uint64_t kChaosUpdate = 100;  // docs/replay.md, engine/chaos/chaos_hook.h

// A session with well over 100 updates and a checkpoint after every event.
const std::string& fine_log() {
  static const std::string path = [] {
    SessionSpec spec;
    spec.log_path = temp_path("chaos_fine.lxw");
    spec.checkpoint_every = 1;
    spec.lines_per_client = 40;
    auto result = record_session(spec);
    REQUIRE(result.ok());
    REQUIRE(result.value().updates > kChaosUpdate + 10);
    return spec.log_path;
  }();
  return path;
}

// An app that keeps a number in chaos_scribble and never shows it; at its
// 10th update it asks the chaos engine to change it in place. One client,
// a checkpoint after every event (every figure is compared), a snapshot
// every 8 events.
void scribble_session(SessionSpec* spec) {
  const std::string main_lua = R"(
chaos_scribble = 0
local updates = 0
function update()
  while lx.accept() do end
  updates = updates + 1
  if updates == 10 then lx.log("chaos: scribble") end
end
)";
  spec->files = {{"main.lua", std::vector<uint8_t>(main_lua.begin(), main_lua.end())}};
  spec->clients = 1;
  spec->lines_per_client = 30;
  spec->checkpoint_every = 1;
  spec->snapshot_every = 8;
}

bool aslr_enabled() {
  std::string v = read_file("/proc/sys/kernel/randomize_va_space");
  return !v.empty() && v[0] != '0';
}

}  // namespace

TEST_CASE("the chaos engine makes lxreplay name the injected event", "[chaos][lxreplay]") {
  uint64_t event = event_of_update(fine_log(), kChaosUpdate);
  REQUIRE(event > 0);
  LxreplayOptions o;
  o.log_path = fine_log();
  o.engine_path = LX_CHAOS_ENGINE;
  o.quiet = true;
  Captured c = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
  INFO(c.out << c.err);
  CHECK(c.code == kExitFinding);
  CHECK(c.err.find("engine build differs") != std::string::npos);
  CHECK(c.out.find("DIVERGENCE at the checkpoint after event " + std::to_string(event) + " ") !=
        std::string::npos);
  CHECK(c.out.find("event " + std::to_string(event) + " invoke_event_update") != std::string::npos);
  CHECK(c.out.find("last matching checkpoint:   after event " + std::to_string(event - 1)) !=
        std::string::npos);
  CHECK(c.out.find("the cause is in event " + std::to_string(event) + " itself") !=
        std::string::npos);
  CHECK(c.out.find("lxdump " + fine_log() + " " + std::to_string(event)) != std::string::npos);

  SECTION("--keep-going reports the later checkpoints too") {
    o.keep_going = true;
    o.json = true;
    Captured k = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
    CHECK(k.code == kExitFinding);
    CHECK(k.out.find("\"kind\":\"divergence\",\"divergence\":\"checkpoint\",\"event\":" +
                     std::to_string(event) + ",") != std::string::npos);
    CHECK(k.out.find("\"divergence\":\"checkpoint\",\"event\":" + std::to_string(event + 1) +
                     ",") != std::string::npos);
  }
}

TEST_CASE("two chaos replays in two processes differ at the injected event", "[chaos][lxdiff]") {
  if (!aslr_enabled()) {
    WARN("ASLR is off on this machine: the chaos engine cannot differ between processes");
    return;
  }
  uint64_t event = event_of_update(fine_log(), kChaosUpdate);
  REQUIRE(event > 0);
  std::string a = temp_path("chaos_a.lxw");
  std::string b = temp_path("chaos_b.lxw");
  for (const std::string& out : {a, b}) {
    Captured r = run_command(std::string(LX_LXREPLAY_BIN) + " " + fine_log() + " --engine " +
                             LX_CHAOS_ENGINE + " --quiet --keep-going --checkpoint-every 1" +
                             " --record-to " + out);
    INFO(r.out << r.err);
    REQUIRE(r.code == kExitFinding);
  }
#ifdef LX_LXDIFF_BIN
  // The sizes come from stack addresses: two processes pick the same one
  // about once in a million runs, and then the logs are the same.
  Captured d = run_command(std::string(LX_LXDIFF_BIN) + " " + a + " " + b);
  INFO(d.out << d.err);
  CHECK(d.code == kExitFinding);
  CHECK(d.out.find("first differing checkpoint: after event " + std::to_string(event)) !=
        std::string::npos);
  CHECK(d.out.find("no event differs") != std::string::npos);
#endif
}

TEST_CASE("a value the chaos engine changes in place is caught at the next snapshot only",
          "[chaos][lxreplay][snapshot]") {
  if (!aslr_enabled()) {
    WARN("ASLR is off: every process would store the same value; nothing to compare");
    return;
  }
  SessionSpec spec;
  spec.log_path = temp_path("chaos_scribble.lxw");
  spec.engine_path = LX_CHAOS_ENGINE;
  scribble_session(&spec);
  auto recorded = record_session(spec);
  REQUIRE(recorded.ok());
  REQUIRE(recorded.value().updates < kChaosUpdate);  // the other flaw stays out of the way
  const uint64_t scribble = event_of_update(spec.log_path, 10);
  REQUIRE(scribble > 0);

  LxreplayOptions o;
  o.log_path = spec.log_path;
  o.engine_path = LX_CHAOS_ENGINE;  // the recording's build: its snapshots compare
  o.quiet = true;
  Captured c = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
  INFO(c.out << c.err);
  CHECK(c.code == kExitFinding);
  // No checkpoint differs; the first snapshot after the change does.
  CHECK(c.out.find("DIVERGENCE at the checkpoint") == std::string::npos);
  const size_t at = c.out.find("DIVERGENCE at the snapshot after event ");
  REQUIRE(at != std::string::npos);
  const uint64_t event = std::stoull(c.out.substr(at + 39));
  CHECK(event > scribble);
  CHECK(event <= scribble + 2 * spec.snapshot_every);
  CHECK(c.out.find("the state differs") != std::string::npos);
  CHECK(c.out.find("a value\n  changed in place") != std::string::npos);

  SECTION("the same replay with the normal engine compares no state") {
    o.engine_path.clear();
    Captured n = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
    INFO(n.out << n.err);
    CHECK(n.out.find("DIVERGENCE at the snapshot") == std::string::npos);
  }
}

TEST_CASE("lxdiff names the first snapshot whose state differs when nothing else does",
          "[chaos][lxdiff][snapshot]") {
  // The same scripted session through the normal engine (A) and the chaos
  // engine (B): the same events and figures (the chaos flaw that changes
  // output comes at update 100, later than this session), but heaps whose
  // contents differ from the first snapshot on (the two builds' code
  // addresses, and B's scribble at the 10th update, which changes a global
  // in place).
  SessionSpec spec;
  scribble_session(&spec);
  spec.log_path = temp_path("diff_state_a.lxw");
  REQUIRE(record_session(spec).ok());
  const std::string a = spec.log_path;
  spec.log_path = temp_path("diff_state_b.lxw");
  spec.engine_path = LX_CHAOS_ENGINE;
  REQUIRE(record_session(spec).ok());
  const std::string b = spec.log_path;
  auto diff = [](const std::string& x, const std::string& y, bool json) {
    LxdiffOptions o;
    o.a_path = x;
    o.b_path = y;
    o.json = json;
    return capture([&](std::FILE* out, std::FILE* err) { return run_lxdiff(o, out, err); });
  };
  Captured d = diff(a, b, false);
  INFO(d.out << d.err);
  CHECK(d.code == kExitFinding);
  CHECK(d.out.find("no event differs") != std::string::npos);
  CHECK(d.out.find("no checkpoint differs") != std::string::npos);
  const size_t at = d.out.find("first differing snapshot: the states after event ");
  REQUIRE(at != std::string::npos);
  CHECK(d.out.find("state hash 0x") != std::string::npos);
  Captured j = diff(a, b, true);
  CHECK(j.out.find("\"kind\":\"snapshot_diff\"") != std::string::npos);
  CHECK(j.out.find("\"first_snapshot_diff\":" +
                   std::to_string(std::stoull(d.out.substr(at + 49)))) != std::string::npos);

  SECTION("a log against itself compares every snapshot and finds no state differing") {
    Captured same = diff(a, a, false);
    INFO(same.out << same.err);
    CHECK(same.code == kExitOk);
    CHECK(same.out.find("no snapshot differs (") != std::string::npos);
    Captured same_json = diff(a, a, true);
    CHECK(same_json.out.find("\"first_snapshot_diff\":null") != std::string::npos);
    CHECK(same_json.out.find("\"snapshots_compared\":0") == std::string::npos);
  }
}

}  // namespace lx::tools::test
