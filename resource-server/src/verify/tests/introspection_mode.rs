//! Over HTTP against a stand-in auth server: discovery, the JWKS, and introspection.

use shared_claims::poll::wait_until;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;
use shared_claims::{unix_now, ClaimError};

use super::{refused, DEADLINE};
use crate::test_support::fake_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::test_support::{claims, jwks, FakeAuthServer, TestKey, AUDIENCE};
use crate::verify::{BuildError, ClientCredentials, Verifier, VerifyError};
use crate::Secret;

#[actix_web::test]
async fn discovers_and_fetches_the_jwks_over_http() {
    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let verifier = Verifier::builder(AUDIENCE).without_revocation_feed().local(auth.base_url()).unwrap();
    wait_until(DEADLINE, "the key set", || verifier.is_ready()).await;
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
    wait_until(DEADLINE, "discovery", || verifier.is_ready()).await;
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
        wait_until(DEADLINE, "the introspection call", || auth.introspections() == 1).await;
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
    wait_until(DEADLINE, "discovery", || verifier.is_ready()).await;
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
    wait_until(DEADLINE, "discovery", || verifier.is_ready()).await;
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
    let err = Verifier::builder(AUDIENCE).without_revocation_feed().local("http://127.0.0.1:1").unwrap_err();
    assert!(matches!(err, BuildError::NoRuntime));
}

#[actix_web::test]
async fn inactive_answers_are_remembered_briefly() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = ready_introspection(&auth).await;
    for _ in 0..3 {
        assert_eq!(refused(&verifier, "random-garbage").await, VerifyError::Inactive);
    }
    assert_eq!(auth.introspections(), 1, "the same inactive token is not asked about again");
    assert_eq!(refused(&verifier, "other-garbage").await, VerifyError::Inactive);
    assert_eq!(auth.introspections(), 2, "keyed by the exact token");
    auth.stop().await;
}

/// S1: outbound introspection calls are bounded; a request needing one more while
/// every slot is busy gets 503 with Retry-After at once, without a call.
#[actix_web::test]
async fn introspection_calls_are_bounded_and_excess_is_503() {
    let auth = FakeAuthServer::start(jwks(&[])).await;
    let credentials = ClientCredentials::new(CLIENT_ID, Secret::new(CLIENT_SECRET));
    let verifier =
        Verifier::builder(AUDIENCE).introspection_concurrency(2).introspect(auth.base_url(), credentials).unwrap();
    wait_until(DEADLINE, "discovery", || verifier.is_ready()).await;
    auth.answer("slow-1", active_answer(&claims()));
    auth.answer("slow-2", active_answer(&claims()));
    auth.answer("third", active_answer(&claims()));
    auth.close_gate();
    let busy = async {
        wait_until(DEADLINE, "two calls in flight", || auth.introspections() == 2).await;
        let err = refused(&verifier, "third").await;
        assert!(matches!(err, VerifyError::Unavailable(_)), "{err:?}");
        let answer = err.to_bearer_error();
        assert_eq!(answer.status(), 503);
        assert_eq!(auth.introspections(), 2, "no call made for the excess request");
        auth.open_gate();
    };
    let (first, second, ()) = tokio::join!(verifier.verify("slow-1"), verifier.verify("slow-2"), busy);
    first.unwrap();
    second.unwrap();
    verifier.verify("third").await.unwrap();
    assert_eq!(auth.introspections(), 3, "a slot is free again");
    auth.stop().await;
}

/// S1/S5: a JWS the header alone condemns (alg, crit, typ: RFC 8725 §3.1, §3.11) is
/// refused locally, with the same verdict as local mode, and costs no call.
#[actix_web::test]
async fn jws_header_checks_are_applied_before_introspecting() {
    use crate::test_support::{sign_hs256, signing_input};
    use serde_json::json;

    let auth = FakeAuthServer::start(jwks(&[])).await;
    let verifier = ready_introspection(&auth).await;
    let key = TestKey::shared();
    let header = |extra: Value| {
        let mut header = json!({"alg": "RS256", "typ": "at+jwt", "kid": key.kid()});
        header.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        header
    };
    let cases = [
        ("refresh token", key.sign(&header(json!({"typ": "rt+jwt"})), &claims()), ClaimError::WrongType.into()),
        ("untyped", key.sign(&json!({"alg": "RS256", "kid": key.kid()}), &claims()), ClaimError::WrongType.into()),
        ("typ JWT", key.sign(&header(json!({"typ": "JWT"})), &claims()), ClaimError::WrongType.into()),
        ("crit", key.sign(&header(json!({"crit": ["exp"]})), &claims()), VerifyError::CriticalHeader),
        ("crit null", key.sign(&header(json!({"crit": null})), &claims()), VerifyError::CriticalHeader),
        ("hs256", sign_hs256(&header(json!({"alg": "HS256"})), &claims(), &key.public_pem()), VerifyError::Algorithm),
        (
            "alg none",
            format!("{}.AAAA", signing_input(&header(json!({"alg": "none"})), &claims())),
            VerifyError::Algorithm,
        ),
    ];
    for (name, token, expected) in cases {
        // Even an answer of "active" from the auth server would not be asked for.
        auth.answer(&token, active_answer(&claims()));
        assert_eq!(refused(&verifier, &token).await, expected, "{name}");
    }
    assert_eq!(auth.introspections(), 0, "refused without asking the auth server");

    let genuine = key.access_token(&claims());
    auth.answer(&genuine, active_answer(&claims()));
    verifier.verify(&genuine).await.unwrap();
    assert_eq!(auth.introspections(), 1);
    auth.stop().await;
}

/// S2: metadata endpoints off the origin of the auth server URL and of the issuer are
/// never called (here `localhost` for `127.0.0.1`: the same server, another origin);
/// discovery keeps retrying, and the verifier is ready once the metadata is fixed.
#[actix_web::test]
async fn endpoints_off_the_auth_servers_origin_are_never_called() {
    use crate::verify::RefreshPolicy;

    let auth = FakeAuthServer::start(jwks(&[TestKey::shared()])).await;
    let elsewhere = auth.base_url().replace("127.0.0.1", "localhost");
    auth.override_metadata("jwks_uri", Some(&format!("{elsewhere}/jwks")));
    auth.override_metadata("introspection_endpoint", Some(&format!("{elsewhere}/introspect")));
    let quick = RefreshPolicy {
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(50),
        ..RefreshPolicy::default()
    };
    let local = Verifier::builder(AUDIENCE)
        .refresh_policy(quick.clone())
        .without_revocation_feed()
        .local(auth.base_url())
        .unwrap();
    let remote = Verifier::builder(AUDIENCE)
        .refresh_policy(quick)
        .introspect(auth.base_url(), ClientCredentials::new(CLIENT_ID, Secret::new(CLIENT_SECRET)))
        .unwrap();
    wait_until(DEADLINE, "several discovery attempts", || auth.metadata_fetches() >= 6).await;
    assert!(!local.is_ready() && !remote.is_ready());
    auth.answer("t", active_answer(&claims()));
    assert!(matches!(refused(&remote, "t").await, VerifyError::Unavailable(_)));
    assert_eq!((auth.jwks_fetches(), auth.introspections()), (0, 0), "nothing sent off-origin");

    auth.override_metadata("jwks_uri", None);
    auth.override_metadata("introspection_endpoint", None);
    wait_until(DEADLINE, "discovery of the fixed metadata", || local.is_ready() && remote.is_ready()).await;
    local.verify(&TestKey::shared().access_token(&claims())).await.unwrap();
    remote.verify("t").await.unwrap();
    auth.stop().await;
}
