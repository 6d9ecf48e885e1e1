//! The Redis store: all server-side state in Redis, so it survives restarts and is
//! shared by every replica of the auth server.
//!
//! - One [`ConnectionManager`] (a multiplexed connection that reconnects by itself)
//!   is shared by all requests; cloning the store clones a handle, not a connection.
//! - Key layout and hash tags: [`keys`]. No `KEYS` command is ever used; users are
//!   listed with `SCAN` ([`user_listing`]).
//! - Multi-step changes are Lua scripts ([`scripts`]): the refresh rotation, the
//!   signing-key compare-and-set, the failure counters of the login throttle, the
//!   single use of authorization codes ([`codes`]) and the sliding of login sessions
//!   ([`login_sessions`]).
//! - Records expire with their tokens: a session at its idle end, a user's session
//!   index with its last session. Users, clients and keys live until deleted.
//! - Private signing keys are encrypted at rest ([`key_encryption`]).
//!
//! Errors: a failed connection or command is [`StoreError::Unavailable`]; a record
//! that does not parse is [`StoreError::Corrupt`] (reported without its content).

mod codes;
mod failures;
mod key_encryption;
mod keys;
mod login_sessions;
mod revocations;
mod scripts;
mod session_hash;
mod sessions;
mod signing_keys;
mod user_listing;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::de::DeserializeOwned;

use self::scripts::Scripts;
use self::session_hash::corrupt;
use super::{ClientRecord, ClientStore, Health, StoreError, StoreResult, UserPage, UserRecord, UserStore};

pub use self::key_encryption::KeyEncryptionKey;

/// How long one command may take before the store counts as unavailable, and how long
/// one connection attempt may take. Short, so that while Redis is unreachable every
/// store call fails within about a second (callers answer 503 with `Retry-After`)
/// instead of requests piling up behind it; Redis answers in well under a
/// millisecond when it is there.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(700);
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(300);
/// One connection attempt per reconnection, no retries: the connection manager's
/// retries (with exponential backoff) happen while callers wait on them, for seconds.
/// The next call after a failed attempt tries again.
const CONNECTION_RETRIES: usize = 0;

/// The Redis implementation of every store trait. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    connection: ConnectionManager,
    key_encryption_key: KeyEncryptionKey,
    scripts: Scripts,
}

impl RedisStore {
    /// Connects to `url` (`redis://[user:password@]host:port/db`, or `rediss://`),
    /// failing now rather than at the first request when Redis is unreachable.
    /// `key_encryption_key` encrypts the private signing keys (`AUTH_KEY_ENCRYPTION_KEY`);
    /// a `[u8; 32]` or a parsed [`KeyEncryptionKey`].
    pub async fn connect(url: &str, key_encryption_key: impl Into<KeyEncryptionKey>) -> StoreResult<Self> {
        // The URL may hold a password: the error never echoes it.
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("REDIS_URL is not a valid Redis URL ({:?})", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_number_of_retries(CONNECTION_RETRIES);
        let connection = ConnectionManager::new_with_config(client, config).await.map_err(unavailable)?;
        Ok(Self {
            inner: Arc::new(Inner {
                connection,
                key_encryption_key: key_encryption_key.into(),
                scripts: Scripts::new(),
            }),
        })
    }

    /// A handle on the shared connection; `query_async` needs it mutably.
    fn connection(&self) -> ConnectionManager {
        self.inner.connection.clone()
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").field("key_encryption_key", &self.inner.key_encryption_key).finish_non_exhaustive()
    }
}

/// A connection or command failure. Redis error texts name the command's error,
/// never its arguments, so they are safe to report.
fn unavailable(err: redis::RedisError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| corrupt(what, &e))
}

fn from_json<T: DeserializeOwned>(what: &str, text: Option<String>) -> StoreResult<Option<T>> {
    text.map(|text| serde_json::from_str(&text).map_err(|e| corrupt(what, &e))).transpose()
}

#[async_trait]
impl UserStore for RedisStore {
    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let text: Option<String> = redis::cmd("GET")
            .arg(keys::user(username))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        from_json("user record", text)
    }

    async fn insert_user(&self, user: &UserRecord) -> StoreResult<bool> {
        // SET NX: only if absent, in one step; the reply is OK or nil.
        let reply: Option<String> = redis::cmd("SET")
            .arg(keys::user(&user.username))
            .arg(to_json("user record", user)?)
            .arg("NX")
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(reply.is_some())
    }

    async fn put_user(&self, user: &UserRecord) -> StoreResult<()> {
        redis::cmd("SET")
            .arg(keys::user(&user.username))
            .arg(to_json("user record", user)?)
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        // The user's sessions are revoked by the caller (`delete_session`); they
        // and their index expire on their own.
        let deleted: i64 = redis::cmd("DEL")
            .arg(keys::user(username))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(deleted > 0)
    }

    async fn users_page(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Option<UserPage>> {
        self.scan_users(cursor, limit).await
    }
}

#[async_trait]
impl ClientStore for RedisStore {
    async fn client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        let text: Option<String> = redis::cmd("HGET")
            .arg(keys::CLIENTS)
            .arg(client_id)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        from_json("client record", text)
    }

    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        // HSETNX: sets the field only if absent; 1 if it did.
        let created: i64 = redis::cmd("HSETNX")
            .arg(keys::CLIENTS)
            .arg(&client.client_id)
            .arg(to_json("client record", client)?)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(created == 1)
    }

    async fn put_client(&self, client: &ClientRecord) -> StoreResult<()> {
        redis::cmd("HSET")
            .arg(keys::CLIENTS)
            .arg(&client.client_id)
            .arg(to_json("client record", client)?)
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        let all: HashMap<String, String> =
            redis::cmd("HGETALL").arg(keys::CLIENTS).query_async(&mut self.connection()).await.map_err(unavailable)?;
        let mut clients = all
            .into_values()
            .map(|text| serde_json::from_str::<ClientRecord>(&text).map_err(|e| corrupt("client record", &e)))
            .collect::<StoreResult<Vec<_>>>()?;
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        let deleted: i64 = redis::cmd("HDEL")
            .arg(keys::CLIENTS)
            .arg(client_id)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(deleted > 0)
    }
}

#[async_trait]
impl Health for RedisStore {
    async fn ping(&self) -> StoreResult<()> {
        redis::cmd("PING").query_async::<String>(&mut self.connection()).await.map(drop).map_err(unavailable)
    }
}
