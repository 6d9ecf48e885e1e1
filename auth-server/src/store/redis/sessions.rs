//! Login sessions in Redis.
//!
//! ```text
//! create_session  MULTI: DEL + HSET as:{s:<sid>} + EXPIREAT idle end   (session slot)
//!                 then INDEX_SESSION on as:{u:<name>}:sessions and
//!                 as:{u:<name>}:client:<client_id>  (user slot): the cap
//! session         HGETALL, live check
//! rotate_refresh  ROTATE_REFRESH script: the whole decision in one step
//! delete_session  MULTI: HGETALL + DEL, then ZREM from both indexes
//! user_sessions   ZRANGEBYSCORE on the index, then one pipeline of HGETALLs
//! ```
//!
//! A session and its user's index live in different slots, so no one command
//! changes both: the session is written first and is the truth; an index entry
//! whose session is gone (expired, reused, revoked) is skipped on read and pruned.
//! The index is scored by the session's absolute end, which never changes, because
//! the idle end slides with every rotation and the rotation script cannot reach the
//! index's slot.

use std::collections::HashMap;

use async_trait::async_trait;
use shared_claims::unix_now;

use super::{keys, session_hash, unavailable, RedisStore};
use crate::store::{RotateOutcome, Rotation, Session, SessionStore, StoreError, StoreResult};

#[async_trait]
impl SessionStore for RedisStore {
    async fn create_session(&self, session: &Session, max_per_client: usize) -> StoreResult<Vec<String>> {
        let key = keys::session(&session.sid);
        let fields = session_hash::to_fields(session)?;
        // Never kept past the absolute end, even if the caller's idle end were later.
        let expires = session.idle_expires_at.min(session.expires_at);
        let mut connection = self.connection();
        // MULTI/EXEC: the hash never exists without its expiry. The DEL drops any
        // optional fields of an earlier session of that id.
        redis::pipe()
            .atomic()
            .cmd("DEL")
            .arg(&key)
            .ignore()
            .cmd("HSET")
            .arg(&key)
            .arg(fields)
            .ignore()
            .cmd("EXPIREAT")
            .arg(&key)
            .arg(expires)
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)?;
        let over = self
            .inner
            .scripts
            .index_session
            .key(keys::user_sessions(&session.username))
            .key(keys::user_client_sessions(&session.username, &session.client_id))
            .arg(&session.sid)
            .arg(index_score(session.expires_at))
            .arg(unix_now())
            .arg(max_per_client)
            .invoke_async::<Vec<String>>(&mut connection)
            .await
            .map_err(unavailable)?;
        self.live_or_unindexed(session, over).await
    }

    async fn session(&self, sid: &str) -> StoreResult<Option<Session>> {
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(keys::session(sid))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let now = unix_now();
        Ok(session_hash::from_fields(&fields)?.filter(|s| s.is_live(now)))
    }

    async fn rotate_refresh(&self, sid: &str, presented_jti: &str, rotation: &Rotation) -> StoreResult<RotateOutcome> {
        let (outcome, flat): (String, Vec<String>) = self
            .inner
            .scripts
            .rotate_refresh
            .key(keys::session(sid))
            .arg(presented_jti)
            .arg(&rotation.new_jti)
            .arg(rotation.now)
            .arg(rotation.now.saturating_add(rotation.idle_ttl))
            .arg(rotation.reuse_grace)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        let session = || {
            session_hash::from_flat(flat)
                .and_then(|s| s.ok_or_else(|| StoreError::Corrupt("rotation returned no session".into())))
        };
        match outcome.as_str() {
            "rotated" => Ok(RotateOutcome::Rotated(session()?)),
            "grace" => Ok(RotateOutcome::Grace(session()?)),
            "reused" => Ok(RotateOutcome::Reused(session()?)),
            "not_found" => Ok(RotateOutcome::NotFound),
            "corrupt" => Err(StoreError::Corrupt("session hash lacks its rotation fields".into())),
            other => Err(StoreError::Corrupt(format!("unexpected rotation outcome `{other}`").into())),
        }
    }

    async fn delete_session(&self, sid: &str) -> StoreResult<Option<Session>> {
        let key = keys::session(sid);
        let mut connection = self.connection();
        // MULTI/EXEC: of two concurrent deletes only one sees the session.
        let (fields,): (HashMap<String, String>,) = redis::pipe()
            .atomic()
            .cmd("HGETALL")
            .arg(&key)
            .cmd("DEL")
            .arg(&key)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let Some(session) = session_hash::from_fields(&fields)? else {
            return Ok(None);
        };
        // Tidying the index is best effort: the session itself is already gone,
        // and a dangling entry is skipped on read.
        let removed = redis::pipe()
            .cmd("ZREM")
            .arg(keys::user_sessions(&session.username))
            .arg(sid)
            .ignore()
            .cmd("ZREM")
            .arg(keys::user_client_sessions(&session.username, &session.client_id))
            .arg(sid)
            .ignore()
            .query_async::<()>(&mut connection)
            .await;
        if let Err(err) = removed {
            tracing::warn!(error = %shared_claims::error_chain(&err), "could not remove a deleted session from its user's index");
        }
        Ok(Some(session).filter(|s| s.is_live(unix_now())))
    }

    async fn user_sessions(&self, username: &str) -> StoreResult<Vec<Session>> {
        let index = keys::user_sessions(username);
        let now = unix_now();
        let mut connection = self.connection();
        // Round trip 1: drop entries past their absolute end, read the rest.
        let (sids,): (Vec<String>,) = redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&index)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZRANGEBYSCORE")
            .arg(&index)
            .arg(format!("({now}"))
            .arg("+inf")
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        // Round trip 2: every session (each in its own slot).
        let reads = sids.iter().map(|sid| redis::cmd("HGETALL").arg(keys::session(sid)).to_owned()).collect();
        let hashes: Vec<HashMap<String, String>> = self.query_each(reads).await?;

        let mut live = Vec::with_capacity(sids.len());
        let mut stale = Vec::new();
        for (sid, fields) in sids.into_iter().zip(hashes) {
            match session_hash::from_fields(&fields)? {
                Some(s) if s.is_live(now) && s.username == username => live.push(s),
                _ => stale.push(sid),
            }
        }
        if !stale.is_empty() {
            // Best effort, like in `delete_session`.
            let removed = redis::cmd("ZREM").arg(&index).arg(&stale).query_async::<i64>(&mut connection).await;
            if let Err(err) = removed {
                tracing::warn!(error = %shared_claims::error_chain(&err), "could not prune a user's session index");
            }
        }
        live.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        Ok(live)
    }
}

impl RedisStore {
    /// Of the sessions the cap names, those whose hash is gone (idle-expired, ended by
    /// a rotation) are dropped from `session`'s user's indexes instead: they were
    /// counted only because the index, in another slot, cannot see them expire.
    /// The live ones are returned, for the caller to revoke.
    async fn live_or_unindexed(&self, session: &Session, over: Vec<String>) -> StoreResult<Vec<String>> {
        if over.is_empty() {
            return Ok(over);
        }
        let mut connection = self.connection();
        let exists = over.iter().map(|sid| redis::cmd("EXISTS").arg(keys::session(sid)).to_owned()).collect();
        let present: Vec<bool> = self.query_each(exists).await?;
        let (live, ended): (Vec<_>, Vec<_>) = over.into_iter().zip(present).partition(|(_, present)| *present);
        let ended: Vec<String> = ended.into_iter().map(|(sid, _)| sid).collect();
        if !ended.is_empty() {
            redis::pipe()
                .cmd("ZREM")
                .arg(keys::user_sessions(&session.username))
                .arg(&ended)
                .ignore()
                .cmd("ZREM")
                .arg(keys::user_client_sessions(&session.username, &session.client_id))
                .arg(&ended)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)?;
        }
        Ok(live.into_iter().map(|(sid, _)| sid).collect())
    }
}

/// A session's score in its user's indexes: its absolute end, plus the milliseconds of
/// the moment it is indexed as a fraction, so that among sessions ending in the same
/// second (logins of the same second) the earlier login is the older one.
fn index_score(expires_at: i64) -> String {
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_millis());
    format!("{expires_at}.{millis:03}")
}
