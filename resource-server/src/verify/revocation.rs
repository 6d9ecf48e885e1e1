//! The hook through which revocations reach the verifier. Consulted on every request,
//! cache hits included, because a cached verdict must not outlive a revocation
//! (RFC 7009 §2: a revoked token must stop working).
//!
//! Implementations: [`NeverRevoked`] (the default), [`RevocationList`](super::RevocationList)
//! (a view applied by hand, e.g. in tests), and the view the verifier keeps when it
//! follows the auth server's revocation feed
//! ([`VerifierBuilder::revocation_feed`](super::VerifierBuilder::revocation_feed)), which
//! answers [`RevocationStatus::Unknown`] in local mode once it is older than
//! `RS_REVOCATION_MAX_STALENESS`.
//!
//! Not to be confused with [`shared_claims::Revocation`], which says *what* is revoked;
//! this module's [`RevocationStatus`] is the answer about one token.

use shared_claims::AccessClaims;

/// The answer of a revocation view about one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked as far as a fresh view knows.
    NotRevoked,
    /// Revoked (the token itself by `jti`, its session by `sid`, or its subject).
    Revoked,
    /// The view is too stale to vouch for anything: the request is answered 503
    /// rather than trusting a view that may miss revocations.
    Unknown,
}

/// Decides, from the claims alone and without I/O, whether a token was revoked.
/// Called on the request path for every request: it must be cheap and non-blocking.
pub trait RevocationCheck: Send + Sync + 'static {
    fn check(&self, claims: &AccessClaims) -> RevocationStatus;

    /// Whether every token signed by the key `kid` must be refused (an emergency key
    /// revocation, [`shared_claims::Revocation::Key`]). Asked before [`Self::check`],
    /// for fresh and cached verifications alike, whatever the view's freshness: a key
    /// known to be revoked stays revoked. The default knows no revoked key.
    fn key_revoked(&self, kid: &str) -> bool {
        let _ = kid;
        false
    }
}

/// The default: nothing is revoked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverRevoked;

impl RevocationCheck for NeverRevoked {
    fn check(&self, _claims: &AccessClaims) -> RevocationStatus {
        RevocationStatus::NotRevoked
    }
}
