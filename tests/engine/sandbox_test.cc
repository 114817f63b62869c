// The Lua sandbox: what is absent, what is restricted, how app errors are
// reported (and survived), require from the source blob, the UTC os
// library, lx.args, rescans, and running out of memory.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine_test_util.h"

using lx::test::eval;
using lx::test::kReplMain;
using lx::test::ScriptedDriver;
using lx::test::start_app;

TEST_CASE("libraries and functions that reach the outside are absent", "[sandbox]") {
  auto d = start_app(kReplMain);
  for (const char* expr :
       {"io", "debug", "package", "dofile", "loadfile", "string.dump", "os.execute", "os.getenv",
        "os.exit", "os.remove", "os.rename", "os.tmpname", "os.setlocale", "os.difftime"}) {
    CAPTURE(expr);
    CHECK(eval(*d, std::string("type(") + expr + ")") == "true nil");
  }
  CHECK(eval(*d, "type(os.time)") == "true function");
  CHECK(eval(*d, "type(coroutine.wrap), type(utf8.char), type(table.sort)") == "true function");
}

TEST_CASE("load accepts text chunks only", "[sandbox]") {
  auto d = start_app(kReplMain);
  CHECK(eval(*d, "load('return 6 * 7')()") == "true 42");
  // A binary chunk starts with "\27Lua"; mode "b" is overridden too.
  CHECK_THAT(eval(*d, "select(2, load('\\27Lua\\84\\0', 'bin', 'b'))"),
             Catch::Contains("attempt to load a binary chunk"));
  CHECK(eval(*d, "load(function() return nil end) ~= nil") == "true true");
  CHECK(eval(*d, "load('return x', 'env', 't', {x = 5})()") == "true 5");
}

TEST_CASE("collectgarbage allows only options that do not retune the collector", "[sandbox]") {
  auto d = start_app(kReplMain);
  CHECK_THAT(eval(*d, "collectgarbage('setpause', 50)"),
             Catch::Contains("collectgarbage(\"setpause\") is not allowed"));
  for (const char* option : {"stop", "restart", "setstepmul", "generational", "incremental"}) {
    CAPTURE(option);
    CHECK_THAT(eval(*d, std::string("collectgarbage('") + option + "')"),
               Catch::StartsWith("false"));
  }
  CHECK(eval(*d, "collectgarbage('count') > 10") == "true true");
  CHECK(eval(*d, "collectgarbage('isrunning')") == "true true");
  CHECK(eval(*d, "collectgarbage('collect')") == "true 0");
  CHECK(eval(*d, "type(collectgarbage('step'))") == "true boolean");
}

TEST_CASE("an error in update() is logged with a traceback and the engine goes on", "[sandbox]") {
  auto d = start_app(R"lua(
    local calls = 0
    local function inner() error("boom " .. calls) end
    function update()
      calls = calls + 1
      if calls == 2 then inner() end
      lx.stdio():write("call " .. calls .. "\n")
    end)lua");
  CHECK(d->update() == LX_OK);
  CHECK(d->update() == LX_ERR_APP);
  CHECK(d->last_error() == "main.lua:3: boom 2");
  std::vector<std::string> logs = d->logs();
  REQUIRE(logs.size() >= 4);
  CHECK(logs[0] == "error in update(): main.lua:3: boom 2");
  CHECK(logs[1] == "stack traceback:");
  std::string all;
  for (const std::string& line : logs) all += line + "\n";
  CHECK_THAT(all, Catch::Contains("main.lua:3: in upvalue 'inner'") ||
                      Catch::Contains("main.lua:3: in function <main.lua:3>"));
  CHECK_THAT(all, Catch::Contains("main.lua:6: in function 'update'"));
  CHECK(d->update() == LX_OK);
  d->drain();
  CHECK(d->output(0) == "call 1\ncall 3\n");
}

TEST_CASE("a missing update() is reported once per source", "[sandbox]") {
  ScriptedDriver d;
  CHECK(d.update() == LX_ERR_APP);  // no source yet
  CHECK_THAT(d.last_error(), Catch::Contains("set_lua_source first"));
  CHECK(d.update() == LX_OK);
  REQUIRE(d.set_source({{"main.lua", "x = 1"}}) == LX_OK);
  CHECK(d.update() == LX_ERR_APP);
  CHECK_THAT(d.last_error(), Catch::Contains("no global function update()"));
  CHECK(d.update() == LX_OK);
  CHECK(d.logs().size() == 1);
  REQUIRE(d.set_source({{"main.lua", "y = 2"}}) == LX_OK);
  CHECK(d.update() == LX_ERR_APP);
}

TEST_CASE("require loads modules from the source blob only", "[sandbox]") {
  auto d = start_app(
      kReplMain, {{"lib/greet.lua",
                   "loads = (loads or 0) + 1\n"
                   "local name, path = ...\n"
                   "return { hello = function() return 'hi from ' .. name .. ' in ' .. path end }"},
                  {"flag.lua", "flagged = true"}});
  CHECK(eval(*d, "require('lib.greet').hello()") == "true hi from lib.greet in lib/greet.lua");
  CHECK(eval(*d, "require('lib.greet') == require('lib.greet') and loads") == "true 1");
  CHECK(eval(*d, "require('flag')") == "true true");
  CHECK(eval(*d, "require('string') == string") == "true true");
  CHECK_THAT(eval(*d, "require('socket')"),
             Catch::Contains("module 'socket' not found: the app source has no file 'socket.lua'"));
  CHECK_THAT(eval(*d, "require('../etc/passwd')"), Catch::StartsWith("false"));
}

TEST_CASE("os.time, os.clock and os.date answer from the engine clock in UTC", "[sandbox]") {
  auto d = start_app(kReplMain);
  CHECK(eval(*d, "os.date('!%Y-%m-%d %H:%M:%S', 0)") == "true 1970-01-01 00:00:00");
  CHECK(eval(*d, "os.date('%Y-%m-%d %H:%M:%S', 951782400)") == "true 2000-02-29 00:00:00");
  CHECK(eval(*d, "os.date('!%c', 1700000000)") == "true Tue Nov 14 22:13:20 2023");
  CHECK(eval(*d, "os.date('%a %b %j %p %y %% %Ey', 1700000000)") == "true Tue Nov 318 PM 23 % 23");
  CHECK(eval(*d, "os.time()") == "true 0");
  REQUIRE(d->set_clock(1700000000.75) == LX_OK);
  CHECK(eval(*d, "os.time()") == "true 1700000000");
  CHECK(eval(*d, "os.clock()") == "true 1700000000.75");
  CHECK(eval(*d, "lx.now()") == "true 1700000000.75");
  CHECK(eval(*d, "os.date('!%H:%M:%S')") == "true 22:13:20");
  CHECK(eval(*d, "os.date('*t', 951782400).yday") == "true 60");
  CHECK(eval(*d, "os.date('!*t', 0).wday") == "true 5");
  CHECK(eval(*d, "os.time({year = 2000, month = 2, day = 29, hour = 0})") == "true 951782400");
  CHECK(eval(*d, "os.time({year = 2024, month = 1, day = 1})") == "true 1704110400");  // noon
  CHECK(eval(*d, "t = {year = 2023, month = 14, day = 1, hour = 0}; os.time(t); return t.month") ==
        "true 2");
  CHECK_THAT(eval(*d, "os.time({year = 2000})"), Catch::Contains("field 'month' missing"));
  CHECK_THAT(eval(*d, "os.date('%Q')"), Catch::Contains("invalid conversion specifier '%Q'"));
}

TEST_CASE("lx.args carries the blob's arguments", "[sandbox]") {
  auto d = start_app(kReplMain, {}, ScriptedDriver::Options{}, {"--port", "", "two words"});
  CHECK(eval(*d, "#lx.args") == "true 3");
  CHECK(eval(*d, "lx.args[1] .. '|' .. lx.args[2] .. '|' .. lx.args[3]") ==
        "true --port||two words");
}

TEST_CASE("math.random and lx.random repeat for a seed", "[sandbox][determinism]") {
  auto draw = [](uint64_t seed) {
    ScriptedDriver::Options options;
    options.seed = seed;
    auto d = start_app(kReplMain, {}, options);
    return eval(*d,
                "math.random(1, 1000000) .. ' ' .. lx.random(1, 1000000) .. ' ' .. "
                "lx.random(0) .. ' ' .. select(2, pcall(function() math.randomseed() "
                "return math.random(1000) end))");
  };
  CHECK(draw(1) == draw(1));
  CHECK(draw(1) != draw(2));
  auto d = start_app(kReplMain);
  CHECK_THAT(eval(*d, "lx.random(5, 1)"), Catch::Contains("interval is empty"));
  CHECK(eval(*d, "lx.random(3, 3)") == "true 3");
  CHECK(eval(*d,
             "(function() for i = 1, 1000 do local r = lx.random(); "
             "if r < 0 or r >= 1 then return false end end return true end)()") == "true true");
}

TEST_CASE("a syntax error in the first source is an app error with file and line", "[sandbox]") {
  ScriptedDriver d;
  CHECK(d.set_source({{"main.lua", "x = 1\nfunction update( end"}}) == LX_ERR_APP);
  CHECK_THAT(d.last_error(), Catch::StartsWith("main.lua:2:"));
  CHECK(d.set_source({{"main.lua", "error('at start')"}}) == LX_ERR_APP);
  CHECK(d.last_error() == "main.lua:1: at start");
  CHECK(d.set_source_blob("not a blob") == LX_ERR_ARGUMENT);
  CHECK_THAT(d.last_error(), Catch::Contains("bad source blob"));
}

TEST_CASE("a rescan keeps the old code on a syntax error and calls on_reload", "[sandbox]") {
  auto d = start_app(
      "version = 1\nfunction update() lx.stdio():write('v' .. version .. '\\n') "
      "if version == 1 then lx.rescan() end end");
  CHECK(d->api().get_rescan_flag(d->engine()) == 0);
  CHECK(d->update() == LX_OK);
  CHECK(d->api().get_rescan_flag(d->engine()) == 1);
  CHECK(d->set_source({{"main.lua", "version = 2\nfunction update( oops"}}) == LX_ERR_APP);
  CHECK(d->api().get_rescan_flag(d->engine()) == 0);
  CHECK(d->update() == LX_OK);  // still version 1
  CHECK(d->set_source({{"main.lua",
                        "version = 2\nfunction update() lx.stdio():write('v2 ' .. "
                        "tostring(reloaded) .. '\\n') end\n"
                        "function on_reload() reloaded = version end"}}) == LX_OK);
  CHECK(d->update() == LX_OK);
  d->drain();
  CHECK(d->output(0) == "v1\nv1\nv2 2\n");
  CHECK(d->set_source({{"main.lua", "function on_reload() error('reload failed') end"}}) ==
        LX_ERR_APP);
  CHECK(d->last_error() == "main.lua:1: reload failed");
  CHECK(d->update() == LX_OK);
}

TEST_CASE("lx.stop sets the stop flag", "[sandbox]") {
  auto d = start_app("function update() lx.stop() end");
  CHECK(d->api().get_stop_flag(d->engine()) == 0);
  CHECK(d->update() == LX_OK);
  CHECK(d->api().get_stop_flag(d->engine()) == 1);
}

TEST_CASE("Lua running out of memory is an app error the engine survives", "[sandbox][heap]") {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{16} << 20;
  auto d = start_app(R"lua(
    function update()
      local filled = 0
      local ok, err = pcall(function()
        local hog = {}
        for i = 1, 1e9 do hog[i] = string.rep("x", 1000) .. i ; filled = i end
      end)
      collectgarbage()
      lx.stdio():write(tostring(ok) .. " " .. tostring(err) .. " " .. tostring(filled > 1000) .. "\n")
    end)lua",
                     {}, options);
  CHECK(d->update() == LX_OK);
  d->drain();
  CHECK(d->output(0) == "false not enough memory true\n");
  CHECK(d->update() == LX_OK);  // and again: the memory came back
  CHECK(d->accept(80) == 1);    // engine bookkeeping still works
  d->drain();
  CHECK(d->output(0) == "false not enough memory true\nfalse not enough memory true\n");
}

TEST_CASE("an uncaught out-of-memory error in update() is reported, not fatal", "[sandbox][heap]") {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{16} << 20;
  auto d = start_app("t = {}\nfunction update() for i = 1, 1e9 do t[i] = {i} end end", {}, options);
  CHECK(d->update() == LX_ERR_APP);
  CHECK(d->last_error() == "not enough memory");
  CHECK(d->logs().at(0) == "error in update(): not enough memory");
  CHECK(d->set_source({{"main.lua", "t = nil; collectgarbage(); function update() end"}}) == LX_OK);
  CHECK(d->update() == LX_OK);
}

TEST_CASE("when engine bookkeeping cannot allocate, the engine fails for good", "[abi][heap]") {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{8} << 20;
  ScriptedDriver d(options);
  std::string huge(uint64_t{9} << 20, 'x');
  CHECK(d.recv(0, huge) == LX_ERR_NO_MEMORY);
  CHECK_THAT(d.last_error(), Catch::Contains("heap is exhausted"));
  CHECK(d.set_clock(1) == LX_ERR_FAILED);
  CHECK_THAT(d.last_error(), Catch::Contains("failed earlier"));
  CHECK(d.update() == LX_ERR_FAILED);
  CHECK(d.events() == 3);
  CHECK(d.channels() == std::vector<int32_t>{0});  // queries still answer
}

TEST_CASE("a few thousand small tables touch little of a 16 GiB region", "[sandbox][heap]") {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{16} << 30;
  auto d = start_app(
      "keep = {}\nfunction update() for i = 1, 5000 do keep[i] = {i, tostring(i)} "
      "end end",
      {}, options);
  CHECK(d->update() == LX_OK);
  CHECK(d->heap_bytes() < (uint64_t{8} << 20));
  CHECK(d->region().resident_bytes() < (uint64_t{16} << 20));
}
