"""The Redis key layout and the Lua scripts that merge, load and compare-and-set.

Every key of one board carries the hash tag ``{b:<board>}``, so each script touches a
single slot and the store runs on Redis Cluster unchanged (the full table is in the
docstring of :mod:`schakel.stores.redis` and in ``docs/redis.md``).

The merge script implements the shared merge rule (``shared/schakel_core/document.py``)
inside Redis: per field the higher clock ``(counter, client)`` wins, client ids compared
byte-wise; a batch is checked whole before anything is written.
"""

from __future__ import annotations

APPLY_LUA = r"""
-- KEYS: state, types, seq, log.  ARGV: expire-at (ms), channel, origin, log_keep, op...
-- Returns {seq, index...} (1-based indices of the stored ops) or {-1, reason, seq}.
local function lt(a, b)  -- byte-wise a < b (Lua's own < uses the locale)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function same(a, b)
  if a == b then return true end
  if type(a) ~= 'table' or type(b) ~= 'table' then return false end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function num(x)  -- an integer as text, exact up to 2^53
  return string.format('%.0f', x)
end
local function head()
  return tonumber(redis.call('GET', KEYS[3]) or '0')
end
local first = 5
local n = #ARGV - first + 1
local ops, types, saved, clocks = {}, {}, {}, {}
for i = 1, n do
  local raw = ARGV[first + i - 1]
  local op = cmsgpack.unpack(raw)
  local id, typ, fld, cnt, cli = op[1], op[2], op[3], op[5], op[6]
  local hkey = id .. '\0' .. fld
  ops[i] = {raw = raw, op = op, hkey = hkey}
  -- the stored type, then the batch's own
  if types[id] == nil then
    local known = redis.call('HGET', KEYS[2], id)
    if known and known ~= typ then
      return {-1, 'object ' .. id .. ' is a ' .. known .. ', not a ' .. typ, head()}
    end
    types[id] = {typ, known ~= false}
  elseif types[id][1] ~= typ then
    if types[id][2] then
      return {-1, 'object ' .. id .. ' is a ' .. types[id][1] .. ', not a ' .. typ, head()}
    end
    return {-1, 'the batch gives object ' .. id .. ' two types', head()}
  end
  -- a clock reused for another value: against the stored register, then in the batch
  local s = saved[hkey]
  if s == nil then
    local raw_s = redis.call('HGET', KEYS[1], hkey)
    if raw_s then
      local so = cmsgpack.unpack(raw_s)
      s = {cnt = so[5], cli = so[6], raw = raw_s, op = so}
    else
      s = false
    end
    saved[hkey] = s
  end
  if s and s.cnt == cnt and s.cli == cli and s.raw ~= raw and not same(s.op[4], op[4]) then
    return {-1, 'clock ' .. num(cnt) .. '/' .. cli .. ' already wrote another value', head()}
  end
  local ck = hkey .. '\0' .. num(cnt) .. '\0' .. cli
  local prev = clocks[ck]
  if prev == nil then
    clocks[ck] = op
  elseif not same(prev[4], op[4]) then
    return {-1, 'the batch uses clock ' .. num(cnt) .. '/' .. cli .. ' twice', head()}
  end
end
-- merge: per field the highest (counter, client) wins
local stored, changed, parts, regs = {}, {}, {}, {}
for hkey, s in pairs(saved) do regs[hkey] = s end
for i = 1, n do
  local o = ops[i]
  local cnt, cli = o.op[5], o.op[6]
  local reg = regs[o.hkey]
  if (not reg) or reg.cnt < cnt or (reg.cnt == cnt and lt(reg.cli, cli)) then
    regs[o.hkey] = {cnt = cnt, cli = cli, raw = o.raw, op = o.op}
    changed[o.hkey] = true
    stored[#stored + 1] = i
    parts[#parts + 1] = o.raw
    local t = types[o.op[1]]
    if not t[2] then
      redis.call('HSET', KEYS[2], o.op[1], t[1])
      t[2] = true
    end
  end
end
if #stored == 0 then
  return {head()}
end
local hset = {}
for hkey in pairs(changed) do
  hset[#hset + 1] = hkey
  hset[#hset + 1] = regs[hkey].raw
end
redis.call('HSET', KEYS[1], unpack(hset))
local seq = redis.call('INCRBY', KEYS[3], #stored)
local blob = table.concat(parts)
redis.call('XADD', KEYS[4], num(seq) .. '-0', 'n', #stored, 'o', blob)
local keep = tonumber(ARGV[4])
if seq > keep then
  redis.call('XTRIM', KEYS[4], 'MINID', num(seq - keep + 1) .. '-0')
end
for k = 1, 4 do redis.call('PEXPIREAT', KEYS[k], ARGV[1]) end
redis.call('PUBLISH', ARGV[2], 'u|' .. ARGV[3] .. '|' .. num(seq) .. '|' .. blob)
local out = {seq}
for k = 1, #stored do out[k + 1] = stored[k] end
return out
"""

LOAD_LUA = r"""
-- KEYS: state, seq, log.  ARGV: since, log_keep.
-- Returns {seq, 0, entry id, ops, ...} (the log reaches back) or {seq, 1, op...} (state).
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local since = tonumber(ARGV[1])
if since > 0 and since <= seq and since >= seq - tonumber(ARGV[2]) then
  if since == seq then return {seq, 0} end
  local entries = redis.call('XRANGE', KEYS[3], string.format('%.0f', since + 1) .. '-0', '+')
  if #entries > 0 then
    local id = tonumber(string.match(entries[1][1], '^(%d+)'))
    local f = entries[1][2]
    local count = 0
    for k = 1, #f, 2 do if f[k] == 'n' then count = tonumber(f[k + 1]) end end
    if id - count + 1 <= since + 1 then
      local out = {seq, 0}
      for _, e in ipairs(entries) do
        local ef = e[2]
        for k = 1, #ef, 2 do
          if ef[k] == 'o' then
            out[#out + 1] = string.match(e[1], '^(%d+)')
            out[#out + 1] = ef[k + 1]
          end
        end
      end
      return out
    end
  end
end
local out = {seq, 1}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do out[#out + 1] = v end
return out
"""

CAS_LUA = r"""
-- KEYS: key.  ARGV: expected value, new value.  Keeps the key's TTL.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
"""


# ------------------------------------------------------------------ key names


def board_keys(board: str) -> list[str]:
    """state, types, seq, log: the keys of one board (one hash tag, one slot)."""
    tag = f"schakel:{{b:{board}}}"
    return [f"{tag}:state", f"{tag}:types", f"{tag}:seq", f"{tag}:log"]


def board_channel(board: str) -> str:
    return f"schakel:{{b:{board}}}:ch"


def workshop_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:ws"


def workshop_boards_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:boards"


def workshop_history_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:history"


def join_code_key(code: str) -> str:
    return f"schakel:{{c:{code}}}:code"


SECRET_KEY = "schakel:secret"


def workshop_of(board: str) -> str:
    return board.split(":", 1)[0]
