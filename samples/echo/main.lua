-- echo: every byte a client sends comes straight back to it.
-- Run: lxrun --app samples/echo --listen 7000   Talk: nc 127.0.0.1 7000

local clients = {}  -- chid -> channel

function update()
  local ch = lx.accept()
  while ch do
    clients[ch:id()] = ch
    ch = lx.accept()
  end
  for id, c in pairs(clients) do
    local data = c:read()
    if data ~= "" then c:write(data) end
    if c:closed() then
      c:close()  -- what was written above is still sent
      clients[id] = nil
    end
  end
end
