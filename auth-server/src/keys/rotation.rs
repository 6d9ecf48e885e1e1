//! Rotating the signing key on demand (`POST /admin/keys/rotate`).
//!
//! ```text
//! store.signing_keys (version v)
//!   ─► rotated(): active ─► retired (retired_at = now)
//!                 oldest `next` key ─► active, or a freshly generated key ─► active
//!   ─► store.save_signing_keys(v, ..)   compare-and-set; on a lost race re-read, retry
//!   ─► install the new set in this KeyRing: tokens signed after this carry the new kid
//! ```
//!
//! A `next` key has been in the JWKS since it was created, so promoting one is the
//! contract's "publish before it signs". Without one, the new key is published and
//! activated in the same step: resource servers refetch the JWKS on an unknown `kid`.
//!
//! Other replicas pick the new set up when they reload their [`KeyRing`].

use std::sync::Arc;

use super::{generate_record, KeyError, KeyRing, KeySet};
use crate::store::{KeyState, SigningKeyRecord};

/// Compare-and-set attempts before giving up ([`KeyError::Contended`]).
const ATTEMPTS: usize = 5;

impl KeyRing {
    /// Retires the active key and activates another; returns the saved key set.
    /// When it returns, this ring signs with the new key.
    pub async fn rotate(&self, now: i64) -> Result<Vec<SigningKeyRecord>, KeyError> {
        // Generated at most once, and only when no `next` key can be promoted.
        let mut fresh: Option<SigningKeyRecord> = None;
        for _ in 0..ATTEMPTS {
            let (version, records) = self.store.signing_keys().await?;
            if fresh.is_none() && !records.iter().any(|r| r.state == KeyState::Next) {
                fresh = Some(generate_record(KeyState::Active, now).await?);
            }
            let next = rotated(records, fresh.clone(), now);
            if self.store.save_signing_keys(version, &next).await? {
                let set = KeySet::from_records(version + 1, &next)?;
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
                let active = next.iter().find(|r| r.state == KeyState::Active).map(|r| r.kid.as_str());
                tracing::info!(kid = active.unwrap_or("?"), "signing key rotated");
                return Ok(next);
            }
        }
        Err(KeyError::Contended)
    }
}

/// The key set after a rotation at `now`: the active key retired, the oldest `next`
/// key (else `fresh`) active.
///
/// Retired keys are kept: they stay in the JWKS because tokens they signed are still
/// valid (refresh tokens are JWS too and live up to `AUTH_REFRESH_MAX_TTL`).
/// TODO(later issue): drop here every retired key whose `retired_at` is older than
/// the longest token lifetime (`AUTH_REFRESH_MAX_TTL`), so the JWKS stays bounded.
fn rotated(mut records: Vec<SigningKeyRecord>, fresh: Option<SigningKeyRecord>, now: i64) -> Vec<SigningKeyRecord> {
    for record in records.iter_mut().filter(|r| r.state == KeyState::Active) {
        record.state = KeyState::Retired;
        record.retired_at = Some(now);
    }
    let promoted = records.iter_mut().filter(|r| r.state == KeyState::Next).min_by_key(|r| r.created_at);
    match (promoted, fresh) {
        (Some(next), _) => {
            next.state = KeyState::Active;
            next.activated_at = Some(now);
        }
        (None, Some(mut fresh)) => {
            fresh.state = KeyState::Active;
            fresh.activated_at = Some(now);
            records.push(fresh);
        }
        // Unreachable by construction (`rotate` generates a key when there is no
        // `next`); KeySet::from_records would refuse a set without an active key.
        (None, None) => {}
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kid: &str, state: KeyState, created_at: i64) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            state,
            private_pem: String::new(),
            created_at,
            activated_at: None,
            retired_at: None,
        }
    }

    #[test]
    fn retires_the_active_key_and_activates_the_fresh_one() {
        let keys = rotated(vec![record("a", KeyState::Active, 1)], Some(record("b", KeyState::Active, 9)), 10);
        assert_eq!(keys.len(), 2);
        assert_eq!((keys[0].state, keys[0].retired_at), (KeyState::Retired, Some(10)));
        assert_eq!((keys[1].kid.as_str(), keys[1].state), ("b", KeyState::Active));
        assert_eq!(keys[1].activated_at, Some(10));
    }

    #[test]
    fn prefers_a_published_next_key() {
        let before = vec![
            record("old", KeyState::Retired, 0),
            record("a", KeyState::Active, 1),
            record("n2", KeyState::Next, 3),
            record("n1", KeyState::Next, 2),
        ];
        let keys = rotated(before, None, 10);
        let state = |kid: &str| keys.iter().find(|k| k.kid == kid).map(|k| k.state);
        assert_eq!(state("old"), Some(KeyState::Retired));
        assert_eq!(state("a"), Some(KeyState::Retired));
        assert_eq!(state("n1"), Some(KeyState::Active));
        assert_eq!(state("n2"), Some(KeyState::Next));
        assert_eq!(keys.len(), 4);
    }
}
