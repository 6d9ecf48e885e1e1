//! The service client against the fake auth server: discovery and the token request,
//! the token reused, renewed, and renewed once for many refusals; what is returned as
//! it is (a second 401, a 403, a 401 for a body that cannot be sent twice); the auth
//! server's errors.

use std::time::Duration;

use futures_util::future::{join, join_all};
use serde_json::{json, Value};
use shared_claims::poll::{poll_until, wait_until};

use crate::client::{BuildError, ClientError, ServiceClient, TokenError};
use crate::test_support::fake_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::test_support::{jwks, FakeAuthServer, TestKey, ISSUER};
use crate::Secret;

const DEADLINE: Duration = Duration::from_secs(10);
const CALLERS: usize = 50;

async fn fake() -> FakeAuthServer {
    FakeAuthServer::start(jwks(&[TestKey::shared()])).await
}

fn client(fake: &FakeAuthServer) -> ServiceClient {
    ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .auth_url(fake.base_url())
        .scope("documents:read")
        .resource("documents-api")
        .build()
        .unwrap()
}

fn url(fake: &FakeAuthServer, path: &str) -> String {
    format!("{}{path}", fake.base_url())
}

/// `GET /resource`: the status and, for a 200, the number of the token it accepted.
async fn call(client: &ServiceClient, fake: &FakeAuthServer) -> (u16, Option<u64>) {
    let response = client.get(url(fake, "/resource")).await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["token"].as_u64())
}

#[actix_web::test]
async fn the_token_is_discovered_requested_and_reused() {
    let fake = fake().await;
    let client = client(&fake);
    for _ in 0..3 {
        assert_eq!(call(&client, &fake).await, (200, Some(1)));
    }
    assert_eq!(fake.tokens().token_requests(), 1);
    assert_eq!(fake.metadata_fetches(), 1);
    assert_eq!(client.token_requests(), 1);
    let form = fake.tokens().last_form();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        pairs,
        [("grant_type", "client_credentials"), ("scope", "documents:read"), ("resource", "documents-api")]
    );
    assert_eq!(client.access_token().await.unwrap().expose(), "fake-token-1");
}

#[actix_web::test]
async fn concurrent_first_calls_share_one_token_request() {
    let fake = fake().await;
    let client = client(&fake);
    fake.tokens().close_gate();
    let callers = join_all((0..CALLERS).map(|_| call(&client, &fake)));
    let opener = async {
        wait_until(DEADLINE, "the first token request", || fake.tokens().token_requests() == 1).await;
        fake.tokens().open_gate();
    };
    let (answers, ()) = join(callers, opener).await;
    assert!(answers.iter().all(|answer| *answer == (200, Some(1))), "{answers:?}");
    assert_eq!(fake.tokens().token_requests(), 1);
}

#[actix_web::test]
async fn a_short_lived_token_is_renewed_before_a_refusal() {
    let fake = fake().await;
    // Renewed half a second in (the margin of a 1 s token is half its life).
    fake.tokens().set_lifetime(1);
    let client = client(&fake);
    let renewed = poll_until(DEADLINE, "a renewal", || async {
        let answer = call(&client, &fake).await;
        assert_eq!(answer.0, 200, "no call is refused");
        (answer.1 == Some(2)).then_some(())
    })
    .await;
    assert_eq!(renewed, ());
    assert_eq!(client.retries(), 0, "renewed before any refusal");
}

#[actix_web::test]
async fn many_refusals_of_a_revoked_token_cause_one_renewal() {
    let fake = fake().await;
    let client = client(&fake);
    assert_eq!(call(&client, &fake).await, (200, Some(1)));
    fake.tokens().refuse("fake-token-1");
    fake.tokens().close_gate();
    let callers = join_all((0..CALLERS).map(|_| call(&client, &fake)));
    let opener = async {
        wait_until(DEADLINE, "the renewal", || fake.tokens().token_requests() == 2).await;
        fake.tokens().open_gate();
    };
    let (answers, ()) = join(callers, opener).await;
    assert!(answers.iter().all(|answer| *answer == (200, Some(2))), "{answers:?}");
    assert_eq!(fake.tokens().token_requests(), 2, "one renewal");
    assert!((1..=CALLERS as u64).contains(&client.retries()), "{}", client.retries());
}

#[actix_web::test]
async fn a_second_refusal_is_returned() {
    let fake = fake().await;
    let client = client(&fake);
    fake.tokens().refuse_all(true);
    let response = client.get(url(&fake, "/resource")).await.unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(fake.tokens().token_requests(), 2, "the first token and one renewal");
    assert_eq!(fake.tokens().resource_requests(), 2, "sent twice, not more");
    assert_eq!(client.retries(), 1);
}

#[actix_web::test]
async fn insufficient_scope_is_returned_as_it_is() {
    let fake = fake().await;
    let client = client(&fake);
    let response = client.get(url(&fake, "/forbidden")).await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(fake.tokens().token_requests(), 1, "a new token would carry the same scope");
    assert_eq!((fake.tokens().resource_requests(), client.retries()), (1, 0));
}

#[actix_web::test]
async fn a_body_that_cannot_be_sent_twice_gets_its_refusal_back() {
    let fake = fake().await;
    let client = client(&fake);
    assert_eq!(call(&client, &fake).await, (200, Some(1)));
    fake.tokens().refuse("fake-token-1");
    let streamed = client.http().post(url(&fake, "/resource")).body(reqwest::Body::wrap(String::from("report")));
    let response = client.send(streamed).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!((client.not_retried(), client.retries()), (1, 0));
    // The refused token was dropped all the same: the next request renews.
    assert_eq!(call(&client, &fake).await, (200, Some(2)));
    // A body in memory is sent again.
    fake.tokens().refuse("fake-token-2");
    let buffered = client.http().post(url(&fake, "/resource")).body("report");
    assert_eq!(client.send(buffered).await.unwrap().status(), 200);
    assert_eq!(client.retries(), 1);
}

#[actix_web::test]
async fn the_auth_servers_error_reaches_the_caller_with_its_code() {
    let fake = fake().await;
    let client = client(&fake);
    let body = json!({"error": "invalid_scope", "error_description": "the scope is not allowed"});
    fake.tokens().fail_with(Some((400, body)));
    let err = client.get(url(&fake, "/resource")).await.unwrap_err();
    let token_error = err.token_error().expect("a token error");
    assert_eq!(token_error.oauth_error(), Some("invalid_scope"));
    assert!(err.source_chain_mentions("the scope is not allowed"), "{err:?}");
    assert_eq!(fake.tokens().resource_requests(), 0, "nothing sent without a token");

    let wrong = ServiceClient::builder(CLIENT_ID, Secret::new("wrong")).auth_url(fake.base_url()).build().unwrap();
    fake.tokens().fail_with(None);
    let err = wrong.access_token().await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_client"));
    assert!(!format!("{err} {err:?}").contains("wrong"), "no secret in the error");
}

#[actix_web::test]
async fn an_unreachable_auth_server_is_an_error_not_a_loop() {
    let fake = fake().await;
    let base = fake.base_url().to_owned();
    fake.stop().await;
    let client = ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET)).auth_url(base).build().unwrap();
    let err = client.get("http://127.0.0.1:1/never-sent").await.unwrap_err();
    assert!(matches!(err, ClientError::Token(TokenError::Discovery(_))), "{err:?}");
    assert_eq!(client.token_requests(), 1);
    // At once again: the failure stands for its backoff, no new attempt.
    assert!(client.access_token().await.is_err());
    assert_eq!(client.token_requests(), 1);
}

#[actix_web::test]
async fn discovery_refuses_a_token_endpoint_elsewhere() {
    let fake = fake().await;
    fake.override_metadata("token_endpoint", Some("http://127.0.0.1:1/token"));
    let err = client(&fake).access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Discovery(_)), "{err:?}");
    assert_eq!(fake.tokens().token_requests(), 0);
}

#[actix_web::test]
async fn the_configured_issuer_must_be_the_metadatas() {
    let fake = fake().await;
    let other = ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .auth_url(fake.base_url())
        .issuer("http://another.test")
        .build()
        .unwrap();
    let err = other.access_token().await.unwrap_err();
    assert!(matches!(err, TokenError::Discovery(_)), "{err:?}");
    let same = ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .auth_url(fake.base_url())
        .issuer(ISSUER)
        .build()
        .unwrap();
    assert!(same.access_token().await.is_ok());
}

/// Behind a gateway: the metadata announces the token endpoint under the public issuer
/// (which nothing resolves here); with the issuer configured, it is reached under the
/// URL the client connects to.
#[actix_web::test]
async fn a_token_endpoint_under_the_issuer_is_reached_on_the_auth_url() {
    let fake = fake().await;
    fake.override_metadata("token_endpoint", Some(&format!("{ISSUER}/token")));
    let client = ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .auth_url(fake.base_url())
        .issuer(ISSUER)
        .build()
        .unwrap();
    assert!(client.access_token().await.is_ok());
    assert_eq!(fake.tokens().token_requests(), 1);
}

#[actix_web::test]
async fn a_token_endpoint_given_directly_needs_no_metadata() {
    let fake = fake().await;
    let client = ServiceClient::builder(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .token_endpoint(url(&fake, "/token"))
        .build()
        .unwrap();
    assert_eq!(call(&client, &fake).await, (200, Some(1)));
    assert_eq!(fake.metadata_fetches(), 0);
    let form = fake.tokens().last_form();
    assert_eq!(form, [("grant_type".to_owned(), "client_credentials".to_owned())], "no scope, no resource");
}

#[actix_web::test]
async fn the_counters_are_exported() {
    let fake = fake().await;
    let client = client(&fake);
    fake.tokens().refuse_all(true);
    client.get(url(&fake, "/resource")).await.unwrap();
    let mut registry = prometheus_client::registry::Registry::default();
    client.register_metrics(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(text.contains("service_client_token_requests_total 2\n"), "{text}");
    assert!(text.contains("service_client_retries_total 1\n"), "{text}");
    assert!(!text.contains("fake-token"), "{text}");
}

#[test]
fn build_errors_name_the_setting() {
    let err = ServiceClient::builder("id", Secret::new("s")).build().unwrap_err();
    assert!(matches!(err, BuildError::NoAuthServer));
    assert!(err.to_string().contains(".auth_url("), "{err}");
}

trait MentionsInChain {
    fn source_chain_mentions(&self, text: &str) -> bool;
}

impl MentionsInChain for ClientError {
    fn source_chain_mentions(&self, text: &str) -> bool {
        shared_claims::error_chain(self).contains(text)
    }
}
