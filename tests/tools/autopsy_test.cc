// The autopsy in lxreplay's divergence report (tools/lxreplay/autopsy.cc): a
// what-if app that changes one value in place, on a recorded shop session,
// is reported with the state path, both values and the first event after
// which the states part; a what-if engine that spoils the heap is narrowed
// by the state hash alone.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "lx/exit_code.h"
#include "lxreplay_session.h"
#include "run_lxreplay.h"
#ifdef LX_LXDIFF_BIN
#include "run_lxdiff.h"
#include "state_views.h"
#endif

namespace lx::tools::test {
namespace {

// The shop session, recorded with a checkpoint every `every` events.
std::string record_shop(const std::string& name, uint64_t every) {
  SessionSpec spec;
  spec.log_path = temp_path(name);
  spec.files = test_app("shop");
  spec.checkpoint_every = every;
  spec.lines_per_client = 6;
  spec.make_line = [](int, int line) {
    const char* const lines[] = {"ADD apple 1", "ADD pear 2", "TOTAL",
                                 "ADD plum 3",  "CHECKOUT",   "ADD pear 2"};
    return std::string(lines[line]);
  };
  auto recorded = record_session(spec);
  REQUIRE(recorded.ok());
  return spec.log_path;
}

// A checkpoint every 10 events, so the divergence is found some events
// after the states part and the autopsy has to narrow.
const std::string& shop_log_every_10() {
  static const std::string path = record_shop("autopsy_shop.lxw", 10);
  return path;
}

// The shop app with one edit: orders counts by 2 (same lines, same sizes).
std::string what_if_shop() {
  static const std::string dir = [] {
    std::string d = temp_path("shop_orders_by_2");
    std::filesystem::create_directories(d);
    for (const host::SourceFile& file : test_app("shop")) {
      std::string text(file.data.begin(), file.data.end());
      size_t at = text.find("orders = orders + 1");
      if (file.path == "main.lua") {
        REQUIRE(at != std::string::npos);
        text.replace(at, 19, "orders = orders + 2");
      }
      write_file(d + "/" + file.path, text);
    }
    return d;
  }();
  return dir;
}

Captured replay(const LxreplayOptions& options) {
  return capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(options, out, err); });
}

}  // namespace

TEST_CASE("a what-if app that changes one value is reported with its path and first event",
          "[autopsy][lxreplay]") {
  // The first CHECKOUT arrives, and the update after it places order 1
  // (recorded) or 2 (what-if); its reply differs, so the checkpoint after
  // it differs, up to 9 events later, when all 3 clients have checked out.
  const uint64_t checkout = event_with_payload(shop_log_every_10(), "CHECKOUT");
  REQUIRE(checkout > 0);
  const uint64_t parted = checkout + 1;  // the invoke_event_update that serves it
  LxreplayOptions o;
  o.log_path = shop_log_every_10();
  o.app_dir = what_if_shop();
  o.quiet = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  REQUIRE(c.code == kExitFinding);
  CHECK(c.out.find("lxreplay: DIVERGENCE at the checkpoint after event") == 0);
  CHECK(
      c.out.find("  autopsy (each side replayed again from the start, recorded and replayed):\n") !=
      std::string::npos);
  CHECK(c.out.find("\n      orders: 3 (recorded) vs 6 (replayed)\n") != std::string::npos);
  CHECK(c.out.find("  the states part after event " + std::to_string(parted) +
                   " invoke_event_update (the state trees compared after every event from ") !=
        std::string::npos);
  // The summary still ends the output.
  CHECK(c.out.find("lxreplay: diverged: ") != std::string::npos);
  CHECK(c.out.find("autopsy") < c.out.find("lxreplay: diverged: "));

  SECTION("as a JSON line of kind autopsy") {
    o.json = true;
    Captured j = replay(o);
    INFO(j.out);
    CHECK(j.code == kExitFinding);
    CHECK(j.out.find("{\"kind\":\"autopsy\",\"left\":\"recorded\",\"right\":\"replayed\",") !=
          std::string::npos);
    CHECK(j.out.find("\"paths_differing\":1,\"paths\":[{\"path\":\"orders\",\"left\":\"3\","
                     "\"right\":\"6\"}],\"method\":\"state_tree\"") != std::string::npos);
    CHECK(j.out.find("\"first_differing\":{\"event\":" + std::to_string(parted) +
                     ",\"record_type\":\"invoke_event_update\"}") != std::string::npos);
  }
}

TEST_CASE("with no agreeing checkpoint the trees are compared from the start, in chunks",
          "[autopsy][lxreplay]") {
  // One checkpoint only, at the end: no checkpoint agrees, so the search
  // starts at event 0 and crosses chunks of 16 and 32 events to the
  // update that served the first CHECKOUT.
  const std::string log = record_shop("autopsy_shop_one_checkpoint.lxw", 1000);
  const uint64_t parted = event_with_payload(log, "CHECKOUT") + 1;
  REQUIRE(parted > 16);
  LxreplayOptions o;
  o.log_path = log;
  o.app_dir = what_if_shop();
  o.quiet = true;
  o.json = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  REQUIRE(c.code == kExitFinding);
  CHECK(c.out.find("\"last_matched_event\":null,") != std::string::npos);
  CHECK(c.out.find("\"method\":\"state_tree\",\"compared_from_event\":0,") != std::string::npos);
  CHECK(c.out.find("\"first_differing\":{\"event\":" + std::to_string(parted) + ",") !=
        std::string::npos);
}

TEST_CASE("a replay that matches has no autopsy", "[autopsy][lxreplay]") {
  LxreplayOptions o;
  o.log_path = shop_log_every_10();
  o.app_dir = std::string(LX_TEST_APPS) + "/shop";  // the recorded app itself
  o.quiet = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out.find("autopsy") == std::string::npos);
}

#ifdef LX_LXDIFF_BIN
TEST_CASE("lxdiff --state names the differing path of two recordings of one session",
          "[autopsy][lxdiff]") {
  // B: the session again under the app whose orders count by 2, recorded.
  const std::string b = temp_path("autopsy_shop_b.lxw");
  LxreplayOptions o;
  o.log_path = shop_log_every_10();
  o.app_dir = what_if_shop();
  o.quiet = true;
  o.keep_going = true;
  o.record_to = b;
  REQUIRE(replay(o).code == kExitFinding);
  const uint64_t parted = event_with_payload(shop_log_every_10(), "CHECKOUT") + 1;

  LxdiffOptions d;
  d.a_path = shop_log_every_10();
  d.b_path = b;
  d.state = true;
  auto diff = [&] {
    return capture([&](std::FILE* out, std::FILE* err) { return run_lxdiff(d, out, err); });
  };
  Captured c = diff();
  INFO(c.out << c.err);
  CHECK(c.code == kExitFinding);
  CHECK(c.out.find("lxdiff: the states of A and B after event ") != std::string::npos);
  CHECK(c.out.find("\n      orders: 3 (A) vs 6 (B)\n") != std::string::npos);
  CHECK(c.out.find("    the states part after event " + std::to_string(parted) +
                   " invoke_event_update") != std::string::npos);
  // The summary comes last.
  CHECK(c.out.find("lxdiff: differ: ") > c.out.find("orders: 3 (A)"));

  SECTION("--json: one state_diff line before the summary") {
    d.json = true;
    Captured j = diff();
    INFO(j.out);
    size_t at = j.out.find("{\"kind\":\"state_diff\",\"left\":\"A\",\"right\":\"B\",");
    REQUIRE(at != std::string::npos);
    CHECK(j.out.find("\"paths\":[{\"path\":\"orders\",\"left\":\"3\",\"right\":\"6\"}]", at) !=
          std::string::npos);
    CHECK(j.out.find("{\"kind\":\"summary\"", at) != std::string::npos);
  }
  SECTION("--html writes the page of both sessions, mode 0600") {
    d.html = temp_path("autopsy_diff.html");
    Captured h = diff();
    INFO(h.err);
    CHECK(h.code == kExitFinding);
    CHECK(h.err.find("lxdiff: wrote " + d.html + ": ") != std::string::npos);
    std::string page = read_file(d.html);
    CHECK(page.find("orders: 3 (A) vs 6 (B)") != std::string::npos);
    CHECK(page.find("first differing checkpoint") != std::string::npos);
    CHECK((std::filesystem::status(d.html).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  SECTION("--html to a path that cannot be written is exit 4") {
    d.html = "/nonexistent-dir/diff.html";
    Captured h = diff();
    CHECK(h.code == kExitIo);
    CHECK(h.err.find("lxdiff: error: --html: cannot create /nonexistent-dir/diff.html") !=
          std::string::npos);
  }
  SECTION("the same log twice has no states to compare") {
    d.b_path = d.a_path;
    Captured same = diff();
    CHECK(same.code == kExitOk);
    CHECK(same.out.find("the logs do not part: no states to compare") != std::string::npos);
  }
}
#endif

#ifdef LX_LXDIFF_BIN
TEST_CASE("lxdiff compares states before the inputs part, past another app source",
          "[autopsy][lxdiff]") {
  LogDivergence d;
  CHECK(state_event_to_compare(d) == 0);
  d.first_checkpoint_diff = 86;
  CHECK(state_event_to_compare(d) == 86);
  d.first_event_diff = 40;  // another input at 40: the states after 39
  CHECK(state_event_to_compare(d) == 39);
  d.first_event_is_source = true;  // the app source differs, not the inputs
  CHECK(state_event_to_compare(d) == 86);
  d.first_checkpoint_diff.reset();
  d.first_event_is_source = false;
  d.first_event_diff = 1;
  CHECK(state_event_to_compare(d) == 0);
}
#endif

#ifdef LX_CHAOS_ENGINE
TEST_CASE("a what-if engine that spoils the heap is narrowed by the figures", "[autopsy][chaos]") {
  // The chaos engine allocates a block at its 100th update: the Lua state is
  // the same, the heap is not. The state hashes differ from the start
  // (another build: other code addresses in the heap), so the trees are
  // compared; the figures name the event.
  SessionSpec spec;
  spec.log_path = temp_path("autopsy_chaos.lxw");
  spec.checkpoint_every = 10;
  spec.lines_per_client = 40;
  REQUIRE(record_session(spec).ok());
  const uint64_t spoiled = event_of_update(spec.log_path, 100);
  REQUIRE(spoiled > 0);
  LxreplayOptions o;
  o.log_path = spec.log_path;
  o.engine_path = LX_CHAOS_ENGINE;
  o.quiet = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  REQUIRE(c.code == kExitFinding);
  CHECK(c.out.find("is the same on both sides") != std::string::npos);
  CHECK(c.out.find("the state trees agree after every event from ") != std::string::npos);
  CHECK(c.out.find("  the figures (memhash, outhash, heap bytes) part after event " +
                   std::to_string(spoiled) + " invoke_event_update\n") != std::string::npos);
}
#endif

}  // namespace lx::tools::test
