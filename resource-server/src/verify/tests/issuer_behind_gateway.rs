//! An auth server reached on another URL than its issuer (a gateway, a container
//! network): the stand-in's issuer is `http://auth.test`, which nothing resolves, and
//! its metadata announces every endpoint under it. With the issuer configured, the
//! verifier fetches the metadata and every endpoint from the auth server URL; metadata
//! naming another issuer is refused and nothing else is called.

use std::time::Duration;

use serde_json::json;
use shared_claims::poll::{poll_until, wait_until};
use shared_claims::unix_now;

use super::{refused, DEADLINE};
use crate::test_support::fake_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::test_support::{claims, jwks, FakeAuthServer, TestKey, AUDIENCE, ISSUER};
use crate::verify::{BuildError, ClientCredentials, InvalidIssuer, RefreshPolicy, Verifier, VerifyError};
use crate::Secret;

fn credentials() -> ClientCredentials {
    ClientCredentials::new(CLIENT_ID, Secret::new(CLIENT_SECRET))
}

/// The stand-in with its feed, announcing its endpoints under the public issuer only.
async fn behind_gateway() -> FakeAuthServer {
    let auth = FakeAuthServer::start_with_feed(jwks(&[TestKey::shared()])).await;
    auth.override_metadata("jwks_uri", Some(&format!("{ISSUER}/jwks")));
    auth.override_metadata("introspection_endpoint", Some(&format!("{ISSUER}/introspect")));
    auth.override_metadata("revocation_feed_endpoint", Some(&format!("{ISSUER}/revocations")));
    auth
}

fn quick() -> RefreshPolicy {
    RefreshPolicy {
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(50),
        ..RefreshPolicy::default()
    }
}

#[actix_web::test]
async fn local_mode_fetches_keys_and_follows_the_feed_on_the_auth_url() {
    let auth = behind_gateway().await;
    let verifier = Verifier::builder(AUDIENCE)
        .issuer(ISSUER)
        .revocation_feed(credentials(), Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    wait_until(DEADLINE, "keys and a live feed", || verifier.is_ready()).await;
    let mut doomed = claims();
    doomed["jti"] = "doomed".into();
    let token = TestKey::shared().access_token(&doomed);
    verifier.verify(&token).await.unwrap();
    assert_eq!(auth.jwks_fetches(), 1);

    auth.publish(json!({"type": "token", "jti": "doomed", "expires_at": unix_now() + 300}));
    poll_until(DEADLINE, "the revocation through the feed", || async {
        matches!(verifier.verify(&token).await, Err(VerifyError::Revoked)).then_some(())
    })
    .await;
    auth.stop().await;
}

#[actix_web::test]
async fn introspection_mode_calls_the_auth_url() {
    let auth = behind_gateway().await;
    let verifier = Verifier::builder(AUDIENCE)
        .issuer(ISSUER)
        .revocation_feed(credentials(), Duration::from_secs(30))
        .introspect(auth.base_url(), credentials())
        .unwrap();
    wait_until(DEADLINE, "discovery", || verifier.is_ready()).await;
    let mut answer = claims();
    answer["active"] = true.into();
    answer["token_type"] = "access_token".into();
    auth.answer("opaque", answer);
    verifier.verify("opaque").await.unwrap();
    assert_eq!(auth.introspections(), 1);
    auth.stop().await;
}

/// RFC 8414 §3.3: metadata naming another issuer than the configured one is refused
/// (retried, not ready), and none of its endpoints is called.
#[actix_web::test]
async fn metadata_naming_another_issuer_is_refused() {
    let auth = behind_gateway().await;
    let wrong = "http://localhost.test";
    let local = Verifier::builder(AUDIENCE)
        .issuer(wrong)
        .refresh_policy(quick())
        .revocation_feed(credentials(), Duration::from_secs(30))
        .local(auth.base_url())
        .unwrap();
    let remote = Verifier::builder(AUDIENCE)
        .issuer(wrong)
        .refresh_policy(quick())
        .introspect(auth.base_url(), credentials())
        .unwrap();
    wait_until(DEADLINE, "several discovery attempts", || auth.metadata_fetches() >= 6).await;
    assert!(!local.is_ready() && !remote.is_ready());
    auth.answer("opaque", claims());
    assert!(matches!(refused(&remote, "opaque").await, VerifyError::Unavailable(_)));
    let token = TestKey::shared().access_token(&claims());
    assert!(matches!(refused(&local, &token).await, VerifyError::Unavailable(_)));
    assert_eq!((auth.jwks_fetches(), auth.introspections()), (0, 0), "nothing called");
    assert!(auth.feed_connections().is_empty(), "no feed connection");
    auth.stop().await;
}

#[actix_web::test]
async fn the_issuer_must_be_an_http_url() {
    let err = Verifier::builder(AUDIENCE).issuer("auth.test").without_revocation_feed().local("http://127.0.0.1:1");
    assert!(matches!(err, Err(BuildError::Issuer(InvalidIssuer(ref value))) if value == "auth.test"), "{err:?}");
}
