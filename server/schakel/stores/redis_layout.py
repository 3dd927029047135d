"""The Redis key layout and the Lua scripts that merge, load and compare-and-set.

Every key of one board carries the hash tag ``{b:<board>}``, so each script touches a
single slot and the store runs on Redis Cluster unchanged (the full table is in the
docstring of :mod:`schakel.stores.redis` and in ``docs/redis.md``).

The merge script implements the shared merge rule (``shared/schakel_core/document.py``)
inside Redis: per field the higher clock ``(counter, client)`` wins, client ids compared
byte-wise; a batch is checked whole before anything is written: types, reused clocks,
how far its counters jump, the board's limits, and whether the board's workshop is gone.
"""

from __future__ import annotations

from schakel_core.schema import MAX_COUNTER_JUMP, ROLES

_APPLY_LUA = r"""
-- KEYS: state, types, seq, log, meta, gone.
-- ARGV: expire-at (ms), channel, origin, log_keep, log_keep_bytes, seen ('' = no jump
--       check), max objects, max bytes, max object bytes, op...
-- Returns {seq, index...} (1-based indices of the stored ops), or a refusal
-- {code, reason, seq}: -1 conflict, -2 the workshop is gone, -3 too large, -4 invalid op.
local ROLES = {@ROLES@}
local JUMP = @JUMP@
local STATE, TYPES, SEQ, LOG, META, GONE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function lt(a, b)  -- byte-wise a < b (Lua's own < uses the locale)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function older(c1, k1, c2, k2)  -- clock (c1, k1) < (c2, k2)
  return c1 < c2 or (c1 == c2 and lt(k1, k2))
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
  return tonumber(redis.call('GET', SEQ) or '0')
end
local t = redis.call('TIME')
if tonumber(ARGV[1]) <= tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then
  return {-2, 'the workshop has ended', head()}
end
if redis.call('EXISTS', GONE) == 1 then
  return {-2, 'the workshop was deleted', head()}
end
-- Once per board: weigh its registers into META, and migrate registers stored before
-- each role had its own (a "roles" list becomes one register per role, same clock).
if redis.call('HEXISTS', META, 'v') == 0 then
  local all = redis.call('HGETALL', STATE)
  for i = 1, #all, 2 do
    local o = cmsgpack.unpack(all[i + 1])
    if o[2] == 'actor' and o[3] == 'roles' then
      local on = {}
      for _, r in ipairs(o[4]) do on[r] = true end
      for _, r in ipairs(ROLES) do
        local hk = o[1] .. '\0role_' .. r
        local cur = redis.call('HGET', STATE, hk)
        local keep = false
        if cur then
          local c = cmsgpack.unpack(cur)
          keep = not older(c[5], c[6], o[5], o[6])
        end
        if not keep then
          redis.call('HSET', STATE, hk,
            cmsgpack.pack({o[1], 'actor', 'role_' .. r, on[r] == true, o[5], o[6]}))
        end
      end
      redis.call('HDEL', STATE, all[i])
    end
  end
  local total, clock, per = 0, 0, {}
  all = redis.call('HGETALL', STATE)
  for i = 1, #all, 2 do
    local raw = all[i + 1]
    local o = cmsgpack.unpack(raw)
    total = total + #raw
    per[o[1]] = (per[o[1]] or 0) + #raw
    if o[5] > clock then clock = o[5] end
  end
  local fields = {'v', 1, 'bytes', total, 'clock', num(clock), 'logbytes', 0}
  for id, n in pairs(per) do
    fields[#fields + 1] = 'o:' .. id
    fields[#fields + 1] = n
  end
  redis.call('HSET', META, unpack(fields))
end
local clock = tonumber(redis.call('HGET', META, 'clock'))
local first = 10
local n = #ARGV - first + 1
local ceiling = nil
if ARGV[6] ~= '' then ceiling = math.max(clock, tonumber(ARGV[6])) end
local ops, types, saved, clocks = {}, {}, {}, {}
local top = clock
for i = 1, n do
  local raw = ARGV[first + i - 1]
  local op = cmsgpack.unpack(raw)
  local id, typ, fld, cnt, cli = op[1], op[2], op[3], op[5], op[6]
  if ceiling and cnt > ceiling + JUMP then
    return {-4, 'counter ' .. num(cnt) .. ' is more than ' .. num(JUMP) ..
      ' above the highest counter of the board and of what you have seen (' ..
      num(ceiling) .. ')', head()}
  end
  if cnt > top then top = cnt end
  local hkey = id .. '\0' .. fld
  ops[i] = {raw = raw, op = op, hkey = hkey}
  -- the stored type, then the batch's own
  if types[id] == nil then
    local known = redis.call('HGET', TYPES, id)
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
    local raw_s = redis.call('HGET', STATE, hkey)
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
-- merge in memory: per field the highest (counter, client) wins
local stored, changed, parts, regs = {}, {}, {}, {}
for hkey, s in pairs(saved) do regs[hkey] = s end
local new_types = {}
for i = 1, n do
  local o = ops[i]
  local cnt, cli = o.op[5], o.op[6]
  local reg = regs[o.hkey]
  if (not reg) or older(reg.cnt, reg.cli, cnt, cli) then
    regs[o.hkey] = {cnt = cnt, cli = cli, raw = o.raw, op = o.op}
    changed[o.hkey] = o.op[1]
    stored[#stored + 1] = i
    parts[#parts + 1] = o.raw
    local ty = types[o.op[1]]
    if not ty[2] then
      new_types[o.op[1]] = ty[1]
      ty[2] = true
    end
  end
end
if top > clock then redis.call('HSET', META, 'clock', num(top)) end
if #stored == 0 then
  return {head()}
end
-- the board's limits: objects, bytes of its registers, bytes of one object
local added, grown, per = 0, 0, {}
for _ in pairs(new_types) do added = added + 1 end
for hkey, id in pairs(changed) do
  local before = saved[hkey]
  local d = #regs[hkey].raw - (before and #before.raw or 0)
  grown = grown + d
  per[id] = (per[id] or 0) + d
end
if added > 0 and redis.call('HLEN', TYPES) + added > tonumber(ARGV[7]) then
  return {-3, 'a board holds at most ' .. ARGV[7] .. ' objects (maxBoardObjects)', head()}
end
if grown > 0 and tonumber(redis.call('HGET', META, 'bytes')) + grown > tonumber(ARGV[8]) then
  return {-3, 'a board holds at most ' .. ARGV[8] ..
    ' bytes (maxBoardBytes); erase ink or notes to make room', head()}
end
for id, d in pairs(per) do
  if d > 0 and tonumber(redis.call('HGET', META, 'o:' .. id) or '0') + d > tonumber(ARGV[9]) then
    return {-3, 'object ' .. id .. ' would hold more than ' .. ARGV[9] ..
      ' bytes (maxObjectBytes)', head()}
  end
end
-- write
for id, ty in pairs(new_types) do redis.call('HSET', TYPES, id, ty) end
local hset = {}
for hkey in pairs(changed) do
  hset[#hset + 1] = hkey
  hset[#hset + 1] = regs[hkey].raw
end
redis.call('HSET', STATE, unpack(hset))
redis.call('HINCRBY', META, 'bytes', grown)
for id, d in pairs(per) do redis.call('HINCRBY', META, 'o:' .. id, d) end
local seq = redis.call('INCRBY', SEQ, #stored)
local blob = table.concat(parts)
redis.call('XADD', LOG, num(seq) .. '-0', 'n', #stored, 'o', blob)
-- the log keeps the entries holding the last log_keep ops, and at most log_keep_bytes
local keep, keep_bytes = tonumber(ARGV[4]), tonumber(ARGV[5])
local logbytes = tonumber(redis.call('HINCRBY', META, 'logbytes', #blob))
local cut, from = nil, '-'
while true do
  local e = redis.call('XRANGE', LOG, from, '+', 'COUNT', 1)
  if #e == 0 then break end
  local last = tonumber(string.match(e[1][1], '^(%d+)'))
  if last >= seq or (last > seq - keep and logbytes <= keep_bytes) then break end
  local f = e[1][2]
  for k = 1, #f, 2 do if f[k] == 'o' then logbytes = logbytes - #f[k + 1] end end
  cut = last
  from = '(' .. e[1][1]
end
if cut then
  redis.call('XTRIM', LOG, 'MINID', num(cut + 1) .. '-0')
  redis.call('HSET', META, 'logbytes', math.max(logbytes, 0))
end
for k = 1, 5 do redis.call('PEXPIREAT', KEYS[k], ARGV[1]) end
redis.call('PUBLISH', ARGV[2], 'u|' .. ARGV[3] .. '|' .. num(seq) .. '|' .. blob)
local out = {seq}
for k = 1, #stored do out[k + 1] = stored[k] end
return out
"""
APPLY_LUA = _APPLY_LUA.replace("@ROLES@", ", ".join(f"'{r}'" for r in ROLES)).replace(
    "@JUMP@", str(MAX_COUNTER_JUMP)
)

LOAD_LUA = r"""
-- KEYS: state, seq, log, meta.  ARGV: since, log_keep.
-- Returns {seq, clock, 0, entry id, ops, ...} (the log reaches back) or
-- {seq, clock, 1, op...} (the state); clock is the board's highest counter, -1 if unknown.
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local clock = tonumber(redis.call('HGET', KEYS[4], 'clock') or '-1')
local since = tonumber(ARGV[1])
if since > 0 and since <= seq and since >= seq - tonumber(ARGV[2]) then
  if since == seq then return {seq, clock, 0} end
  local entries = redis.call('XRANGE', KEYS[3], string.format('%.0f', since + 1) .. '-0', '+')
  if #entries > 0 then
    local id = tonumber(string.match(entries[1][1], '^(%d+)'))
    local f = entries[1][2]
    local count = 0
    for k = 1, #f, 2 do if f[k] == 'n' then count = tonumber(f[k + 1]) end end
    if id - count + 1 <= since + 1 then
      local out = {seq, clock, 0}
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
local out = {seq, clock, 1}
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
    """state, types, seq, log, meta: the keys of one board's content (one hash tag, so
    one slot)."""
    tag = f"schakel:{{b:{board}}}"
    return [f"{tag}:state", f"{tag}:types", f"{tag}:seq", f"{tag}:log", f"{tag}:meta"]


def board_gone_key(board: str) -> str:
    """Set when the board's workshop is deleted: the merge refuses the board from then
    on (a batch still in flight must not bring it back). It holds no content."""
    return f"schakel:{{b:{board}}}:gone"


def board_channel(board: str) -> str:
    return f"schakel:{{b:{board}}}:ch"


def workshop_channel(workshop_id: str) -> str:
    """The pub/sub channel of a workshop's events between hubs (not a key)."""
    return f"schakel:{{w:{workshop_id}}}:ev"


def workshop_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:ws"


def workshop_boards_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:boards"


def workshop_history_key(workshop_id: str) -> str:
    return f"schakel:{{w:{workshop_id}}}:history"


def join_code_key(code: str) -> str:
    return f"schakel:{{c:{code}}}:code"


SECRET_KEY = "schakel:secret"
LIVE_KEY = "schakel:workshops"  # sorted set: workshop id -> expiry (Unix seconds)
