//! Documents kept in memory, per owner (the token's `sub`). One process, nothing
//! survives a restart: this is the demo's storage, behind a small API a real store
//! could replace.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use shared_claims::unix_now;

/// A stored document, as returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Random, 128 bits, hex: unguessable, so ids reveal nothing about other owners.
    pub id: String,
    pub owner: String,
    pub title: String,
    pub content: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The store refused to add a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the owner already has {0} documents, the most allowed")]
    Full(usize),
    #[error("cannot generate a document id")]
    Id,
}

#[derive(Debug)]
pub struct DocumentStore {
    by_owner: Mutex<HashMap<String, Vec<Document>>>,
    max_per_owner: usize,
}

impl Default for DocumentStore {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_MAX_PER_OWNER)
    }
}

impl DocumentStore {
    /// Bounds the memory one caller can take.
    pub const DEFAULT_MAX_PER_OWNER: usize = 1000;

    pub fn with_limit(max_per_owner: usize) -> Self {
        Self { by_owner: Mutex::new(HashMap::new()), max_per_owner }
    }

    /// The owner's documents, oldest first.
    pub fn list(&self, owner: &str) -> Vec<Document> {
        self.lock().get(owner).cloned().unwrap_or_default()
    }

    pub fn add(&self, owner: &str, title: String, content: String) -> Result<Document, StoreError> {
        let id = new_id()?;
        let mut by_owner = self.lock();
        let documents = by_owner.entry(owner.to_owned()).or_default();
        if documents.len() >= self.max_per_owner {
            return Err(StoreError::Full(self.max_per_owner));
        }
        let document = Document { id, owner: owner.to_owned(), title, content, created_at: unix_now() };
        documents.push(document.clone());
        Ok(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Document>>> {
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

    #[test]
    fn keeps_documents_per_owner() {
        let store = DocumentStore::default();
        let a = store.add("alice", "t".into(), "c".into()).unwrap();
        store.add("bob", "u".into(), "d".into()).unwrap();
        assert_eq!(store.list("alice"), std::slice::from_ref(&a));
        assert_eq!(a.id.len(), 32);
        assert!(store.list("carol").is_empty());
    }

    #[test]
    fn bounds_each_owner() {
        let store = DocumentStore::with_limit(2);
        store.add("alice", "1".into(), String::new()).unwrap();
        store.add("alice", "2".into(), String::new()).unwrap();
        assert_eq!(store.add("alice", "3".into(), String::new()), Err(StoreError::Full(2)));
        assert!(store.add("bob", "1".into(), String::new()).is_ok());
    }
}
