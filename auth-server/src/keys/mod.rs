//! Signing keys: the set the server signs and verifies with, kept in the store,
//! created on first start, published as a JWKS (RFC 7517), and rotated through the
//! states *next* → *active* → *retired* → *withdrawn*: the next key is in the JWKS
//! before it signs anything, a retired key stays there until every access token it
//! signed has expired, and tokens survive a restart and a rotation.
//!
//! | concept                                         | module            |
//! |-------------------------------------------------|-------------------|
//! | the rules: what changes when (pure, clock-injected) | [`lifecycle`] |
//! | the parsed set in force, its JWKS               | `key_set`         |
//! | one RSA key, its `kid` and JWK                  | `signing_key`     |
//! | applying a change by compare-and-set            | `change` (here)   |
//! | automatic rotation: the background tick         | [`scheduler`]     |
//! | manual rotation, emergency revocation           | `rotation`, `revocation` |
//! | reload on an unknown `kid`, rate-limited        | `refetch`         |
//! | the JWKS, read from the store per request (coalesced) | `published` |
//!
//! Every replica holds the parsed key set in memory ([`KeyRing::current`]) and
//! re-reads the store on each tick (cheap when the version is unchanged: nothing is
//! parsed), so all replicas sign with the same active key within one
//! refresh interval (`AUTH_KEY_REFRESH_INTERVAL`). Every change is a compare-and-set on the whole set
//! ([`KeyStore::save_signing_keys`](crate::store::KeyStore::save_signing_keys)): of
//! replicas attempting the same transition exactly one succeeds, and the others
//! re-read and find nothing left to do.
//!
//! ```text
//! change(decide):  store.signing_keys ─► (version v, records)
//!   ─► decide(records) ─► Transition? ─ none ─► install the set read (a reload)
//!   ─► needs a fresh key? generate_record (once, on the blocking pool)
//!   ─► lifecycle::apply ─► lifecycle::is_consistent ─► store.save_signing_keys(v, ..)
//!   ─► won: install version v+1 here │ lost: read again (at most ATTEMPTS times)
//! ```

mod key_set;
pub(crate) mod lifecycle;
mod published;
mod refetch;
mod revocation;
mod rotation;
pub(crate) mod scheduler;
mod signing_key;

#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock};

pub(crate) use key_set::KeySet;
pub(crate) use lifecycle::{KeyPolicy, Transition};
pub(crate) use scheduler::KeyScheduler;
pub(crate) use signing_key::SigningKey;

use crate::store::{KeyState, SharedStore, SigningKeyRecord, StoreError};

/// Compare-and-set attempts before a change gives up ([`KeyError::Contended`]).
const ATTEMPTS: usize = 5;

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
    #[error(transparent)]
    RotationRefused(#[from] lifecycle::RotationRefused),
}

/// This replica's view of the signing keys: the parsed set in force (swapped whole
/// when the stored set changes) and the store it comes from.
pub struct KeyRing {
    store: SharedStore,
    current: RwLock<Arc<KeySet>>,
    refetch: refetch::RefetchGate,
    publish: published::PublishGate,
    /// Serialises recording a key's first signature, so that the requests arriving
    /// together after a rotation make one store change, not one each.
    first_signature: tokio::sync::Mutex<()>,
}

/// A change that was saved: what it was and the key set it produced.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub transition: Transition,
    pub keys: Vec<SigningKeyRecord>,
}

impl KeyRing {
    /// Loads the stored key set, creating the first key if there is none (or
    /// promoting a waiting `next` key if no key is active). Replicas starting
    /// together race on a compare-and-set, so exactly one key is created.
    pub async fn load_or_create(store: SharedStore, now: i64) -> Result<Self, KeyError> {
        for _ in 0..ATTEMPTS {
            let (version, records) = store.signing_keys().await?;
            if records.iter().any(|r| r.state == KeyState::Active) {
                let set = KeySet::from_records(version, &records)?;
                return Ok(Self {
                    store,
                    current: RwLock::new(Arc::new(set)),
                    refetch: refetch::RefetchGate::new(),
                    publish: published::PublishGate::new(),
                    first_signature: tokio::sync::Mutex::new(()),
                });
            }
            // No active key, so nothing published grows: never refused.
            let transition = lifecycle::plan_rotation(&records)?;
            let fresh = match transition.needs_fresh_key() {
                true => Some(generate_record(KeyState::Active, now).await?),
                false => None,
            };
            let next = lifecycle::apply(&records, &transition, now, fresh);
            if store.save_signing_keys(version, &next).await? {
                tracing::info!(?transition, "signing key set initialised");
            }
        }
        Err(KeyError::Contended)
    }

    /// The key set in force now: sign with `active()`, verify with `key(kid)`.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The key set to sign with at `now`: its active key is recorded in the store as
    /// one that signs ([`lifecycle::plan_first_signature`]) before this returns, so
    /// a rotation never drops a key a token was signed with, while a key that never
    /// signed can be dropped the moment it is superseded. Costs a store change once
    /// per key; afterwards no I/O.
    pub async fn signing_set(&self, now: i64) -> Result<Arc<KeySet>, KeyError> {
        let current = self.current();
        if current.active_may_sign() {
            return Ok(current);
        }
        let _one_at_a_time = self.first_signature.lock().await;
        for _ in 0..ATTEMPTS {
            let current = self.current();
            if current.active_may_sign() {
                return Ok(current);
            }
            let kid = current.active().kid.clone();
            // Saved: installed here. Nothing to do (another replica recorded it, or
            // the key is no longer active): the set read is installed. Either way
            // the set in force is the one to look at again.
            self.change(now, |keys| lifecycle::plan_first_signature(keys, &kid)).await?;
        }
        Err(KeyError::Contended)
    }

    /// Re-reads the store; returns whether the set changed. A set that cannot be
    /// used (no active key, a damaged key) is refused and the one in force kept.
    pub async fn reload(&self) -> Result<bool, KeyError> {
        let (version, records) = self.store.signing_keys().await?;
        self.install_read(version, &records)
    }

    /// Installs a set just read from the store, unless it is the one in force.
    fn install_read(&self, version: u64, records: &[SigningKeyRecord]) -> Result<bool, KeyError> {
        if version == self.current().version() {
            return Ok(false);
        }
        let set = Arc::new(KeySet::from_records(version, records)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = set;
        Ok(true)
    }

    /// Installs a set this replica just saved, unless a newer one is already in force.
    fn install_saved(&self, set: KeySet) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if set.version() > current.version() {
            *current = Arc::new(set);
        }
    }

    /// Reads the set, asks `decide` for a transition and saves its result by
    /// compare-and-set, re-reading and re-deciding after a lost race. `Ok(None)`:
    /// nothing to do (the set read is installed, so this doubles as a reload).
    async fn change<F>(&self, now: i64, decide: F) -> Result<Option<Applied>, KeyError>
    where
        F: Fn(&[SigningKeyRecord]) -> Option<Transition>,
    {
        // Generated at most once per call, and only when a transition needs it.
        let mut fresh: Option<SigningKeyRecord> = None;
        for _ in 0..ATTEMPTS {
            let (version, records) = self.store.signing_keys().await?;
            let Some(transition) = decide(&records) else {
                self.install_read(version, &records)?;
                return Ok(None);
            };
            if transition.needs_fresh_key() && fresh.is_none() {
                fresh = Some(generate_record(KeyState::Next, now).await?);
            }
            let fresh_for_this = if transition.needs_fresh_key() { fresh.clone() } else { None };
            let keys = lifecycle::apply(&records, &transition, now, fresh_for_this);
            if !lifecycle::is_consistent(&keys) {
                // Only reachable with a damaged set that no transition repairs.
                return Err(KeyError::NoActiveKey);
            }
            let set = KeySet::from_records(version.saturating_add(1), &keys)?;
            if self.store.save_signing_keys(version, &keys).await? {
                self.install_saved(set);
                tracing::info!(?transition, active = %self.current().active().kid, "signing key set changed");
                return Ok(Some(Applied { transition, keys }));
            }
            tracing::debug!("signing key set changed under us; re-reading");
        }
        Err(KeyError::Contended)
    }
}

/// A fresh RSA-2048 key record (RFC 8725 §3.5: 2048 bits at least). Generation
/// takes a noticeable fraction of a second, so it runs on the blocking pool.
pub(crate) async fn generate_record(state: KeyState, now: i64) -> Result<SigningKeyRecord, KeyError> {
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
        signed_at: None,
    })
}
