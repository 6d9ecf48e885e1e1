//! Compact JWS splitting and JOSE header checks, in both places that read tokens:
//! the auth server's `jws` (refresh tokens, introspection) and the resource server's
//! `jose_header` (local verification, introspection pre-checks).
//!
//! Must hold: no panic; the split segments rebuild the token; a header either side
//! accepts as an access-token header (RS256, at+jwt, a usable kid, no crit) the other
//! side accepts too, with the same `typ` and `kid`; the pre-check never refuses what
//! local verification accepts; a header re-encoded by the auth server reads back the
//! same.

#![no_main]

use auth_server::jws::{encode_header, JwsError, UnverifiedJws, MAX_TOKEN_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use resource_server::verify::fuzzing;

/// The resource server's bound on a `kid` it will look up.
const MAX_KID_LEN: usize = 256;

fuzz_target!(|data: &[u8]| {
    // First byte even: the rest is the token. Odd: the rest is header JSON (up to a
    // NUL) that is encoded here, so mutations work on JSON rather than on base64,
    // then the payload and signature segments.
    let Some((&mode, rest)) = data.split_first() else { return };
    let token = if mode & 1 == 0 {
        let Ok(token) = std::str::from_utf8(rest) else { return };
        token.to_owned()
    } else {
        let (json, tail) = match rest.iter().position(|&b| b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &b"e30.c2ln"[..]),
        };
        let Ok(tail) = std::str::from_utf8(tail) else { return };
        format!("{}.{tail}", URL_SAFE_NO_PAD.encode(json))
    };
    check(&token);
});

fn check(token: &str) {
    let auth = UnverifiedJws::parse(token);
    let split = fuzzing::split_compact_jws(token);
    let local = split.as_ref().ok().map(|parts| fuzzing::jose_header(parts[0]));
    let precheck = fuzzing::precheck_jws(token);

    if let Ok([header, payload, signature, signing_input]) = split {
        assert_eq!(format!("{header}.{payload}.{signature}"), token);
        assert_eq!(signing_input, &token[..header.len() + 1 + payload.len()]);
        assert!([header, payload, signature].iter().all(|s| !s.is_empty() && !s.contains('.')));
    }
    if token.len() > MAX_TOKEN_LEN {
        assert_eq!(auth.err(), Some(JwsError::TooLong));
        return;
    }
    if let Some(Ok((typ, kid))) = &local {
        let parsed = auth.as_ref().expect("the auth server refuses a header local verification accepts");
        assert_eq!(parsed.header.alg, "RS256");
        assert_eq!(parsed.header.typ.as_deref(), Some(typ.as_str()));
        assert_eq!(parsed.header.kid.as_deref(), Some(kid.as_str()));
        assert_eq!(precheck.as_ref().ok(), Some(&Some(kid.clone())), "the pre-check disagrees with local mode");
        round_trip(typ, kid);
    }
    if precheck.is_err() {
        assert!(!matches!(local, Some(Ok(_))), "the pre-check refuses a header local mode accepts");
    }
    if let (Ok(parsed), Ok(_)) = (&auth, &split) {
        let access = shared_claims::is_access_token_typ(parsed.header.typ.as_deref());
        let usable_kid = parsed.header.kid.as_ref().is_some_and(|k| !k.is_empty() && k.len() <= MAX_KID_LEN);
        if access && usable_kid {
            assert!(
                matches!(local, Some(Ok(_))),
                "local verification refuses a header the auth server accepts: {local:?}"
            );
        }
    }
}

/// The auth server's own encoding of a header reads back the same on both sides.
fn round_trip(typ: &str, kid: &str) {
    let header = encode_header(typ, kid);
    assert_eq!(fuzzing::jose_header(&header).unwrap(), (typ.to_owned(), kid.to_owned()));
    let token = format!("{header}.e30.c2ln");
    let parsed = UnverifiedJws::parse(&token).unwrap();
    assert_eq!((parsed.header.typ.as_deref(), parsed.header.kid.as_deref()), (Some(typ), Some(kid)));
}
