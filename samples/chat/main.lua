-- chat: a line protocol. A client's first line is its nickname; each later
-- line goes to every other client as "<nick>: <line>". Others see
-- "* <nick> joined" and "* <nick> left". Bounds (docs/hostile-clients.md): a
-- line over 64 KiB ends its sender's session; while a client is over 1 MiB
-- behind on what the others say (it does not read), nobody's lines are read
-- (the driver then stops reading the talkers), and a client that stays behind
-- for slow_timeout seconds (default 5, settable after "--") is dropped.
-- Run: lxrun --app samples/chat --listen 7001   Talk: nc 127.0.0.1 7001

local kMaxLineBytes = 64 * 1024
local kMaxQueuedBytes = 1024 * 1024

local slow_timeout = 5
for _, arg in ipairs(lx.args) do
  local value = tonumber(arg:match("^slow_timeout=(.+)$"))
  if not (value and value > 0) then
    error("chat: bad argument '" .. arg .. "': use slow_timeout=S (seconds, above 0)")
  end
  slow_timeout = value
end

-- chid -> { ch = channel, nick = string or nil, behind_since = lx.now() or nil }
local clients = {}

local function broadcast(from, text)
  for id, c in pairs(clients) do
    if id ~= from and c.nick then c.ch:write(text) end
  end
end

local function leave(id, c)
  clients[id] = nil
  if c.nick then broadcast(id, "* " .. c.nick .. " left\n") end
  c.ch:close()
end

-- True while some client is too far behind for more lines to be passed on;
-- drops the ones that have been behind for slow_timeout.
local function held_back(now)
  local held = false
  for id, c in pairs(clients) do
    if c.ch:queued() <= kMaxQueuedBytes then
      c.behind_since = nil
    elseif not c.behind_since then
      c.behind_since = now
      held = true
    elseif now - c.behind_since > slow_timeout then
      leave(id, c)
    else
      held = true
    end
  end
  return held
end

function update()
  local ch = lx.accept()
  while ch do
    clients[ch:id()] = { ch = ch }
    ch = lx.accept()
  end
  local held = held_back(lx.now())
  for id, c in pairs(clients) do
    local line = not held and c.ch:readline()
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
    -- While held, its input waits in the channel (the driver stops reading
    -- it at 1 MiB); otherwise what is left is one unfinished line.
    if not held and c.ch:available() > kMaxLineBytes then
      c.ch:write("* line too long, bye\n")
      leave(id, c)
    elseif not held and c.ch:closed() then  -- its complete lines were passed on
      leave(id, c)
    end
  end
end
