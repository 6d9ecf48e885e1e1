//! Login sessions of the authorization endpoint in Redis: one hash per session,
//! `as:{login:<sha256>}`, expiring at its idle end. Fields: `data` (JSON: username,
//! auth_time, credentials), `idle_expires_at`, `expires_at`, and `sids` (space-separated).
//!
//! ```text
//! create_login_session   MULTI: DEL + HSET + EXPIREAT idle end
//! login_session          HGETALL, live check
//! touch_login_session    TOUCH_LOGIN_SESSION script: slide the idle end
//! add_login_session_sid  ADD_LOGIN_SESSION_SID script: append if still there
//! delete_login_session   MULTI: HGETALL + DEL
//! ```

use std::collections::HashMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{from_json, keys, to_json, unavailable, RedisStore};
use crate::store::{LoginSession, LoginSessionStore, StoreResult};

/// The part fixed at login.
#[derive(Serialize, Deserialize)]
struct LoginData {
    username: String,
    auth_time: i64,
    credentials: String,
}

fn from_fields(mut fields: HashMap<String, String>) -> StoreResult<Option<LoginSession>> {
    let Some(data) = from_json::<LoginData>("login session", fields.remove("data"))? else {
        return Ok(None);
    };
    // The numbers are written by us as decimal integers, which parse as JSON.
    let mut number =
        |name: &str| -> StoreResult<i64> { Ok(from_json::<i64>("login session", fields.remove(name))?.unwrap_or(0)) };
    let idle_expires_at = number("idle_expires_at")?;
    let expires_at = number("expires_at")?;
    let sids = fields.remove("sids").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    Ok(Some(LoginSession {
        username: data.username,
        auth_time: data.auth_time,
        credentials: data.credentials,
        idle_expires_at,
        expires_at,
        sids,
    }))
}

/// HGETALL as a flat list (what a script returns) into a map.
fn pairs(flat: Vec<String>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        map.insert(name, value);
    }
    map
}

#[async_trait]
impl LoginSessionStore for RedisStore {
    async fn create_login_session(&self, key: &str, session: &LoginSession) -> StoreResult<()> {
        let redis_key = keys::login_session(key);
        let data = LoginData {
            username: session.username.clone(),
            auth_time: session.auth_time,
            credentials: session.credentials.clone(),
        };
        redis::pipe()
            .atomic()
            .cmd("DEL")
            .arg(&redis_key)
            .ignore()
            .cmd("HSET")
            .arg(&redis_key)
            .arg("data")
            .arg(to_json("login session", &data)?)
            .arg("idle_expires_at")
            .arg(session.idle_expires_at)
            .arg("expires_at")
            .arg(session.expires_at)
            .arg("sids")
            .arg(session.sids.join(" "))
            .ignore()
            .cmd("EXPIREAT")
            .arg(&redis_key)
            .arg(session.idle_expires_at.min(session.expires_at))
            .ignore()
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn login_session(&self, key: &str, now: i64) -> StoreResult<Option<LoginSession>> {
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(keys::login_session(key))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(from_fields(fields)?.filter(|s| s.is_live(now)))
    }

    async fn touch_login_session(&self, key: &str, now: i64, idle_ttl: i64) -> StoreResult<Option<LoginSession>> {
        let flat: Vec<String> = self
            .inner
            .scripts
            .touch_login_session
            .key(keys::login_session(key))
            .arg(now)
            .arg(now.saturating_add(idle_ttl))
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        from_fields(pairs(flat))
    }

    async fn add_login_session_sid(&self, key: &str, sid: &str) -> StoreResult<bool> {
        let added: i64 = self
            .inner
            .scripts
            .add_login_session_sid
            .key(keys::login_session(key))
            .arg(sid)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(added == 1)
    }

    async fn delete_login_session(&self, key: &str) -> StoreResult<Option<LoginSession>> {
        let redis_key = keys::login_session(key);
        let (fields,): (HashMap<String, String>,) = redis::pipe()
            .atomic()
            .cmd("HGETALL")
            .arg(&redis_key)
            .cmd("DEL")
            .arg(&redis_key)
            .ignore()
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        from_fields(fields)
    }
}
