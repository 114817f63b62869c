// Determinism: two engines at different bases fed the same events agree on
// memhash and outhash after every event; two processes running the same
// app print the same transcript byte for byte; and the one table key type
// that hashes by code address (light C functions) repeats only with the engine library at
// its linked address, which is shown and documented.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "builtin_apps.h"
#include "engine_test_util.h"

using lx::test::ScriptedDriver;

namespace {

// Exercises allocation-heavy Lua without printing anything that depends on
// an address (addresses differ between bases by design).
const char* const kBaseIndependentApp = R"lua(
local words, state = {}, {}
function update()
  local ch = lx.accept()
  while ch do state[#state + 1] = ch ; ch = lx.accept() end
  for _, c in ipairs(state) do
    local line = c:readline()
    while line do
      words[line] = (words[line] or 0) + 1
      local keys = {}
      for k in pairs(words) do keys[#keys + 1] = k end
      table.sort(keys)
      local rows = {}
      for i = 1, 300 do rows[i] = {k = math.random(1, 5), s = string.rep(line, i % 7)} end
      table.sort(rows, function(a, b) return a.k < b.k end)
      local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(rows[i].s) end end)
      c:write(table.concat(keys, ",") .. " " .. lx.random(1000) .. " " .. #co() .. "\n")
      line = c:readline()
    end
  end
  lx.stdio():write(string.format("%.3f\n", collectgarbage("count")))
end
)lua";

std::string run_process(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 65536> buffer;
  for (;;) {
    std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe);
    if (n == 0) break;
    output.append(buffer.data(), n);
  }
  int status = pclose(pipe);
  INFO(command);
  REQUIRE(status == 0);
  return output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("two engines at different bases agree after every event", "[determinism]") {
  ScriptedDriver::Options first, second;
  first.base = lx::test::region_base(1);
  second.base = lx::test::region_base(2);
  first.heap_bytes = second.heap_bytes = uint64_t{1} << 30;
  ScriptedDriver a(first), b(second);
  std::vector<std::function<int(ScriptedDriver&)>> events = {
      [](ScriptedDriver& d) { return d.set_clock(1000.5); },
      [](ScriptedDriver& d) {
        return d.set_source({{"main.lua", kBaseIndependentApp}});
      },
      [](ScriptedDriver& d) { return d.accept(80); },
      [](ScriptedDriver& d) { return d.accept(81); },
  };
  const char* inputs[] = {"apple\n", "pear\r\nplum\n", "apple\npe", "ar\n", "fig\n"};
  for (int round = 0; round < 25; ++round) {
    int32_t chid = 1 + round % 2;
    std::string input = inputs[round % 5];
    events.push_back([chid, input](ScriptedDriver& d) { return d.recv(chid, input); });
    events.push_back([](ScriptedDriver& d) { return d.update(); });
    events.push_back([](ScriptedDriver& d) { return static_cast<int>(d.drain().size()); });
  }
  events.push_back([](ScriptedDriver& d) { return d.close(1); });
  events.push_back([](ScriptedDriver& d) { return d.update(); });
  for (std::size_t i = 0; i < events.size(); ++i) {
    CAPTURE(i);
    REQUIRE(events[i](a) == events[i](b));
    REQUIRE(a.memhash() == b.memhash());
    REQUIRE(a.outhash() == b.outhash());
    REQUIRE(a.heap_bytes() == b.heap_bytes());
    REQUIRE(a.events() == b.events());
  }
  CHECK(a.output(1) == b.output(1));
  CHECK(a.output(1).size() > 100);
  CHECK(a.output(0) == b.output(0));
}

TEST_CASE("two processes print the same transcript", "[determinism][process]") {
  std::string command = std::string(LX_SCRIPT_SESSION) + " --builtin determinism -- one 'two 2'";
  std::string first = run_process(command);
  std::string second = run_process(command);
  CHECK(first == second);
  // The transcript holds what the comparison is about.
  for (const char* probe :
       {"string-keyed pairs", "table-keyed pairs", "function-keyed pairs",
        "sort 1000 with equal keys", "tostring table: 0x2000", "random ", "interning true true",
        "coroutine 2 40 done z", "gc count", "date 2023-11-14 22:13:20", "args one|two 2",
        "log tick", "out 1 welcome 1 on port 8080", "final events="}) {
    CAPTURE(probe);
    CHECK(first.find(probe) != std::string::npos);
  }
  // A different seed changes the random draws, so the comparison can fail.
  std::string other = run_process(std::string(LX_SCRIPT_SESSION) +
                                  " --builtin determinism --seed 8 -- one 'two 2'");
  CHECK(other != first);
}

TEST_CASE("table keys of every type repeat, light C functions too, as documented",
          "[determinism][process]") {
  std::string command = std::string(LX_SCRIPT_SESSION) + " --builtin keys";
  std::string first = run_process(command);
  std::string second = run_process(command);
  auto split = [](const std::string& transcript, std::vector<std::string>* safe,
                  std::vector<std::string>* linked) {
    for (const std::string& line : lines_of(transcript)) {
      if (line.rfind("out 0 ", 0) != 0) continue;
      std::string body = line.substr(6);
      std::size_t at = 0;
      while (at < body.size()) {  // the runs hold several "\x0a"-separated lines
        std::size_t end = body.find("\\x0a", at);
        std::string entry = body.substr(at, end - at);
        (entry.rfind("linked", 0) == 0 ? linked : safe)->push_back(entry);
        if (end == std::string::npos) break;
        at = end + 4;
      }
    }
  };
  std::vector<std::string> safe1, linked1, safe2, linked2;
  split(first, &safe1, &linked1);
  split(second, &safe2, &linked2);
  REQUIRE(safe1.size() == 9);
  REQUIRE(linked1.size() == 2);
  CHECK(safe1 == safe2);  // strings, numbers, booleans, tables, Lua functions, coroutines...
  // A light C function is keyed by its code address. The engine library is
  // linked at a fixed address and the loader keeps it there, so its order
  // and its %p repeat too (they used to move with ASLR).
  CHECK(linked1 == linked2);
  CHECK_THAT(linked1[1], Catch::Contains("0x4c78"));
  // And the rule is written down where app authors look.
  std::ifstream doc(std::string(LX_SOURCE_DIR) + "/docs/determinism.md");
  std::stringstream text;
  text << doc.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("light C function"));
}
