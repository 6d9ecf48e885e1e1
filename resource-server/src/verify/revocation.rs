//! The hook through which revocations reach the verifier. Consulted on every request,
//! cache hits included, because a cached verdict must not outlive a revocation
//! (RFC 7009 §2: a revoked token must stop working).
//!
//! The default revokes nothing. A later component feeds a real implementation from the
//! auth server's revocation feed and answers [`Revocation::Unknown`] once its view is
//! older than `RS_REVOCATION_MAX_STALENESS`.

use shared_claims::AccessClaims;

/// The answer of a revocation view about one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
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
    fn check(&self, claims: &AccessClaims) -> Revocation;
}

/// The default: nothing is revoked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverRevoked;

impl RevocationCheck for NeverRevoked {
    fn check(&self, _claims: &AccessClaims) -> Revocation {
        Revocation::NotRevoked
    }
}
