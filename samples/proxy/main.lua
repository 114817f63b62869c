-- proxy: relays each client to its own connection to the upstream named
-- after "--" (HOST:PORT), both ways. When either side closes, the other is
-- closed after what was already received has been passed on.
-- Run: lxrun --app samples/proxy --listen 7002 -- 127.0.0.1:7000

local upstream = lx.args[1]
if not upstream then
  error("usage: lxrun --app samples/proxy --listen PORT -- UPSTREAM_HOST:PORT")
end

local links = {}  -- array of { client = channel, server = channel }

function update()
  local ch = lx.accept()
  while ch do
    links[#links + 1] = { client = ch, server = lx.connect(upstream) }
    ch = lx.accept()
  end
  for i = #links, 1, -1 do
    local link = links[i]
    local up = link.client:read()
    if up ~= "" then link.server:write(up) end
    local down = link.server:read()
    if down ~= "" then link.client:write(down) end
    if link.client:closed() or link.server:closed() then
      link.client:close()
      link.server:close()
      table.remove(links, i)
    end
  end
end
