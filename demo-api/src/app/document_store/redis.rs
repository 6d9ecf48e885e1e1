//! Documents in the resource server's own Redis, shared by every replica: a document
//! created through one is listed by all. Key layout: [`redis_keys`](super::redis_keys).
//!
//! - One [`ConnectionManager`] (a multiplexed connection that reconnects by itself)
//!   shared by all requests, made by the first operation: the server starts while
//!   Redis is down, and operations fail meanwhile.
//! - Adding is a Lua script, so checking the owner's bounds and adding are one atomic
//!   step (scripts rather than WATCH/MULTI: WATCH belongs to a connection, and the
//!   connection is shared by concurrent requests).
//! - The bound on owners is a set in its own slot. A new owner's first document is
//!   first checked against the owner's own bounds, then the owner takes a place in the
//!   set (if there is room), then the document is added, checked again. So a first
//!   document refused for its own size takes no place. One that breaks both an
//!   owner's bound and the bound on owners is refused either way; Redis names the
//!   owner's bound, the memory store the other. A place taken by an owner whose
//!   document then fails to be added (Redis lost meanwhile) stays the owner's.
//!
//! Errors: a failed connection or command is [`StoreError::Unavailable`], with the
//! Redis error's text (it names the command's error or the server's address, never
//! the command's arguments nor the URL's password); a document that does not parse is
//! [`StoreError::Corrupt`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::OnceCell;

use super::redis_keys::{OwnerKeys, OWNERS};
use super::{Document, StoreError, StoreLimits};

/// How long one command may take before the store counts as unavailable, and how
/// long one connection attempt may take: short, so that while Redis is unreachable a
/// request fails within about a second (503 with `Retry-After`) instead of piling up.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(700);
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(300);
/// One connection attempt per reconnection: the connection manager's retries happen
/// while callers wait on them. The next operation after a failed attempt tries again.
const CONNECTION_RETRIES: usize = 0;

/// Adds a document if the owner's bounds allow it.
///
/// KEYS[1]: the owner's documents, KEYS[2]: their bytes. ARGV: the document (JSON),
/// its bytes, the most documents, the most bytes, `1` if the owner may be new (it
/// holds a place among the owners). Returns `added`, `full`, `over_budget` or
/// `new_owner` (nothing added: the owner must take a place first).
const ADD: &str = r"
local count = redis.call('LLEN', KEYS[1])
if count >= tonumber(ARGV[3]) then return 'full' end
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
if bytes + tonumber(ARGV[2]) > tonumber(ARGV[4]) then return 'over_budget' end
if count == 0 and ARGV[5] ~= '1' then return 'new_owner' end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[2])
return 'added'
";

/// Gives the owner a place among the owners if it has one or there is room.
///
/// KEYS[1]: the owner set. ARGV: the owner key, the most owners. Returns 1 if the
/// owner has a place, 0 if there is none left.
const TAKE_PLACE: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
";

/// The Redis URL could not be parsed (the text never echoes the URL: it may hold a
/// password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Redis URL ({0})")]
pub struct InvalidRedisUrl(String);

pub struct RedisStore {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    limits: StoreLimits,
    add: Script,
    take_place: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the client: its connection info holds the password.
        f.debug_struct("RedisStore").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl RedisStore {
    pub(super) fn new(url: &str, limits: StoreLimits) -> Result<Self, InvalidRedisUrl> {
        let client = redis::Client::open(url).map_err(|e| InvalidRedisUrl(format!("{:?}", e.kind())))?;
        Ok(Self {
            client,
            connection: OnceCell::new(),
            limits,
            add: Script::new(ADD),
            take_place: Script::new(TAKE_PLACE),
        })
    }

    /// A handle on the shared connection, connecting first if no operation has yet.
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let connect = || {
            let config = ConnectionManagerConfig::new()
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                .set_connection_timeout(Some(CONNECTION_TIMEOUT))
                .set_number_of_retries(CONNECTION_RETRIES);
            ConnectionManager::new_with_config(self.client.clone(), config)
        };
        self.connection.get_or_try_init(connect).await.cloned().map_err(unavailable)
    }

    pub(super) async fn list(&self, owner_key: &str) -> Result<Vec<Arc<Document>>, StoreError> {
        let texts: Vec<String> = redis::cmd("LRANGE")
            .arg(OwnerKeys::new(owner_key).documents)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.connection().await?)
            .await
            .map_err(unavailable)?;
        texts
            .iter()
            .map(|text| serde_json::from_str(text).map(Arc::new).map_err(|e| corrupt("a document", &e)))
            .collect()
    }

    pub(super) async fn add(&self, owner_key: &str, document: Document) -> Result<Arc<Document>, StoreError> {
        let json = serde_json::to_string(&document).map_err(|e| corrupt("a new document", &e))?;
        let bytes = document.stored_bytes();
        let limits = self.limits;
        let keys = OwnerKeys::new(owner_key);
        let mut connection = self.connection().await?;
        let mut outcome = self.try_add(&mut connection, &keys, &json, bytes, false).await?;
        if outcome == "new_owner" {
            let placed: i64 = self
                .take_place
                .key(OWNERS)
                .arg(owner_key)
                .arg(limits.max_owners)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if placed == 0 {
                return Err(StoreError::TooManyOwners(limits.max_owners));
            }
            outcome = self.try_add(&mut connection, &keys, &json, bytes, true).await?;
        }
        match outcome.as_str() {
            "added" => Ok(Arc::new(document)),
            "full" => Err(StoreError::Full(limits.max_documents_per_owner)),
            "over_budget" => Err(StoreError::OverBudget(limits.max_bytes_per_owner)),
            other => Err(StoreError::Corrupt(format!("the add script answered {other:?}"))),
        }
    }

    /// One run of [`ADD`]; `placed`: the owner holds a place among the owners.
    async fn try_add(
        &self,
        connection: &mut ConnectionManager,
        keys: &OwnerKeys,
        json: &str,
        bytes: usize,
        placed: bool,
    ) -> Result<String, StoreError> {
        self.add
            .key(&keys.documents)
            .key(&keys.bytes)
            .arg(json)
            .arg(bytes)
            .arg(self.limits.max_documents_per_owner)
            .arg(self.limits.max_bytes_per_owner)
            .arg(u8::from(placed))
            .invoke_async(connection)
            .await
            .map_err(unavailable)
    }
}

fn unavailable(err: redis::RedisError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// Where the JSON broke, not its text (the content is the owner's).
fn corrupt(what: &str, err: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "{what} does not parse ({:?} at line {} column {})",
        err.classify(),
        err.line(),
        err.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_url_is_refused_without_echoing_it() {
        for url in ["", "http://127.0.0.1:6379", "redis://:hunter2@127.0.0.1:notaport"] {
            let err = RedisStore::new(url, StoreLimits::default()).expect_err(url);
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn debug_output_hides_the_url() {
        let store = RedisStore::new("redis://:hunter2@127.0.0.1:6379/3", StoreLimits::default()).unwrap();
        assert!(!format!("{store:?}").contains("hunter2"));
    }
}
