//! The key set in force: one active key that signs, the published keys (next,
//! active, retired) that access tokens may be verified with, and the withdrawn keys
//! that only refresh tokens (verified here alone) may still need.

use std::collections::HashMap;
use std::sync::Arc;

use super::{lifecycle, KeyError, SigningKey};
use crate::store::{KeyState, SigningKeyRecord};

pub struct KeySet {
    version: u64,
    active: Arc<SigningKey>,
    /// Whether the store records that the active key may sign
    /// ([`lifecycle::plan_first_signature`]).
    active_may_sign: bool,
    by_kid: HashMap<String, Arc<SigningKey>>,
    jwks: String,
}

impl KeySet {
    pub fn from_records(version: u64, records: &[SigningKeyRecord]) -> Result<Self, KeyError> {
        let keys = records.iter().map(|r| SigningKey::from_record(r).map(Arc::new)).collect::<Result<Vec<_>, _>>()?;
        let active = keys.iter().find(|k| k.state == KeyState::Active).cloned().ok_or(KeyError::NoActiveKey)?;
        let active_may_sign = records.iter().any(|r| r.kid == active.kid && r.signed_at.is_some());
        let jwks = serde_json::json!({"keys": publication_order(records).into_iter()
            .filter_map(|r| keys.iter().find(|k| k.kid == r.kid))
            .map(|k| k.public_jwk())
            .collect::<Vec<_>>()})
        .to_string();
        let by_kid = keys.into_iter().map(|k| (k.kid.clone(), k)).collect();
        Ok(Self { version, active, active_may_sign, by_kid, jwks })
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Whether the store records that the active key may sign: until it does, the
    /// signer records it first ([`super::KeyRing::signing_set`]).
    pub fn active_may_sign(&self) -> bool {
        self.active_may_sign
    }

    /// A published key by `kid`: what an access token may be verified with, here as
    /// at a resource server.
    pub fn published_key(&self, kid: &str) -> Option<&SigningKey> {
        self.key(kid).filter(|k| lifecycle::is_published(k.state))
    }

    /// A kept key by `kid`, published or withdrawn: what a refresh token may be
    /// verified with (only this server accepts them).
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

/// The published records in JWKS order: the active key, then `next` keys (oldest
/// first), then retired keys (most recently retired first). A JWKS carries no state,
/// so this order is how a verifier that must cap the keys it keeps learns which
/// matter most: it keeps the first ones.
fn publication_order(records: &[SigningKeyRecord]) -> Vec<&SigningKeyRecord> {
    let mut published: Vec<&SigningKeyRecord> = records.iter().filter(|r| lifecycle::is_published(r.state)).collect();
    published.sort_by_key(|r| match r.state {
        KeyState::Active => (0, 0, 0),
        KeyState::Next => (1, r.created_at, 0),
        _ => (2, -r.retired_at.unwrap_or(i64::MIN + 1), -r.created_at),
    });
    published
}
