//! The resource server's `Authorization: Bearer` reader (`shared_claims::bearer`,
//! RFC 6750 §2.1).
//!
//! Must hold: no panic; an accepted token is a `b64token` at the end of the header,
//! and `Bearer <token>` reads back the same; a second header is always refused;
//! every refusal is a 400 or 401 whose `WWW-Authenticate` value is short, printable
//! ASCII (RFC 9110 §5.5) and names a known error code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_claims::{bearer_token, bearer_token_from_headers, BearerErrorKind};

fuzz_target!(|header: &[u8]| {
    let one = bearer_token(Some(header));
    assert_eq!(bearer_token_from_headers([header]).map_err(|e| e.kind), one.clone().map_err(|e| e.kind));
    let two: [&[u8]; 2] = [header, b"Bearer abc"];
    assert_eq!(bearer_token_from_headers(two).map_err(|e| e.kind), Err(BearerErrorKind::InvalidRequest));
    match one {
        Ok(token) => {
            assert!(!token.is_empty() && token.len() + "Bearer ".len() <= header.len());
            assert!(header.ends_with(token.as_bytes()));
            let body = token.trim_end_matches('=');
            assert!(!body.is_empty());
            assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)), "{token:?}");
            assert_eq!(bearer_token(Some(format!("Bearer {token}").as_bytes())).ok(), Some(token));
            assert_eq!(bearer_token(Some(format!("bEaReR   {token}").as_bytes())).ok(), Some(token));
        }
        Err(err) => {
            assert!(matches!(err.status(), 400 | 401), "{err:?}");
            let challenge = err.www_authenticate("api").expect("a refused token gets a challenge");
            assert!(challenge.len() <= 256, "{challenge}");
            assert!(challenge.bytes().all(|b| b == b' ' || b.is_ascii_graphic()), "{challenge:?}");
            assert!(matches!(err.code(), None | Some("invalid_request")), "{err:?}");
        }
    }
});
