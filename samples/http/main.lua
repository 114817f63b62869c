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

local started = lx.now()
local request_count = 0
-- chid -> { ch, buf and pos (unparsed bytes: buf from pos on), parts and
-- parts_bytes (received, not yet in buf), need (bytes from pos that buf must
-- hold for the request being read), request_since (when its first byte
-- came), progress_since, last_queued, stalled }
local conns = {}

local reasons = {
  [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
  [408] = "Request Timeout", [413] = "Content Too Large",
  [431] = "Request Header Fields Too Large", [501] = "Not Implemented",
  [505] = "HTTP Version Not Supported",
}

local function respond(conn, status, content_type, body, keep_alive, head_only)
  local lines = {
    string.format("HTTP/1.1 %d %s", status, reasons[status]),
    "Server: lx-http-sample",
    "Content-Type: " .. content_type,
    "Content-Length: " .. #body,
    keep_alive and "Connection: keep-alive" or "Connection: close",
    "", "",
  }
  conn.ch:write(table.concat(lines, "\r\n"))
  if not head_only then conn.ch:write(body) end
end

-- Answers an error and closes the connection (close sends the answer first).
local function fail(conn, status)
  respond(conn, status, "text/plain", reasons[status] .. "\n", false, false)
  conn.ch:close()
  conn.done = true
end

-- Bytes received for requests not parsed yet: buf from pos on, and parts.
local function pending_bytes(conn)
  return #conn.buf - conn.pos + 1 + conn.parts_bytes
end

-- Adds received bytes. They join buf once it would hold `need` bytes (from
-- pos), so a body arriving in many reads is copied once, not once per read;
-- joining drops what was parsed already.
local function take(conn, data)
  if data == "" then return end
  conn.parts[#conn.parts + 1] = data
  conn.parts_bytes = conn.parts_bytes + #data
  if pending_bytes(conn) >= conn.need then
    table.insert(conn.parts, 1, conn.buf:sub(conn.pos))
    conn.buf, conn.pos = table.concat(conn.parts), 1
    conn.parts, conn.parts_bytes = {}, 0
  end
end

-- Parses the request at conn.pos: returns a request table (and moves pos
-- past it), nil when more bytes are needed, or false and an error status.
local function parse(conn)
  local buf, pos = conn.buf, conn.pos
  local head_end, body_start = buf:find("\r\n\r\n", pos, true)
  if not head_end then
    if #buf - pos + 1 > kMaxHeaderBytes then return false, 431 end
    return nil
  end
  if head_end - pos + 1 > kMaxHeaderBytes then return false, 431 end
  local head = buf:sub(pos, head_end - 1)
  local request_line, rest = head:match("^([^\r\n]*)\r\n(.*)$")
  if not request_line then request_line, rest = head, "" end
  local method, target, version = request_line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return false, 400 end
  if version ~= "1.1" and version ~= "1.0" then return false, 505 end
  local headers = {}
  for line in (rest .. "\r\n"):gmatch("(.-)\r\n") do
    if line ~= "" then
      local name, value = line:match("^([%w!#$%%&'*+.^_`|~-]+):[ \t]*(.-)[ \t]*$")
      if not name then return false, 400 end
      name = name:lower()
      -- Two different lengths would let a proxy and this server disagree on
      -- where the request ends.
      if name == "content-length" and headers[name] and headers[name] ~= value then
        return false, 400
      end
      headers[name] = value
    end
  end
  if headers["transfer-encoding"] then return false, 501 end
  local body_bytes = 0
  local length = headers["content-length"]
  if length then
    if not length:match("^%d+$") then return false, 400 end
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
  if conn.pos > #buf then conn.buf, conn.pos = "", 1 end
  local connection = (headers["connection"] or ""):lower()
  local keep_alive
  if version == "1.1" then
    keep_alive = connection ~= "close"
  else
    keep_alive = connection == "keep-alive"
  end
  return { method = method, target = target, keep_alive = keep_alive,
           body = buf:sub(body_start + 1, body_end) }
end

local function serve(conn, request)
  request_count = request_count + 1
  local head_only = request.method == "HEAD"
  if request.method ~= "GET" and not head_only then
    respond(conn, 405, "text/plain", "Method Not Allowed\n", request.keep_alive, false)
  elseif request.target == "/" then
    respond(conn, 200, "text/plain", "hello from lx\n", request.keep_alive, head_only)
  elseif request.target == "/stats" then
    local body = string.format('{"requests": %d, "uptime_s": %.3f}\n', request_count,
                               lx.now() - started)
    respond(conn, 200, "application/json", body, request.keep_alive, head_only)
  else
    respond(conn, 404, "text/plain", "Not Found\n", request.keep_alive, head_only)
  end
  if not request.keep_alive then
    conn.ch:close()
    conn.done = true
  end
end

-- Reads and answers what the connection sent, unless its answers wait
-- unsent or it had kMaxRequestsPerUpdate answered in this update (then its
-- input stays in the channel, and the driver stops reading it once that is
-- large). Returns true when it stopped for one of those reasons.
local function advance(conn, now)
  if conn.ch:queued() >= kMaxQueuedBytes then return true end
  if not conn.stalled then
    local had_request = pending_bytes(conn) > 0
    local data = conn.ch:read()
    take(conn, data)
    if data ~= "" then conn.progress_since = now end
    if not had_request and data ~= "" then conn.request_since = now end
  end
  local count = 0
  while not conn.done and pending_bytes(conn) >= conn.need and conn.pos <= #conn.buf do
    if conn.ch:queued() >= kMaxQueuedBytes or count >= kMaxRequestsPerUpdate then return true end
    count = count + 1
    local request, status = parse(conn)
    if request then
      serve(conn, request)
      conn.request_since = now  -- the next request's clock (if its bytes are here)
    else
      if request == false then fail(conn, status) end
      break
    end
  end
  return false
end

-- Enforces the timeouts; the connection may be closed on the way. A stalled
-- connection (answers waiting unsent) has complete requests waiting: only
-- its progress counts, not their age.
local function watch(conn, now, stalled)
  local queued = conn.ch:queued()
  if queued < conn.last_queued then conn.progress_since = now end  -- the client reads
  conn.last_queued = queued
  if pending_bytes(conn) > 0 and not stalled then
    local waited = now - conn.request_since
    local reading_headers = conn.need == 0
    if (reading_headers and waited > timeouts.header_timeout)
        or waited > timeouts.request_timeout then
      fail(conn, 408)
    end
  elseif now - conn.progress_since > timeouts.idle_timeout then
    conn.ch:close()
    conn.done = true
  end
end

function update()
  local now = lx.now()
  local ch = lx.accept()
  while ch do
    conns[ch:id()] = { ch = ch, buf = "", pos = 1, parts = {}, parts_bytes = 0, need = 0,
                       request_since = now, progress_since = now, last_queued = 0,
                       stalled = false }
    ch = lx.accept()
  end
  local wake = nil  -- seconds until update() must run again by itself
  local function wake_in(seconds)
    if not wake or seconds < wake then wake = seconds end
  end
  for id, conn in pairs(conns) do
    local stalled = advance(conn, now)
    conn.stalled = stalled
    if not conn.done then watch(conn, now, stalled) end
    if conn.done then
      conns[id] = nil
    elseif conn.ch:closed() and not stalled and conn.ch:available() == 0 then
      conn.ch:close()  -- a half-closed client has had its answers; they are still sent
      conns[id] = nil
    elseif stalled then
      wake_in(0.01)  -- answers wait unsent or requests wait: look again soon
    elseif pending_bytes(conn) > 0 then
      local limit = conn.need == 0 and timeouts.header_timeout or timeouts.request_timeout
      wake_in(conn.request_since + limit - now)
    else
      wake_in(conn.progress_since + timeouts.idle_timeout - now)
    end
  end
  -- lxrun runs update() on input and when a wake time is due: the timeouts
  -- need one (docs/lua-api.md, lx.after).
  if wake then lx.after(math.max(wake, 0) + 0.001) end
end
