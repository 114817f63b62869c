-- chat: a line protocol. A client's first line is its nickname; each later
-- line goes to every other client as "<nick>: <line>". Others see
-- "* <nick> joined" and "* <nick> left".
-- Run: lxrun --app samples/chat --listen 7001   Talk: nc 127.0.0.1 7001

local kMaxLineBytes = 64 * 1024
local clients = {}  -- chid -> { ch = channel, nick = string or nil }

local function broadcast(from, text)
  for id, c in pairs(clients) do
    if id ~= from and c.nick then c.ch:write(text) end
  end
end

local function leave(id, c)
  if c.nick then broadcast(id, "* " .. c.nick .. " left\n") end
  c.ch:close()
  clients[id] = nil
end

function update()
  local ch = lx.accept()
  while ch do
    clients[ch:id()] = { ch = ch }
    ch = lx.accept()
  end
  for id, c in pairs(clients) do
    local line = c.ch:readline()
    while line do
      if not c.nick then
        c.nick = line:match("^%s*(.-)%s*$")
        if c.nick == "" then c.nick = "guest" .. id end
        broadcast(id, "* " .. c.nick .. " joined\n")
      else
        broadcast(id, c.nick .. ": " .. line .. "\n")
      end
      line = c.ch:readline()
    end
    if c.ch:available() > kMaxLineBytes then
      c.ch:write("* line too long, bye\n")
      leave(id, c)
    elseif c.ch:closed() then
      leave(id, c)
    end
  end
end
