//! Revocations in Redis. Three keys share the `{rev}` tag, so each step is one
//! atomic script in one slot:
//!
//! | key               | type       | holds                                              |
//! |-------------------|------------|----------------------------------------------------|
//! | `as:{rev}:log`    | stream     | the feed: one entry per revocation, trimmed to ~N  |
//! | `as:{rev}:live`   | sorted set | revocation key (`jti:..`, `sid:..`, `sub:..`) → `expires_at` |
//! | `as:{rev}:data`   | hash       | revocation key → the revocation (JSON)             |
//!
//! Stream ids are the feed cursors: every replica appends to the same stream, so a
//! resource server may resume from any replica.

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::Script;

use super::session_hash::corrupt;
use super::{unavailable, RedisStore};
use crate::store::{FeedPage, Revocation, RevocationEvent, RevocationStore, StoreError, StoreResult};

const LOG: &str = "as:{rev}:log";
const LIVE: &str = "as:{rev}:live";
const DATA: &str = "as:{rev}:data";

/// Feed entries kept for readers to resume from (approximate: `MAXLEN ~`).
const FEED_LENGTH: usize = 10_000;

/// KEYS: log, live, data. ARGV: key, revocation JSON, expires_at, now, user cut-off
/// (or empty), feed length. Appends to the feed; records the revocation unless a
/// user revocation with a later cut-off is already in force; drops a bounded batch
/// of expired ones. Returns the new stream id.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local log, live, data = KEYS[1], KEYS[2], KEYS[3]
local key, json, expires_at, now, before = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[6], '*', 'r', json, 'e', expires_at)
local keep_existing = false
if before ~= '' then
  local existing = redis.call('HGET', data, key)
  if existing then
    local ok, old = pcall(cjson.decode, existing)
    if ok and tonumber(old['before']) and tonumber(old['before']) >= tonumber(before) then
      keep_existing = true
    end
  end
end
if not keep_existing then
  redis.call('HSET', data, key, json)
  redis.call('ZADD', live, expires_at, key)
end
local expired = redis.call('ZRANGEBYSCORE', live, '-inf', now, 'LIMIT', 0, 100)
if #expired > 0 then
  redis.call('ZREM', live, unpack(expired))
  redis.call('HDEL', data, unpack(expired))
end
return id
"#,
    )
});

/// KEYS: log, live, data. ARGV: now. Every revocation in force with its expiry, and
/// the stream's last id, read in one atomic step so the snapshot and the cursor
/// agree. Returns `{cursor, key1, score1, json1, key2, ...}`.
static SNAPSHOT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local log, live, data = KEYS[1], KEYS[2], KEYS[3]
local cursor = '0-0'
local last = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
if #last > 0 then cursor = last[1][1] end
local out = {cursor}
local members = redis.call('ZRANGEBYSCORE', live, '(' .. ARGV[1], '+inf', 'WITHSCORES')
for i = 1, #members, 2 do
  local json = redis.call('HGET', data, members[i])
  if json then
    table.insert(out, members[i])
    table.insert(out, members[i + 1])
    table.insert(out, json)
  end
end
return out
"#,
    )
});

/// KEYS: log. ARGV: cursor, count. Entries after the cursor, or `gap` when the
/// stream was trimmed past the cursor or the cursor lies ahead of the stream (Redis
/// was reset). Returns `{'ok', id1, json1, expires1, ...}` or `{'gap'}`.
static SINCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local log, cursor, count = KEYS[1], ARGV[1], tonumber(ARGV[2])
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if not ms then return nil end
  return {tonumber(ms), tonumber(seq)}
end
local function less(a, b)
  return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2])
end
local c = parse(cursor)
if not c then return {'gap'} end
if redis.call('EXISTS', log) == 0 then
  if cursor == '0-0' then return {'ok'} end
  return {'gap'}
end
local info = redis.call('XINFO', 'STREAM', log)
local last, deleted
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = parse(info[i + 1]) end
  if info[i] == 'max-deleted-entry-id' then deleted = parse(info[i + 1]) end
end
if last and less(last, c) then return {'gap'} end
if deleted and less(c, deleted) then return {'gap'} end
-- Before Redis 7 XINFO does not say what was trimmed: a cursor older than the
-- first entry may have missed some, so the reader takes a snapshot.
if not deleted then
  local first = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
  if #first > 0 and less(c, parse(first[1][1])) then return {'gap'} end
end
local out = {'ok'}
local entries = redis.call('XRANGE', log, '(' .. cursor, '+', 'COUNT', count)
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local json, expires = nil, nil
  for i = 1, #fields, 2 do
    if fields[i] == 'r' then json = fields[i + 1] end
    if fields[i] == 'e' then expires = fields[i + 1] end
  end
  if json and expires then
    table.insert(out, entry[1])
    table.insert(out, json)
    table.insert(out, expires)
  end
end
return out
"#,
    )
});

fn parse_revocation(json: &str) -> StoreResult<Revocation> {
    serde_json::from_str(json).map_err(|e| corrupt("revocation", &e))
}

fn parse_time(text: &str) -> StoreResult<i64> {
    // Sorted-set scores come back as floats ("1700000000" or "1.7e9" forms).
    text.parse::<i64>()
        .or_else(|_| text.parse::<f64>().map(|f| f as i64))
        .map_err(|_| StoreError::Corrupt("revocation expiry is not a number".into()))
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke(&self, revocation: &Revocation, expires_at: i64) -> StoreResult<RevocationEvent> {
        let json = serde_json::to_string(revocation).map_err(|e| corrupt("revocation", &e))?;
        let before = match revocation {
            Revocation::User { before, .. } => before.to_string(),
            _ => String::new(),
        };
        let cursor: String = REVOKE
            .key(LOG)
            .key(LIVE)
            .key(DATA)
            .arg(revocation.key())
            .arg(json)
            .arg(expires_at)
            .arg(shared_claims::unix_now())
            .arg(before)
            .arg(FEED_LENGTH)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(RevocationEvent { cursor, revocation: revocation.clone(), expires_at })
    }

    async fn is_revoked(&self, jti: &str, sid: Option<&str>, subject: &str, issued_at: i64) -> StoreResult<bool> {
        let mut keys = vec![
            Revocation::Token { jti: jti.to_owned() }.key(),
            Revocation::User { sub: subject.to_owned(), before: 0 }.key(),
        ];
        if let Some(sid) = sid {
            keys.push(Revocation::Session { sid: sid.to_owned() }.key());
        }
        // One round trip: the revocations and their expiries.
        let (values, expiries): (Vec<Option<String>>, Vec<Option<String>>) = redis::pipe()
            .cmd("HMGET")
            .arg(DATA)
            .arg(&keys)
            .cmd("ZMSCORE")
            .arg(LIVE)
            .arg(&keys)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let now = shared_claims::unix_now();
        for (value, expiry) in values.iter().zip(&expiries) {
            let (Some(value), Some(expiry)) = (value, expiry) else {
                continue;
            };
            if parse_time(expiry)? > now && parse_revocation(value)?.covers(jti, sid, subject, issued_at) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage> {
        let reply: Vec<String> = SINCE
            .key(LOG)
            .arg(cursor)
            .arg(limit.max(1))
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let Some((status, rest)) = reply.split_first() else {
            return Err(StoreError::Corrupt("empty reply from the feed script".into()));
        };
        if status == "gap" {
            return Ok(FeedPage::Gap);
        }
        let events = rest
            .chunks_exact(3)
            .map(|entry| {
                Ok(RevocationEvent {
                    cursor: entry[0].clone(),
                    revocation: parse_revocation(&entry[1])?,
                    expires_at: parse_time(&entry[2])?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(FeedPage::Events(events))
    }

    async fn revocation_snapshot(&self) -> StoreResult<(Vec<RevocationEvent>, String)> {
        let reply: Vec<String> = SNAPSHOT
            .key(LOG)
            .key(LIVE)
            .key(DATA)
            .arg(shared_claims::unix_now())
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let Some((cursor, rest)) = reply.split_first() else {
            return Err(StoreError::Corrupt("empty reply from the snapshot script".into()));
        };
        let events = rest
            .chunks_exact(3)
            .map(|entry| {
                Ok(RevocationEvent {
                    cursor: cursor.clone(),
                    revocation: parse_revocation(&entry[2])?,
                    expires_at: parse_time(&entry[1])?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((events, cursor.clone()))
    }
}
