//! Client authentication input (`client_auth::ClientCredentials::from_request`): the
//! `Authorization: Basic` header (RFC 6749 §2.3.1, RFC 7617) next to a form body.
//!
//! Must hold: no panic; a malformed header is a 401 `invalid_client` with the Basic
//! challenge; two methods at once are refused; accepted credentials, encoded again
//! (form-urlencoded halves, then Base64), read back the same.

#![no_main]

use auth_server::oauth::client_auth::ClientCredentials;
use auth_server::oauth::form::FormParams;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The header up to the first LF (a header value cannot hold one), then the body.
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(header) = std::str::from_utf8(header) else { return };
    let Ok(form) = FormParams::parse(body, &[]) else { return };
    let body_secret = form.get("client_secret").is_some();
    match ClientCredentials::from_request(Some(header), &form) {
        Ok(ClientCredentials::Basic { client_id, secret }) => {
            assert!(!body_secret, "Basic and client_secret together were accepted");
            assert!(!client_id.is_empty());
            if let Some(body_id) = form.get("client_id") {
                assert_eq!(body_id, client_id);
            }
            let again = ClientCredentials::from_request(Some(&encode(&client_id, secret.expose())), &form);
            match again {
                Ok(ClientCredentials::Basic { client_id: id, secret: s }) => {
                    assert_eq!((id.as_str(), s.expose()), (client_id.as_str(), secret.expose()));
                }
                other => panic!("re-encoded credentials did not read back: {other:?}"),
            }
        }
        Ok(other) => panic!("a header was present, yet {other:?}"),
        Err(err) if err.body().error == "invalid_request" => {
            assert_eq!(err.status(), 400);
            assert!(body_secret || form.get("client_id").is_some(), "invalid_request without a body credential");
        }
        Err(err) => {
            assert_eq!(err.body().error, "invalid_client");
            assert_eq!(err.status(), 401);
            assert!(err.basic_challenge(), "a refused Basic header must carry the challenge");
        }
    }
});

fn encode(client_id: &str, secret: &str) -> String {
    let encode_half = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode_half(client_id), encode_half(secret))))
}
