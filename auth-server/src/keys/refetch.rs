//! Reloading the key set when a token names a `kid` this replica does not hold:
//! another replica may have rotated (or promoted a `next` key) since our last tick,
//! and its tokens must verify here too.
//!
//! ```text
//! key_set_for(kid, now): kid in the set in force? ─► yes: that set
//!   ─► wait for the gate (callers arriving during a reload queue behind it)
//!   ─► kid there now (a reload ahead of us brought it)? ─► that set
//!   ─► last reload less than REFETCH_MIN_INTERVAL ago? ─► the set in force (give up)
//!   ─► reload ─► the set in force
//! ```
//!
//! Coalesced and rate-limited, like a resource server's JWKS refetch (the style
//! guide's rauthy-client `jwks.rs`), so tokens with invented `kid`s cost at most one
//! store read per [`REFETCH_MIN_INTERVAL`].

use std::sync::Arc;

use tokio::sync::Mutex;

use super::{KeyRing, KeySet};

/// Seconds between two reloads triggered by unknown `kid`s.
pub(super) const REFETCH_MIN_INTERVAL: i64 = 5;

/// When the last unknown-`kid` reload started; the lock is what coalesces.
pub(super) struct RefetchGate {
    last: Mutex<Option<i64>>,
}

impl RefetchGate {
    pub(super) fn new() -> Self {
        Self { last: Mutex::new(None) }
    }
}

impl KeyRing {
    /// The key set to verify a token signed by `kid` with: the set in force, or a
    /// freshly reloaded one when it lacks `kid` and no reload happened in the last
    /// `REFETCH_MIN_INTERVAL` (5) seconds before `now`. The caller still checks that
    /// the set holds `kid`.
    pub async fn key_set_for(&self, kid: &str, now: i64) -> Arc<KeySet> {
        let current = self.current();
        if current.key(kid).is_some() {
            return current;
        }
        let mut last = self.refetch.last.lock().await;
        let current = self.current();
        if current.key(kid).is_some() {
            return current;
        }
        // A clock that went backwards does not block reloads for long.
        if last.is_some_and(|at| at <= now && now < at.saturating_add(REFETCH_MIN_INTERVAL)) {
            return current;
        }
        *last = Some(now);
        match self.reload().await {
            Ok(true) => tracing::info!("signing keys reloaded for a token with a kid we did not hold"),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %shared_claims::error_chain(&err), "cannot reload the signing keys"),
        }
        self.current()
    }
}
