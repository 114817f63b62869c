-- chat: a line protocol. A client's first line is its nickname; each later
-- line goes to every other client as "<nick>: <line>". Others see
-- "* <nick> joined" and "* <nick> left". Bounds (docs/hostile-clients.md), as
-- Redis bounds its pub/sub clients: a line over 64 KiB ends its sender's
-- session; a client that falls 16 MiB behind on what the others say (it does
-- not read) is dropped at once, and one that stays over 1 MiB behind for
-- slow_timeout seconds (default 5, settable after "--") is dropped then.
-- Run: lxrun --app samples/chat --listen 7001   Talk: nc 127.0.0.1 7001

local kMaxLineBytes = 64 * 1024
local kSoftQueuedBytes = 1024 * 1024
local kHardQueuedBytes = 16 * 1024 * 1024

local slow_timeout = 5
for _, arg in ipairs(lx.args) do
  local value = tonumber(arg:match("^slow_timeout=(.+)$"))
  if not (value and value > 0) then
    error("chat: bad argument '" .. arg .. "': use slow_timeout=S (seconds, above 0)")
  end
  slow_timeout = value
end

-- chid -> { ch = channel, nick = string or nil, behind_since = lx.now() or
-- nil, too_slow = true once it must go }
local clients = {}

local function broadcast(from, text)
  for id, c in pairs(clients) do
    if id ~= from and c.nick and not c.too_slow then
      if c.ch:queued() + #text > kHardQueuedBytes then
        c.too_slow = true  -- it leaves at its turn in update()
      else
        c.ch:write(text)
      end
    end
  end
end

local function leave(id, c)
  clients[id] = nil
  if c.nick then broadcast(id, "* " .. c.nick .. " left\n") end
  c.ch:close()
end

-- Marks the clients that have been over the soft limit for slow_timeout.
local function watch_slow(now)
  for _, c in pairs(clients) do
    if c.ch:queued() <= kSoftQueuedBytes then
      c.behind_since = nil
    elseif not c.behind_since then
      c.behind_since = now
    elseif now - c.behind_since > slow_timeout then
      c.too_slow = true
    end
  end
end

function update()
  local ch = lx.accept()
  while ch do
    clients[ch:id()] = { ch = ch }
    ch = lx.accept()
  end
  watch_slow(lx.now())
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
    elseif c.ch:closed() or c.too_slow then
      leave(id, c)
    end
  end
end
