// The Inspection calls of the C ABI (eval, dump_state): what a chunk sees
// (ev, globals, update()'s upvalues, modules, helpers), how values render as
// text and JSON (sorted keys, depth, cycles and shared tables, functions,
// cut strings), the canonical state tree, and the errors.
#include <catch2/catch.hpp>
#include <string>

#include "engine_test_util.h"

using lx::test::ScriptedDriver;
using lx::test::start_app;

namespace {

struct Result {
  int status = 0;
  std::string text;
};

lx_inspect_options text_options() {
  lx_inspect_options options{};
  options.struct_size = sizeof(options);
  options.format = LX_RENDER_TEXT;
  return options;
}

lx_inspect_options json_options() {
  lx_inspect_options options = text_options();
  options.format = LX_RENDER_JSON;
  return options;
}

Result inspect(ScriptedDriver& d, const std::string& chunk,
               const lx_inspect_options& options = text_options()) {
  const char* out = nullptr;
  size_t bytes = 0;
  Result r;
  r.status = d.api().eval(d.engine(), chunk.data(), chunk.size(), &options, &out, &bytes);
  r.text.assign(out, bytes);
  return r;
}

std::string value(ScriptedDriver& d, const std::string& chunk,
                  const lx_inspect_options& options = text_options()) {
  Result r = inspect(d, chunk, options);
  INFO(chunk << " -> " << r.text);
  REQUIRE(r.status == LX_OK);
  return r.text;
}

Result dump(ScriptedDriver& d, const lx_inspect_options& options = text_options()) {
  const char* out = nullptr;
  size_t bytes = 0;
  Result r;
  r.status = d.api().dump_state(d.engine(), &options, &out, &bytes);
  r.text.assign(out, bytes);
  return r;
}

// An app with state in a global, in locals of main.lua (upvalues of
// update()) and in a module.
const char* const kApp = R"lua(
local store = require "store"
local count = 0
local conns = {}
sessions = { [42] = { cart = { total = 17, items = { "apple", "pear" } } } }
function update()
  count = count + 1
  store.put("k" .. count, count * 10)
  conns[count] = { n = count }
end
)lua";

const char* const kStore = R"lua(
local M = { items = {} }
function M.put(key, value) M.items[key] = value end
return M
)lua";

std::unique_ptr<ScriptedDriver> app() {
  auto d = start_app(kApp, {{"store.lua", kStore}});
  REQUIRE(d->update() == LX_OK);
  REQUIRE(d->update() == LX_OK);
  return d;
}

}  // namespace

TEST_CASE("eval sees globals, the upvalues of update and the app's modules", "[inspect]") {
  auto d = app();
  CHECK(value(*d, "sessions[42].cart.total") == "17");
  CHECK(value(*d, "count") == "2");            // an upvalue of update()
  CHECK(value(*d, "store.items.k2") == "20");  // the upvalue store, the module's table
  CHECK(value(*d, "modules.store.items.k1") == "10");
  CHECK(value(*d, "upvalues(update).count") == "2");
  CHECK(value(*d, "upvalues(store.put).M == store") == "true");
  CHECK(value(*d, "1 + 1, 'two'") == "2, \"two\"");
  CHECK(value(*d, "local x = count * 2; return x") == "4");  // a chunk with return
  CHECK(value(*d, "x = 1") == "(no value)");                 // a statement
  CHECK(value(*d, "nothing_here") == "nil");
}

TEST_CASE("eval's ev is the event the state follows", "[inspect]") {
  auto d = app();
  const std::string payload = "GET / HTTP/1.1\r\n";
  lx_inspect_event event{};
  event.number = 57;
  event.type = "recv_incoming";
  event.chid = 3;
  event.has_chid = 1;
  event.size_bytes = payload.size();
  event.bytes = reinterpret_cast<const uint8_t*>(payload.data());
  event.byte_count = payload.size();
  event.has_bytes = 1;
  lx_inspect_options options = text_options();
  options.event = &event;
  CHECK(value(*d, "ev.n, ev.type, ev.chid, ev.size", options) == "57, \"recv_incoming\", 3, 16");
  CHECK(value(*d, "ev.bytes", options) == "\"GET / HTTP/1.1\\r\\n\"");
  CHECK(value(*d, "ev.port, ev.clock", options) == "nil, nil");
  CHECK(value(*d, "ev") == "nil");  // no event given
}

TEST_CASE("eval renders tables with sorted keys, to a depth, with cycles and shared tables",
          "[inspect]") {
  auto d = app();
  CHECK(value(*d, "{3, 2, 1}") == "{3, 2, 1}");
  CHECK(value(*d, "{b = 1, a = 2, [10] = 'x', [1] = true, ['a b'] = 3, [false] = 0}") ==
        "{true, [10] = \"x\", a = 2, [\"a b\"] = 3, b = 1, [false] = 0}");
  CHECK(value(*d, "{}") == "{}");
  CHECK(value(*d, "{{{{1}}}}") == "{{{{...} (1 entry)}}}");  // the default depth is 3
  lx_inspect_options deep = text_options();
  deep.depth = 5;
  CHECK(value(*d, "{{{{1}}}}", deep) == "{{{{1}}}}");
  CHECK(value(*d, "sessions") == "{[42] = {cart = {items = {...} (2 entries), total = 17}}}");
  CHECK(value(*d, "sessions", deep) ==
        "{[42] = {cart = {items = {\"apple\", \"pear\"}, total = 17}}}");
  CHECK(value(*d, "(function() local t = {} t.self = t return t end)()") == "{self = <cycle: $>}");
  CHECK(value(*d, "(function() local s = {1} return {a = s, b = s} end)()") ==
        "{a = {1}, b = <same as $.a>}");
  // A chunk that is a path names the value in references.
  CHECK(value(*d, "conns") == "{{n = 1}, {n = 2}}");
  REQUIRE(inspect(*d, "conns[1].up = conns").status == LX_OK);
  CHECK(value(*d, "conns") == "{{n = 1, up = <cycle: conns>}, {n = 2}}");
}

TEST_CASE("eval cuts long strings and big tables, and names functions and channels", "[inspect]") {
  auto d = app();
  lx_inspect_options options = text_options();
  options.max_string_bytes = 5;
  CHECK_THAT(value(*d, "string.rep('ab', 10)", options),
             Catch::Matches("\"ababa\"\\.\\.\\. \\(20 bytes, #[0-9a-f]{8}\\)"));
  options.max_entries = 2;
  CHECK(value(*d, "{1, 2, 3, 4}", options) == "{1, 2, ... (2 more)}");
  CHECK(value(*d, "update") == "<function main.lua:6>");
  CHECK(value(*d, "store.put") == "<function store.lua:3>");
  CHECK(value(*d, "print") == "<function [C]>");
  CHECK(value(*d, "lx.stdio()") == "<channel 0>");
  CHECK(value(*d, "1.5, 3.0, 2^63, -0.0") == "1.5, 3.0, 9223372036854775808.0, -0.0");
  CHECK(value(*d, "1/0, -1/0, 0/0 ~= 0/0") == "math.huge, -math.huge, true");
  CHECK(value(*d, "'tab\\there\\0'") == "\"tab\\there\\x00\"");
  // Long renderings go on several lines.
  std::string wide = value(*d, "{alpha = string.rep('x', 40), beta = string.rep('y', 40)}");
  CHECK(wide == "{\n  alpha = \"" + std::string(40, 'x') + "\",\n  beta = \"" +
                    std::string(40, 'y') + "\",\n}");
}

TEST_CASE("eval renders JSON", "[inspect]") {
  auto d = app();
  lx_inspect_options json = json_options();
  json.depth = 4;
  CHECK(value(*d, "sessions", json) ==
        "[{\"[42]\":{\"cart\":{\"items\":[\"apple\",\"pear\"],\"total\":17}}}]");
  CHECK(value(*d, "1, 'a\\n', nil, true, 1.5", json_options()) == "[1,\"a\\n\",null,true,1.5]");
  CHECK(value(*d, "{}, update, lx.stdio()", json_options()) ==
        "[{},{\"lx:function\":\"main.lua:6\"},{\"lx:channel\":0}]");
  CHECK(value(*d, "(function() local t = {} t.me = t return t end)()", json_options()) ==
        "[{\"me\":{\"lx:cycle\":\"$\"}}]");
  CHECK(value(*d, "1/0", json_options()) == "[{\"lx:number\":\"inf\"}]");
  CHECK(value(*d, "'\\x80'", json_options()) == "[\"\\u0080\"]");
}

TEST_CASE("eval reports chunks that do not compile and chunks that raise", "[inspect]") {
  auto d = app();
  Result r = inspect(*d, "1 +");
  CHECK(r.status == LX_ERR_ARGUMENT);
  CHECK_THAT(r.text, Catch::StartsWith("(eval):1:"));
  r = inspect(*d, "sessions[1].cart");
  CHECK(r.status == LX_ERR_APP);
  CHECK_THAT(r.text, Catch::Contains("attempt to index a nil value"));
  r = inspect(*d, "error('boom')");
  CHECK(r.status == LX_ERR_APP);
  CHECK(r.text == "(eval):1: boom");
  // The engine goes on: eval is no event.
  uint64_t events = d->events();
  CHECK(value(*d, "count") == "2");
  CHECK(d->events() == events);
  lx_inspect_options compile = text_options();
  compile.flags = LX_INSPECT_COMPILE_ONLY;
  CHECK(inspect(*d, "count = count + 100", compile).status == LX_OK);
  CHECK(inspect(*d, "count = count + 100", compile).text.empty());
  CHECK(value(*d, "count") == "2");  // compiled, never run
  CHECK(inspect(*d, "count = = 1", compile).status == LX_ERR_ARGUMENT);
  compile.flags = 2;
  CHECK(inspect(*d, "1", compile).status == LX_ERR_ARGUMENT);
  lx_inspect_options bad = text_options();
  bad.format = 9;
  CHECK(inspect(*d, "1", bad).status == LX_ERR_ARGUMENT);
  bad = text_options();
  bad.struct_size = 4;
  CHECK(inspect(*d, "1", bad).status == LX_ERR_VERSION);
  const char* out = nullptr;
  size_t bytes = 0;
  lx_inspect_options options = text_options();
  CHECK(d->api().eval(nullptr, "1", 1, &options, &out, &bytes) == LX_ERR_ARGUMENT);
  CHECK(d->api().eval(d->engine(), "1", 1, &options, nullptr, &bytes) == LX_ERR_ARGUMENT);
}

TEST_CASE("dump_state writes the app's state as one canonical tree", "[inspect]") {
  auto d = app();
  Result r = dump(*d);
  REQUIRE(r.status == LX_OK);
  // Globals and update()'s upvalues, merged by name, then the modules; the
  // sandbox's own libraries are left out; every path is an eval expression.
  CHECK(r.text ==
        "conns[1].n\t1\n"
        "conns[2].n\t2\n"
        "count\t2\n"
        "sessions[42].cart.items[1]\t\"apple\"\n"
        "sessions[42].cart.items[2]\t\"pear\"\n"
        "sessions[42].cart.total\t17\n"
        "store.items.k1\t10\n"
        "store.items.k2\t20\n"
        "store.put\t<function store.lua:3>\n"
        "update\t<function main.lua:6>\n"
        "modules.store\t<same as store>\n");
  for (const char* path : {"conns[2].n", "sessions[42].cart.items[1]", "store.items.k2"}) {
    CAPTURE(path);
    CHECK(inspect(*d, path).status == LX_OK);
  }
  // The same state gives the same bytes.
  CHECK(dump(*d).text == r.text);
}

TEST_CASE("dump_state names cycles, shared tables and the app's locals by path", "[inspect]") {
  auto d = start_app(R"lua(
local cache = { hits = 0 }
local function lookup(k) cache.hits = cache.hits + 1 return k end
ring = { name = "a" }
ring.next = { name = "b", next = ring }
zboth = { left = ring.next }
function update() lookup(1) end
)lua");
  REQUIRE(d->update() == LX_OK);
  Result r = dump(*d);
  REQUIRE(r.status == LX_OK);
  CHECK(r.text ==
        "cache.hits\t1\n"
        "lookup\t<function main.lua:3>\n"
        "ring.name\t\"a\"\n"
        "ring.next.name\t\"b\"\n"
        "ring.next.next\t<cycle: ring>\n"
        "update\t<function main.lua:7>\n"
        "zboth.left\t<same as ring.next>\n");
  // cache is a local that only lookup() uses: an app local all the same.
  CHECK(value(*d, "cache.hits, upvalues(lookup).cache.hits") == "1, 1");
  r = dump(*d, json_options());
  REQUIRE(r.status == LX_OK);
  CHECK_THAT(r.text,
             Catch::Contains("{\"path\":\"ring.next.next\",\"value\":{\"lx:cycle\":\"ring\"}}\n"));
  CHECK_THAT(r.text, Catch::Contains("{\"path\":\"ring.name\",\"value\":\"a\"}\n"));
}

TEST_CASE("a global that hides an upvalue of update leaves the upvalue a longer path",
          "[inspect]") {
  auto d = start_app(R"lua(
local n = 5
n_global = 1
function update() n = n + 1 end
)lua");
  REQUIRE(d->update() == LX_OK);
  CHECK(dump(*d).text == "n\t6\nn_global\t1\nupdate\t<function main.lua:4>\n");
  d.reset();  // one engine region at a time
  auto shadow = start_app(R"lua(
local n = 5
function update() n = n + 1 end
_G.n = "global"
)lua");
  REQUIRE(shadow->update() == LX_OK);
  CHECK(dump(*shadow).text ==
        "n\t\"global\"\nupdate\t<function main.lua:3>\nupvalues(update).n\t6\n");
  CHECK(value(*shadow, "n, upvalues(update).n") == "\"global\", 6");
}

TEST_CASE("the instruction budget bounds an eval as it bounds update()", "[inspect]") {
  ScriptedDriver::Options options;
  options.instruction_budget = 200000;
  auto d = start_app("function update() end", {}, options);
  Result r = inspect(*d, "(function() while true do end end)()");
  CHECK(r.status == LX_ERR_APP);
  CHECK_THAT(r.text, Catch::Contains("instruction budget of 200000 exceeded in eval"));
  // A pcall inside the chunk cannot swallow it.
  r = inspect(*d, "pcall(function() while true do end end), 'after'");
  CHECK(r.status == LX_ERR_APP);
  CHECK_THAT(r.text, Catch::Contains("instruction budget of 200000 exceeded"));
  // The next eval has a budget of its own.
  CHECK(value(*d, "1 + 1") == "2");
}
