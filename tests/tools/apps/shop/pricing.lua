-- The shop's prices and its bulk discount: 3 or more of one item cost 1 less.
local M = {}
local prices = { apple = 3, pear = 4, plum = 2 }

function M.price(item, qty)
  local p = (prices[item] or 1) * qty
  if qty >= 3 then p = p - 1 end
  return p
end

return M
