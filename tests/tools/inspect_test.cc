// Looking inside the past (docs/inspect.md) on a recorded session of the shop
// app (tests/tools/apps/shop, an app of the tests' own): --eval at event N
// prints what a global held then, --probe prints at every matching event
// while every checkpoint still verifies, --dump-state writes the tree, and
// the forked Inspector leaves the replay's engine as it was, even when the
// inspection crashes or loops.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "inspector.h"
#include "lx/exit_code.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/source_blob.h"
#include "lx/wal/log_reader.h"
#include "lxreplay_session.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

Captured replay(const LxreplayOptions& options) {
  return capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(options, out, err); });
}

// Each client's lines: the cart of chid c + 1 holds 11 after line 1 and 16
// after line 3 (3 plums cost 5 with the bulk discount); line 4 checks out.
const char* const kShopLines[] = {"ADD apple 1", "ADD pear 2", "TOTAL",
                                  "ADD plum 3",  "CHECKOUT",   "ADD pear 2"};

SessionSpec shop_spec(const std::string& name, uint64_t checkpoint_every) {
  SessionSpec spec;
  spec.log_path = temp_path(name);
  spec.files = test_app("shop");
  spec.checkpoint_every = checkpoint_every;
  spec.lines_per_client = 6;
  spec.make_line = [](int, int line) { return std::string(kShopLines[line]); };
  return spec;
}

const std::string& shop_log() {
  static const std::string path = [] {
    SessionSpec spec = shop_spec("shop.lxw", 1);
    auto recorded = record_session(spec);
    REQUIRE(recorded.ok());
    return spec.log_path;
  }();
  return path;
}

// The number of the recv_incoming event on chid whose payload starts with text.
uint64_t recv_event(const std::string& log, int32_t chid, const std::string& text) {
  auto reader = wal::LogReader::open(log);
  REQUIRE(reader.ok());
  wal::Record record;
  for (;;) {
    Result<bool> more = reader.value()->next(&record);
    REQUIRE(more.ok());
    if (!more.value()) return 0;
    std::string_view payload(reinterpret_cast<const char*>(record.bytes.data()),
                             record.bytes.size());
    if (record.type == wal::RecordType::kRecvIncoming && record.chid == chid &&
        payload.substr(0, text.size()) == text)
      return record.event;
  }
}

LxreplayOptions options_for(const std::string& log) {
  LxreplayOptions o;
  o.log_path = log;
  o.quiet = true;
  return o;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("lxreplay --eval at event N prints the value a global held then", "[inspect][eval]") {
  // The update after the recv_incoming of chid 2's "ADD pear 2".
  uint64_t pear = recv_event(shop_log(), 2, "ADD pear 2") + 1;
  REQUIRE(pear > 1);
  LxreplayOptions o = options_for(shop_log());
  o.at = pear;
  o.evals = {"sessions[2].cart.total"};
  Captured c = replay(o);
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out == "11\n");
  // The replay up to N was verified (the note goes to stderr: stdout is the value).
  CHECK(c.err.find("lxreplay: note: replay match: " + std::to_string(pear) + " events replayed; " +
                   std::to_string(pear) + " of " + std::to_string(pear) + " checkpoints matched") !=
        std::string::npos);

  SECTION("a moment before, the pears were not in the cart yet") {
    o.at = pear - 1;  // the recv_incoming: read, not yet handled
    CHECK(replay(o).out == "3\n");
  }
  SECTION("locals, modules and several expressions") {
    o.evals = {"orders", "lines_seen", "upvalues(pricing.price).prices.pear",
               "#sessions[2].cart.items"};
    Captured several = replay(o);
    INFO(several.err);
    CHECK(several.out ==
          "orders = 0\nlines_seen = 5\nupvalues(pricing.price).prices.pear = 4\n"
          "#sessions[2].cart.items = 2\n");
  }
  SECTION("tables to --depth, as JSON") {
    o.evals = {"sessions[2].cart"};
    CHECK(replay(o).out ==
          "{items = {{item = \"apple\", qty = 1}, {item = \"pear\", qty = 2}}, total = 11}\n");
    o.depth = 1;
    CHECK(replay(o).out == "{items = {...} (2 entries), total = 11}\n");
    o.depth = 0;
    o.json = true;
    Captured j = replay(o);
    CHECK(j.out.find("{\"kind\":\"eval\",\"event\":" + std::to_string(pear) +
                     ",\"expression\":\"sessions[2].cart\",\"values\":[{\"items\":[{\"item\":"
                     "\"apple\",\"qty\":1},{\"item\":\"pear\",\"qty\":2}],\"total\":11}]}\n") !=
          std::string::npos);
    CHECK(j.out.find("\"kind\":\"summary\"") != std::string::npos);
  }
  SECTION("ev is the event the state follows") {
    o.evals = {"ev.n, ev.type"};
    CHECK(replay(o).out == std::to_string(pear) + ", \"invoke_event_update\"\n");
    o.at = pear - 1;
    o.evals = {"ev.type, ev.chid, ev.bytes"};
    CHECK(replay(o).out == "\"recv_incoming\", 2, \"ADD pear 2\\r\\n\"\n");
  }
  SECTION("at the end of the log by default") {
    o.at.reset();
    o.evals = {"sessions", "orders"};
    CHECK(replay(o).out == "sessions = {}\norders = 3\n");
  }
}

TEST_CASE(
    "lxreplay --eval errors: a chunk that does not compile, one that raises, an event past the end",
    "[inspect][eval]") {
  LxreplayOptions o = options_for(shop_log());
  o.at = 20;
  o.evals = {"sessions[2].cart.total +"};
  Captured c = replay(o);
  CHECK(c.code == kExitUsage);
  CHECK(c.err.find("lxreplay: error: --eval 'sessions[2].cart.total +' does not compile: "
                   "(eval):1:") != std::string::npos);
  CHECK(c.err.find("replay error: 0 events replayed") != std::string::npos);  // none replayed
  o.evals = {"sessions[99].cart"};
  c = replay(o);
  CHECK(c.code == kExitFinding);
  CHECK(c.err.find("lxreplay: error: --eval 'sessions[99].cart' after event 20: (eval):1: "
                   "attempt to index a nil value") != std::string::npos);
  o.at = 100000;
  o.evals = {"orders"};
  c = replay(o);
  CHECK(c.code == kExitUsage);
  CHECK(c.err.find("lxreplay: error: --at 100000: the log ends after event") != std::string::npos);
  o.at = 3;
  o.record_to = temp_path("never.lxw");
  c = replay(o);
  CHECK(c.code == kExitUsage);
  CHECK(c.err.find("--record-to goes with a plain replay") != std::string::npos);
}

TEST_CASE("lxreplay --probe prints at every matching event while every checkpoint verifies",
          "[inspect][probe]") {
  LxreplayOptions o = options_for(shop_log());
  o.probes = {{"sessions[2].cart.total", "ev.type == 'invoke_event_update' and sessions[2]"}};
  Captured c = replay(o);
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  // One line per update while chid 2 is connected, each "#N type: value".
  uint64_t pear = recv_event(shop_log(), 2, "ADD pear 2") + 1;
  CHECK(c.out.find("#" + std::to_string(pear) + " invoke_event_update: 11\n") != std::string::npos);
  CHECK(c.out.rfind("#", 0) == 0);
  // The log has a checkpoint after every event: all of them still match
  // after an inspection at every event.
  auto events = replay(options_for(shop_log()));
  size_t at = events.out.find(" events replayed");
  REQUIRE(at != std::string::npos);
  std::string total = events.out.substr(std::string("lxreplay: match: ").size(),
                                        at - std::string("lxreplay: match: ").size());
  CHECK(c.err.find("replay match: " + total + " events replayed; " + total + " of " + total +
                   " checkpoints matched") != std::string::npos);

  SECTION("several probes, each with its own condition, over a range") {
    uint64_t first = recv_event(shop_log(), 1, "CHECKOUT");
    o.probes = {{"orders", "ev.type == 'recv_incoming'"}, {"ev.bytes", "ev.chid == 3"}};
    o.from = first;
    o.until = first + 3;
    Captured r = replay(o);
    INFO(r.out << r.err);
    CHECK(r.code == kExitOk);
    CHECK(r.out.find("#" + std::to_string(first) + " recv_incoming 1: orders = 0\n") !=
          std::string::npos);
    CHECK(count_of(r.out, "\n") == count_of(r.out, "#"));
    for (size_t line = r.out.find('#'); line != std::string::npos;
         line = r.out.find('#', line + 1)) {
      uint64_t n = std::stoull(r.out.substr(line + 1));
      CHECK(n >= first);
      CHECK(n <= first + 3);
    }
  }
  SECTION("as JSON Lines") {
    o.json = true;
    o.probes = {{"orders", "ev.n == 12"}};
    Captured j = replay(o);
    CHECK(count_of(j.out, "\"kind\":\"probe\"") == 1);
    CHECK(j.out.find("{\"kind\":\"probe\",\"event\":12,\"record_type\":") != std::string::npos);
    CHECK(j.out.find("\"expression\":\"orders\",\"values\":[0]}") != std::string::npos);
  }
  SECTION("an expression that raises is shown at its event; a condition's error once") {
    o.probes = {{"sessions[3].cart.total", "ev.n < 6"}, {"1", "ev.bytes:len() > 0"}};
    Captured r = replay(o);
    INFO(r.out << r.err);
    CHECK(r.code == kExitOk);
    CHECK(r.out.find("#1 set_clock: sessions[3].cart.total = error: (eval):1: attempt to index a "
                     "nil value") != std::string::npos);
    CHECK(count_of(r.err, "lxreplay: warning: --when 'ev.bytes:len() > 0' after event") == 1);
    CHECK(r.err.find("--when 'ev.bytes:len() > 0' raised an error after") != std::string::npos);
  }
  SECTION("a --when that does not compile stops the run before the replay") {
    o.probes = {{"orders", "ev.n =="}};
    Captured r = replay(o);
    CHECK(r.code == kExitUsage);
    CHECK(r.err.find("--when 'ev.n ==' does not compile") != std::string::npos);
  }
}

TEST_CASE("lxreplay --dump-state writes the app's state as a tree of paths", "[inspect][state]") {
  uint64_t plum = recv_event(shop_log(), 2, "ADD plum 3") + 1;
  LxreplayOptions o = options_for(shop_log());
  o.at = plum;
  o.dump_state = true;
  Captured c = replay(o);
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out.find("# the app's Lua state after event " + std::to_string(plum)) == 0);
  for (const char* line :
       {"\nsessions[2].cart.total = 16\n", "\nsessions[2].cart.items[3].item = \"plum\"\n",
        "\nsessions[2].ch = <channel 2>\n", "\norders = 0\n",
        "\nlines_seen = ", "\npricing.price = <function pricing.lua:5>\n",
        "\nupvalues(pricing.price).prices.pear = 4\n", "\nmodules.pricing = <same as pricing>\n",
        "\nupdate = <function main.lua:"}) {
    CAPTURE(line);
    CHECK(c.out.find(line) != std::string::npos);
  }
  SECTION("as JSON Lines, one per path") {
    o.json = true;
    Captured j = replay(o);
    CHECK(j.out.find("{\"kind\":\"state_value\",\"event\":" + std::to_string(plum) +
                     ",\"path\":\"sessions[2].cart.total\",\"value\":16}\n") != std::string::npos);
  }
}

namespace {

struct LiveEngine {
  std::unique_ptr<host::EngineLibrary> library;
  std::optional<host::HeapRegion> region;
  std::unique_ptr<host::Engine> engine;
};

LiveEngine shop_engine(const std::string& library_path) {
  LiveEngine live;
  auto library = host::EngineLibrary::open(library_path);
  REQUIRE(library.ok());
  live.library = std::move(library).value();
  auto region = host::HeapRegion::reserve();
  REQUIRE(region.ok());
  live.region.emplace(std::move(region).value());
  auto engine = host::Engine::create(*live.library, *live.region, 7);
  REQUIRE(engine.ok());
  live.engine = std::move(engine).value();
  auto blob = host::SourceBlob::encode(test_app("shop"), {});
  REQUIRE(blob.ok());
  REQUIRE(live.engine->set_lua_source(blob.value()) == LX_OK);
  REQUIRE(live.engine->invoke_event_update() == LX_OK);
  return live;
}

}  // namespace

TEST_CASE("an inspection in a forked copy leaves the engine as it was", "[inspect][fork]") {
  LiveEngine live = shop_engine(host::EngineLibrary::default_path());
  host::Engine& engine = *live.engine;
  const EngineFigures before = engine.figures();
  const uint64_t hash_before = engine.state_hash();
  Inspector inspector(60000);
  // It allocates a megabyte and changes a global: in the copy only.
  Inspector::Outcome outcome = inspector.eval(
      engine, "(function() big = string.rep('x', 1 << 20) orders = 99 return #big end)()",
      inspect_options(false));
  REQUIRE(outcome.done());
  CHECK(outcome.results[0].text == "1048576");
  CHECK(engine.figures() == before);
  CHECK(engine.state_hash() == hash_before);
  CHECK(inspector.eval(engine, "orders, big", inspect_options(false)).results[0].text == "0, nil");
  CHECK(inspector.forks() == 2);
  // The same eval in place does change the state: what the fork protects from.
  host::Engine::Inspection direct = engine.eval("orders = 99", inspect_options(false));
  CHECK(direct.status == LX_OK);
  CHECK(engine.state_hash() != hash_before);
}

TEST_CASE("an inspection that loops is stopped; its lx.log lines come back", "[inspect][fork]") {
  LiveEngine live = shop_engine(host::EngineLibrary::default_path());
  host::Engine& engine = *live.engine;
  const EngineFigures before = engine.figures();
  Inspector::Outcome logged =
      Inspector(60000).eval(engine, "lx.log('looking'), print('at', 1)", inspect_options(false));
  REQUIRE(logged.done());
  CHECK(logged.log_lines == std::vector<std::string>{"looking", "at\t1"});
  Inspector::Outcome looped =
      Inspector(1000).eval(engine, "(function() while true do end end)()", inspect_options(false));
  CHECK(looped.kind == Inspector::Outcome::Kind::kTimedOut);
  CHECK(looped.why.find("was stopped") != std::string::npos);
  CHECK(engine.figures() == before);
  CHECK(Inspector(60000).eval(engine, "orders", inspect_options(false)).results[0].text == "0");
}

#ifdef LX_CHAOS_ENGINE
TEST_CASE("an inspection that crashes the engine's copy leaves the replay's engine unharmed",
          "[inspect][fork]") {
  LiveEngine live = shop_engine(LX_CHAOS_ENGINE);
  host::Engine& engine = *live.engine;
  const EngineFigures before = engine.figures();
  // The chaos engine writes through a bad pointer on this log line.
  Inspector::Outcome crashed =
      Inspector(60000).eval(engine, "lx.log('chaos: segfault')", inspect_options(false));
  CHECK(crashed.kind == Inspector::Outcome::Kind::kCrashed);
  CHECK(crashed.why.find("signal 11") != std::string::npos);
  CHECK(engine.figures() == before);
  CHECK(engine.invoke_event_update() == LX_OK);
}
#endif

}  // namespace lx::tools::test
