//! The demo API's documents, per owner, behind one small API with two implementations:
//!
//! - [`MemoryStore`], the default: in this process only. Nothing survives a restart,
//!   and replicas behind a load balancer each see their own documents.
//! - [`RedisStore`] (`RS_DOCUMENTS_REDIS_URL`): in the resource server's own Redis,
//!   shared by every replica, so that the processes themselves keep no state.
//!
//! Both pass one contract suite (`contract_tests`). An enum rather than a trait
//! object: two implementations, known here, and async methods without boxing.
//!
//! Owners are keys chosen by the caller ([`owner_key`]): a user and a client that
//! happen to share a `sub` never share documents.
//!
//! Storage is bounded three ways, each refused with its own [`StoreError`]:
//!
//! | bound                               | default   | HTTP (see `documents.rs`)          |
//! |-------------------------------------|-----------|------------------------------------|
//! | documents per owner                 | 1 000     | 409 `limit_reached`                |
//! | bytes per owner (titles + contents) | 1 MiB     | 409 `limit_reached`                |
//! | owners                              | 10 000    | 507 `insufficient_storage`         |

#[cfg(any(test, feature = "test-support"))]
pub mod contract_tests;
mod memory;
mod redis;
mod redis_keys;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared_claims::{unix_now, AccessClaims};

pub use self::memory::MemoryStore;
pub use self::redis::{InvalidRedisUrl, RedisStore};

/// A stored document, as returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Random, 128 bits, hex: unguessable, so ids reveal nothing about other owners.
    pub id: String,
    /// The `sub` of the token that created it.
    pub owner: String,
    pub title: String,
    pub content: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl Document {
    /// A new document with a fresh id, created now.
    fn new(owner: &str, title: String, content: String) -> Result<Self, StoreError> {
        Ok(Self { id: new_id()?, owner: owner.to_owned(), title, content, created_at: unix_now() })
    }

    /// What the document counts against its owner's byte budget.
    fn stored_bytes(&self) -> usize {
        self.title.len() + self.content.len()
    }
}

/// The store key of the token's owner: `user:<sub>` for a user's token (it has a
/// login session, `sid`), `client:<sub>` for a client's own token
/// (`client_credentials`, whose `sub` is the client id, RFC 9068 §2.2). Usernames and
/// client ids are distinct today, but a store keyed by `sub` alone would let a client
/// named like a user read that user's documents (RFC 9700 §4.15.1).
pub fn owner_key(claims: &AccessClaims) -> String {
    match claims.sid {
        Some(_) => format!("user:{}", claims.sub),
        None => format!("client:{}", claims.sub),
    }
}

/// Why the store refused or failed an operation. The texts of `Unavailable` and
/// `Corrupt` are for the log, never for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the owner already has {0} documents, the most allowed")]
    Full(usize),
    #[error("the owner's documents would exceed {0} bytes of titles and contents, the most allowed")]
    OverBudget(usize),
    #[error("the store holds documents for {0} owners, the most allowed")]
    TooManyOwners(usize),
    #[error("cannot generate a document id")]
    Id,
    /// The store could not be reached or did not answer: worth a retry.
    #[error("the document store is unavailable: {0}")]
    Unavailable(String),
    /// The store answered something that does not parse.
    #[error("the document store holds a corrupt record: {0}")]
    Corrupt(String),
}

/// The bounds of a [`DocumentStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    pub max_documents_per_owner: usize,
    /// Title and content bytes per owner, in total.
    pub max_bytes_per_owner: usize,
    pub max_owners: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            max_documents_per_owner: DocumentStore::DEFAULT_MAX_PER_OWNER,
            max_bytes_per_owner: DocumentStore::DEFAULT_MAX_BYTES_PER_OWNER,
            max_owners: DocumentStore::DEFAULT_MAX_OWNERS,
        }
    }
}

/// The documents, in this process or in Redis.
#[derive(Debug)]
pub enum DocumentStore {
    Memory(MemoryStore),
    /// Boxed: the connection and its scripts are larger than the memory store.
    Redis(Box<RedisStore>),
}

impl Default for DocumentStore {
    fn default() -> Self {
        Self::with_limits(StoreLimits::default())
    }
}

impl DocumentStore {
    /// Bounds the storage one caller can take.
    pub const DEFAULT_MAX_PER_OWNER: usize = 1000;
    pub const DEFAULT_MAX_BYTES_PER_OWNER: usize = 1024 * 1024;
    /// Bounds the storage all callers together can take (with the per-owner bounds:
    /// about 10 GiB at the very worst, far less in practice for a demo).
    pub const DEFAULT_MAX_OWNERS: usize = 10_000;

    /// In memory, with the default limits but `max_per_owner` documents per owner.
    pub fn with_limit(max_per_owner: usize) -> Self {
        Self::with_limits(StoreLimits { max_documents_per_owner: max_per_owner, ..StoreLimits::default() })
    }

    /// In memory.
    pub fn with_limits(limits: StoreLimits) -> Self {
        Self::Memory(MemoryStore::with_limits(limits))
    }

    /// In the Redis at `url` (`redis://[user:password@]host:port/db`, or `rediss://`).
    /// Only the URL is checked here: the connection is made by the first operation,
    /// so the server starts even while Redis is down (operations fail meanwhile).
    pub fn redis(url: &str, limits: StoreLimits) -> Result<Self, InvalidRedisUrl> {
        RedisStore::new(url, limits).map(|store| Self::Redis(Box::new(store)))
    }

    /// The owner's documents, oldest first.
    pub async fn list(&self, owner_key: &str) -> Result<Vec<Arc<Document>>, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.list(owner_key)),
            Self::Redis(store) => store.list(owner_key).await,
        }
    }

    /// Adds a document for the owner stored under `owner_key`, recording `owner` (the
    /// token's `sub`) in it.
    pub async fn add(
        &self,
        owner_key: &str,
        owner: &str,
        title: String,
        content: String,
    ) -> Result<Arc<Document>, StoreError> {
        let document = Document::new(owner, title, content)?;
        match self {
            Self::Memory(store) => store.add(owner_key, document),
            Self::Redis(store) => store.add(owner_key, document).await,
        }
    }
}

fn new_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).map_err(|_| StoreError::Id)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
