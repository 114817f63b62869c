-- kv: an in-memory key-value server speaking Redis's RESP2, enough for
-- redis-cli and redis-benchmark (strings with expiry, lists, sets, hashes,
-- sorted sets; see samples/README.md for the command list). Pipelined and
-- inline (telnet-style) commands work; malformed input gets
-- `-ERR Protocol error: ...` and the connection is closed.
-- Run: lxrun --app samples/kv --listen 6379   Talk: redis-cli -p 6379 ping

local resp = require "resp"
local commands = require "commands"
local store = require "store"

local run, concat = commands.run, table.concat

local conns = {}  -- chid -> { ch = channel, parser = resp parser }
local ctx = {
  store = store.new(), now = lx.now(), started = lx.now(), conn = nil,
  stats = { commands = 0, connections = 0 },
}

-- A client whose replies wait unsent (it does not read) gets no more of its
-- commands run until they drop below this; its input then stays in the
-- channel, so the driver stops reading it too (docs/hostile-clients.md).
local kMaxQueuedReplyBytes = 1024 * 1024
-- At most this many of one client's commands run per update, so a client
-- that pipelines thousands cannot hold the others up; the rest wait their
-- turn in the next update.
local kMaxCommandsPerUpdate = 1000
-- A client that goes away holding this much of an unfinished request has
-- its memory collected at once instead of waiting for the next GC cycle.
local kCollectAfterBytes = 1024 * 1024

-- GET and SET, in upper case as redis-benchmark and most clients send
-- them, are taken apart right in serve's loop when each bulk string is
-- under 256 bytes (a length known_numbers holds) and of its declared
-- length, with every CRLF where it belongs (far inside every limit). No
-- pattern: the command's header up to its key (`*2\r\n$3\r\nGET\r\n$16\r\n`)
-- and a SET value's header with the CRLF after the key (`\r\n$3\r\n`) are
-- cut out with string.sub and looked up by their text in tables of every
-- such header; the key and value are cut out after them, and the CRLF
-- that ends the command checked with string.byte. SET stores through the
-- store's put; GET reads the store's table for a string key with no
-- expiry. Anything else (a GET of a key that expires or holds no string,
-- another command) goes through the parser and commands.run from the
-- same place, so each reply is the same bytes.
local kCrlf <const> = "\r\n"
local kGetStart <const> = "*2\r\n$3\r\nGET\r\n$"
local kSetStart <const> = "*3\r\n$3\r\nSET\r\n$"
local kValueStart <const> = "\r\n$"
-- Bytes of a header besides its digits (literals: serve's arithmetic with
-- them then needs no lookup).
local kKeyHeadFixed <const> = 16   -- kGetStart or kSetStart, and CRLF
local kValueHeadFixed <const> = 5  -- kValueStart and CRLF
assert(#kGetStart + 2 == kKeyHeadFixed and #kSetStart + 2 == kKeyHeadFixed
       and #kValueStart + 2 == kValueHeadFixed)
local kCr <const> = 13
local kLf <const> = 10
local known_numbers, bulk_headers = resp.known_numbers, resp.bulk_headers
-- Header text -> its length N, for every N in known_numbers.
local get_heads, set_heads, value_heads = {}, {}, {}
for digits, n in pairs(known_numbers) do
  get_heads[kGetStart .. digits .. kCrlf] = n
  set_heads[kSetStart .. digits .. kCrlf] = n
  value_heads[kValueStart .. digits .. kCrlf] = n
end
local sub, byte = string.sub, string.byte
local kNull, kOk = resp.null, resp.ok
-- ch:queued() is found through a fallback lookup on every call (it came
-- after the channel methods of engine ABI 1): the function, looked up once.
local queued_bytes = lx.stdio().queued

-- The N of the header at buf[at..] that heads holds (its text is `fixed`
-- bytes and N's 1 to 3 digits), and the position after it; nil when there
-- is none there. serve tries the most likely width itself first.
local function header_at(buf, at, heads, fixed)
  for last = at + fixed, at + fixed + 2 do
    local n = heads[sub(buf, at, last)]
    if n then return n, last + 1 end
  end
  return nil
end

-- For serve, when `head` (the bytes at pos) is no GET or SET header with a
-- two-digit key length: the key length of a GET or SET header at pos with
-- one or three digits (as the first or the second result), and the
-- position after that header; nothing when there is none.
local function short_or_long_head(buf, pos, head)
  local start = sub(head, 1, kKeyHeadFixed - 2)
  if start == kGetStart then
    local key_bytes, first = header_at(buf, pos, get_heads, kKeyHeadFixed)
    return key_bytes, nil, first
  elseif start == kSetStart then
    local key_bytes, first = header_at(buf, pos, set_heads, kKeyHeadFixed)
    return nil, key_bytes, first
  end
  return nil
end

-- Runs the complete commands the connection has received, until its queued
-- replies reach kMaxQueuedReplyBytes or it had its kMaxCommandsPerUpdate
-- (conn.stalled: it has more to do), and sends the replies in one write.
-- Returns false when the connection must close. stats.commands is brought
-- up to date before each command that goes through commands.run (INFO
-- reports it) and at the end: `counted` replies are in it. `queued`: the
-- bytes the channel holds unsent (update has just asked).
local function serve(conn, queued)
  local ch, parser, stats = conn.ch, conn.parser, ctx.stats
  local st = ctx.store
  local put = st.put  -- found through Store's metatable once, not per SET
  local data, expires = st.data, st.expires
  local headers = bulk_headers
  -- Room for a pipeline of eight replies from the start.
  local replies = { nil, nil, nil, nil, nil, nil, nil, nil }
  local reply_bytes = queued
  local max_reply_bytes, max_commands = kMaxQueuedReplyBytes, kMaxCommandsPerUpdate
  local keep = true
  local count, replied, counted = 0, 0, 0
  local buf, pos = parser:window()
  local size = buf and #buf
  conn.stalled = false
  ctx.conn = conn
  while true do
    if reply_bytes >= max_reply_bytes or count >= max_commands then
      conn.stalled = true
      break
    end
    count = count + 1
    if buf then
      if pos > size then break end  -- all taken: next would find nothing
      -- `after`: where the CRLF ending the command is.
      local reply, after
      -- A GET's or SET's header with a two-digit key length; at the end of
      -- buf it is short and matches none.
      local head = sub(buf, pos, pos + (kKeyHeadFixed + 1))
      local get_bytes, set_bytes, first = get_heads[head], nil, pos + (kKeyHeadFixed + 2)
      if not get_bytes then
        set_bytes = set_heads[head]
        if not set_bytes then get_bytes, set_bytes, first = short_or_long_head(buf, pos, head) end
      end
      if get_bytes then
        after = first + get_bytes
        local cr, lf = byte(buf, after, after + 1)
        if cr == kCr and lf == kLf then
          local key = sub(buf, first, after - 1)
          local value = data[key]
          if value == nil then
            reply = kNull
          -- A string value: indexing a string looks in the string library,
          -- where there is no `kind`; containers have one.
          elseif value.kind == nil and not expires[key] then
            reply = headers[#value] .. value .. kCrlf
          end
        end
      elseif set_bytes then
        -- The value's header, from the CRLF after the key: its length with
        -- one digit, then two or three.
        local key_after = first + set_bytes
        local value_bytes = value_heads[sub(buf, key_after, key_after + kValueHeadFixed)]
        local value_first = key_after + (kValueHeadFixed + 1)
        if not value_bytes then
          value_bytes, value_first = header_at(buf, key_after, value_heads, kValueHeadFixed)
        end
        if value_bytes then
          after = value_first + value_bytes
          local cr, lf = byte(buf, after, after + 1)
          if cr == kCr and lf == kLf then
            put(st, sub(buf, first, key_after - 1), sub(buf, value_first, after - 1))
            reply = kOk
          end
        end
      end
      if reply then
        pos = after + 2
        replied = replied + 1
        replies[replied] = reply
        reply_bytes = reply_bytes + #reply
        goto next_command
      end
      parser:advance(pos)
    end
    do
      local args, reason = parser:next()
      if args == nil then
        buf = nil
        break
      end
      if args == false then
        buf = nil
        replied = replied + 1
        counted = counted + 1
        replies[replied] = resp.error("ERR Protocol error: " .. reason)
        keep = false
        break
      end
      if #args > 0 then
        stats.commands = stats.commands + (replied - counted) + 1
        replied = replied + 1
        counted = replied
        local reply = run(args, ctx)
        data, expires = st.data, st.expires  -- FLUSHALL makes new tables
        replies[replied] = reply
        reply_bytes = reply_bytes + #reply
        if conn.quit then
          keep = false
          break
        end
      end
      buf, pos = parser:window()
      size = buf and #buf
    end
    ::next_command::
  end
  if buf then parser:advance(pos) end
  stats.commands = stats.commands + (replied - counted)
  ctx.conn = nil
  if replied > 0 then ch:write(concat(replies)) end
  return keep
end

local function drop(id, conn)
  conn.ch:close()  -- replies already queued are still delivered
  conns[id] = nil
  local held_bytes = conn.parser:pending_bytes()
  conn.parser:reset()
  if held_bytes >= kCollectAfterBytes then collectgarbage() end
end

function update()
  local stalled = false
  ctx.now = lx.now()
  local ch = lx.accept()
  while ch do
    conns[ch:id()] = { ch = ch, parser = resp.new_parser(), stalled = false }
    ctx.stats.connections = ctx.stats.connections + 1
    ch = lx.accept()
  end
  for id, conn in pairs(conns) do
    local ch = conn.ch
    local keep = true
    -- A connection with no new input and nothing left over has nothing to
    -- run: serving it would find no command.
    local queued = (conn.stalled or ch:available() > 0) and queued_bytes(ch)
    if queued and queued < kMaxQueuedReplyBytes then
      -- New input only once what was read before is parsed: until then it
      -- waits in the channel, and the driver stops reading at 1 MiB.
      if not conn.stalled then conn.parser:feed(ch:read()) end
      keep = serve(conn, queued)
    end
    -- A client that half-closed still gets the answers to all it sent.
    if not keep or (ch:closed() and not conn.stalled and ch:available() == 0) then
      drop(id, conn)
    elseif conn.stalled or queued_bytes(ch) >= kMaxQueuedReplyBytes then
      stalled = true
    end
  end
  -- Commands left for later (or replies waiting to drain): update() again
  -- in 10 ms; lxrun runs it on input and when a wake time is due.
  if stalled then lx.after(0.01) end
end
