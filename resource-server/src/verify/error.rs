//! Why a token was refused, as one enum: each variant maps to one RFC 6750 answer and
//! one metrics label, so the HTTP layer and `/metrics` never disagree.

use shared_claims::{BearerError, ClaimError};

/// The outcome of a failed verification. The `Display` text is short and safe to send
/// as an `error_description`: it never contains the token or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Longer than the configured limit: refused before any parsing or crypto.
    #[error("token is too large")]
    TooLarge,
    /// Not a compact JWS, bad base64url, bad JSON, missing claims.
    #[error("token is malformed")]
    Malformed,
    /// `alg` other than RS256, including `none` and HS256 (RFC 8725 §3.1).
    #[error("token algorithm is not accepted")]
    Algorithm,
    /// A `crit` header: we understand no extension, so we must refuse (RFC 7515 §4.1.11).
    #[error("token has a critical header parameter")]
    CriticalHeader,
    /// No `kid`, or a `kid` absent from the key set even after a refetch.
    #[error("token signing key is unknown")]
    UnknownKey,
    /// The RS256 signature does not verify with the published key for that `kid`.
    #[error("token signature is invalid")]
    Signature,
    /// `typ`, `iss`, `aud` or times (shared with every other verifier).
    #[error(transparent)]
    Claims(#[from] ClaimError),
    /// RFC 7662: the authorization server says the token is not active.
    #[error("token is not active")]
    Inactive,
    /// The revocation hook says so.
    #[error("token has been revoked")]
    Revoked,
    /// We cannot judge the token now (no key set yet, auth server unreachable in
    /// introspection mode, revocation view too stale): 503, not a verdict on the token.
    #[error("{0}")]
    Unavailable(&'static str),
}

impl VerifyError {
    /// A stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            VerifyError::TooLarge => "too_large",
            VerifyError::Malformed => "malformed",
            VerifyError::Algorithm => "algorithm",
            VerifyError::CriticalHeader => "crit",
            VerifyError::UnknownKey => "unknown_kid",
            VerifyError::Signature => "signature",
            VerifyError::Claims(ClaimError::WrongType) => "wrong_type",
            VerifyError::Claims(ClaimError::WrongIssuer) => "wrong_issuer",
            VerifyError::Claims(ClaimError::WrongAudience) => "wrong_audience",
            VerifyError::Claims(ClaimError::Expired) => "expired",
            VerifyError::Claims(ClaimError::NotYetValid) => "not_yet_valid",
            VerifyError::Inactive => "inactive",
            VerifyError::Revoked => "revoked",
            VerifyError::Unavailable(_) => "unavailable",
        }
    }

    /// The RFC 6750 §3.1 answer: `invalid_token` (401) for every verdict on the token,
    /// 503 when no verdict could be reached.
    pub fn to_bearer_error(&self) -> BearerError {
        match self {
            VerifyError::Unavailable(why) => BearerError::unavailable(*why),
            other => BearerError::invalid_token(other.to_string()),
        }
    }
}

/// Every label [`VerifyError::reason`] can return, for metrics that list zeros too.
pub(crate) const REASONS: [&str; 14] = [
    "too_large",
    "malformed",
    "algorithm",
    "crit",
    "unknown_kid",
    "signature",
    "wrong_type",
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "not_yet_valid",
    "inactive",
    "revoked",
    "unavailable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_listed() {
        let all = [
            VerifyError::TooLarge,
            VerifyError::Malformed,
            VerifyError::Algorithm,
            VerifyError::CriticalHeader,
            VerifyError::UnknownKey,
            VerifyError::Signature,
            VerifyError::Claims(ClaimError::WrongType),
            VerifyError::Claims(ClaimError::WrongIssuer),
            VerifyError::Claims(ClaimError::WrongAudience),
            VerifyError::Claims(ClaimError::Expired),
            VerifyError::Claims(ClaimError::NotYetValid),
            VerifyError::Inactive,
            VerifyError::Revoked,
            VerifyError::Unavailable("x"),
        ];
        let reasons: Vec<_> = all.iter().map(VerifyError::reason).collect();
        assert_eq!(reasons, REASONS);
    }

    #[test]
    fn verdicts_are_invalid_token_and_outages_are_503() {
        let err = VerifyError::Claims(ClaimError::Expired).to_bearer_error();
        assert_eq!((err.status(), err.description()), (401, Some("token has expired")));
        assert_eq!(VerifyError::Unavailable("no key set yet").to_bearer_error().status(), 503);
    }
}
