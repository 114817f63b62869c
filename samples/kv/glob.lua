-- glob: Redis's glob-style patterns (KEYS, CONFIG GET) matched without
-- backtracking blow-ups. Turning a glob into a Lua pattern let `*a*a*a*b`
-- against a long key of "a"s run for ever; this matcher keeps only the last
-- `*` to retry, so a match costs at most pattern length x key length steps.
--   *       any run of bytes, also empty     ?      any one byte
--   [abc]   one of a, b, c                   [^a]   any byte but a
--   [a-z]   a range (ends in either order)   \x     x itself, also in [...]
-- As in Redis: a `[` without its `]` takes the rest of the pattern as the
-- set, `]` right after `[` ends an empty set, and a trailing `\` is itself.

local M = {}

local byte = string.byte
local kStar, kQuestion, kOpen, kClose = byte("*"), byte("?"), byte("["), byte("]")
local kBackslash, kCaret, kDash = byte("\\"), byte("^"), byte("-")

-- Whether the pattern element at p (anything but `*`) matches the byte c.
-- Returns that and the position after the element.
local function element(pattern, p, last, c)
  local b = byte(pattern, p)
  if b == kQuestion then return true, p + 1 end
  if b == kOpen then
    p = p + 1
    local negate = byte(pattern, p) == kCaret
    if negate then p = p + 1 end
    local matched = false
    while p <= last do
      b = byte(pattern, p)
      if b == kBackslash and p < last then
        p = p + 1
        matched = matched or byte(pattern, p) == c
      elseif b == kClose then
        break
      elseif p + 2 <= last and byte(pattern, p + 1) == kDash then
        local low, high = b, byte(pattern, p + 2)
        if low > high then low, high = high, low end
        matched = matched or (c >= low and c <= high)
        p = p + 2
      else
        matched = matched or b == c
      end
      p = p + 1
    end
    if negate then matched = not matched end
    return matched, p + 1  -- past the `]` (or past the end of an unclosed set)
  end
  if b == kBackslash and p < last then
    p = p + 1
    b = byte(pattern, p)
  end
  return b == c, p + 1
end

-- True when the whole of text matches the whole of pattern.
function M.match(pattern, text)
  local last, size = #pattern, #text
  local p, t = 1, 1
  -- After a `*`: where the pattern resumes, and the text position that star
  -- swallows up to. Every other element matches exactly one byte, so on a
  -- mismatch it is enough to let the last star swallow one byte more.
  local star_p, star_t = nil, nil
  while t <= size do
    if byte(pattern, p) == kStar then
      repeat p = p + 1 until byte(pattern, p) ~= kStar
      if p > last then return true end
      star_p, star_t = p, t
    else
      local matched, after = false, p
      if p <= last then matched, after = element(pattern, p, last, byte(text, t)) end
      if matched then
        p, t = after, t + 1
      elseif star_p then
        star_t = star_t + 1
        p, t = star_p, star_t
      else
        return false
      end
    end
  end
  while byte(pattern, p) == kStar do p = p + 1 end
  return p > last
end

return M
