//! Emergency revocation of a signing key (`POST /admin/keys/{kid}/revoke`): the key
//! leaves the set, and so the JWKS, at once; when it was the active key, the oldest
//! `next` key (else a fresh one) takes over in the same compare-and-set, so the set
//! is never without a signer.
//!
//! ```text
//! change(lifecycle::plan_revocation(kid)) ─► kid removed (+ successor active)
//!   ─► installed here: this replica neither signs with nor accepts the key
//! ```
//!
//! Telling resource servers is the caller's part
//! ([`crate::admin::keys::revoke_key`] records `Revocation::Key { kid }` on the
//! revocation feed); other auth-server replicas hear of it on that feed and reload
//! at once (see [`super::KeyScheduler::follow_revocations`]).
//!
//! Consequences: every token the key signed stops verifying, here and (through the
//! feed) on resource servers. Refresh tokens it signed stop verifying too, so the
//! users of those sessions must log in again.

use super::{lifecycle, Applied, KeyError, KeyRing};
use crate::store::SigningKeyRecord;

impl KeyRing {
    /// Removes `kid` from the key set; returns the saved set, or `None` when no
    /// key of that `kid` is in the set (unknown, or already removed).
    pub async fn revoke(&self, kid: &str, now: i64) -> Result<Option<Vec<SigningKeyRecord>>, KeyError> {
        let applied = self.change(now, |keys| lifecycle::plan_revocation(keys, kid)).await?;
        if applied.is_some() {
            tracing::warn!(kid, "signing key revoked");
        }
        Ok(applied.map(|Applied { keys, .. }| keys))
    }
}
