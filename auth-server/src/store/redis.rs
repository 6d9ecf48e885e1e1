//! The Redis store: all server-side state in Redis, so it survives restarts and is
//! shared by every replica of the auth server.
//!
//! - One multiplexed connection that reconnects by itself, to one node or to a Redis
//!   Cluster ([`connection`]), is shared by all requests; cloning the store clones a
//!   handle, not a connection.
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

mod cluster_connection;
mod codes;
mod connection;
mod failures;
mod key_encryption;
mod keys;
mod login_sessions;
mod replica_acks;
mod revocations;
mod scripts;
mod session_hash;
mod sessions;
mod signing_keys;
mod user_listing;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use redis::{Cmd, FromRedisValue};
use serde::de::DeserializeOwned;

use self::connection::Connection;
use self::replica_acks::ReplicaAcks;
use self::scripts::Scripts;
use self::session_hash::corrupt;
use super::{ClientRecord, ClientStore, Health, StoreError, StoreResult, UserPage, UserRecord, UserStore};

pub use self::connection::RedisTarget;
pub use self::key_encryption::KeyEncryptionKey;

/// The Redis implementation of every store trait. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    connection: Connection,
    /// Set when revocations wait for replicas.
    replica_acks: Option<ReplicaAcks>,
    key_encryption_key: KeyEncryptionKey,
    scripts: Scripts,
}

impl RedisStore {
    /// Connects to `url` (`redis://[user:password@]host:port/db`, or `rediss://`),
    /// failing now rather than at the first request when Redis is unreachable.
    /// `key_encryption_key` encrypts the private signing keys (`AUTH_KEY_ENCRYPTION_KEY`);
    /// a `[u8; 32]` or a parsed [`KeyEncryptionKey`].
    pub async fn connect(url: &str, key_encryption_key: impl Into<KeyEncryptionKey>) -> StoreResult<Self> {
        Self::connect_to(&RedisTarget::Node(url.to_owned()), key_encryption_key).await
    }

    /// Connects to a Redis Cluster through some of its nodes (`redis://` or `rediss://`
    /// URLs); the same data model, sharded by hash tag.
    pub async fn connect_cluster(
        urls: &[String],
        key_encryption_key: impl Into<KeyEncryptionKey>,
    ) -> StoreResult<Self> {
        Self::connect_to(&RedisTarget::Cluster(urls.to_vec()), key_encryption_key).await
    }

    /// Connects to a single node or a cluster; revocations wait for the target's
    /// default number of replicas ([`RedisTarget::default_wait_replicas`]).
    pub async fn connect_to(
        target: &RedisTarget,
        key_encryption_key: impl Into<KeyEncryptionKey>,
    ) -> StoreResult<Self> {
        Self::connect_waiting_for(target, target.default_wait_replicas(), key_encryption_key).await
    }

    /// Like [`Self::connect_to`]; a revocation is acknowledged only once `replicas`
    /// replicas hold it ([`replica_acks`]), 0 for at once.
    pub async fn connect_waiting_for(
        target: &RedisTarget,
        replicas: u32,
        key_encryption_key: impl Into<KeyEncryptionKey>,
    ) -> StoreResult<Self> {
        let connection = Connection::open(target).await?;
        let replica_acks = ReplicaAcks::open(target, replicas).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                connection,
                replica_acks,
                key_encryption_key: key_encryption_key.into(),
                scripts: Scripts::new(),
            }),
        })
    }

    /// A handle on the shared connection; `query_async` needs it mutably.
    fn connection(&self) -> Connection {
        self.inner.connection.clone()
    }

    /// The replies to `commands`, in order, each command naming one key. On a single
    /// node they go as one pipeline. In a cluster their keys may lie in different
    /// slots, which one pipeline may not span: they go as concurrent commands, which
    /// the multiplexed connection still writes together, one round trip per node.
    async fn query_each<T: FromRedisValue>(&self, commands: Vec<Cmd>) -> StoreResult<Vec<T>> {
        let mut connection = self.connection();
        if !connection.is_cluster() {
            let mut pipe = redis::pipe();
            for command in commands {
                pipe.add_command(command);
            }
            return pipe.query_async(&mut connection).await.map_err(unavailable);
        }
        let replies = commands.iter().map(|command| {
            let mut connection = connection.clone();
            async move { command.query_async::<T>(&mut connection).await }
        });
        futures_util::future::try_join_all(replies).await.map_err(unavailable)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").field("key_encryption_key", &self.inner.key_encryption_key).finish_non_exhaustive()
    }
}

/// A connection or command failure, kept as the cause. Redis error texts name the
/// command's error or the server's address, never the command's arguments nor the
/// URL's password, so the chain is safe to log.
fn unavailable(err: redis::RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(err))
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
