-- store: the kv sample's keyspace. Keys map to a Lua string (a Redis string)
-- or to a table with a `kind` field (list, set, hash, zset); expiry times are
-- kept apart and checked lazily against the time the caller passes in.

local M = {}

local Store = {}
Store.__index = Store

function M.new()
  return setmetatable({ data = {}, expires = {}, count = 0 }, Store)
end

-- The value under key, or nil when absent or expired (an expired key is
-- removed on the way).
function Store:get(key, now)
  local value = self.data[key]
  if value == nil then return nil end
  local deadline = self.expires[key]
  if deadline and deadline <= now then
    self:delete(key)
    return nil
  end
  return value
end

-- Stores value under key. The key's expiry is dropped unless keep_ttl.
function Store:put(key, value, keep_ttl)
  if self.data[key] == nil then self.count = self.count + 1 end
  self.data[key] = value
  if not keep_ttl then self.expires[key] = nil end
end

function Store:delete(key)
  if self.data[key] == nil then return false end
  self.data[key] = nil
  self.expires[key] = nil
  self.count = self.count - 1
  return true
end

-- Sets the key's expiry (absolute seconds, as lx.now()); nil removes it.
function Store:expire_at(key, deadline)
  self.expires[key] = deadline
end

function Store:deadline(key)
  return self.expires[key]
end

-- The number of live keys (expired ones are removed first).
function Store:size(now)
  local expired = {}
  for key, deadline in pairs(self.expires) do
    if deadline <= now then expired[#expired + 1] = key end
  end
  for _, key in ipairs(expired) do self:delete(key) end
  return self.count
end

-- Every live key, in the table's (deterministic) order.
function Store:keys(now)
  self:size(now)
  local keys = {}
  for key in pairs(self.data) do keys[#keys + 1] = key end
  return keys
end

function Store:flush()
  self.data, self.expires, self.count = {}, {}, 0
end

-- Containers. Each is emptied key by key; the commands delete a key whose
-- container became empty, as Redis does.

-- A list is a deque: items[head..tail].
function M.new_list()
  return { kind = "list", head = 1, tail = 0, items = {} }
end

function M.list_length(list) return list.tail - list.head + 1 end

function M.list_push(list, value, left)
  if left then
    list.head = list.head - 1
    list.items[list.head] = value
  else
    list.tail = list.tail + 1
    list.items[list.tail] = value
  end
end

function M.list_pop(list, left)
  if list.tail < list.head then return nil end
  local at = left and list.head or list.tail
  local value = list.items[at]
  list.items[at] = nil
  if left then list.head = list.head + 1 else list.tail = list.tail - 1 end
  return value
end

-- Redis-style inclusive range with negative indexes from the end; returns
-- the first and last positions in items, or nil when the range is empty.
function M.list_span(list, start, stop)
  local length = M.list_length(list)
  if start < 0 then start = length + start end
  if stop < 0 then stop = length + stop end
  if start < 0 then start = 0 end
  if stop >= length then stop = length - 1 end
  if start > stop then return nil end
  return list.head + start, list.head + stop
end

-- A set keeps its members in an array too, so a random pop is O(1).
function M.new_set()
  return { kind = "set", index = {}, members = {} }
end

function M.set_add(set, member)
  if set.index[member] then return false end
  local members = set.members
  members[#members + 1] = member
  set.index[member] = #members
  return true
end

function M.set_remove(set, member)
  local at = set.index[member]
  if not at then return false end
  local members = set.members
  local last = members[#members]
  members[at] = last
  set.index[last] = at
  members[#members] = nil
  set.index[member] = nil
  return true
end

function M.new_hash()
  return { kind = "hash", fields = {}, count = 0 }
end

function M.hash_set(hash, field, value)
  local added = hash.fields[field] == nil
  if added then hash.count = hash.count + 1 end
  hash.fields[field] = value
  return added
end

function M.hash_delete(hash, field)
  if hash.fields[field] == nil then return false end
  hash.fields[field] = nil
  hash.count = hash.count - 1
  return true
end

-- A sorted set: member -> score, plus an array of members ordered by
-- (score, member) kept sorted by binary insertion.
function M.new_zset()
  return { kind = "zset", scores = {}, order = {} }
end

local function zless(score_a, member_a, score_b, member_b)
  if score_a ~= score_b then return score_a < score_b end
  return member_a < member_b
end

-- The position where (score, member) is or would go.
local function zsearch(zset, score, member)
  local order, scores = zset.order, zset.scores
  local low, high = 1, #order + 1
  while low < high do
    local mid = (low + high) // 2
    local other = order[mid]
    if zless(scores[other], other, score, member) then low = mid + 1 else high = mid end
  end
  return low
end

-- Returns true when member is new.
function M.zset_add(zset, member, score)
  local old = zset.scores[member]
  if old == score then return false end
  if old then table.remove(zset.order, zsearch(zset, old, member)) end
  table.insert(zset.order, zsearch(zset, score, member), member)
  zset.scores[member] = score
  return old == nil
end

function M.zset_pop_min(zset)
  local member = table.remove(zset.order, 1)
  if member == nil then return nil end
  local score = zset.scores[member]
  zset.scores[member] = nil
  return member, score
end

return M
