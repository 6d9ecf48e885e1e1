//! The Lua scripts behind the store's multi-step changes. Redis runs a script
//! atomically, so each is one indivisible step; every key a script touches is
//! passed in `KEYS` and shares one hash tag (Redis Cluster requires both).
//!
//! Scripts, not WATCH/MULTI: the store shares one multiplexed connection between
//! all requests, and WATCH state belongs to a connection, so one request's WATCH
//! would be disturbed by another's commands.
//!
//! Timestamps travel as decimal strings and are only compared in Lua, never
//! formatted, so no precision is lost in Lua's doubles.

use redis::Script;

/// The refresh-token rotation, exactly the rules of `records::decide_rotation`.
///
/// KEYS[1]: the session hash. ARGV: presented jti, new jti, now,
/// `now + idle_ttl` (saturated by the caller), reuse grace in seconds.
/// Returns `{outcome, HGETALL of the session}`; the outcome is `rotated`, `grace`,
/// `reused` (the snapshot before the session was locked), `not_found` or `corrupt`.
const ROTATE_REFRESH: &str = r#"
local key = KEYS[1]
local presented, new_jti, now_s, renewed_s = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, grace = tonumber(now_s), tonumber(ARGV[5])

if redis.call('EXISTS', key) == 0 then
  return {'not_found', {}}
end
local f = redis.call('HMGET', key, 'refresh_jti', 'previous_jti', 'rotated_at', 'idle_expires_at', 'expires_at')
local current, previous = f[1], f[2]
local idle_expires_at, expires_at = tonumber(f[4]), tonumber(f[5])
if not current or not idle_expires_at or not expires_at then
  return {'corrupt', {}}
end

-- Past its sliding or absolute end: dead, whatever was presented.
if not (now < idle_expires_at and now < expires_at) then
  redis.call('DEL', key)
  return {'not_found', {}}
end

-- The current token: rotate, renew the idle window (capped at the absolute end)
-- and let the key expire with it.
if presented == current and current ~= '' then
  local idle_s = renewed_s
  if tonumber(renewed_s) > expires_at then idle_s = f[5] end
  redis.call('HSET', key, 'previous_jti', presented, 'rotated_at', now_s, 'refresh_jti', new_jti,
    'refresh_iat', now_s, 'last_used', now_s, 'idle_expires_at', idle_s)
  -- Read before the expiry is set: at a second boundary Redis's clock may already
  -- be past `idle_s` (ours truncates), and the key would be gone at once.
  local rotated = redis.call('HGETALL', key)
  redis.call('EXPIREAT', key, idle_s)
  return {'rotated', rotated}
end

-- The token just replaced, within the grace window: hand out the same successor.
local rotated_at = tonumber(f[3])
if previous and presented == previous and rotated_at and now < rotated_at + grace then
  return {'grace', redis.call('HGETALL', key)}
end

-- Anything else is reuse: the whole session goes. It is locked (the expected jti
-- is empty, which no token carries; the grace is closed) rather than deleted: the caller deletes it once the
-- session's revocation is recorded, and until then every token of it is reuse.
local snapshot = redis.call('HGETALL', key)
redis.call('HSET', key, 'refresh_jti', '')
redis.call('HDEL', key, 'previous_jti', 'rotated_at')
return {'reused', snapshot}
"#;

/// Adds a session to its user's indexes, keeps them bounded, and names the
/// sessions over the per-client cap.
///
/// KEYS[1]: the user's session index, KEYS[2]: the user's index for the session's
/// client (sorted sets, sid scored by `expires_at`, with the login's milliseconds as
/// a fraction so that logins of one second keep their order). ARGV: sid, its score,
/// now, the cap. In each index: drops members already past their absolute end, adds
/// the new one, lets the index expire with its last member. Returns the members of
/// the client index beyond the cap, those that end first (the oldest logins), never
/// the new one. They stay indexed until the caller has revoked them, so a login
/// racing this one counts them too and the cap is never overshot.
const INDEX_SESSION: &str = r#"
local sid, expires_at, now, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, expires_at, sid)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('EXPIREAT', key, math.ceil(tonumber(last[2])))
  end
end
local over = {}
local excess = redis.call('ZCARD', KEYS[2]) - cap
if excess > 0 then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess)) do
    if member ~= sid and #over < excess then
      table.insert(over, member)
    end
  end
end
return over
"#;

/// Compare-and-set of the signing key set.
///
/// KEYS[1]: the signing key hash. ARGV: expected version, new version, keys JSON.
/// Returns 1 when saved, 0 when the stored version (absent = "0") differs.
const SAVE_SIGNING_KEYS: &str = r#"
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'keys', ARGV[3])
return 1
"#;

/// Counts one failure and opens the window on the first.
///
/// KEYS[1]: the counter. ARGV: window in seconds. Returns the new count. The TTL
/// check (rather than "count is 1") also repairs a counter left without expiry.
const RECORD_FAILURE: &str = r#"
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"#;

/// Redeems an authorization code: the first call marks it used, later ones see it
/// used, until it expires.
///
/// KEYS[1]: the code hash. ARGV: now. Returns `{'first', record}`,
/// `{'used', record}` or `{'none'}` (unknown or expired at `now`).
const REDEEM_CODE: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'record', 'expires_at', 'used')
local expires_at = tonumber(f[2])
if not f[1] or not expires_at or tonumber(ARGV[1]) >= expires_at then
  return {'none'}
end
if f[3] == '1' then
  return {'used', f[1]}
end
redis.call('HSET', KEYS[1], 'used', '1')
return {'first', f[1]}
"#;

/// Slides a live login session's idle end, capped at its absolute end.
///
/// KEYS[1]: the login session hash. ARGV: now, `now + idle_ttl` (saturated by the
/// caller). Returns the HGETALL of the renewed session, or an empty list when it is
/// not live at `now`.
const TOUCH_LOGIN_SESSION: &str = r#"
local f = redis.call('HMGET', KEYS[1], 'idle_expires_at', 'expires_at')
local idle, ends, now = tonumber(f[1]), tonumber(f[2]), tonumber(ARGV[1])
if not idle or not ends or not (now < idle and now < ends) then
  return {}
end
local renewed = ARGV[2]
if tonumber(renewed) > ends then renewed = f[2] end
redis.call('HSET', KEYS[1], 'idle_expires_at', renewed)
local all = redis.call('HGETALL', KEYS[1])
redis.call('EXPIREAT', KEYS[1], renewed)
return all
"#;

/// Appends a `sid` to a login session's list, if the session is still there.
///
/// KEYS[1]: the login session hash. ARGV: the sid (base64url: no spaces). Returns 1
/// when added (or already listed), 0 when the session is gone.
const ADD_LOGIN_SESSION_SID: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local sids = redis.call('HGET', KEYS[1], 'sids') or ''
for sid in string.gmatch(sids, '%S+') do
  if sid == ARGV[1] then return 1 end
end
if sids == '' then sids = ARGV[1] else sids = sids .. ' ' .. ARGV[1] end
redis.call('HSET', KEYS[1], 'sids', sids)
return 1
"#;

/// The scripts, hashed once at start-up; `redis::Script` sends EVALSHA and falls
/// back to loading the script when the server does not know it yet.
pub(super) struct Scripts {
    pub rotate_refresh: Script,
    pub index_session: Script,
    pub save_signing_keys: Script,
    pub record_failure: Script,
    pub redeem_code: Script,
    pub touch_login_session: Script,
    pub add_login_session_sid: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            rotate_refresh: Script::new(ROTATE_REFRESH),
            index_session: Script::new(INDEX_SESSION),
            save_signing_keys: Script::new(SAVE_SIGNING_KEYS),
            record_failure: Script::new(RECORD_FAILURE),
            redeem_code: Script::new(REDEEM_CODE),
            touch_login_session: Script::new(TOUCH_LOGIN_SESSION),
            add_login_session_sid: Script::new(ADD_LOGIN_SESSION_SID),
        }
    }
}
