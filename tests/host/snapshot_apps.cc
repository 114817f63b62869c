// The snapshot tests' apps (see snapshot_apps.h).
#include "snapshot_apps.h"

#include <stdexcept>

namespace lx::test {
namespace {

const char* const kStoreMain = R"lua(
local store, lists = {}, {}
local clients = {}
local function reply(ch, s) ch:write(tostring(s) .. "\n") end
function update()
  while true do
    local ch = lx.accept()
    if not ch then break end
    clients[ch] = { seen = 0, born = lx.now() }
  end
  for ch, st in pairs(clients) do
    local line = ch:readline()
    while line do
      st.seen = st.seen + 1
      local cmd, a, b = line:match("^(%S+)%s*(%S*)%s*(%S*)")
      if cmd == "set" then store[a] = b; reply(ch, "OK")
      elseif cmd == "get" then reply(ch, store[a])
      elseif cmd == "incr" then store[a] = (tonumber(store[a]) or 0) + 1; reply(ch, store[a])
      elseif cmd == "del" then store[a] = nil; reply(ch, 1)
      elseif cmd == "push" then
        lists[a] = lists[a] or {}
        table.insert(lists[a], b:rep(st.seen))
        reply(ch, #lists[a])
      elseif cmd == "sum" then
        local s = 0
        for k, v in pairs(store) do s = s + #k + #tostring(v) end
        reply(ch, s)
      elseif cmd == "keys" then
        local ks = {}
        for k in pairs(store) do ks[#ks + 1] = k end
        table.sort(ks)
        reply(ch, table.concat(ks, ","))
      elseif cmd == "rand" then reply(ch, lx.random(1000000) .. " " .. math.random(100))
      elseif cmd == "echo" then reply(ch, a)
      elseif cmd == "big" then
        local t = {}
        for i = 1, tonumber(a) // 10 do t[i] = string.format("%09d", i) end
        reply(ch, #table.concat(t))
      elseif cmd == "drop" then lists[a] = nil; collectgarbage("step"); reply(ch, "dropped")
      elseif cmd == "time" then reply(ch, os.date("!%H:%M:%S", os.time()) .. " " .. tostring({}))
      end
      line = ch:readline()
    end
    if ch:closed() then clients[ch] = nil; ch:close() end
  end
end
)lua";

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

}  // namespace

std::vector<host::SourceFile> snapshot_app(const std::string& name) {
  if (name == "store") return {{"main.lua", bytes_of(kStoreMain)}};
  if (name == "x17") return {{"main.lua", bytes_of("x = 17\nfunction update() end\n")}};
  if (name == "x18") return {{"main.lua", bytes_of("x = 18\nfunction update() end\n")}};
  throw std::invalid_argument("no snapshot test app named " + name);
}

}  // namespace lx::test
