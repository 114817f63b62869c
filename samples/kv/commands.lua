-- commands: what each Redis command does to the store, and its reply. A
-- command is `{ arity, fn }` as in Redis (arity counts the name; negative
-- means "at least"); fn(args, ctx) returns the reply bytes, where ctx holds
-- the store, the time (lx.now()) and the connection.

local glob = require "glob"
local resp = require "resp"
local store = require "store"

local M = {}

local bulk, integer, array, rerror = resp.bulk, resp.integer, resp.array, resp.error
local kOk = resp.ok

local kWrongType = resp.error("WRONGTYPE Operation against a key holding the wrong kind of value")
local kNotInteger = resp.error("ERR value is not an integer or out of range")
local kNotFloat = resp.error("ERR value is not a valid float")
local kSyntax = resp.error("ERR syntax error")
local kOverflow = resp.error("ERR increment or decrement would overflow")

-- A Redis integer argument: optional minus, digits, no leading zeros, fits
-- in 64 bits. Returns nil otherwise.
local function parse_integer(text)
  if #text > 20 or not (text:find("^%-?[1-9]%d*$") or text == "0") then return nil end
  return math.tointeger(tonumber(text))
end

local function parse_float(text)
  local lower = text:lower()
  if lower == "inf" or lower == "+inf" then return math.huge end
  if lower == "-inf" then return -math.huge end
  if not text:find("^[%+%-]?%d*%.?%d*[eE]?[%+%-]?%d*$") then return nil end
  local value = tonumber(text)
  if value == nil or value ~= value then return nil end
  return value + 0.0
end

-- The text Redis gives for a score: integral values without a fraction.
local function format_score(score)
  if score == math.huge then return "inf" end
  if score == -math.huge then return "-inf" end
  if score == math.floor(score) and math.abs(score) < 2^53 then
    return string.format("%d", math.tointeger(score))
  end
  return string.format("%.17g", score)
end

-- The value of key if it is of the given kind. Returns nil when absent, or
-- false when it holds another kind (the caller answers kWrongType).
local function typed(ctx, key, kind)
  local value = ctx.store:get(key, ctx.now)
  if value == nil then return nil end
  if kind == "string" then
    if type(value) ~= "string" then return false end
  elseif type(value) ~= "table" or value.kind ~= kind then
    return false
  end
  return value
end

-- The container under key, created when absent; false on a type mismatch.
local function typed_or_new(ctx, key, kind, make)
  local value = typed(ctx, key, kind)
  if value == nil then
    value = make()
    ctx.store:put(key, value)
  end
  return value
end

local function drop_if_empty(ctx, key, empty)
  if empty then ctx.store:delete(key) end
end

local commands = {}
M.commands = commands

local function def(name, arity, fn) commands[name] = { arity, fn } end

-- Connection and server.

def("ping", -1, function(args)
  if #args > 2 then return rerror("ERR wrong number of arguments for 'ping' command") end
  if args[2] then return bulk(args[2]) end
  return "+PONG\r\n"
end)

def("echo", 2, function(args) return bulk(args[2]) end)

def("quit", -1, function(_, ctx)
  ctx.conn.quit = true
  return kOk
end)

def("select", 2, function(args)
  if args[2] ~= "0" then return rerror("ERR DB index is out of range") end
  return kOk
end)

def("dbsize", 1, function(_, ctx) return integer(ctx.store:size(ctx.now)) end)

def("flushall", -1, function(_, ctx)
  ctx.store:flush()
  return kOk
end)
commands.flushdb = commands.flushall

-- redis-benchmark asks for `save` and `appendonly` at start; this store
-- keeps nothing on disk, which is what these values say.
local config = { save = "", appendonly = "no", databases = "1", maxmemory = "0" }

def("config", -2, function(args)
  local sub = args[2]:lower()
  if sub == "get" and #args >= 3 then
    local out = {}
    for i = 3, #args do
      local pattern = args[i]:lower()
      for name, value in pairs(config) do
        if glob.match(pattern, name) then
          out[#out + 1] = name
          out[#out + 1] = value
        end
      end
    end
    return array(out)
  elseif sub == "set" and #args >= 4 then
    return kOk  -- accepted and ignored: the sample has no tunables
  elseif sub == "resetstat" then
    return kOk
  end
  return rerror("ERR unknown subcommand or wrong number of arguments for '" .. args[2]
                .. "'. Try CONFIG HELP.")
end)

def("command", -1, function(args)
  if args[2] and args[2]:lower() == "count" then
    local n = 0
    for _ in pairs(commands) do n = n + 1 end
    return integer(n)
  end
  return resp.empty_array  -- no command docs: redis-cli then has no hints
end)

def("info", -1, function(_, ctx)
  local lines = {
    "# Server", "redis_version:7.0.0", "lx_sample:kv", "redis_mode:standalone",
    string.format("uptime_in_seconds:%d", math.floor(ctx.now - ctx.started)),
    "", "# Stats", string.format("total_commands_processed:%d", ctx.stats.commands),
    string.format("total_connections_received:%d", ctx.stats.connections),
    "", "# Keyspace",
  }
  local keys = ctx.store:size(ctx.now)
  if keys > 0 then lines[#lines + 1] = string.format("db0:keys=%d,expires=0", keys) end
  return bulk(table.concat(lines, "\r\n") .. "\r\n")
end)

-- Keys.

def("del", -2, function(args, ctx)
  local removed = 0
  for i = 2, #args do
    if ctx.store:get(args[i], ctx.now) ~= nil and ctx.store:delete(args[i]) then
      removed = removed + 1
    end
  end
  return integer(removed)
end)
commands.unlink = commands.del

def("exists", -2, function(args, ctx)
  local found = 0
  for i = 2, #args do
    if ctx.store:get(args[i], ctx.now) ~= nil then found = found + 1 end
  end
  return integer(found)
end)

def("type", 2, function(args, ctx)
  local value = ctx.store:get(args[2], ctx.now)
  if value == nil then return "+none\r\n" end
  if type(value) == "string" then return "+string\r\n" end
  return "+" .. value.kind .. "\r\n"
end)

def("keys", 2, function(args, ctx)
  local found = {}
  for _, key in ipairs(ctx.store:keys(ctx.now)) do
    if glob.match(args[2], key) then found[#found + 1] = key end
  end
  return array(found)
end)

local function set_expiry(args, ctx, scale)
  local amount = parse_integer(args[3])
  if not amount then return kNotInteger end
  if ctx.store:get(args[2], ctx.now) == nil then return integer(0) end
  if amount <= 0 then
    ctx.store:delete(args[2])
  else
    ctx.store:expire_at(args[2], ctx.now + amount * scale)
  end
  return integer(1)
end

def("expire", 3, function(args, ctx) return set_expiry(args, ctx, 1) end)
def("pexpire", 3, function(args, ctx) return set_expiry(args, ctx, 0.001) end)

local function time_to_live(args, ctx, scale)
  if ctx.store:get(args[2], ctx.now) == nil then return integer(-2) end
  local deadline = ctx.store:deadline(args[2])
  if not deadline then return integer(-1) end
  return integer(math.floor((deadline - ctx.now) * scale + 0.5))
end

def("ttl", 2, function(args, ctx) return time_to_live(args, ctx, 1) end)
def("pttl", 2, function(args, ctx) return time_to_live(args, ctx, 1000) end)

def("persist", 2, function(args, ctx)
  if ctx.store:get(args[2], ctx.now) == nil or not ctx.store:deadline(args[2]) then
    return integer(0)
  end
  ctx.store:expire_at(args[2], nil)
  return integer(1)
end)

-- Strings.

local kSetUnits = { ex = 1, px = 0.001, exat = 1, pxat = 0.001 }

-- SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]
def("set", -3, function(args, ctx)
  local key = args[2]
  -- Without options the old value does not matter (put drops any expiry).
  if #args == 3 then
    ctx.store:put(key, args[3])
    return kOk
  end
  local nx, xx, get, keep_ttl, deadline = false, false, false, false, nil
  local i = 3
  while i < #args do
    i = i + 1
    local option = args[i]:lower()
    if option == "nx" and not xx then
      nx = true
    elseif option == "xx" and not nx then
      xx = true
    elseif option == "get" then
      get = true
    elseif option == "keepttl" and not deadline then
      keep_ttl = true
    elseif kSetUnits[option] and not deadline and not keep_ttl and args[i + 1] then
      i = i + 1
      local amount = parse_integer(args[i])
      if not amount then return kNotInteger end
      if amount <= 0 then return rerror("ERR invalid expire time in 'set' command") end
      local base = (option == "ex" or option == "px") and ctx.now or 0
      deadline = base + amount * kSetUnits[option]
    else
      return kSyntax
    end
  end
  local old = ctx.store:get(key, ctx.now)
  if get and old ~= nil and type(old) ~= "string" then return kWrongType end
  local reply = get and bulk(old) or kOk
  if (nx and old ~= nil) or (xx and old == nil) then
    return get and reply or resp.null
  end
  ctx.store:put(key, args[3], keep_ttl)
  if deadline then ctx.store:expire_at(key, deadline) end
  return reply
end)

def("setnx", 3, function(args, ctx)
  if ctx.store:get(args[2], ctx.now) ~= nil then return integer(0) end
  ctx.store:put(args[2], args[3])
  return integer(1)
end)

def("get", 2, function(args, ctx)
  local value = ctx.store:get(args[2], ctx.now)
  if value ~= nil and type(value) ~= "string" then return kWrongType end
  return bulk(value)
end)

def("getset", 3, function(args, ctx)
  local value = typed(ctx, args[2], "string")
  if value == false then return kWrongType end
  ctx.store:put(args[2], args[3])
  return bulk(value)
end)

def("strlen", 2, function(args, ctx)
  local value = typed(ctx, args[2], "string")
  if value == false then return kWrongType end
  return integer(value and #value or 0)
end)

def("append", 3, function(args, ctx)
  local value = typed(ctx, args[2], "string")
  if value == false then return kWrongType end
  value = (value or "") .. args[3]
  ctx.store:put(args[2], value, true)
  return integer(#value)
end)

local function increment(ctx, key, by)
  local value = typed(ctx, key, "string")
  if value == false then return kWrongType end
  local current = 0
  if value then
    current = parse_integer(value)
    if not current then return kNotInteger end
  end
  if (by > 0 and current > math.maxinteger - by) or (by < 0 and current < math.mininteger - by) then
    return kOverflow
  end
  current = current + by
  ctx.store:put(key, string.format("%d", current), true)
  return integer(current)
end

def("incr", 2, function(args, ctx) return increment(ctx, args[2], 1) end)
def("decr", 2, function(args, ctx) return increment(ctx, args[2], -1) end)

def("incrby", 3, function(args, ctx)
  local by = parse_integer(args[3])
  if not by then return kNotInteger end
  return increment(ctx, args[2], by)
end)

def("decrby", 3, function(args, ctx)
  local by = parse_integer(args[3])
  if not by or by == math.mininteger then return kNotInteger end
  return increment(ctx, args[2], -by)
end)

def("mset", -3, function(args, ctx)
  if #args % 2 == 0 then return rerror("ERR wrong number of arguments for 'mset' command") end
  for i = 2, #args, 2 do ctx.store:put(args[i], args[i + 1]) end
  return kOk
end)

def("mget", -2, function(args, ctx)
  local out = {}
  for i = 2, #args do
    local value = ctx.store:get(args[i], ctx.now)
    if type(value) == "string" then out[i - 1] = value end
  end
  return array(out, #args - 1)
end)

-- Lists.

local function push(args, ctx, left)
  local list = typed_or_new(ctx, args[2], "list", store.new_list)
  if list == false then return kWrongType end
  for i = 3, #args do store.list_push(list, args[i], left) end
  return integer(store.list_length(list))
end

def("lpush", -3, function(args, ctx) return push(args, ctx, true) end)
def("rpush", -3, function(args, ctx) return push(args, ctx, false) end)

-- LPOP/RPOP key [count]: one bulk without count, an array with it.
local function pop(args, ctx, left)
  if #args > 3 then return kSyntax end
  local count = args[3] and parse_integer(args[3])
  if args[3] and (not count or count < 0) then
    return rerror("ERR value is out of range, must be positive")
  end
  local list = typed(ctx, args[2], "list")
  if list == false then return kWrongType end
  if not list then return count and resp.null_array or resp.null end
  if not count then
    local value = store.list_pop(list, left)
    drop_if_empty(ctx, args[2], store.list_length(list) == 0)
    return bulk(value)
  end
  local out = {}
  while #out < count and store.list_length(list) > 0 do
    out[#out + 1] = store.list_pop(list, left)
  end
  drop_if_empty(ctx, args[2], store.list_length(list) == 0)
  return array(out)
end

def("lpop", -2, function(args, ctx) return pop(args, ctx, true) end)
def("rpop", -2, function(args, ctx) return pop(args, ctx, false) end)

def("llen", 2, function(args, ctx)
  local list = typed(ctx, args[2], "list")
  if list == false then return kWrongType end
  return integer(list and store.list_length(list) or 0)
end)

def("lrange", 4, function(args, ctx)
  local start, stop = parse_integer(args[3]), parse_integer(args[4])
  if not start or not stop then return kNotInteger end
  local list = typed(ctx, args[2], "list")
  if list == false then return kWrongType end
  if not list then return resp.empty_array end
  local first, last = store.list_span(list, start, stop)
  if not first then return resp.empty_array end
  return array(table.move(list.items, first, last, 1, {}), last - first + 1)
end)

def("lindex", 3, function(args, ctx)
  local index = parse_integer(args[3])
  if not index then return kNotInteger end
  local list = typed(ctx, args[2], "list")
  if list == false then return kWrongType end
  if not list then return resp.null end
  local first = store.list_span(list, index, index)
  return bulk(first and list.items[first])
end)

-- Sets.

def("sadd", -3, function(args, ctx)
  local set = typed_or_new(ctx, args[2], "set", store.new_set)
  if set == false then return kWrongType end
  local added = 0
  for i = 3, #args do
    if store.set_add(set, args[i]) then added = added + 1 end
  end
  return integer(added)
end)

def("srem", -3, function(args, ctx)
  local set = typed(ctx, args[2], "set")
  if set == false then return kWrongType end
  if not set then return integer(0) end
  local removed = 0
  for i = 3, #args do
    if store.set_remove(set, args[i]) then removed = removed + 1 end
  end
  drop_if_empty(ctx, args[2], #set.members == 0)
  return integer(removed)
end)

-- SPOP key [count]: members chosen with lx.random, so a replay pops the same.
def("spop", -2, function(args, ctx)
  if #args > 3 then return kSyntax end
  local count = args[3] and parse_integer(args[3])
  if args[3] and (not count or count < 0) then
    return rerror("ERR value is out of range, must be positive")
  end
  local set = typed(ctx, args[2], "set")
  if set == false then return kWrongType end
  if not set then return count and resp.empty_array or resp.null end
  local out = {}
  while #out < (count or 1) and #set.members > 0 do
    local member = set.members[lx.random(#set.members)]
    store.set_remove(set, member)
    out[#out + 1] = member
  end
  drop_if_empty(ctx, args[2], #set.members == 0)
  if count then return array(out) end
  return bulk(out[1])
end)

def("scard", 2, function(args, ctx)
  local set = typed(ctx, args[2], "set")
  if set == false then return kWrongType end
  return integer(set and #set.members or 0)
end)

def("sismember", 3, function(args, ctx)
  local set = typed(ctx, args[2], "set")
  if set == false then return kWrongType end
  return integer(set and set.index[args[3]] and 1 or 0)
end)

def("smembers", 2, function(args, ctx)
  local set = typed(ctx, args[2], "set")
  if set == false then return kWrongType end
  return array(set and set.members or {})
end)

-- Hashes.

def("hset", -4, function(args, ctx)
  if #args % 2 == 1 then return rerror("ERR wrong number of arguments for 'hset' command") end
  local hash = typed_or_new(ctx, args[2], "hash", store.new_hash)
  if hash == false then return kWrongType end
  local added = 0
  for i = 3, #args, 2 do
    if store.hash_set(hash, args[i], args[i + 1]) then added = added + 1 end
  end
  return integer(added)
end)

def("hmset", -4, function(args, ctx)
  local reply = commands.hset[2](args, ctx)
  if reply:sub(1, 1) == ":" then return kOk end
  return reply
end)

def("hget", 3, function(args, ctx)
  local hash = typed(ctx, args[2], "hash")
  if hash == false then return kWrongType end
  return bulk(hash and hash.fields[args[3]])
end)

def("hdel", -3, function(args, ctx)
  local hash = typed(ctx, args[2], "hash")
  if hash == false then return kWrongType end
  if not hash then return integer(0) end
  local removed = 0
  for i = 3, #args do
    if store.hash_delete(hash, args[i]) then removed = removed + 1 end
  end
  drop_if_empty(ctx, args[2], hash.count == 0)
  return integer(removed)
end)

def("hlen", 2, function(args, ctx)
  local hash = typed(ctx, args[2], "hash")
  if hash == false then return kWrongType end
  return integer(hash and hash.count or 0)
end)

def("hgetall", 2, function(args, ctx)
  local hash = typed(ctx, args[2], "hash")
  if hash == false then return kWrongType end
  local out = {}
  for field, value in pairs(hash and hash.fields or {}) do
    out[#out + 1] = field
    out[#out + 1] = value
  end
  return array(out)
end)

-- Sorted sets.

def("zadd", -4, function(args, ctx)
  if #args % 2 == 1 then return kSyntax end
  local scores = {}
  for i = 3, #args, 2 do
    scores[#scores + 1] = parse_float(args[i])
    if not scores[#scores] then return kNotFloat end
  end
  local zset = typed_or_new(ctx, args[2], "zset", store.new_zset)
  if zset == false then return kWrongType end
  local added = 0
  for i = 3, #args, 2 do
    if store.zset_add(zset, args[i + 1], scores[(i - 1) // 2]) then added = added + 1 end
  end
  return integer(added)
end)

def("zpopmin", -2, function(args, ctx)
  if #args > 3 then return kSyntax end
  local count = 1
  if args[3] then
    count = parse_integer(args[3])
    if not count or count < 0 then return rerror("ERR value is out of range, must be positive") end
  end
  local zset = typed(ctx, args[2], "zset")
  if zset == false then return kWrongType end
  local out = {}
  while zset and #out < 2 * count do
    local member, score = store.zset_pop_min(zset)
    if member == nil then break end
    out[#out + 1] = member
    out[#out + 1] = format_score(score)
  end
  if zset then drop_if_empty(ctx, args[2], #zset.order == 0) end
  return array(out)
end)

def("zcard", 2, function(args, ctx)
  local zset = typed(ctx, args[2], "zset")
  if zset == false then return kWrongType end
  return integer(zset and #zset.order or 0)
end)

def("zscore", 3, function(args, ctx)
  local zset = typed(ctx, args[2], "zset")
  if zset == false then return kWrongType end
  local score = zset and zset.scores[args[3]]
  return bulk(score and format_score(score))
end)

def("zrange", -4, function(args, ctx)
  local start, stop = parse_integer(args[3]), parse_integer(args[4])
  if not start or not stop then return kNotInteger end
  local with_scores = false
  if args[5] then
    if #args > 5 or args[5]:lower() ~= "withscores" then return kSyntax end
    with_scores = true
  end
  local zset = typed(ctx, args[2], "zset")
  if zset == false then return kWrongType end
  if not zset then return resp.empty_array end
  local length = #zset.order
  if start < 0 then start = math.max(length + start, 0) end
  if stop < 0 then stop = length + stop end
  stop = math.min(stop, length - 1)
  local out = {}
  for i = start + 1, stop + 1 do
    local member = zset.order[i]
    out[#out + 1] = member
    if with_scores then out[#out + 1] = format_score(zset.scores[member]) end
  end
  return array(out)
end)

-- The commands by name as clients send them: the lower-case names, and the
-- upper-case ones (what redis-benchmark and most clients send) so those
-- need no lower() on the way. Filled once every def has run; `commands`
-- itself keeps only the lower-case names (COMMAND COUNT counts them).
local by_name = {}
for name, command in pairs(commands) do
  by_name[name] = command
  by_name[name:upper()] = command
end

-- Runs one command (args[1] is its name) and returns the reply.
function M.run(args, ctx)
  local name = args[1]
  local command = by_name[name] or commands[name:lower()]
  if not command then
    return rerror("ERR unknown command '" .. name:sub(1, 128) .. "'")
  end
  local arity, count = command[1], #args
  if (arity > 0 and count ~= arity) or (arity < 0 and count < -arity) then
    return rerror("ERR wrong number of arguments for '" .. name:lower() .. "' command")
  end
  return command[2](args, ctx)
end

return M
