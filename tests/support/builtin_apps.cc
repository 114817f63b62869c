// The built-in test apps' Lua source.
#include "builtin_apps.h"

#include <stdexcept>

namespace lx::test {
namespace {

// Prints one line per probe on stdio; every value it prints must repeat in
// another process at the same region address.
const char* const kDeterminismMain = R"lua(
local util = require "util.format"
local out = lx.stdio()
local function emit(...) out:write(util.join(...) .. "\n") end

local function probe(round)
  local t = {}
  for i = 1, 300 do t["key" .. i .. "_" .. round] = i end
  local order = {}
  for k in pairs(t) do order[#order + 1] = k end
  emit("string-keyed pairs", table.concat(order, ","))

  local by_table, ids = {}, {}
  for i = 1, 60 do local key = {} ; ids[key] = i ; by_table[key] = i * 2 end
  local torder = {}
  for k, v in pairs(by_table) do torder[#torder + 1] = ids[k] .. "=" .. v end
  emit("table-keyed pairs", table.concat(torder, ","))

  local fkeys, forder = {}, {}
  for i = 1, 40 do fkeys[function() return i end] = i end
  for _, v in pairs(fkeys) do forder[#forder + 1] = v end
  emit("function-keyed pairs", table.concat(forder, ","))

  local rows = {}
  for i = 1, 1000 do rows[i] = { k = math.random(1, 7), id = i } end
  table.sort(rows, function(a, b) return a.k < b.k end)
  local sorted = {}
  for i = 1, #rows do sorted[i] = rows[i].id end
  emit("sort 1000 with equal keys", table.concat(sorted, ","))

  emit("tostring", tostring({}), tostring(function() end), tostring(coroutine.create(print)))
  emit("random", math.random(), math.random(1, 1000000), math.random(0), lx.random(), lx.random(6), lx.random(-5, 5))
  local a, b = "inter" .. "ned" .. round, "interned" .. round
  emit("interning", a == b, string.format("%p", a) == string.format("%p", b), string.format("%p", a))

  local co = coroutine.wrap(function(x)
    local y = coroutine.yield(x + 1)
    local z = coroutine.yield(y * 2)
    return "done " .. z
  end)
  emit("coroutine", co(1), co(20), co("z"))
  emit("gc count", collectgarbage("count"))
  collectgarbage("collect")
  emit("gc count after collect", collectgarbage("count"))
  emit("date", os.date("!%Y-%m-%d %H:%M:%S"), os.time(), os.clock(), lx.now())
end

probe(0)
emit("args", table.concat(lx.args, "|"))

local ticks = 0
function update()
  ticks = ticks + 1
  local ch = lx.accept()
  while ch do
    clients = clients or {}
    clients[#clients + 1] = ch
    ch:write("welcome " .. ch:id() .. " on port " .. tostring(ch:port()) .. "\n")
    ch = lx.accept()
  end
  for _, c in ipairs(clients or {}) do
    local line = c:readline()
    while line do
      c:write("echo[" .. ticks .. "]: " .. line .. "\n")
      line = c:readline()
    end
    if c:closed() then c:write("bye\n") end
  end
  local line = out:readline()
  while line do
    emit("stdin", line)
    line = out:readline()
  end
  if ticks % 3 == 0 then probe(ticks) end
  lx.log("tick", ticks, collectgarbage("count"))
end
)lua";

const char* const kDeterminismUtil = R"lua(
local M = {}
function M.join(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  return table.concat(parts, " ")
end
return M
)lua";

// One line per key type: the pairs order of a table keyed by values of that
// type. Light C functions hash by their code address: it repeats because the
// engine library is loaded at the address it was linked at ("linked" lines).
const char* const kKeysMain = R"lua(
local out = lx.stdio()
local function order_of(keys)
  local t, index = {}, {}
  for i, k in ipairs(keys) do t[k] = true ; index[k] = i end
  local seen = {}
  for k in pairs(t) do seen[#seen + 1] = index[k] end
  return table.concat(seen, ",")
end
local function make(n, f) local r = {} for i = 1, n do r[i] = f(i) end return r end
out:write("safe string " .. order_of(make(50, function(i) return "s" .. i end)) .. "\n")
out:write("safe integer " .. order_of(make(50, function(i) return i * 7919 end)) .. "\n")
out:write("safe float " .. order_of(make(50, function(i) return i + 0.5 end)) .. "\n")
out:write("safe boolean " .. order_of({true, false}) .. "\n")
out:write("safe table " .. order_of(make(50, function() return {} end)) .. "\n")
out:write("safe lua-function " .. order_of(make(50, function(i) return function() return i end end)) .. "\n")
out:write("safe coroutine " .. order_of(make(20, function() return coroutine.create(function() end) end)) .. "\n")
out:write("safe c-closure " .. order_of({load, collectgarbage, math.randomseed, math.random}) .. "\n")
out:write("safe table-address " .. string.format("%p", {}) .. "\n")
local light = {print, math.sin, math.cos, string.len, string.sub, table.insert, table.concat,
               coroutine.wrap, os.time, os.date, utf8.char, tostring, pairs, ipairs, select, type}
out:write("linked light-c-function " .. order_of(light) .. "\n")
out:write("linked light-c-function-address " .. string.format("%p", print) .. "\n")
function update() end
)lua";

const char* const kEchoMain = R"lua(
local clients = {}
function update()
  local ch = lx.accept()
  while ch do clients[#clients + 1] = ch ; ch = lx.accept() end
  for i = #clients, 1, -1 do
    local c = clients[i]
    local line = c:readline()
    while line do c:write(line .. "\n") ; line = c:readline() end
    if c:closed() then c:close() ; table.remove(clients, i) end
  end
end
)lua";

}  // namespace

const std::map<std::string, std::string>& builtin_app(const std::string& name) {
  static const std::map<std::string, std::map<std::string, std::string>> kApps = {
      {"determinism", {{"main.lua", kDeterminismMain}, {"util/format.lua", kDeterminismUtil}}},
      {"keys", {{"main.lua", kKeysMain}}},
      {"echo", {{"main.lua", kEchoMain}}},
  };
  auto it = kApps.find(name);
  if (it == kApps.end()) throw std::invalid_argument("no built-in app named " + name);
  return it->second;
}

std::vector<std::string> builtin_app_names() { return {"determinism", "echo", "keys"}; }

}  // namespace lx::test
