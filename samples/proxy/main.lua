-- proxy: relays each client to its own connection to the upstream named
-- after "--" (HOST:PORT), both ways. A half-close passes through: when one
-- side stops sending (EOF), what it sent is passed on, then the other side's
-- write direction is shut down (ch:shutdown()), and the reverse direction
-- keeps flowing until its sender stops too. A link ends when both are done.
-- Run: lxrun --app samples/proxy --listen 7002 -- 127.0.0.1:7000

local upstream = lx.args[1]
if not upstream then
  error("usage: lxrun --app samples/proxy --listen PORT -- UPSTREAM_HOST:PORT")
end

local links = {}  -- array of { client = channel, server = channel, up_done, down_done }

-- Passes what `from` received on to `to`; once `from` has closed (and all it
-- sent is passed on), shuts `to` down. Returns true when that direction is done.
local function pass(from, to)
  local data = from:read()
  if data ~= "" then to:write(data) end
  if from:closed() then
    to:shutdown()  -- the queued bytes go first; a second call does nothing
    return true
  end
  return false
end

function update()
  local ch = lx.accept()
  while ch do
    links[#links + 1] = { client = ch, server = lx.connect(upstream) }
    ch = lx.accept()
  end
  for i = #links, 1, -1 do
    local link = links[i]
    link.up_done = link.up_done or pass(link.client, link.server)
    link.down_done = link.down_done or pass(link.server, link.client)
    if link.up_done and link.down_done then
      link.client:close()
      link.server:close()
      table.remove(links, i)
    end
  end
end
