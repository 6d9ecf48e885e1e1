//! Revocations in Redis. Three keys share the `{rev}` tag, so each step is one
//! atomic script in one slot:
//!
//! | key               | type       | holds                                              |
//! |-------------------|------------|----------------------------------------------------|
//! | `as:{rev}:log`    | stream     | the feed: one entry per revocation, trimmed to ~N  |
//! | `as:{rev}:live`   | sorted set | revocation key (`jti:..`, `sid:..`, `sub:..`, `client:..`) → `expires_at` |
//! | `as:{rev}:data`   | hash       | revocation key → the revocation and its audiences (JSON) |
//!
//! Stream ids are the feed cursors: every replica appends to the same stream, so a
//! resource server may resume from any replica.

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::Script;
use serde::{Deserialize, Serialize};

use super::session_hash::corrupt;
use super::{unavailable, RedisStore};
use crate::store::{FeedPage, Revocation, RevocationEvent, RevocationStore, SnapshotPage, StoreError, StoreResult};

const LOG: &str = "as:{rev}:log";
const LIVE: &str = "as:{rev}:live";
const DATA: &str = "as:{rev}:data";

/// Feed entries kept for readers to resume from (approximate: `MAXLEN ~`).
const FEED_LENGTH: usize = 10_000;

/// What the stream entry (`r`) and the data hash hold: the revocation and the
/// audiences it concerns (absent in records written before audiences were kept:
/// every subscriber).
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    revocation: Revocation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    audiences: Vec<String>,
}

/// KEYS: log, live, data. ARGV: key, revocation JSON, expires_at, now, user or client
/// cut-off (or empty), feed length. Appends to the feed; records the revocation unless
/// a revocation of the same user or client with a later cut-off is already in force;
/// drops a bounded batch of expired ones. Returns the new stream id, or an empty
/// string when the same revocation, as strong and as long, was already in force
/// (nothing appended).
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local log, live, data = KEYS[1], KEYS[2], KEYS[3]
local key, json, expires_at, now, before = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local keep_existing = false
if before ~= '' then
  local existing = redis.call('HGET', data, key)
  if existing then
    local ok, old = pcall(cjson.decode, existing)
    if ok and tonumber(old['before']) and tonumber(old['before']) >= tonumber(before) then
      keep_existing = true
    end
  end
else
  keep_existing = redis.call('HEXISTS', data, key) == 1
end
-- Already in force, covering as much for as long: nothing to record or announce.
local existing_expiry = tonumber(redis.call('ZSCORE', live, key))
if keep_existing and existing_expiry and existing_expiry > tonumber(now)
    and existing_expiry >= tonumber(expires_at) then
  return ''
end
local id = redis.call('XADD', log, 'MAXLEN', '~', ARGV[6], '*', 'r', json, 'e', expires_at)
if before == '' then keep_existing = false end
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

/// KEYS: data, live. ARGV: HSCAN cursor, count, now. One page of the revocations
/// in force: a bounded HSCAN step over the data hash, each kept if its expiry is still
/// ahead. HSCAN returns every field present for the whole walk at least once.
/// Returns `{next_cursor, json1, expires1, json2, ...}`.
static SNAPSHOT_PAGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local data, live = KEYS[1], KEYS[2]
local now = tonumber(ARGV[3])
local reply = redis.call('HSCAN', data, ARGV[1], 'COUNT', ARGV[2])
local out = {reply[1]}
local fields = reply[2]
for i = 1, #fields, 2 do
  local score = redis.call('ZSCORE', live, fields[i])
  if score and tonumber(score) > now then
    table.insert(out, fields[i + 1])
    table.insert(out, score)
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
    Ok(parse_stored(json)?.revocation)
}

fn parse_stored(json: &str) -> StoreResult<Stored> {
    serde_json::from_str(json).map_err(|e| corrupt("revocation", &e))
}

/// Whether `cursor` is a stream id (`<ms>-<seq>`, both `u64`). The cursor comes from
/// a `Last-Event-ID` header: anything else means "take a snapshot", and never reaches
/// a Redis command that would fail on it.
fn is_stream_id(cursor: &str) -> bool {
    cursor.split_once('-').is_some_and(|(ms, seq)| {
        let number =
            |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && part.parse::<u64>().is_ok();
        number(ms) && number(seq)
    })
}

fn parse_time(text: &str) -> StoreResult<i64> {
    // Sorted-set scores come back as floats ("1700000000" or "1.7e9" forms).
    text.parse::<i64>()
        .or_else(|_| text.parse::<f64>().map(|f| f as i64))
        .map_err(|_| StoreError::Corrupt("revocation expiry is not a number".into()))
}

impl RedisStore {
    /// Records revocations in bulk, without feed entries: seeding a store (load tests,
    /// an import) before subscribers connect, who get them from the snapshot. Each
    /// batch is one transaction; the user cut-off merge of `revoke` is not applied.
    #[cfg(feature = "test-support")]
    pub async fn import_revocations(&self, events: &[RevocationEvent]) -> StoreResult<()> {
        for batch in events.chunks(5_000) {
            let mut pipe = redis::pipe();
            pipe.atomic();
            for event in batch {
                let stored = Stored { revocation: event.revocation.clone(), audiences: event.audiences.clone() };
                let json = serde_json::to_string(&stored).map_err(|e| corrupt("revocation", &e))?;
                let key = event.revocation.key();
                pipe.cmd("HSET").arg(DATA).arg(&key).arg(json).ignore();
                pipe.cmd("ZADD").arg(LIVE).arg(event.expires_at).arg(&key).ignore();
            }
            pipe.query_async::<()>(&mut self.connection()).await.map_err(unavailable)?;
        }
        Ok(())
    }
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke(
        &self,
        revocation: &Revocation,
        audiences: &[String],
        expires_at: i64,
    ) -> StoreResult<Option<RevocationEvent>> {
        let stored = Stored { revocation: revocation.clone(), audiences: audiences.to_vec() };
        let json = serde_json::to_string(&stored).map_err(|e| corrupt("revocation", &e))?;
        let before = match revocation {
            Revocation::User { before, .. } | Revocation::Client { before, .. } => before.to_string(),
            _ => String::new(),
        };
        // With replicas to wait for, on the connection `WAIT` is sent on afterwards.
        let acks = self.inner.replica_acks.as_ref();
        let mut connection = acks.map_or_else(|| self.connection(), |acks| acks.connection());
        let key = revocation.key();
        let now = shared_claims::unix_now();
        let cursor: String = REVOKE
            .key(LOG)
            .key(LIVE)
            .key(DATA)
            .arg(&key)
            .arg(json)
            .arg(expires_at)
            .arg(now)
            .arg(before)
            .arg(FEED_LENGTH)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        // Also when nothing was appended: a retry confirms what an earlier attempt on
        // this connection wrote.
        if let Some(acks) = acks {
            acks.confirm(&mut connection, LOG).await?;
            // A failover between the write and `WAIT` sends `WAIT` to a new primary,
            // which may never have had the write: it must be there.
            let in_force: bool =
                redis::cmd("HEXISTS").arg(DATA).arg(&key).query_async(&mut connection).await.map_err(unavailable)?;
            if !in_force && expires_at > now {
                return Err(StoreError::Unavailable(
                    "the revocation is not on the current primary (a failover?)".into(),
                ));
            }
        }
        if cursor.is_empty() {
            return Ok(None);
        }
        Ok(Some(RevocationEvent { cursor, revocation: stored.revocation, expires_at, audiences: stored.audiences }))
    }

    async fn is_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        subject: &str,
        client_id: &str,
        issued_at: i64,
    ) -> StoreResult<bool> {
        let mut keys = vec![
            Revocation::Token { jti: jti.to_owned() }.key(),
            Revocation::User { sub: subject.to_owned(), before: 0 }.key(),
            Revocation::Client { client_id: client_id.to_owned(), before: 0 }.key(),
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
            if parse_time(expiry)? > now && parse_revocation(value)?.covers(jti, sid, subject, client_id, issued_at) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn revocations_since(&self, cursor: &str, limit: usize) -> StoreResult<FeedPage> {
        if !is_stream_id(cursor) {
            return Ok(FeedPage::Gap);
        }
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
                let stored = parse_stored(&entry[1])?;
                Ok(RevocationEvent {
                    cursor: entry[0].clone(),
                    revocation: stored.revocation,
                    expires_at: parse_time(&entry[2])?,
                    audiences: stored.audiences,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(FeedPage::Events(events))
    }

    async fn revocation_feed_head(&self) -> StoreResult<String> {
        let last: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
            .arg(LOG)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(last.into_iter().next().map_or_else(|| "0-0".to_owned(), |(id, _)| id))
    }

    async fn revocation_snapshot_page(&self, page: Option<&str>, limit: usize) -> StoreResult<SnapshotPage> {
        let reply: Vec<String> = SNAPSHOT_PAGE
            .key(DATA)
            .key(LIVE)
            .arg(page.unwrap_or("0"))
            .arg(limit.max(1))
            .arg(shared_claims::unix_now())
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let Some((next, rest)) = reply.split_first() else {
            return Err(StoreError::Corrupt("empty reply from the snapshot script".into()));
        };
        let events = rest
            .chunks_exact(2)
            .map(|entry| {
                let stored = parse_stored(&entry[0])?;
                Ok(RevocationEvent {
                    cursor: String::new(),
                    revocation: stored.revocation,
                    expires_at: parse_time(&entry[1])?,
                    audiences: stored.audiences,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // HSCAN's walk is over when it hands back cursor 0.
        Ok(SnapshotPage { events, next: (next != "0").then(|| next.clone()) })
    }
}
