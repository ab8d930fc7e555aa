"""The Lua script of the hot path: a run of attendee actions of one meeting in one atomic step.

``BATCH`` takes the actions of one meeting from a batch (as JSON) and, for each in order: gives the
kept ack again when its message id was handled (``replay``), refuses it when the meeting is gone or
its phase is not one of the action's (``refused``: the id is not kept), or writes it, keeps its ack
under its id and keeps the counters (``tv``, ``tc``, ``tp``, ``to``) up to date, so a tally is a
read. The meeting's ``seq`` goes up once at the end when anything changed. Redis runs a script
whole and alone, so nothing reads half of it.

The actions that are storage and no rule of the method are written here as they come (join,
vote, pledge, withdraw, addition, note, manual_count, set_phase). ``choose`` needs a rule
(``rules.choose``: the seat, a full theme): Python reads, the domain decides, and the script gets
the decision with the values it was made on (``guards``: the meeting's version, the chooser's
current choice, the counts of the themes with a capacity and of the theme's tables). When one of
them moved, the script stops at that action (``retry``) and Python reads and decides the rest
again; so of two workers for the last seat, the second one's guard fails and its new read finds
the theme full. No rule is copied into Lua. The other actions with a rule (a root, a merge) are
a watched MULTI/EXEC in ``actions``. Python checks every payload before it gets here
(``actions.lua_payload``), so a script never fails halfway on bad data. Keys are derived from
``KEYS[1]`` (the meeting hash): all carry the meeting's hash tag, so they are in the same Redis
Cluster slot.
"""

from __future__ import annotations

# The kinds ``BATCH`` handles; every other kind goes through a watched transaction.
LUA_KINDS = frozenset(
    ("join", "vote", "pledge", "withdraw", "addition", "note", "manual_count", "set_phase", "choose")
)

BATCH = r"""
local mkey = KEYS[1]
local base = string.sub(mkey, 1, -2)
local actions = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])
local function k(name) return base .. name end
local function kp(name, part) return base .. name .. ':' .. part end

local act = {}

act.join = function(actor, d)
  local pid = redis.call('HGET', k('tokens'), d.token_hash)
  if pid then return {ok = true, participant = tonumber(pid)}, false end
  pid = redis.call('HINCRBY', k('ids'), 'participant', 1)
  redis.call('HSET', k('tokens'), d.token_hash, pid)
  redis.call('HSET', k('people'), pid, cjson.encode({created_at = now, origin = 'phone'}))
  redis.call('HINCRBY', k('to'), 'phone', 1)
  return {ok = true, participant = pid}, true
end

act.vote = function(actor, d)
  local key, theme = kp('votes', actor), tostring(d.theme)
  local old = redis.call('HGET', key, theme)
  if old ~= d.answer then
    redis.call('HSET', key, theme, d.answer)
    if old then redis.call('HINCRBY', k('tv'), theme .. ':' .. old, -1) end
    redis.call('HINCRBY', k('tv'), theme .. ':' .. d.answer, 1)
  end
  return {ok = true}, true
end

act.pledge = function(actor, d)
  local key, theme = kp('pledges', actor), tostring(d.theme)
  local old = redis.call('HGET', key, theme)
  if old then
    redis.call('HINCRBY', k('tp'), 'r:' .. theme .. ':' .. cjson.decode(old).role, -1)
  else
    redis.call('HINCRBY', k('tp'), 'p:' .. theme, 1)
  end
  redis.call('HINCRBY', k('tp'), 'r:' .. theme .. ':' .. d.role, 1)
  redis.call('HSET', key, theme, cjson.encode({
    role = d.role, name = d.name, email = d.email, phone = d.phone, consent_at = now,
    contact_by = d.contact_by, share = d.share}))
  return {ok = true}, true
end

act.withdraw = function(actor, d)
  local key, theme = kp('pledges', actor), tostring(d.theme)
  local old = redis.call('HGET', key, theme)
  if not old then return {ok = true, withdrawn = false}, true end
  redis.call('HDEL', key, theme)
  redis.call('HINCRBY', k('tp'), 'p:' .. theme, -1)
  redis.call('HINCRBY', k('tp'), 'r:' .. theme .. ':' .. cjson.decode(old).role, -1)
  return {ok = true, withdrawn = true}, true
end

act.addition = function(actor, d)
  local id = redis.call('HINCRBY', k('ids'), 'addition', 1)
  redis.call('HSET', k('additions'), id, cjson.encode({
    participant = actor, theme = d.theme, text = d.text, status = 'pending', created_at = now,
    kind = d.kind}))
  redis.call('SADD', kp('mine:a', actor), id)
  redis.call('HINCRBY', mkey, 'version', 1)
  return {ok = true, addition = id}, true
end

act.note = function(actor, d)
  local id = redis.call('HINCRBY', k('ids'), 'note', 1)
  redis.call('HSET', k('notes'), id, cjson.encode({
    theme = d.theme, field = d.field, participant = actor, text = d.text, created_at = now}))
  redis.call('SADD', kp('mine:n', actor), id)
  return {ok = true, note = id}, true
end

-- A choice the domain decided in Python (``rules.choose``) on values read before this script:
-- the guards checked first (``guarded``) say those values have not moved, so the decision
-- stands; the seat, the ack and the counters to write come with it.
act.choose = function(actor, d)
  if d.seat >= 0 then
    redis.call('HSET', k('choices'), actor, d.theme .. ':' .. d.seat)
    if d.from >= 0 then
      redis.call('HINCRBY', k('tc'), 'c:' .. d.from, -1)
      redis.call('HINCRBY', k('tc'), 's:' .. d.from .. ':' .. d.from_seat, -1)
    end
    redis.call('HINCRBY', k('tc'), 'c:' .. d.theme, 1)
    redis.call('HINCRBY', k('tc'), 's:' .. d.theme .. ':' .. d.seat, 1)
  end
  return d.ack, d.ok
end

local function guarded(guards)
  for _, g in ipairs(guards) do
    if (redis.call('HGET', k(g[1]), g[2]) or '') ~= g[3] then return false end
  end
  return true
end

act.manual_count = function(actor, d)
  redis.call('HSET', k('hands'), tostring(d.theme) .. ':' .. d.answer, d.count)
  return {ok = true}, true
end

act.set_phase = function(actor, d)
  redis.call('HSET', mkey, 'phase', d.phase, 'welcome', 0)
  local version = redis.call('HINCRBY', mkey, 'version', 1)
  return {ok = true, phase = d.phase, version = version}, true
end

local out, changed, stop = {}, false, false
for i, a in ipairs(actions) do
  local hkey = kp('handled', a.a)
  local seen = false
  if a.id ~= '' then seen = redis.call('HGET', hkey, a.id) end
  if seen then
    out[i] = {'replay', seen}
  else
    local m = redis.call('HMGET', mkey, 'phase', 'importing')
    local allowed = #a.ph == 0
    for _, p in ipairs(a.ph) do if p == m[1] then allowed = true end end
    if not m[1] or m[2] == '1' then
      out[i] = {'refused', 'unknown_meeting'}
    elseif not allowed then
      out[i] = {'refused', 'wrong_phase'}
    elseif a.d.guards and not guarded(a.d.guards) then
      -- What the decision was made on moved: stop here, Python reads again and sends the rest.
      out[i] = {'retry', ''}
      stop = true
    elseif a.d.refused then
      out[i] = {'refused', a.d.refused}
    else
      local ack, moved = act[a.k](a.a, a.d)
      local text = type(ack) == 'string' and ack or cjson.encode(ack)
      if a.id ~= '' then
        redis.call('HSET', hkey, a.id, text)
        redis.call('ZADD', k('handled_at'), now, a.a .. ':' .. a.id)
      end
      changed = changed or moved
      out[i] = {'new', text}
    end
  end
  if stop then break end
end
if changed then redis.call('INCR', k('seq')) end
return out
"""

# Set fields of an existing hash only (a meeting deleted meanwhile is not brought back).
UPDATE_IF_EXISTS = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
