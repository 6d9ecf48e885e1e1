//! Local mode against the attack tokens of RFC 8725, and the claim checks.

use serde_json::{json, Value};
use shared_claims::{unix_now, ClaimError, REFRESH_TOKEN_TYP};

use super::refused;
use crate::test_support::{access_header, claims, local_verifier, sign_hs256, signing_input, TestKey, ISSUER};
use crate::verify::VerifyError;

#[actix_web::test]
async fn accepts_a_good_token_and_then_serves_it_from_the_cache() {
    let verifier = local_verifier();
    let token = TestKey::shared().access_token(&claims());
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(first.sub, "alice");
    assert_eq!(verifier.metrics().cache_hits(), 0);
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(verifier.metrics().cache_hits(), 1);
}

#[actix_web::test]
async fn refuses_alg_none() {
    let verifier = local_verifier();
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": TestKey::shared().kid()});
    let unsigned = format!("{}.", signing_input(&header, &claims()));
    assert_eq!(refused(&verifier, &unsigned).await, VerifyError::Malformed);
    let with_junk = format!("{unsigned}AAAA");
    assert_eq!(refused(&verifier, &with_junk).await, VerifyError::Algorithm);
}

#[actix_web::test]
async fn refuses_hs256_signed_with_the_public_key() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": key.kid()});
    let token = sign_hs256(&header, &claims(), &key.public_pem());
    assert_eq!(refused(&verifier, &token).await, VerifyError::Algorithm);
}

#[actix_web::test]
async fn refuses_a_foreign_key_under_our_kid() {
    let verifier = local_verifier();
    let token = TestKey::other().sign(&access_header(TestKey::shared().kid()), &claims());
    assert_eq!(refused(&verifier, &token).await, VerifyError::Signature);
}

#[actix_web::test]
async fn refuses_an_unknown_kid() {
    let verifier = local_verifier();
    let token = TestKey::other().access_token(&claims());
    assert_eq!(refused(&verifier, &token).await, VerifyError::UnknownKey);
}

#[actix_web::test]
async fn ignores_keys_carried_in_the_header() {
    let verifier = local_verifier();
    let attacker = TestKey::other();
    for kid in [TestKey::shared().kid(), attacker.kid()] {
        let header = json!({
            "alg": "RS256", "typ": "at+jwt", "kid": kid,
            "jwk": attacker.public_jwk(), "jku": "http://attacker/jwks", "x5u": "http://attacker/cert",
        });
        let err = refused(&verifier, &attacker.sign(&header, &claims())).await;
        assert!(matches!(err, VerifyError::Signature | VerifyError::UnknownKey), "{kid}: {err:?}");
    }
}

#[actix_web::test]
async fn refuses_a_refresh_token() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let mut refresh_claims = claims();
    refresh_claims["aud"] = ISSUER.into();
    let header = json!({"alg": "RS256", "typ": REFRESH_TOKEN_TYP, "kid": key.kid()});
    let err = refused(&verifier, &key.sign(&header, &refresh_claims)).await;
    assert_eq!(err, VerifyError::Claims(ClaimError::WrongType));
    // Even with our audience, the type alone refuses it.
    let err = refused(&verifier, &key.sign(&header, &claims())).await;
    assert_eq!(err, VerifyError::Claims(ClaimError::WrongType));
}

#[actix_web::test]
async fn refuses_any_flipped_byte() {
    let verifier = local_verifier();
    let token = TestKey::shared().access_token(&claims());
    let dots: Vec<usize> = token.match_indices('.').map(|(at, _)| at).collect();
    let positions = [0, dots[0] / 2, dots[0] + 5, (dots[0] + dots[1]) / 2, dots[1] + 3, token.len() - 3];
    for at in positions {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(verifier.verify(&tampered).await.is_err(), "flipped byte at {at} accepted");
    }
    assert!(verifier.verify(&token).await.is_ok());
}

#[actix_web::test]
async fn refuses_oversized_tokens_before_any_work() {
    let verifier = local_verifier();
    let mut padded = claims();
    padded["padding"] = "x".repeat(9 * 1024).into();
    let token = TestKey::shared().access_token(&padded);
    assert_eq!(refused(&verifier, &token).await, VerifyError::TooLarge);
    assert_eq!(refused(&verifier, &"a".repeat(100_000)).await, VerifyError::TooLarge);
}

#[actix_web::test]
async fn refuses_a_crit_header() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": key.kid(), "crit": ["exp"], "exp": 1});
    assert_eq!(refused(&verifier, &key.sign(&header, &claims())).await, VerifyError::CriticalHeader);
}

#[actix_web::test]
async fn refuses_wrong_claims() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let now = unix_now();
    let cases: [(&str, Value, ClaimError); 4] = [
        ("iss", json!("http://elsewhere"), ClaimError::WrongIssuer),
        ("aud", json!(["other-api"]), ClaimError::WrongAudience),
        ("exp", json!(now - 60), ClaimError::Expired),
        ("nbf", json!(now + 600), ClaimError::NotYetValid),
    ];
    for (claim, value, expected) in cases {
        let mut bad = claims();
        bad[claim] = value;
        assert_eq!(refused(&verifier, &key.access_token(&bad)).await, VerifyError::Claims(expected), "{claim}");
    }
    let mut fractional = claims();
    fractional["exp"] = json!(now as f64 + 60.5);
    assert_eq!(refused(&verifier, &key.access_token(&fractional)).await, VerifyError::Malformed);
}

#[actix_web::test]
async fn refuses_a_crit_header_even_when_null() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": key.kid(), "crit": null});
    assert_eq!(refused(&verifier, &key.sign(&header, &claims())).await, VerifyError::CriticalHeader);
}

#[actix_web::test]
async fn refuses_a_header_or_claims_set_that_is_a_json_array() {
    let verifier = local_verifier();
    let key = TestKey::shared();
    let good = claims();
    // The claims' values in the order of AccessClaims' fields: a derived struct would
    // read this array as if it were the object.
    let as_array = json!([
        good["iss"],
        good["sub"],
        good["aud"],
        good["exp"],
        good["iat"],
        null,
        good["jti"],
        good["client_id"],
        good["scope"],
        good["sid"],
    ]);
    let err = refused(&verifier, &key.sign(&access_header(key.kid()), &as_array)).await;
    assert_eq!(err, VerifyError::Malformed);
    let header_array = json!(["RS256", "at+jwt", key.kid()]);
    assert_eq!(refused(&verifier, &key.sign(&header_array, &good)).await, VerifyError::Malformed);
    verifier.verify(&key.access_token(&good)).await.unwrap();
}
