-- upper: copies stdin to stdout in upper case, then stops at the end of input
-- (lxrun writes out what is queued before it exits).
-- Run: printf 'abc\nxyz\n' | lxrun --app samples/upper

local stdio = lx.stdio()

function update()
  local line = stdio:readline()
  while line do
    stdio:write(line:upper() .. "\n")
    line = stdio:readline()
  end
  if stdio:closed() then
    local rest = stdio:read()  -- a last line without its newline
    if rest ~= "" then stdio:write(rest:upper()) end
    lx.stop()
  end
end
