//! Keeping the heaviest tests apart on a small machine.
//!
//! The key-rotation load test measures a schedule (JWKS fetches, key publication ahead
//! of use) with a few seconds of slack; the other key and revocation tests each start
//! an auth server, several resource servers and often a Redis. Run together on two
//! cores they starve each other. The load test holds [`exclusive`] for its whole run,
//! the other key_* and revocation_* tests hold [`shared`]: those run alongside each
//! other, never alongside the load test.
//!
//! One process-wide lock, usable from every test's own Tokio runtime (Tokio's locks do
//! not depend on a runtime). It does not poison: a failing test releases it while
//! unwinding. Tokio's `RwLock` is fair, so a waiting [`exclusive`] is not starved by a
//! stream of [`shared`] holders.

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static HEAVY: RwLock<()> = RwLock::const_new(());

/// Waits until no other heavy test runs, and keeps them out while the guard lives.
pub async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    HEAVY.write().await
}

/// Waits while an [`exclusive`] test runs; other [`shared`] holders may run meanwhile.
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    HEAVY.read().await
}
