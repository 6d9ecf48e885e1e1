//! The key set the JWKS endpoint publishes: read from the store for each request, so
//! a key another replica has just rotated in is published here too.
//!
//! ```text
//! published(): arrived = reloads started so far
//!   ─► wait for the gate (requests arriving during a reload queue behind it)
//!   ─► a reload that started after we arrived has finished? ─► the set in force
//!   ─► reload (one store read; nothing parsed when the version is unchanged)
//!   ─► the set in force (the one we had, if the store did not answer)
//! ```
//!
//! Why: a manual rotation activates its new key at once on the replica that made it;
//! the others learn of it at their next tick (up to 30 s) or when one of its tokens
//! reaches them. A resource server meeting the new `kid` refetches the JWKS, and
//! behind a balancer that request may reach a replica that has not ticked: it would
//! answer the old set, and the resource server would refuse valid tokens until its
//! next refetch. Every token exists only after its key was saved, so a JWKS read that
//! starts after a token was seen holds that token's key.
//!
//! Coalesced: however many requests wait, one reload serves all that arrived before it
//! started, so a flood of JWKS requests costs one store read per round trip, not one
//! per request. The JWKS is fetched rarely (clients honour `max-age`; resource servers
//! rate-limit their refetches), so the read costs nothing in normal operation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Mutex;

use super::{KeyRing, KeySet};

/// Reloads started for the JWKS, and (behind the lock) the last one finished.
pub(super) struct PublishGate {
    started: AtomicU64,
    finished: Mutex<u64>,
}

impl PublishGate {
    pub(super) fn new() -> Self {
        Self { started: AtomicU64::new(0), finished: Mutex::new(0) }
    }
}

impl KeyRing {
    /// The key set to publish: at least as new as the stored set was when this was
    /// called. When the store cannot be read, the set in force (and a warning): the
    /// JWKS keeps answering through a store outage.
    pub async fn published(&self) -> Arc<KeySet> {
        let gate = &self.publish;
        let arrived = gate.started.load(Ordering::Acquire);
        let mut finished = gate.finished.lock().await;
        // Reloads run one at a time under the lock, numbered in order: one numbered
        // above `arrived` started after this request arrived.
        if *finished > arrived {
            return self.current();
        }
        let number = gate.started.fetch_add(1, Ordering::AcqRel) + 1;
        match self.reload().await {
            Ok(true) => tracing::info!("signing keys reloaded: another replica changed them"),
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %shared_claims::error_chain(&err), "cannot read the signing keys; publishing the set in force")
            }
        }
        *finished = number;
        self.current()
    }
}
