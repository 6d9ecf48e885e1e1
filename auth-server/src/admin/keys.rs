//! Signing keys: list them with their states and dates, rotate now, revoke one in
//! an emergency. The key set changes themselves are [`KeyRing::rotate`] and
//! [`KeyRing::revoke`] (rules in [`crate::keys::lifecycle`]); this shapes the answers,
//! which never carry private key material, and pushes key revocations on the feed.
//!
//! ```text
//! revoke_key(kid): kid in the stored set? ─ no ─► 404
//!   ─► record_revocation(Revocation::Key { kid }, now + retention)   (feed first:
//!        a retry after a failure finds the key still there and does it all again)
//!   ─► KeyRing::revoke(kid): gone from the set and the JWKS; a new active key if needed
//! ```
//!
//! [`KeyRing::rotate`]: crate::keys::KeyRing::rotate
//! [`KeyRing::revoke`]: crate::keys::KeyRing::revoke

use serde::Serialize;

use super::AdminError;
use crate::oauth::authority::Authority;
use crate::store::{KeyState, Revocation, SigningKeyRecord};

/// A signing key as the admin API shows it: its `kid`, state and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct KeyView {
    pub kid: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
}

impl From<&SigningKeyRecord> for KeyView {
    fn from(key: &SigningKeyRecord) -> Self {
        Self {
            kid: key.kid.clone(),
            state: key.state,
            created_at: key.created_at,
            activated_at: key.activated_at,
            retired_at: key.retired_at,
        }
    }
}

/// The stored key set, oldest first.
pub(crate) async fn list_keys(authority: &Authority) -> Result<Vec<KeyView>, AdminError> {
    let (_, records) = authority.store.signing_keys().await?;
    Ok(views(&records))
}

/// Rotates now: a published `next` key becomes active (else a fresh one), the active
/// key retires (or leaves, when it never signed anything). Refused (409) while the
/// JWKS already holds the most keys allowed that may still verify live tokens. When
/// this returns, this replica signs with the new key; the others within one refresh
/// interval, or at once when a token with the new `kid` reaches them. Skips the
/// automatic rotation's pre-publication wait by design: resource servers refetch the
/// JWKS on an unknown `kid` (rate-limited).
pub(crate) async fn rotate_keys(authority: &Authority) -> Result<Vec<KeyView>, AdminError> {
    let records = authority.tokens.keys().rotate(shared_claims::unix_now()).await?;
    Ok(views(&records))
}

/// Emergency revocation of the key `kid` (say its private key leaked): it leaves the
/// JWKS at once, a `Revocation::Key` on the feed makes resource servers drop it
/// before their cached JWKS expires, and every token it signed stops verifying.
/// Refresh tokens it signed stop working too: users of those sessions log in again.
/// Answers with the key list after the change; `NotFound` for an unknown `kid`.
pub(crate) async fn revoke_key(authority: &Authority, kid: &str) -> Result<Vec<KeyView>, AdminError> {
    let now = shared_claims::unix_now();
    let (_, records) = authority.store.signing_keys().await?;
    if !records.iter().any(|r| r.kid == kid) {
        return Err(AdminError::not_found("no signing key with this kid"));
    }
    // As long as a token the key signed could be presented.
    let until = now.saturating_add(authority.key_policy.keep);
    authority.record_revocation(&Revocation::Key { kid: kid.to_owned() }, until).await?;
    let records = match authority.tokens.keys().revoke(kid, now).await? {
        Some(records) => records,
        // Removed by someone else meanwhile: same outcome.
        None => authority.store.signing_keys().await?.1,
    };
    Ok(views(&records))
}

fn views(records: &[SigningKeyRecord]) -> Vec<KeyView> {
    let mut views: Vec<KeyView> = records.iter().map(KeyView::from).collect();
    views.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
    views
}
