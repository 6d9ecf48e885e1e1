//! The key set in force: one active key that signs, and every published key (next,
//! active, retired) that tokens may be verified with.

use std::collections::HashMap;
use std::sync::Arc;

use super::{KeyError, SigningKey};
use crate::store::{KeyState, SigningKeyRecord};

pub struct KeySet {
    version: u64,
    active: Arc<SigningKey>,
    by_kid: HashMap<String, Arc<SigningKey>>,
    jwks: String,
}

impl KeySet {
    pub fn from_records(version: u64, records: &[SigningKeyRecord]) -> Result<Self, KeyError> {
        let keys = records.iter().map(|r| SigningKey::from_record(r).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
        let active = keys.iter().find(|k| k.state == KeyState::Active).cloned().ok_or(KeyError::NoActiveKey)?;
        let jwks = serde_json::json!({"keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>()}).to_string();
        let by_kid = keys.into_iter().map(|k| (k.kid.clone(), k)).collect();
        Ok(Self { version, active, by_kid, jwks })
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// A published key by `kid`, for verifying tokens we issued.
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        self.by_kid.get(kid).map(Arc::as_ref)
    }

    /// The JWKS document, serialised once per key-set change.
    pub fn jwks_json(&self) -> &str {
        &self.jwks
    }

    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        self.by_kid.values().map(Arc::as_ref)
    }
}
