//! The compact-JWS and JOSE-header parser every party shares (`shared_claims::jose`),
//! and the resource server's checks built on it.
//!
//! Must hold: no panic; the split segments rebuild the token; over-long tokens are
//! `TooLong`; a header re-encoded by the auth server's `encode_header` reads back the
//! same; whatever the shared parser accepts as an access-token header, local
//! verification's header check and introspection's pre-check do not refuse for header
//! reasons, and what it refuses they refuse alike.

#![no_main]

use auth_server::crypto::jws::{encode_header, UnverifiedJws};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use resource_server::verify::{fuzzing, VerifyError};
use shared_claims::jose::{CompactJws, JoseError, JoseHeader, MAX_KID_LEN, MAX_TOKEN_LEN};

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
    let unbounded = CompactJws::split_with_limit(token, usize::MAX);
    if let Ok(jws) = &unbounded {
        assert_eq!(format!("{}.{}.{}", jws.header, jws.payload, jws.signature), token);
        assert_eq!(jws.signing_input, &token[..jws.header.len() + 1 + jws.payload.len()]);
        assert!([jws.header, jws.payload, jws.signature].iter().all(|s| !s.is_empty() && !s.contains('.')));
    }
    let split = CompactJws::split(token);
    if token.len() > MAX_TOKEN_LEN {
        assert_eq!(split, Err(JoseError::TooLong));
    } else {
        assert_eq!(split, unbounded, "the length bound changed a split within it");
    }
    let Ok(jws) = unbounded else { return };
    let header = jws.decode_header();
    if let Ok(header) = &header {
        assert!(header.kid.as_ref().is_none_or(|kid| !kid.is_empty() && kid.len() <= MAX_KID_LEN));
        if let (Some(typ), Some(kid)) = (&header.typ, &header.kid) {
            round_trip(typ, kid);
        }
    }
    resource_server_agrees(token, jws.header, &header);
}

/// The auth server's own encoding of a header reads back the same, through the shared
/// parser and through the auth server's.
fn round_trip(typ: &str, kid: &str) {
    let encoded = encode_header(typ, kid);
    let expected = JoseHeader { typ: Some(typ.to_owned()), kid: Some(kid.to_owned()) };
    assert_eq!(JoseHeader::decode(&encoded).as_ref(), Ok(&expected));
    let token = format!("{encoded}.e30.c2ln");
    let parsed = UnverifiedJws::parse(&token).expect("the auth server refuses its own header");
    assert_eq!(parsed.header, expected);
}

/// Local verification's header check and introspection's pre-check, both over the
/// shared parser, neither refuse an access-token header it accepts, and refuse what it
/// refuses for the same reason.
fn resource_server_agrees(token: &str, segment: &str, header: &Result<JoseHeader, JoseError>) {
    let local = fuzzing::jose_header(segment);
    let precheck = fuzzing::precheck_jws(token);
    match header {
        Ok(header) if shared_claims::is_access_token_typ(header.typ.as_deref()) => {
            match &header.kid {
                Some(kid) => assert_eq!(local, Ok((header.typ.clone().unwrap_or_default(), kid.clone()))),
                None => assert_eq!(local, Err(VerifyError::UnknownKey)),
            }
            assert_eq!(precheck, Ok(header.kid.clone()), "the pre-check refuses an access-token header");
        }
        Ok(_) => {
            assert_eq!(local, Err(VerifyError::Claims(shared_claims::ClaimError::WrongType)));
            assert_eq!(precheck, Err(VerifyError::Claims(shared_claims::ClaimError::WrongType)));
        }
        Err(JoseError::Malformed) => {
            assert_eq!(local, Err(VerifyError::Malformed));
            assert_eq!(precheck, Ok(None), "an unreadable header is an opaque token to the pre-check");
        }
        Err(refused) => {
            let expected = match refused {
                JoseError::Algorithm => VerifyError::Algorithm,
                JoseError::Critical => VerifyError::CriticalHeader,
                JoseError::TooLong | JoseError::Malformed => unreachable!("a header segment has no length bound"),
            };
            assert_eq!(local, Err(expected.clone()));
            assert_eq!(precheck, Err(expected));
        }
    }
}
