//! Documents kept in memory, per owner. One process, nothing survives a restart: this
//! is the demo's storage, behind a small API a real store could replace.
//!
//! Owners are keys chosen by the caller ([`owner_key`]): a user and a client that
//! happen to share a `sub` never share documents.
//!
//! Memory is bounded three ways, each refused with its own [`StoreError`]:
//!
//! | bound                               | default   | HTTP (see `documents.rs`)          |
//! |-------------------------------------|-----------|------------------------------------|
//! | documents per owner                 | 1 000     | 409 `limit_reached`                |
//! | bytes per owner (titles + contents) | 1 MiB     | 409 `limit_reached`                |
//! | owners                              | 10 000    | 507 `insufficient_storage`         |
//!
//! Documents are stored as `Arc<Document>`: listing clones pointers under the lock, and
//! the serialisation happens after it is released, so one large listing never holds
//! the process-wide mutex for long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use shared_claims::{unix_now, AccessClaims};

/// A stored document, as returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The store refused to add a document.
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

#[derive(Debug, Default)]
struct Owned {
    documents: Vec<Arc<Document>>,
    bytes: usize,
}

#[derive(Debug)]
pub struct DocumentStore {
    by_owner: Mutex<HashMap<String, Owned>>,
    limits: StoreLimits,
}

impl Default for DocumentStore {
    fn default() -> Self {
        Self::with_limits(StoreLimits::default())
    }
}

impl DocumentStore {
    /// Bounds the memory one caller can take.
    pub const DEFAULT_MAX_PER_OWNER: usize = 1000;
    pub const DEFAULT_MAX_BYTES_PER_OWNER: usize = 1024 * 1024;
    /// Bounds the memory all callers together can take (with the per-owner bounds:
    /// about 10 GiB at the very worst, far less in practice for a demo).
    pub const DEFAULT_MAX_OWNERS: usize = 10_000;

    /// The default limits, with `max_per_owner` documents per owner.
    pub fn with_limit(max_per_owner: usize) -> Self {
        Self::with_limits(StoreLimits { max_documents_per_owner: max_per_owner, ..StoreLimits::default() })
    }

    pub fn with_limits(limits: StoreLimits) -> Self {
        Self { by_owner: Mutex::new(HashMap::new()), limits }
    }

    /// The owner's documents, oldest first. Only pointers are copied under the lock.
    pub fn list(&self, owner_key: &str) -> Vec<Arc<Document>> {
        self.lock().get(owner_key).map(|owned| owned.documents.clone()).unwrap_or_default()
    }

    /// Adds a document for the owner stored under `owner_key`, recording `owner` (the
    /// token's `sub`) in it.
    pub fn add(
        &self,
        owner_key: &str,
        owner: &str,
        title: String,
        content: String,
    ) -> Result<Arc<Document>, StoreError> {
        let id = new_id()?;
        let document = Arc::new(Document { id, owner: owner.to_owned(), title, content, created_at: unix_now() });
        let bytes = document.stored_bytes();
        let limits = self.limits;
        let mut by_owner = self.lock();
        if !by_owner.contains_key(owner_key) && by_owner.len() >= limits.max_owners {
            return Err(StoreError::TooManyOwners(limits.max_owners));
        }
        let owned = by_owner.entry(owner_key.to_owned()).or_default();
        let refused = if owned.documents.len() >= limits.max_documents_per_owner {
            Some(StoreError::Full(limits.max_documents_per_owner))
        } else if owned.bytes.saturating_add(bytes) > limits.max_bytes_per_owner {
            Some(StoreError::OverBudget(limits.max_bytes_per_owner))
        } else {
            None
        };
        if let Some(err) = refused {
            if owned.documents.is_empty() {
                by_owner.remove(owner_key); // a refused first document creates no owner
            }
            return Err(err);
        }
        owned.bytes += bytes;
        owned.documents.push(document.clone());
        Ok(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Owned>> {
        self.by_owner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn new_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).map_err(|_| StoreError::Id)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(store: &DocumentStore, owner: &str, title: &str, content: &str) -> Result<Arc<Document>, StoreError> {
        store.add(owner, owner, title.into(), content.into())
    }

    #[test]
    fn keeps_documents_per_owner() {
        let store = DocumentStore::default();
        let a = add(&store, "alice", "t", "c").unwrap();
        add(&store, "bob", "u", "d").unwrap();
        assert_eq!(store.list("alice"), std::slice::from_ref(&a));
        assert_eq!(a.id.len(), 32);
        assert!(store.list("carol").is_empty());
    }

    #[test]
    fn listing_shares_the_stored_documents() {
        let store = DocumentStore::default();
        let a = add(&store, "alice", "t", &"c".repeat(1000)).unwrap();
        let listed = store.list("alice");
        assert!(Arc::ptr_eq(&listed[0], &a), "a listing copies pointers, not documents");
    }

    #[test]
    fn records_the_sub_under_the_owner_key() {
        let store = DocumentStore::default();
        let document = store.add("user:alice", "alice", "t".into(), "c".into()).unwrap();
        assert_eq!(document.owner, "alice");
        assert_eq!(store.list("user:alice").len(), 1);
        assert!(store.list("client:alice").is_empty());
        assert!(store.list("alice").is_empty());
    }

    #[test]
    fn bounds_each_owner() {
        let store = DocumentStore::with_limit(2);
        add(&store, "alice", "1", "").unwrap();
        add(&store, "alice", "2", "").unwrap();
        assert_eq!(add(&store, "alice", "3", ""), Err(StoreError::Full(2)));
        assert!(add(&store, "bob", "1", "").is_ok());
    }

    #[test]
    fn bounds_the_bytes_of_each_owner() {
        let limits = StoreLimits { max_bytes_per_owner: 100, ..StoreLimits::default() };
        let store = DocumentStore::with_limits(limits);
        add(&store, "alice", "t", &"c".repeat(59)).unwrap(); // 60 bytes
        add(&store, "alice", "tt", &"c".repeat(38)).unwrap(); // 100 bytes: exactly the budget
        assert_eq!(add(&store, "alice", "t", ""), Err(StoreError::OverBudget(100)));
        assert_eq!(store.list("alice").len(), 2);
        assert!(add(&store, "bob", "t", &"c".repeat(99)).is_ok(), "budgets are per owner");
        assert_eq!(add(&store, "carol", "t", &"c".repeat(100)), Err(StoreError::OverBudget(100)));
        assert_eq!(DocumentStore::default().limits.max_bytes_per_owner, 1024 * 1024);
    }

    #[test]
    fn bounds_the_number_of_owners() {
        let store = DocumentStore::with_limits(StoreLimits { max_owners: 2, ..StoreLimits::default() });
        add(&store, "alice", "t", "").unwrap();
        add(&store, "bob", "t", "").unwrap();
        assert_eq!(add(&store, "carol", "t", ""), Err(StoreError::TooManyOwners(2)));
        assert!(add(&store, "alice", "again", "").is_ok(), "existing owners may still add");
        assert_eq!(DocumentStore::default().limits.max_owners, 10_000);
    }

    #[test]
    fn a_refused_first_document_takes_no_owner_slot() {
        let limits = StoreLimits { max_owners: 1, max_bytes_per_owner: 10, ..StoreLimits::default() };
        let store = DocumentStore::with_limits(limits);
        assert_eq!(add(&store, "alice", "t", &"c".repeat(20)), Err(StoreError::OverBudget(10)));
        assert!(add(&store, "bob", "t", "").is_ok());
    }
}
