-- http: a small HTTP/1.1 server with keep-alive and pipelining. Requests are
-- parsed incrementally from what each connection has received, so a request
-- split across reads and many requests in one read both work.
--   GET /       200, a short text
--   GET /stats  200, JSON with the request count and the uptime (lx.now())
--   other paths 404, other methods 405; malformed requests 400 and close
-- Each connection is bounded (docs/hostile-clients.md): headers over 8 KiB
-- get 431, a Content-Length over 1 MiB 413, Transfer-Encoding 501, each and
-- close; a request whose headers take over header_timeout seconds, or which
-- is not complete after request_timeout, gets 408 and close; a connection
-- with no request and no progress for idle_timeout is closed; a client that
-- does not read its answers gets no more answered while 256 KiB wait unsent.
-- Timeouts (seconds, by lx.now()) may be set after "--":
--   lxrun --app samples/http --listen 8080 -- header_timeout=10 request_timeout=30 idle_timeout=60
-- Run: lxrun --app samples/http --listen 8080   Talk: curl -v localhost:8080/

local kMaxHeaderBytes = 8 * 1024
local kMaxBodyBytes = 1024 * 1024
local kMaxQueuedBytes = 256 * 1024
-- At most this many of one connection's pipelined requests are answered per
-- update, so one client cannot hold up the others; the rest wait their turn.
local kMaxRequestsPerUpdate = 100

local timeouts = { header_timeout = 10, request_timeout = 30, idle_timeout = 60 }
for _, arg in ipairs(lx.args) do
  local name, value = arg:match("^([%w_]+)=(.+)$")
  if not (name and timeouts[name] and tonumber(value) and tonumber(value) > 0) then
    error("http: bad argument '" .. arg .. "': use header_timeout=S, request_timeout=S or "
          .. "idle_timeout=S (seconds, above 0)")
  end
  timeouts[name] = tonumber(value)
end

local header_timeout = timeouts.header_timeout
local request_timeout = timeouts.request_timeout
local idle_timeout = timeouts.idle_timeout

local started = lx.now()
local request_count = 0
-- chid -> { ch, buf and pos (unparsed bytes: buf from pos on), parts and
-- parts_bytes (received, not yet in buf), need (bytes from pos that buf must
-- hold for the request being read), request_since (when its first byte
-- came), progress_since, last_queued, stalled, idle (neither stalled nor
-- with bytes pending) }
local conns = {}

local reasons = {
  [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
  [408] = "Request Timeout", [413] = "Content Too Large",
  [431] = "Request Header Fields Too Large", [501] = "Not Implemented",
  [505] = "HTTP Version Not Supported",
}

local find, lower, sub = string.find, string.lower, string.sub
-- ch:queued() is found through a fallback lookup on every call (it came
-- after the channel methods of engine ABI 1): the function, looked up once.
local queued_bytes = lx.stdio().queued

-- The head of an answer, ending with the blank line before the body.
local function answer_head(status, content_type, length, keep_alive)
  return string.format("HTTP/1.1 %d %s\r\nServer: lx-http-sample\r\nContent-Type: %s\r\n"
                       .. "Content-Length: %d\r\nConnection: %s\r\n\r\n",
                       status, reasons[status], content_type, length,
                       keep_alive and "keep-alive" or "close")
end

-- An answer whose body never changes, built once, whole (keep, close) and
-- as its head alone for HEAD (keep_head, close_head), for a connection kept
-- open and for one closed after it.
local function fixed_answer(status, body)
  local keep_head = answer_head(status, "text/plain", #body, true)
  local close_head = answer_head(status, "text/plain", #body, false)
  return { keep = keep_head .. body, close = close_head .. body,
           keep_head = keep_head, close_head = close_head }
end

local root_answer = fixed_answer(200, "hello from lx\n")
local not_found_answer = fixed_answer(404, "Not Found\n")
local not_allowed_answer = fixed_answer(405, "Method Not Allowed\n")
local error_answers = {}  -- status -> fixed_answer, for fail()
for status, reason in pairs(reasons) do
  error_answers[status] = fixed_answer(status, reason .. "\n")
end

-- Answers an error and closes the connection (close sends the answer first).
local function fail(conn, status)
  conn.ch:write(error_answers[status].close)
  conn.ch:close()
  conn.done = true
end

-- Bytes received for requests not parsed yet: buf from pos on, and parts.
local function pending_bytes(conn)
  return #conn.buf - conn.pos + 1 + conn.parts_bytes
end

-- Adds received bytes (not "") to the pending ones (at least one). They
-- join buf once it would hold `need` bytes (from pos), so a body arriving in
-- many reads is copied once, not once per read; joining drops what was
-- parsed already.
local function add_pending(conn, data)
  local buf, pos, parts_bytes = conn.buf, conn.pos, conn.parts_bytes
  if #buf - pos + 1 + parts_bytes + #data < conn.need then
    conn.parts[#conn.parts + 1] = data
    conn.parts_bytes = parts_bytes + #data
  elseif parts_bytes == 0 then
    if pos == 1 then
      conn.buf = buf .. data
    else
      conn.buf = sub(buf, pos) .. data
    end
    conn.pos = 1
  else
    local parts = conn.parts
    parts[#parts + 1] = data
    table.insert(parts, 1, sub(buf, pos))
    conn.buf, conn.pos = table.concat(parts), 1
    conn.parts, conn.parts_bytes = {}, 0
  end
end

-- The value of the header line whose name ends with the colon at `colon`:
-- what follows, without the spaces and tabs around it.
local function header_value(buf, colon)
  return buf:match("^[ \t]*(.-)[ \t]*\r\n", colon + 1)
end

-- Parses the request at conn.pos: returns its method, target and whether
-- the connection stays open (and moves pos past it), nil when more bytes are
-- needed, or false and an error status.
local function parse(conn)
  local buf, pos = conn.buf, conn.pos
  local head_end, body_start = find(buf, "\r\n\r\n", pos, true)
  if not head_end then
    if #buf - pos + 1 > kMaxHeaderBytes then return false, 431 end
    return nil
  end
  if head_end - pos + 1 > kMaxHeaderBytes then return false, 431 end
  -- The request line is all before the head's first CRLF; none of its parts
  -- holds a CR or LF.
  local _, line_end, method, target, version = find(buf, "^(%u+) (%S+) HTTP/(%d%.%d)\r\n", pos)
  if not method then return false, 400 end
  if version ~= "1.1" and version ~= "1.0" then return false, 505 end
  -- Header lines: a token, a colon, the value up to the CRLF. Only three
  -- names matter, so only names of their lengths are looked at.
  local length, connection, chunked
  local line = line_end + 1
  while line < head_end do
    local _, colon = find(buf, "^[%w!#$%%&'*+.^_`|~-]+:", line)
    if not colon then return false, 400 end
    local name_bytes = colon - line
    if name_bytes == 14 or name_bytes == 10 or name_bytes == 17 then
      local name = lower(sub(buf, line, colon - 1))
      if name == "content-length" then
        local value = header_value(buf, colon)
        -- Two different lengths would let a proxy and this server disagree
        -- on where the request ends.
        if length and length ~= value then return false, 400 end
        length = value
      elseif name == "connection" then
        connection = header_value(buf, colon)
      elseif name == "transfer-encoding" then
        chunked = true
      end
    end
    line = find(buf, "\r\n", colon + 1, true) + 2
  end
  if chunked then return false, 501 end
  local body_bytes = 0
  if length then
    if not find(length, "^%d+$") then return false, 400 end
    -- More digits than any allowed length: refused before tonumber turns it
    -- into a float.
    if #length > 15 then return false, 413 end
    body_bytes = tonumber(length)
    if body_bytes > kMaxBodyBytes then return false, 413 end
  end
  local body_end = body_start + body_bytes
  if #buf < body_end then
    conn.need = body_end - pos + 1
    return nil
  end
  conn.pos, conn.need = body_end + 1, 0
  if body_end >= #buf then conn.buf, conn.pos = "", 1 end
  local keep_alive
  if version == "1.1" then
    keep_alive = not connection or lower(connection) ~= "close"
  else
    keep_alive = connection ~= nil and lower(connection) == "keep-alive"
  end
  return method, target, keep_alive
end

-- Answers a request; returns how many bytes that queued (ch:write queues
-- all of them or none).
local function serve(conn, method, target, keep_alive)
  request_count = request_count + 1
  local answer
  if method ~= "GET" and method ~= "HEAD" then
    answer = keep_alive and not_allowed_answer.keep or not_allowed_answer.close
  elseif target == "/stats" then
    local body = string.format('{"requests": %d, "uptime_s": %.3f}\n', request_count,
                               lx.now() - started)
    local head = answer_head(200, "application/json", #body, keep_alive)
    answer = method == "GET" and head .. body or head
  else
    local fixed = target == "/" and root_answer or not_found_answer
    if method == "GET" then
      answer = keep_alive and fixed.keep or fixed.close
    else
      answer = keep_alive and fixed.keep_head or fixed.close_head
    end
  end
  local ch = conn.ch
  local queued = ch:write(answer) and #answer or 0
  if not keep_alive then
    ch:close()
    conn.done = true
  end
  return queued
end

-- One connection's turn in an update. Reads and answers what it sent,
-- unless its answers wait unsent or it had kMaxRequestsPerUpdate answered
-- in this update (it is stalled: its input stays in the channel, and the
-- driver stops reading it once that is large). Then enforces its timeouts;
-- a stalled connection has complete requests waiting, so only its progress
-- counts, not their age. Returns the seconds until it needs a look by
-- itself, or nil once it is closed.
local function tend(conn, now)
  local ch = conn.ch
  local queued = queued_bytes(ch)
  local stalled = queued >= kMaxQueuedBytes
  local data = ""
  if not (stalled or conn.stalled) then data = ch:read() end
  if data == "" and conn.idle and not stalled then
    -- The usual turn of a quiet connection: nothing came and nothing is
    -- pending (all was read, so a closed channel has nothing left to read).
    if queued < conn.last_queued then conn.progress_since = now end  -- the client reads
    conn.last_queued = queued
    if now - conn.progress_since > idle_timeout or ch:closed() then
      ch:close()
      return nil
    end
    return conn.progress_since + idle_timeout - now
  end
  if data ~= "" then
    conn.progress_since = now
    if conn.parts_bytes == 0 and conn.pos > #conn.buf then
      -- Nothing pending (so need is 0): a new request's first bytes.
      conn.buf, conn.pos, conn.request_since = data, 1, now
    else
      add_pending(conn, data)
    end
  end
  if not stalled then
    local count = 0
    while conn.pos <= #conn.buf and (conn.need == 0 or pending_bytes(conn) >= conn.need) do
      if count >= kMaxRequestsPerUpdate or queued >= kMaxQueuedBytes then
        stalled = true
        break
      end
      count = count + 1
      local method, target, keep_alive = parse(conn)
      if not method then
        if method == nil then break end
        fail(conn, target)
        return nil
      end
      queued = queued + serve(conn, method, target, keep_alive)
      if conn.done then return nil end
      conn.request_since = now  -- the next request's clock (if its bytes are here)
    end
  end
  conn.stalled = stalled
  if queued < conn.last_queued then conn.progress_since = now end
  conn.last_queued = queued
  local pending = conn.pos <= #conn.buf or conn.parts_bytes > 0
  conn.idle = not (stalled or pending)
  if pending and not stalled then
    local waited = now - conn.request_since
    if (conn.need == 0 and waited > header_timeout) or waited > request_timeout then
      fail(conn, 408)
      return nil
    end
  elseif now - conn.progress_since > idle_timeout then
    ch:close()
    return nil
  end
  if ch:closed() and not stalled and ch:available() == 0 then
    ch:close()  -- a half-closed client has had its answers; they are still sent
    return nil
  end
  if stalled then return 0.01 end  -- answers wait unsent or requests wait: look again soon
  if pending then
    return conn.request_since + (conn.need == 0 and header_timeout or request_timeout) - now
  end
  return conn.progress_since + idle_timeout - now
end

function update()
  local now = lx.now()
  local ch = lx.accept()
  while ch do
    conns[ch:id()] = { ch = ch, buf = "", pos = 1, parts = {}, parts_bytes = 0, need = 0,
                       request_since = now, progress_since = now, last_queued = 0,
                       stalled = false, idle = true }
    ch = lx.accept()
  end
  local wake = nil  -- seconds until update() must run again by itself
  for id, conn in pairs(conns) do
    local wake_conn = tend(conn, now)
    if not wake_conn then
      conns[id] = nil
    elseif not wake or wake_conn < wake then
      wake = wake_conn
    end
  end
  -- lxrun runs update() on input and when a wake time is due: the timeouts
  -- need one (docs/lua-api.md, lx.after).
  if wake then lx.after(math.max(wake, 0) + 0.001) end
end
