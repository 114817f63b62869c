-- resp: the Redis RESP2 wire format for the kv sample. A Parser takes bytes as
-- they arrive and hands back whole commands (arrays of bulk strings, or inline
-- telnet-style lines); the encoders build replies.

local M = {}

local byte, find, sub, char = string.byte, string.find, string.sub, string.char
local concat = table.concat

-- Per-connection limits on a request not yet complete (docs/hostile-clients.md).
-- Going over one gets `-ERR Protocol error: ...` and the connection closes.
M.kMaxBulkBytes = 16 * 1024 * 1024     -- one bulk string (Redis: proto-max-bulk-len, 512 MiB)
M.kMaxArgCount = 1024 * 1024           -- elements in one command array
M.kMaxInlineBytes = 64 * 1024          -- an inline command, or a '*'/'$' header line
M.kMaxPendingBytes = 32 * 1024 * 1024  -- one incomplete command: its arguments so far and the
                                       -- bytes received for it (Redis: client-query-buffer-limit)
M.kArgOverheadBytes = 40               -- what an argument costs beyond its bytes (string, slot)

local kStar, kDollar, kNewline, kReturn = byte("*"), byte("$"), byte("\n"), byte("\r")

local Parser = {}
Parser.__index = Parser

-- A parser for one connection. It keeps the bytes not yet consumed
-- (`buf` from `pos`), chunks received while waiting for a long bulk string
-- (`parts`, merged once `need` bytes are there, so a large value arriving in
-- many reads is copied once), and the command array being filled (`args`,
-- `count`, `args_bytes` with kArgOverheadBytes each), so a command split
-- across reads is never parsed twice.
function M.new_parser()
  return setmetatable({ buf = "", pos = 1, parts = {}, parts_bytes = 0, need = 0,
                        args = nil, count = 0, args_bytes = 0 }, Parser)
end

-- Lets go of everything received (the connection is gone).
function Parser:reset()
  self.buf, self.pos, self.parts, self.parts_bytes, self.need = "", 1, {}, 0, 0
  self.args, self.count, self.args_bytes = nil, 0, 0
end

-- Data arriving with nothing left before it (the usual case) becomes `buf`
-- at once, as merge would make it.
function Parser:feed(data)
  if data == "" then return end
  if self.parts_bytes == 0 and self.pos > #self.buf and not self.args then
    self.buf, self.pos = data, 1
    return
  end
  self.parts[#self.parts + 1] = data
  self.parts_bytes = self.parts_bytes + #data
end

-- Bytes received and not consumed yet.
function Parser:buffered_bytes()
  return #self.buf - self.pos + 1 + self.parts_bytes
end

-- What the connection holds for requests not yet run: kMaxPendingBytes bounds it.
function Parser:pending_bytes()
  return self:buffered_bytes() + self.args_bytes
end

-- Moves the received chunks into `buf` unless a known amount is still missing.
-- One copy: the unconsumed rest goes in front of the chunks, then one concat.
-- A single chunk with nothing left before it becomes `buf` as it is.
function Parser:merge()
  if self.parts_bytes == 0 or self:buffered_bytes() < self.need then return end
  local parts = self.parts
  if #parts == 1 and self.pos > #self.buf then
    self.buf = parts[1]
    parts[1] = nil
  else
    if self.pos <= #self.buf then table.insert(parts, 1, sub(self.buf, self.pos)) end
    self.buf = concat(parts)
    self.parts = {}
  end
  self.pos, self.parts_bytes, self.need = 1, 0, 0
end

local function too_big(what)
  return false, string.format("%s over the %d-byte limit of a pending request", what,
                              M.kMaxPendingBytes)
end

-- A decimal integer spanning buf[first..last], or nil if it is not one.
local function integer_at(buf, first, last)
  if last < first or last - first > 17 then return nil end
  local text = sub(buf, first, last)
  if not find(text, "^%-?%d+$") then return nil end
  return math.tointeger(tonumber(text))
end

-- Reads the `*N` or `$N` line at pos (what names it in errors): returns N
-- and the position after its CRLF, nil when the line is not complete yet, or
-- false and a reason.
local function header_at(buf, pos, what)
  local eol = find(buf, "\r\n", pos, true)
  if not eol then
    if #buf - pos > M.kMaxInlineBytes then return false, "too big " .. what .. " count string" end
    return nil
  end
  local n = integer_at(buf, pos + 1, eol - 1)
  if not n then return false, "invalid " .. what .. " length" end
  return n, eol + 2
end

-- Splits an inline command line into arguments: words separated by blanks,
-- "double quoted" (with \n \r \t \b \a \\ \" \xHH escapes) or 'single
-- quoted' (with \'). Returns nil for unbalanced quotes.
local escapes = { n = "\n", r = "\r", t = "\t", b = "\b", a = "\a" }
local function split_inline(line)
  local args, i, n = {}, 1, #line
  while true do
    i = find(line, "[^ \t\r\n\v\f]", i)
    if not i then return args end
    local c = sub(line, i, i)
    if c == '"' or c == "'" then
      local out, j = {}, i + 1
      while true do
        if j > n then return nil end
        local d = sub(line, j, j)
        if d == c then break end
        if d == "\\" and j < n then
          local e = sub(line, j + 1, j + 1)
          local hex = c == '"' and e == "x" and line:match("^%x%x", j + 2)
          if hex then
            out[#out + 1] = char(tonumber(hex, 16)); j = j + 4
          elseif c == '"' then
            out[#out + 1] = escapes[e] or e; j = j + 2
          elseif e == "'" then
            out[#out + 1] = "'"; j = j + 2
          else
            out[#out + 1] = d; j = j + 1
          end
        else
          out[#out + 1] = d; j = j + 1
        end
      end
      -- A closing quote must end the word.
      if j < n and not find(sub(line, j + 1, j + 1), "[ \t\r\n\v\f]") then return nil end
      args[#args + 1] = concat(out)
      i = j + 1
    else
      local j = find(line, "[ \t\r\n\v\f]", i) or n + 1
      args[#args + 1] = sub(line, i, j - 1)
      i = j
    end
  end
end

function Parser:inline()
  local buf, pos = self.buf, self.pos
  local eol = find(buf, "\n", pos, true)
  if not eol then
    if #buf - pos + 1 > M.kMaxInlineBytes then return false, "too big inline request" end
    return nil
  end
  if eol - pos > M.kMaxInlineBytes then return false, "too big inline request" end
  local last = eol - 1
  if last >= pos and byte(buf, last) == kReturn then last = last - 1 end
  self.pos = eol + 1
  local args = split_inline(sub(buf, pos, last))
  if not args then return false, "unbalanced quotes in request" end
  return args
end

-- The common header, `*N` or `$N` with up to 18 digits and its CRLF, in one
-- anchored match that also captures N; anything else (a sign, a long or bad
-- number, a line not complete yet) goes to header_at for its exact answer.
local kArrayHeader, kBulkHeader = "^%*(%d+)\r\n", "^%$(%d+)\r\n"
local kMaxFastDigits = 18

-- The headers next matches: the array's and its first bulk's, then
-- each next bulk's with the CRLF that ends the bulk before it.
local kFirstHeaders, kNextHeader = "^%*(%d+)\r\n%$(%d+)\r\n", "^\r\n%$(%d+)\r\n"

-- The numbers most headers carry, by their text: a lookup instead of
-- tonumber. All of them are within the count and bulk limits.
local kKnownNumbers = 256
local known_numbers = {}
for n = 0, kKnownNumbers - 1 do known_numbers[tostring(n)] = n end
M.known_numbers = known_numbers

-- The number in a header's digits as header_at reads it, if it is at most
-- limit; nil otherwise (or without digits).
local function number_of(digits, limit)
  if digits == nil or #digits > kMaxFastDigits then return nil end
  local n = tonumber(digits)
  if n > limit then return nil end
  return n
end

-- Returns the next complete command as an array of strings (possibly empty,
-- for a blank inline line or a `*0`), nil when more bytes are needed, or
-- false and a reason when the bytes are not RESP or go over a limit (the
-- connection must close).
--
-- A command all in buf, well-formed and within every limit, is taken apart
-- here in one pass: one find per header (the next one also checks the CRLF
-- ending the bulk before it), one sub per argument. Anything else (a partial
-- or bad command, a limit, an inline one) goes to next_general, which
-- answers every case, from the same position as if this had not looked.
function Parser:next()
  if self.parts_bytes > 0 then self:merge() end
  if self.args then return self:next_general() end
  local buf, pos = self.buf, self.pos
  local _, last, count_digits, bytes_digits = find(buf, kFirstHeaders, pos)
  if not last then return self:next_general() end
  local count = known_numbers[count_digits] or number_of(count_digits, M.kMaxArgCount)
  local bytes = known_numbers[bytes_digits] or number_of(bytes_digits, M.kMaxBulkBytes)
  if not count or count < 1 or not bytes then return self:next_general() end
  -- Room for three arguments (most commands have two or three) from the start.
  local args = { sub(buf, last + 1, last + bytes), nil, nil }
  last = last + bytes
  for i = 2, count do
    local _, header_end, digits = find(buf, kNextHeader, last + 1)
    bytes = known_numbers[digits] or number_of(digits, M.kMaxBulkBytes)
    if not bytes then return self:next_general() end
    args[i] = sub(buf, header_end + 1, header_end + bytes)
    last = header_end + bytes
  end
  local cr, lf = byte(buf, last + 1, last + 2)
  if cr ~= kReturn or lf ~= kNewline then return self:next_general() end
  -- What next_general counts against kMaxPendingBytes (each argument's bytes
  -- and overhead) is at most the command's bytes plus the overheads; near
  -- the limit next_general decides.
  if last - pos + count * M.kArgOverheadBytes > M.kMaxPendingBytes then
    return self:next_general()
  end
  if last + 3 > #buf then
    self.buf, self.pos = "", 1
  else
    self.pos = last + 3
  end
  return args
end

-- The buffer and position of the next command, for a caller that takes
-- common commands apart in place (and calls advance with where they end):
-- nil while part of a command is kept or received chunks wait for more.
function Parser:window()
  if self.parts_bytes > 0 then self:merge() end
  if self.args or self.parts_bytes > 0 then return nil end
  return self.buf, self.pos
end

-- The caller of window took the commands before pos; the buffer goes once
-- all of it is taken.
function Parser:advance(pos)
  if pos > #self.buf then
    self.buf, self.pos = "", 1
  else
    self.pos = pos
  end
end

-- next for every case: parse, and the pending limit while a command waits.
function Parser:next_general()
  local args, reason = self:parse()
  if args == nil and self:pending_bytes() > M.kMaxPendingBytes then return too_big("request") end
  return args, reason
end

-- The command array's header at pos: its count and the position after it,
-- or what header_at answers (nil: wait, false: a reason).
local function array_header_at(buf, pos)
  local _, last, digits = find(buf, kArrayHeader, pos)
  if last and #digits <= kMaxFastDigits then return tonumber(digits), last + 1 end
  return header_at(buf, pos, "multibulk")
end

-- The same for a bulk string's header, with the `$` check's error.
local function bulk_header_at(buf, pos)
  local _, last, digits = find(buf, kBulkHeader, pos)
  if last and #digits <= kMaxFastDigits then return tonumber(digits), last + 1 end
  if byte(buf, pos) ~= kDollar then
    return false, "expected '$', got '" .. char(byte(buf, pos)) .. "'"
  end
  return header_at(buf, pos, "bulk")
end

-- Parses from `buf` at `pos` with the position and the argument bytes in
-- locals, written back to self only when it returns: a command that is
-- all there costs one match, one tonumber and one sub per argument.
function Parser:parse()
  local buf, pos = self.buf, self.pos
  local size = #buf
  local args, count, args_bytes = self.args, self.count, self.args_bytes
  if not args then
    if pos > size then return nil end
    if byte(buf, pos) ~= kStar then return self:inline() end
    local after
    count, after = array_header_at(buf, pos)
    if not count then return count, after end
    if count > M.kMaxArgCount then return false, "invalid multibulk length" end
    pos = after
    if count <= 0 then
      self.pos = pos
      return {}
    end
    args = {}
  end
  local max_bulk, max_pending = M.kMaxBulkBytes, M.kMaxPendingBytes
  local overhead = M.kArgOverheadBytes
  for i = #args + 1, count do
    if pos > size then return self:keep(pos, args, count, args_bytes, 0) end
    local bytes, first = bulk_header_at(buf, pos)
    local reason
    if not bytes then
      reason = first
    elseif bytes < 0 or bytes > max_bulk then
      bytes, reason = false, "invalid bulk length"
    elseif args_bytes + bytes + overhead > max_pending then
      -- Refused from its header on: no need to wait for the bytes.
      bytes, reason = too_big("bulk string of " .. bytes .. " bytes takes the request")
    end
    if not bytes then return self:keep(pos, args, count, args_bytes, 0, bytes, reason) end
    local last = first + bytes - 1
    if last + 2 > size then return self:keep(pos, args, count, args_bytes, last + 2 - pos + 1) end
    local cr, lf = byte(buf, last + 1, last + 2)
    if cr ~= kReturn or lf ~= kNewline then
      return self:keep(pos, args, count, args_bytes, 0, false, "bulk string not followed by CRLF")
    end
    args[i] = sub(buf, first, last)
    args_bytes = args_bytes + bytes + overhead
    pos = last + 3
  end
  self.args, self.count, self.args_bytes = nil, 0, 0
  if pos > size then
    self.buf, self.pos = "", 1
  else
    self.pos = pos
  end
  return args
end

-- Keeps a command not complete yet (the arguments so far, and how many
-- bytes from pos the next one needs, 0 when unknown) for the next bytes, or
-- where it failed; returns what parse returns then (nil: wait, or false
-- and a reason).
function Parser:keep(pos, args, count, args_bytes, need, result, reason)
  self.pos, self.args, self.count, self.args_bytes, self.need = pos, args, count, args_bytes, need
  return result, reason
end

-- Replies.

function M.simple(text) return "+" .. text .. "\r\n" end

function M.error(text)
  return "-" .. text:gsub("[\r\n]", " ") .. "\r\n"
end

function M.integer(n) return string.format(":%d\r\n", n) end

M.null = "$-1\r\n"
M.ok = "+OK\r\n"
M.empty_array = "*0\r\n"
M.null_array = "*-1\r\n"

-- "$N\r\n" for the lengths most values have, made once: a reply then needs
-- no number formatting.
local kCachedHeaders = 256
local bulk_headers = {}
for n = 0, kCachedHeaders - 1 do bulk_headers[n] = "$" .. n .. "\r\n" end
-- Longer ones are made when asked for (not kept).
setmetatable(bulk_headers, { __index = function(_, n) return "$" .. n .. "\r\n" end })
M.bulk_headers = bulk_headers

function M.bulk(s)
  if s == nil then return M.null end
  return bulk_headers[#s] .. s .. "\r\n"
end

-- An array of bulk strings: items[1..count], nil items as nulls.
function M.array(items, count)
  count = count or #items
  local out = { "*" .. count .. "\r\n" }
  for i = 1, count do
    local s = items[i]
    out[i + 1] = s == nil and M.null or bulk_headers[#s] .. s .. "\r\n"
  end
  return concat(out)
end

return M
