//! Signing keys: the set the server signs and verifies with, loaded from the store,
//! created on first start, and published as a JWKS (RFC 7517).
//!
//! Every replica holds the parsed key set in memory ([`KeyRing::current`]); the store
//! is read only at start-up and when the set changes.

mod key_set;
mod rotation;
mod signing_key;

use std::sync::{Arc, RwLock};

pub use key_set::KeySet;
pub use signing_key::SigningKey;

use crate::store::{KeyState, SharedStore, SigningKeyRecord, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key {kid} cannot be used: {reason}")]
    BadKey { kid: String, reason: String },
    #[error("the stored key set has no active signing key")]
    NoActiveKey,
    #[error("key generation failed: {0}")]
    Generation(String),
    #[error("the key set kept changing under us; giving up")]
    Contended,
}

pub struct KeyRing {
    store: SharedStore,
    current: RwLock<Arc<KeySet>>,
}

impl KeyRing {
    /// Loads the stored key set, creating the first key if there is none. Replicas
    /// starting together race on a compare-and-set, so exactly one key is created.
    pub async fn load_or_create(store: SharedStore, now: i64) -> Result<Self, KeyError> {
        for _ in 0..5 {
            let (version, records) = store.signing_keys().await?;
            if records.iter().any(|r| r.state == KeyState::Active) {
                let set = KeySet::from_records(version, &records)?;
                return Ok(Self { store, current: RwLock::new(Arc::new(set)) });
            }
            let mut next = records.clone();
            next.push(generate_record(KeyState::Active, now).await?);
            if store.save_signing_keys(version, &next).await? {
                tracing::info!(kid = %next[next.len() - 1].kid, "created the first signing key");
            }
        }
        Err(KeyError::Contended)
    }

    /// The key set in force now: sign with `active()`, verify with `verifying_key(kid)`.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the store; returns whether the set changed.
    pub async fn reload(&self) -> Result<bool, KeyError> {
        let (version, records) = self.store.signing_keys().await?;
        if version == self.current().version() {
            return Ok(false);
        }
        let set = Arc::new(KeySet::from_records(version, &records)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = set;
        Ok(true)
    }
}

/// A fresh RSA-2048 key record. Generation takes a noticeable fraction of a second,
/// so it runs on the blocking pool.
pub async fn generate_record(state: KeyState, now: i64) -> Result<SigningKeyRecord, KeyError> {
    let pem = tokio::task::spawn_blocking(signing_key::generate_private_pem)
        .await
        .map_err(|e| KeyError::Generation(e.to_string()))??;
    let kid = SigningKey::kid_for_pem(&pem)?;
    Ok(SigningKeyRecord {
        kid,
        state,
        private_pem: pem,
        created_at: now,
        activated_at: (state == KeyState::Active).then_some(now),
        retired_at: None,
    })
}
