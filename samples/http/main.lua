-- http: a small HTTP/1.1 server with keep-alive and pipelining. Requests are
-- parsed incrementally from what each connection has received, so a request
-- split across reads and many requests in one read both work.
--   GET /       200, a short text
--   GET /stats  200, JSON with the request count and the uptime (lx.now())
--   other paths 404; malformed requests 400 and close; headers over 8 KiB 431
--   and close; bodies (Content-Length) up to 1 MiB, larger 413 and close.
-- Run: lxrun --app samples/http --listen 8080   Talk: curl -v localhost:8080/

local kMaxHeaderBytes = 8 * 1024
local kMaxBodyBytes = 1024 * 1024

local started = lx.now()
local request_count = 0
local conns = {}  -- chid -> { ch = channel, buf = unparsed bytes }

local reasons = {
  [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
  [413] = "Content Too Large", [431] = "Request Header Fields Too Large",
  [501] = "Not Implemented", [505] = "HTTP Version Not Supported",
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

-- Returns a request table, nil when more bytes are needed, or false and an
-- error status.
local function parse(conn)
  local buf = conn.buf
  local head_end, body_start = buf:find("\r\n\r\n", 1, true)
  if not head_end then
    if #buf > kMaxHeaderBytes then return false, 431 end
    return nil
  end
  if head_end > kMaxHeaderBytes then return false, 431 end
  local head = buf:sub(1, head_end - 1)
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
      headers[name:lower()] = value
    end
  end
  if headers["transfer-encoding"] then return false, 501 end
  local body_bytes = 0
  if headers["content-length"] then
    if not headers["content-length"]:match("^%d+$") then return false, 400 end
    body_bytes = tonumber(headers["content-length"])
    if body_bytes > kMaxBodyBytes then return false, 413 end
  end
  if #buf < body_start + body_bytes then return nil end
  conn.buf = buf:sub(body_start + body_bytes + 1)
  local connection = (headers["connection"] or ""):lower()
  local keep_alive
  if version == "1.1" then
    keep_alive = connection ~= "close"
  else
    keep_alive = connection == "keep-alive"
  end
  return { method = method, target = target, keep_alive = keep_alive,
           body = buf:sub(body_start + 1, body_start + body_bytes) }
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

function update()
  local ch = lx.accept()
  while ch do
    conns[ch:id()] = { ch = ch, buf = "" }
    ch = lx.accept()
  end
  for id, conn in pairs(conns) do
    local data = conn.ch:read()
    if data ~= "" then conn.buf = conn.buf .. data end
    while not conn.done do
      local request, status = parse(conn)
      if request then
        serve(conn, request)
      else
        if request == false then fail(conn, status) end
        break
      end
    end
    if conn.done then
      conns[id] = nil
    elseif conn.ch:closed() then
      conn.ch:close()
      conns[id] = nil
    end
  end
end
