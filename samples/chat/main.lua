-- chat: a line protocol. A client's first line is its nickname; each later
-- line goes to every other client as "<nick>: <line>". Others see
-- "* <nick> joined" and "* <nick> left". Bounds (docs/hostile-clients.md): a
-- line over 64 KiB ends its sender's session; at most 64 KiB of a client's
-- lines are passed on per update; and, as Redis drops a slow pub/sub client,
-- a client that does not read what the others say is dropped at 8 MiB
-- behind, or after slow_timeout seconds (default 5, settable after "--")
-- over 1 MiB behind.
-- Run: lxrun --app samples/chat --listen 7001   Talk: nc 127.0.0.1 7001

local kMaxLineBytes = 64 * 1024
local kSoftQueuedBytes = 1024 * 1024
local kHardQueuedBytes = 8 * 1024 * 1024
local kMaxBytesPerUpdate = 64 * 1024

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
    else
      c.behind_since = c.behind_since or now
      if now - c.behind_since > slow_timeout then c.too_slow = true end
    end
  end
end

function update()
  local wake = nil  -- seconds until update() must run again by itself (lx.after)
  local ch = lx.accept()
  while ch do
    clients[ch:id()] = { ch = ch }
    ch = lx.accept()
  end
  watch_slow(lx.now())
  for id, c in pairs(clients) do
    -- At most kMaxBytesPerUpdate of a client's lines per update (the next
    -- update comes 10 ms later while it floods, asked for with lx.after), so
    -- a talker cannot bury the ones who read faster than lxrun writes to
    -- them. The rest waits in the channel, and the driver stops reading it at
    -- 1 MiB.
    local budget = kMaxBytesPerUpdate
    local line = c.ch:readline()
    while line do
      if not c.nick then
        c.nick = line:match("^%s*(.-)%s*$")
        if c.nick == "" then c.nick = "guest" .. id end
        broadcast(id, "* " .. c.nick .. " joined\n")
      else
        broadcast(id, c.nick .. ": " .. line .. "\n")
      end
      budget = budget - #line - 1
      line = budget > 0 and c.ch:readline()
    end
    local more = budget <= 0  -- lines may be left for the next update
    if not more and c.ch:available() > kMaxLineBytes then  -- one unfinished line
      c.ch:write("* line too long, bye\n")
      leave(id, c)
    elseif (c.ch:closed() and not more) or c.too_slow then
      leave(id, c)
    elseif more then
      wake = math.min(wake or 0.01, 0.01)
    end
  end
  -- A client behind the soft limit is looked at again when its time is up.
  for _, c in pairs(clients) do
    if c.behind_since then
      local left = c.behind_since + slow_timeout - lx.now()
      wake = math.min(wake or left, math.max(left, 0) + 0.001)
    end
  end
  if wake then lx.after(wake) end
end
