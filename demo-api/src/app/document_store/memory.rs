//! Documents kept in this process's memory, per owner: the default store. Nothing
//! survives a restart, and nothing is shared with other replicas.
//!
//! Documents are stored as `Arc<Document>`: listing clones pointers under the lock, and
//! the serialisation happens after it is released, so one large listing never holds
//! the process-wide mutex for long. The lock is never held across an await: every
//! method here is synchronous.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Document, StoreError, StoreLimits};

#[derive(Debug, Default)]
struct Owned {
    documents: Vec<Arc<Document>>,
    bytes: usize,
}

#[derive(Debug)]
pub struct MemoryStore {
    by_owner: Mutex<HashMap<String, Owned>>,
    limits: StoreLimits,
}

impl MemoryStore {
    pub(super) fn with_limits(limits: StoreLimits) -> Self {
        Self { by_owner: Mutex::new(HashMap::new()), limits }
    }

    /// The owner's documents, oldest first. Only pointers are copied under the lock.
    pub(super) fn list(&self, owner_key: &str) -> Vec<Arc<Document>> {
        self.lock().get(owner_key).map(|owned| owned.documents.clone()).unwrap_or_default()
    }

    pub(super) fn add(&self, owner_key: &str, document: Document) -> Result<Arc<Document>, StoreError> {
        let document = Arc::new(document);
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

#[cfg(test)]
mod tests {
    use super::super::{contract_tests, DocumentStore};
    use super::*;

    #[actix_web::test]
    async fn passes_the_contract() {
        contract_tests::run_all(|limits| async move { DocumentStore::with_limits(limits) }).await;
    }

    #[test]
    fn listing_shares_the_stored_documents() {
        let store = MemoryStore::with_limits(StoreLimits::default());
        let document = Document::new("alice", "t".into(), "c".repeat(1000)).unwrap();
        let added = store.add("alice", document).unwrap();
        let listed = store.list("alice");
        assert!(Arc::ptr_eq(&listed[0], &added), "a listing copies pointers, not documents");
    }

    #[test]
    fn the_default_limits() {
        let DocumentStore::Memory(store) = DocumentStore::default() else { panic!("the default store is in memory") };
        assert_eq!(store.limits.max_documents_per_owner, 1000);
        assert_eq!(store.limits.max_bytes_per_owner, 1024 * 1024);
        assert_eq!(store.limits.max_owners, 10_000);
    }
}
