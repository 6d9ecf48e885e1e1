//! Every row of the RFC 6750 §3 table, plus 503 when no verdict is possible.

use shared_claims::poll::wait_until;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use shared_claims::{unix_now, REFRESH_TOKEN_TYP};

use super::{assert_invalid_token, bearer, get, post_document, send, service, REALM};
use resource_server::test_support::{
    access_header, claims, claims_for, jwks, sign_hs256, signing_input, FakeAuthServer, TestKey, AUDIENCE,
};
use resource_server::verify::{ClientCredentials, FetchError, FetchedKeys, KeySource, Verifier};
use resource_server::Secret;

#[actix_web::test]
async fn no_credentials_get_a_bare_challenge() {
    let app = service!();
    for header in [None, Some("Basic dXNlcjpwYXNz"), Some("Token abc")] {
        let reply = send(&app, get("/api/me", header).to_request()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(reply.challenge.as_deref(), Some(REALM), "{header:?}");
        assert_eq!(reply.body, json!({"error": "unauthorized", "error_description": "a bearer token is required"}));
    }
}

#[actix_web::test]
async fn a_malformed_header_is_invalid_request() {
    let app = service!();
    for header in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "bearer \"quoted\"", "Bearer\tabc", "Bearer,abc"] {
        let reply = send(&app, get("/api/me", Some(header)).to_request()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{header}");
        let challenge = reply.challenge.unwrap_or_default();
        assert!(challenge.starts_with(&format!("{REALM}, error=\"invalid_request\"")), "{challenge}");
        assert_eq!(reply.body["error"], "invalid_request");
    }
    let token = TestKey::shared().access_token(&claims());
    let twice = TestRequest::get()
        .uri("/api/me")
        .append_header((AUTHORIZATION, bearer(&token)))
        .append_header((AUTHORIZATION, bearer(&token)))
        .to_request();
    assert_eq!(send(&app, twice).await.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn every_bad_token_is_invalid_token() {
    let app = service!();
    let key = TestKey::shared();
    let now = unix_now();
    let with = |claim: &str, value: Value| {
        let mut c = claims();
        c[claim] = value;
        key.access_token(&c)
    };
    let alg_none = format!("{}.AAAA", signing_input(&json!({"alg":"none","typ":"at+jwt","kid":key.kid()}), &claims()));
    let hs256 = sign_hs256(&json!({"alg":"HS256","typ":"at+jwt","kid":key.kid()}), &claims(), &key.public_pem());
    let refresh = key.sign(&json!({"alg":"RS256","typ":REFRESH_TOKEN_TYP,"kid":key.kid()}), &claims());
    let embedded_jwk = TestKey::other()
        .sign(&json!({"alg":"RS256","typ":"at+jwt","kid":key.kid(),"jwk":TestKey::other().public_jwk()}), &claims());
    let mut flipped = key.access_token(&claims()).into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == b'x' { b'y' } else { b'x' };
    let cases = [
        ("garbage", "not-a-jwt".to_owned()),
        ("alg none", alg_none),
        ("hs256 with the public key", hs256),
        ("foreign key under our kid", TestKey::other().sign(&access_header(key.kid()), &claims())),
        ("unknown kid", TestKey::other().access_token(&claims())),
        ("embedded jwk", embedded_jwk),
        ("refresh token", refresh),
        ("flipped byte", String::from_utf8(flipped).unwrap()),
        ("crit", key.sign(&json!({"alg":"RS256","typ":"at+jwt","kid":key.kid(),"crit":["x"]}), &claims())),
        ("oversized", "a".repeat(9000)),
        ("wrong issuer", with("iss", json!("http://other"))),
        ("wrong audience", with("aud", json!("other-api"))),
        ("expired", with("exp", json!(now - 60))),
        ("not yet valid", with("nbf", json!(now + 600))),
    ];
    for (name, token) in cases {
        let reply = send(&app, get("/api/me", Some(&bearer(&token))).to_request()).await;
        assert_invalid_token(name, &reply);
    }
    let reply = send(&app, get("/api/me", Some(&bearer(&with("exp", json!(now - 60))))).to_request()).await;
    assert_eq!(reply.body["error_description"], "token has expired");
}

#[actix_web::test]
async fn a_missing_scope_is_403_naming_the_scope() {
    let app = service!();
    let token = TestKey::shared().access_token(&claims_for("alice", "documents:write"));
    let reply = send(&app, get("/api/documents", Some(&bearer(&token))).to_request()).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.challenge.unwrap_or_default();
    assert!(challenge.starts_with(&format!("{REALM}, error=\"insufficient_scope\"")), "{challenge}");
    assert!(challenge.ends_with("scope=\"documents:read\""), "{challenge}");
    assert_eq!(reply.body["error"], "insufficient_scope");

    let reader = TestKey::shared().access_token(&claims_for("alice", "documents:read"));
    let reply = send(&app, post_document(Some(&reader), r#"{"title":"t","content":"c"}"#).to_request()).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.challenge.unwrap_or_default().ends_with("scope=\"documents:write\""));
}

#[actix_web::test]
async fn the_scheme_is_case_insensitive_and_me_answers_who() {
    let app = service!();
    let token = TestKey::shared().access_token(&claims());
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply = send(&app, get("/api/me", Some(&format!("{scheme} {token}"))).to_request()).await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}");
        assert_eq!(
            reply.body,
            json!({"sub": "alice", "client_id": "web-app", "scope": "documents:read documents:write"})
        );
    }
}

/// A key source that never succeeds: the verifier never becomes ready.
struct Unreachable;

impl KeySource for Unreachable {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, FetchError>> {
        Box::pin(async { Err(FetchError::Transport("connection refused".into())) })
    }
}

#[actix_web::test]
async fn without_keys_the_server_is_not_ready_and_answers_503() {
    let verifier = Verifier::builder(AUDIENCE).local_with_source(Arc::new(Unreachable)).unwrap();
    let app = service!(verifier);
    assert_eq!(send(&app, get("/readyz", None).to_request()).await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(send(&app, get("/healthz", None).to_request()).await.status, StatusCode::OK);
    let token = TestKey::shared().access_token(&claims());
    let reply = send(&app, get("/api/me", Some(&bearer(&token))).to_request()).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.challenge, None);
    assert_eq!(reply.retry_after.as_deref(), Some("5"));
    assert_eq!(reply.body["error"], "temporarily_unavailable");
}

#[actix_web::test]
async fn readyz_names_the_missing_revocation_feed() {
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let credentials = ClientCredentials::new("id", Secret::new("secret"));
    let verifier = Verifier::builder(AUDIENCE)
        .revocation_feed(credentials, Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    let absent = || verifier.not_ready_reason().is_some_and(|why| why.contains("no revocation feed"));
    wait_until(Duration::from_secs(10), "the absent feed", absent).await;
    let app = service!(verifier);
    let reply = send(&app, get("/readyz", None).to_request()).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.body["status"], "not ready");
    assert!(reply.body["reason"].as_str().is_some_and(|why| why.contains("revocations cannot be guaranteed")));
    auth.stop().await;
}
