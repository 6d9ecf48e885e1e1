//! What the token endpoint refuses before any work: the grant's parameters.

use shared_claims::{ErrorCode, OAuthError};

use crate::grants::TokenRequest;
use crate::oauth::form::FormParams;

fn password_request(username: &str) -> Result<TokenRequest, OAuthError> {
    let body =
        serde_urlencoded::to_string([("grant_type", "password"), ("username", username), ("password", "x")]).unwrap();
    TokenRequest::parse(&FormParams::parse(body.as_bytes(), &[]).unwrap())
}

#[test]
fn usernames_over_255_bytes_are_malformed() {
    assert!(password_request(&"a".repeat(255)).is_ok());
    assert!(password_request(&"é".repeat(127)).is_ok(), "254 bytes");
    for too_long in ["a".repeat(256), "é".repeat(128)] {
        let err = password_request(&too_long).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest, "{err:?}");
    }
}
