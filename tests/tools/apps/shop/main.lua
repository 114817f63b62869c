-- shop: a line-protocol shop that lxreplay's inspection tests record and
-- look inside (tests/tools/inspect_test.cc, inspect_e2e.py). Not a sample:
-- an app the inspection code was not written against.
--   ADD ITEM QTY   puts QTY of ITEM in the cart; answers "OK <cart total>"
--   TOTAL          answers "TOTAL <cart total> <items in the cart>"
--   CHECKOUT       answers "ORDER <order number> <total>" and empties the cart
-- Prices and the bulk discount are in pricing.lua.
local pricing = require "pricing"

sessions = {}       -- chid -> { ch, cart = { items = { {item, qty} ... }, total } }
local orders = 0    -- orders placed, by every client
local lines_seen = 0

local function new_cart() return { items = {}, total = 0 } end

local function checkout(s)
  orders = orders + 1
  local answer = string.format("ORDER %d %d\n", orders, s.cart.total)
  s.cart = new_cart()
  return answer
end

local function serve(s, line)
  lines_seen = lines_seen + 1
  local item, qty = line:match("^ADD (%a+) (%d+)$")
  if item then
    qty = tonumber(qty)
    local cart = s.cart
    cart.items[#cart.items + 1] = { item = item, qty = qty }
    cart.total = cart.total + pricing.price(item, qty)
    return string.format("OK %d\n", cart.total)
  elseif line == "TOTAL" then
    return string.format("TOTAL %d %d\n", s.cart.total, #s.cart.items)
  elseif line == "CHECKOUT" then
    return checkout(s)
  end
  return "ERR unknown command\n"
end

function update()
  while true do
    local ch = lx.accept()
    if not ch then break end
    sessions[ch:id()] = { ch = ch, cart = new_cart() }
  end
  for chid, s in pairs(sessions) do
    local line = s.ch:readline()
    while line do
      s.ch:write(serve(s, line))
      line = s.ch:readline()
    end
    if s.ch:closed() then
      s.ch:close()
      sessions[chid] = nil
    end
  end
end
