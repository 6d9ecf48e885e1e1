//! Proof Key for Code Exchange (RFC 7636), `S256` only: `plain` is refused, because it
//! protects nothing once the authorization request is seen (RFC 9700 §2.1.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::crypto::{constant_time_eq, sha256};

/// The only method accepted (RFC 7636 §4.2).
pub const S256: &str = "S256";

/// Whether `challenge` can be an S256 challenge: BASE64URL of 32 bytes, 43 characters
/// (RFC 7636 §4.2).
pub fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `verifier` has the syntax of RFC 7636 §4.1: 43 to 128 unreserved characters.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(verifier)) == challenge`, compared in constant time.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    let computed = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
    is_valid_verifier(verifier) && constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert!(is_valid_challenge(CHALLENGE));
        assert!(verifies(VERIFIER, CHALLENGE));
    }

    #[test]
    fn anything_else_does_not() {
        assert!(!verifies(&VERIFIER.replace('d', "e"), CHALLENGE));
        assert!(!verifies(CHALLENGE, CHALLENGE), "plain: the challenge itself is no verifier");
        assert!(!verifies("short", CHALLENGE));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!is_valid_challenge(&CHALLENGE[1..]));
        assert!(!is_valid_challenge(&format!("{}=", &CHALLENGE[1..])));
    }
}
