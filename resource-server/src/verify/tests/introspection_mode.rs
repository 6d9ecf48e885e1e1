//! Over HTTP against a stand-in auth server: discovery, the JWKS, and introspection.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;
use shared_claims::{unix_now, ClaimError};

use super::{refused, DEADLINE};
use crate::test_support::fake_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::test_support::{claims, jwks, wait_until, FakeAuthServer, TestKey, AUDIENCE};
use crate::verify::{BuildError, ClientCredentials, Verifier, VerifyError};
use crate::Secret;

#[actix_web::test]
async fn discovers_and_fetches_the_jwks_over_http() {
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let verifier = Verifier::builder(AUDIENCE).local(auth.base_url()).unwrap();
    wait_until("the key set", DEADLINE, || verifier.is_ready()).await;
    verifier.verify(&TestKey::shared().access_token(&claims())).await.unwrap();

    auth.set_jwks(jwks(&[TestKey::shared(), TestKey::other()]));
    verifier.verify(&TestKey::other().access_token(&claims())).await.unwrap();
    assert_eq!(auth.jwks_fetches(), 2);
    auth.stop().await;
}

fn introspection_verifier(auth: &FakeAuthServer, secret: &str) -> Verifier {
    let credentials = ClientCredentials::new(CLIENT_ID, Secret::new(secret));
    Verifier::builder(AUDIENCE).introspect(auth.base_url(), credentials).unwrap()
}

fn active_answer(claims: &Value) -> Value {
    let mut answer = claims.clone();
    answer["active"] = true.into();
    answer["token_type"] = "access_token".into();
    answer
}

async fn ready_introspection(auth: &FakeAuthServer) -> Verifier {
    let verifier = introspection_verifier(auth, CLIENT_SECRET);
    wait_until("discovery", DEADLINE, || verifier.is_ready()).await;
    verifier
}

#[actix_web::test]
async fn introspection_accepts_active_tokens_once_and_caches_them() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = ready_introspection(&auth).await;
    auth.answer("opaque-1", active_answer(&claims()));
    assert_eq!(verifier.verify("opaque-1").await.unwrap().sub, "alice");
    assert_eq!(verifier.verify("opaque-1").await.unwrap().sub, "alice");
    assert_eq!(auth.introspections(), 1);
    assert_eq!(refused(&verifier, "unknown").await, VerifyError::Inactive);
    auth.stop().await;
}

#[actix_web::test]
async fn introspection_answers_get_the_same_claim_checks() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = ready_introspection(&auth).await;
    let mut wrong_aud = active_answer(&claims());
    wrong_aud["aud"] = "other-api".into();
    auth.answer("wrong-aud", wrong_aud);
    let mut refresh = active_answer(&claims());
    refresh["token_type"] = "refresh_token".into();
    auth.answer("refresh", refresh);
    let mut expired = active_answer(&claims());
    expired["exp"] = (unix_now() - 60).into();
    auth.answer("expired", expired);
    assert_eq!(refused(&verifier, "wrong-aud").await, VerifyError::Claims(ClaimError::WrongAudience));
    assert_eq!(refused(&verifier, "refresh").await, VerifyError::Claims(ClaimError::WrongType));
    assert_eq!(refused(&verifier, "expired").await, VerifyError::Claims(ClaimError::Expired));
    auth.stop().await;
}

#[actix_web::test]
async fn concurrent_introspections_of_one_token_are_coalesced() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = ready_introspection(&auth).await;
    auth.answer("shared", active_answer(&claims()));
    auth.close_gate();
    let requests = join_all((0..20).map(|_| verifier.verify("shared")));
    let opener = async {
        wait_until("the introspection call", DEADLINE, || auth.introspections() == 1).await;
        auth.open_gate();
    };
    let (results, ()) = tokio::join!(requests, opener);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(auth.introspections(), 1);
    auth.stop().await;
}

#[actix_web::test]
async fn introspection_cache_lives_no_longer_than_its_ttl() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let credentials = ClientCredentials::new(CLIENT_ID, Secret::new(CLIENT_SECRET));
    let verifier = Verifier::builder(AUDIENCE)
        .introspection_cache_ttl(Duration::ZERO)
        .introspect(auth.base_url(), credentials)
        .unwrap();
    wait_until("discovery", DEADLINE, || verifier.is_ready()).await;
    auth.answer("t", active_answer(&claims()));
    verifier.verify("t").await.unwrap();
    verifier.verify("t").await.unwrap();
    assert_eq!(auth.introspections(), 2);
    auth.stop().await;
}

#[actix_web::test]
async fn refused_credentials_or_an_absent_server_mean_unavailable() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = introspection_verifier(&auth, "wrong secret");
    wait_until("discovery", DEADLINE, || verifier.is_ready()).await;
    auth.answer("t", active_answer(&claims()));
    assert!(matches!(refused(&verifier, "t").await, VerifyError::Unavailable(_)));
    let base = auth.base_url().to_owned();
    auth.stop().await;

    let credentials = ClientCredentials::new("id", Secret::new("secret"));
    let verifier = Verifier::builder(AUDIENCE).introspect(&base, credentials).unwrap();
    assert!(!verifier.is_ready());
    assert!(matches!(refused(&verifier, "t").await, VerifyError::Unavailable(_)));
}

#[test]
fn introspection_needs_credentials_and_a_runtime() {
    let credentials = ClientCredentials::new("", Secret::new(""));
    let err = Verifier::builder(AUDIENCE).introspect("http://127.0.0.1:1", credentials).unwrap_err();
    assert!(matches!(err, BuildError::MissingCredentials));
    let err = Verifier::builder(AUDIENCE).local("http://127.0.0.1:1").unwrap_err();
    assert!(matches!(err, BuildError::NoRuntime));
}
