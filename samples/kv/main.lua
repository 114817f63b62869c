-- kv: an in-memory key-value server speaking Redis's RESP2, enough for
-- redis-cli and redis-benchmark (strings with expiry, lists, sets, hashes,
-- sorted sets; see samples/README.md for the command list). Pipelined and
-- inline (telnet-style) commands work; malformed input gets
-- `-ERR Protocol error: ...` and the connection is closed.
-- Run: lxrun --app samples/kv --listen 6379   Talk: redis-cli -p 6379 ping

local resp = require "resp"
local commands = require "commands"
local store = require "store"

local conns = {}  -- chid -> { ch = channel, parser = resp parser }
local ctx = {
  store = store.new(), now = lx.now(), started = lx.now(), conn = nil,
  stats = { commands = 0, connections = 0 },
}

-- Runs every complete command the connection has received and sends the
-- replies in one write. Returns false when the connection must close.
local function serve(conn)
  local replies = {}
  local keep = true
  ctx.conn = conn
  while true do
    local args, reason = conn.parser:next()
    if args == nil then break end
    if args == false then
      replies[#replies + 1] = resp.error("ERR Protocol error: " .. reason)
      keep = false
      break
    end
    if #args > 0 then
      ctx.stats.commands = ctx.stats.commands + 1
      replies[#replies + 1] = commands.run(args, ctx)
      if conn.quit then
        keep = false
        break
      end
    end
  end
  ctx.conn = nil
  if #replies > 0 then conn.ch:write(table.concat(replies)) end
  return keep
end

function update()
  ctx.now = lx.now()
  local ch = lx.accept()
  while ch do
    conns[ch:id()] = { ch = ch, parser = resp.new_parser() }
    ctx.stats.connections = ctx.stats.connections + 1
    ch = lx.accept()
  end
  for id, conn in pairs(conns) do
    conn.parser:feed(conn.ch:read())
    if not serve(conn) or conn.ch:closed() then
      conn.ch:close()  -- replies already queued are still delivered
      conns[id] = nil
    end
  end
end
